"""What can go wrong between the app and the Spaces backend.

    SpacesError                         (spaces_desktop.errors)
    └── SignalingError                  anything from the backend's API or event stream
        ├── InvalidLink                 not a Spaces share link or server address
        ├── BackendUnreachable          no connection, timed out, or the connection dropped
        ├── BadResponse                 an answer that is not the Spaces API (wrong shape, not JSON)
        └── ApiError                    the backend said no: HTTP status + `{error, message}`
            ├── InvalidRequest          400, 413, 422      (also errors.InvalidInput)
            ├── Unauthorized            401, e.g. "left"   (also errors.Unauthorized)
            ├── Forbidden               403, e.g. "removed", "banned"   (also errors.Forbidden)
            ├── NotFound                404                (also errors.NotFound)
            ├── Conflict                409, e.g. "stage_full", "space_ended"   (also errors.Conflict)
            ├── RateLimited             429 "rate_limited": too many requests; `retry_after` in seconds
            └── ServerUnavailable       5xx
                └── MediaUnavailable    503 "media_unavailable": Janus is restarting
                                        (also errors.MediaServerError)

`ApiError.code` keeps the backend's machine code (the `error` field of the
body), so the engine can tell "removed" from "banned" without parsing text;
`message` is the backend's sentence, written for people. Subclasses also
inherit from the matching class of the product-wide tree, so code that only
knows `spaces_desktop.errors` can still catch `Forbidden` or `Conflict`.
"""

from __future__ import annotations

from spaces_desktop import errors as base


class SignalingError(base.SpacesError):
    """Base of every failure talking to the Spaces backend."""

    code = "signaling"


class InvalidLink(SignalingError):
    code = "invalid_link"


class BackendUnreachable(SignalingError):
    """The request may or may not have reached the backend; nothing came back."""

    code = "unreachable"

    def __init__(self, base_url: str, detail: str = "") -> None:
        super().__init__(
            f"Can't reach the Spaces server at {base_url}. Check your connection or the server address."
        )
        self.base_url = base_url
        self.detail = detail


class BadResponse(SignalingError):
    code = "bad_response"

    def __init__(self, base_url: str, detail: str) -> None:
        super().__init__(
            f"The server at {base_url} answered in a way this app doesn't understand; "
            "is it a Spaces server of a matching version?"
        )
        self.base_url = base_url
        self.detail = detail


class ApiError(SignalingError):
    """The backend refused a request; `status` is the HTTP status, `code` the backend's error code."""

    code = "api_error"

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message, code=code)
        self.status = status

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, code={self.code!r}, message={self.message!r})"


class InvalidRequest(ApiError, base.InvalidInput):
    pass


class Unauthorized(ApiError, base.Unauthorized):
    pass


class Forbidden(ApiError, base.Forbidden):
    pass


class NotFound(ApiError, base.NotFound):
    pass


class Conflict(ApiError, base.Conflict):
    pass


class RateLimited(ApiError):
    """The backend asks to slow down; `retry_after` is its Retry-After, in seconds."""

    def __init__(self, status: int, code: str, message: str, retry_after: float = 1.0) -> None:
        super().__init__(status, code, message)
        self.retry_after = retry_after


class ServerUnavailable(ApiError):
    pass


class MediaUnavailable(ServerUnavailable, base.MediaServerError):
    pass


_BY_STATUS: dict[int, type[ApiError]] = {
    400: InvalidRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: InvalidRequest,
    422: InvalidRequest,
    429: RateLimited,
}


def api_error(status: int, code: str, message: str) -> ApiError:
    """The typed error for a refused request."""
    if status >= 500:
        kind: type[ApiError] = MediaUnavailable if code == base.MediaServerError.code else ServerUnavailable
    else:
        kind = _BY_STATUS.get(status, ApiError)
    return kind(status, code, message)


__all__ = [
    "ApiError",
    "BackendUnreachable",
    "BadResponse",
    "Conflict",
    "Forbidden",
    "InvalidLink",
    "InvalidRequest",
    "MediaUnavailable",
    "NotFound",
    "RateLimited",
    "ServerUnavailable",
    "SignalingError",
    "Unauthorized",
    "api_error",
]

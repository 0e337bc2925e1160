"""The error tree shared by every package.

    SpacesError                      anything this product raises on purpose
    ├── ConfigError                  a setting or command-line option that cannot work
    ├── DomainError                  an action the rules of a Space do not allow
    │   ├── NotFound                 no such Space or participant (404)
    │   ├── Unauthorized             no token, or a token this Space does not know (401)
    │   ├── Forbidden                the caller's role does not allow it (403)
    │   ├── Conflict                 the Space's state does not allow it now (409)
    │   └── InvalidInput             well-formed but unusable input, e.g. bad SDP (400)
    └── MediaServerError             the SFU (Janus) is missing, down or refused a request (503)

Each carries a short machine code and a sentence a person understands
(`message`, the only text clients see) and, where there is more to know, a
`detail` for the server log: URLs, Janus error codes, parser findings.
"""

from __future__ import annotations


class SpacesError(Exception):
    """Base of every error this product raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail or message
        if code is not None:
            self.code = code


class ConfigError(SpacesError):
    code = "config"


class DomainError(SpacesError):
    status = 400


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Unauthorized(DomainError):
    code = "unauthorized"
    status = 401


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class Conflict(DomainError):
    code = "conflict"
    status = 409


class InvalidInput(DomainError):
    code = "invalid_input"
    status = 400


class MediaServerError(SpacesError):
    """The SFU is unreachable or refused a request; the Space itself is fine."""

    code = "media_unavailable"
    status = 503

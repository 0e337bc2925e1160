"""The backend's REST API as typed async methods.

`SpacesClient` makes the calls anyone may make (create, preview, join);
`ParticipantClient` makes the calls of one participant, with its bearer token.
Both run on the engine's asyncio loop.

Retry rule: a call is retried (on `BackendUnreachable` or a 502/503/504) only
when doing it twice leaves the Space as doing it once and gives the same answer:
reads (snapshot, preview, admission) and requests that set a value rather than
take an action (hand, camera, mute, role, access, cancel speak request,
unpublish, end). Everything else - create_space, join, start, leave, request to
speak, invites, admit, deny, reactions, remove, publish, subscribe - runs once: a lost answer may hide a
request that did happen, and only the engine knows whether to ask again.

A 429 (`RateLimited`) is retried the same way for those calls, after the
server's Retry-After when it is short; any other call raises it at once with
the server's sentence, and `retry_after` says when to try again.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import httpx
from pydantic import BaseModel, ValidationError

from spaces_desktop.domain import CameraSource, Role
from spaces_desktop.domain.scenes import SceneKind
from spaces_desktop.protocol import (
    Admission,
    CameraRequest,
    CreateSpaceRequest,
    ErrorBody,
    HandRequest,
    InviteRequest,
    Joined,
    JoinRequest,
    MuteRequest,
    ParticipantPage,
    ParticipantView,
    ReactionRequest,
    RemoveRequest,
    RoleRequest,
    SceneRequest,
    SceneView,
    ScheduledQuery,
    ScheduledSpaces,
    SessionDescription,
    Snapshot,
    SpacePreview,
    SpaceSettingsRequest,
    SpaceView,
    StreamChoice,
    StreamView,
    SubscribeOffer,
    SubscribeRequest,
    SwitchChoice,
    SwitchRequest,
    Waiting,
)
from spaces_desktop.signaling.backoff import NO_RETRY, Backoff
from spaces_desktop.signaling.errors import (
    BackendUnreachable,
    BadResponse,
    InvalidRequest,
    RateLimited,
    ServerUnavailable,
    SignalingError,
    api_error,
)
from spaces_desktop.signaling.events import READ_TIMEOUT, EventStream, StateCallback
from spaces_desktop.signaling.links import check_base_url

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
"""Publish and subscribe wait for Janus, which can take a few seconds on a busy server."""
DEFAULT_RETRY = Backoff(attempts=3, first_delay=0.25, max_delay=2.0)
RETRY_STATUSES = frozenset({502, 503, 504})
MAX_RATE_LIMIT_WAIT_S = 10.0
"""A longer Retry-After is handed to the caller rather than waited out inside one call."""

M = TypeVar("M", bound=BaseModel)


def _segment(value: str) -> str:
    # Ids come from the backend's events; never let one reshape the path.
    return quote(value, safe="")


def _body(model: type[M], **fields: Any) -> dict[str, Any]:
    """A request body checked with the protocol model, so bad input fails like the backend would."""
    try:
        return model(**fields).model_dump(mode="json", exclude_none=True)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in error['loc']) or 'body'}: {error['msg']}"
            for error in exc.errors()[:5]
        ]
        raise InvalidRequest(422, "invalid_request", "; ".join(problems)) from exc


class SpacesClient:
    """One Spaces server; share it among every participant of this app.

    `http` is injectable (tests pass `httpx.AsyncClient(transport=httpx.MockTransport(...))`);
    without one the client makes its own, which ignores proxy settings from the
    environment, and closes it in `aclose`.
    """

    def __init__(
        self,
        base_url: str,
        *,
        http: httpx.AsyncClient | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: Backoff = DEFAULT_RETRY,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.base_url = check_base_url(base_url)
        self._owns_http = http is None
        self.http = http if http is not None else httpx.AsyncClient(trust_env=False)
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self.retry = retry
        self.sleep = sleep

    async def __aenter__(self) -> SpacesClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_http:
            await self.http.aclose()

    # --- anyone ---

    async def create_space(
        self,
        title: str,
        host_name: str,
        *,
        video_enabled: bool = False,
        scheduled_for: datetime | None = None,
        client_id: str | None = None,
    ) -> Joined:
        """A new Space with the caller as its host; live now unless scheduled."""
        body = _body(
            CreateSpaceRequest,
            title=title,
            host_name=host_name,
            video_enabled=video_enabled,
            scheduled_for=scheduled_for,
            client_id=client_id,
        )
        return await self.request_model(Joined, "POST", "/spaces", json=body, retry=NO_RETRY)

    async def scheduled_spaces(self, tokens: Sequence[str]) -> ScheduledSpaces:
        """Which Spaces these host tokens hold are still scheduled (a read: retried)."""
        body = _body(ScheduledQuery, tokens=list(tokens))
        return await self.request_model(ScheduledSpaces, "POST", "/scheduled-spaces", json=body)

    async def preview(self, space_id: str) -> SpacePreview:
        """What a share link shows before joining."""
        return await self.request_model(SpacePreview, "GET", f"/spaces/{_segment(space_id)}/preview")

    async def join(self, space_id: str, display_name: str, client_id: str | None = None) -> Joined:
        """Joins as a listener; a Space whose host lets people in one by one is refused here
        (`join_or_wait` waits instead)."""
        outcome = await self.join_or_wait(space_id, display_name, client_id)
        if isinstance(outcome, Waiting):
            raise api_error(
                403, "approval_required", "The host of this Space lets new listeners in one by one."
            )
        return outcome

    async def join_or_wait(
        self, space_id: str, display_name: str, client_id: str | None = None
    ) -> Joined | Waiting:
        """Joins as a listener, or enters the Space's lobby (`Waiting`) when the host approves
        newcomers; `client_id` (the installation key) lets the host's ban stick to this installation."""
        body = _body(JoinRequest, display_name=display_name, client_id=client_id)
        path = f"/spaces/{_segment(space_id)}/join"
        response = await self.request("POST", path, json=body, retry=NO_RETRY)
        model: type[Joined] | type[Waiting] = Waiting if response.status_code == 202 else Joined
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            raise BadResponse(self.base_url, f"POST {path}: {exc.error_count()} invalid fields") from exc

    def participant(self, space_id: str, token: str) -> ParticipantClient:
        """The calls of one participant, e.g. `client.participant(joined.snapshot.space.id, joined.token)`."""
        return ParticipantClient(self, space_id, token)

    def as_joined(self, joined: Joined) -> ParticipantClient:
        return ParticipantClient(self, joined.snapshot.space.id, joined.token)

    # --- plumbing, shared with ParticipantClient and EventStream ---

    def url(self, path: str) -> str:
        return self.base_url + path

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        token: str | None = None,
        retry: Backoff | None = None,
    ) -> httpx.Response:
        """A successful response, after retries allowed by `retry` (the client's policy if None)."""
        policy = self.retry if retry is None else retry
        failures = 0
        while True:
            try:
                return await self._send_once(method, path, json, token)
            except (BackendUnreachable, ServerUnavailable, RateLimited) as exc:
                if isinstance(exc, ServerUnavailable) and exc.status not in RETRY_STATUSES:
                    raise
                if isinstance(exc, RateLimited) and exc.retry_after > MAX_RATE_LIMIT_WAIT_S:
                    raise
                failures += 1
                if not policy.allows(failures):
                    raise
                wait = exc.retry_after if isinstance(exc, RateLimited) else policy.delay(failures - 1)
                log.info("%s %s failed (%s); retry %d in %.2f s", method, path, exc.code, failures, wait)
                await self.sleep(wait)

    async def request_model(
        self,
        model: type[M],
        method: str,
        path: str,
        *,
        json: Any = None,
        token: str | None = None,
        retry: Backoff | None = None,
    ) -> M:
        response = await self.request(method, path, json=json, token=token, retry=retry)
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            raise BadResponse(self.base_url, f"{method} {path}: {exc.error_count()} invalid fields") from exc

    def headers(self, token: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"} if token is not None else {}

    async def _send_once(self, method: str, path: str, json: Any, token: str | None) -> httpx.Response:
        try:
            response = await self.http.request(
                method, self.url(path), json=json, headers=self.headers(token), timeout=self.timeout
            )
        except httpx.TransportError as exc:
            raise BackendUnreachable(self.base_url, f"{type(exc).__name__}: {exc}") from exc
        if response.is_success:
            return response
        raise self.error_from(response)

    def error_from(self, response: httpx.Response) -> SignalingError:
        """The typed error for a refused request, from its `{error, message}` body when it has one."""
        try:
            body = ErrorBody.model_validate_json(response.content)
            error = api_error(response.status_code, body.error, body.message)
        except ValidationError:
            error = None
        if response.status_code == 429:
            message = error.message if error else "The Spaces server is busy; try again in a moment."
            return RateLimited(429, error.code if error else "rate_limited", message, _retry_after(response))
        if error is not None:
            return error
        if response.status_code >= 500 or response.status_code in (401, 403, 404, 409):
            # A proxy in front of the backend, or a backend crash: still a typed answer.
            reason = response.reason_phrase or "error"
            return api_error(
                response.status_code,
                "http_error",
                f"The Spaces server answered {response.status_code} {reason}.",
            )
        return BadResponse(self.base_url, f"{response.status_code} without an error body")


def _retry_after(response: httpx.Response) -> float:
    """Retry-After in seconds (the delta form; a date or nonsense counts as one second)."""
    try:
        seconds = float(response.headers.get("retry-after", "").strip())
    except ValueError:
        return 1.0
    return min(max(seconds, 0.0), 3600.0) if math.isfinite(seconds) else 1.0


class ParticipantClient:
    """One participant's calls: each checks the token's role on the backend."""

    def __init__(self, client: SpacesClient, space_id: str, token: str) -> None:
        self.client = client
        self.space_id = space_id
        self.token = token
        self._base = f"/spaces/{_segment(space_id)}"

    async def _call(self, method: str, path: str, json: Any = None, *, idempotent: bool) -> httpx.Response:
        return await self.client.request(
            method, self._base + path, json=json, token=self.token, retry=None if idempotent else NO_RETRY
        )

    async def _model(
        self, model: type[M], method: str, path: str, json: Any = None, *, idempotent: bool
    ) -> M:
        return await self.client.request_model(
            model,
            method,
            self._base + path,
            json=json,
            token=self.token,
            retry=None if idempotent else NO_RETRY,
        )

    # --- the Space ---

    async def snapshot(self) -> Snapshot:
        return await self._model(Snapshot, "GET", "", idempotent=True)

    async def participants(
        self, cursor: str | None = None, query: str | None = None, limit: int | None = None
    ) -> ParticipantPage:
        """A page of the Space's participants in join order (`query`: whose name contains it)."""
        params = {"cursor": cursor, "q": query, "limit": None if limit is None else str(limit)}
        encoded = urlencode({k: v for k, v in params.items() if v is not None})
        path = "/participants" + (f"?{encoded}" if encoded else "")
        return await self._model(ParticipantPage, "GET", path, idempotent=True)

    async def start(self) -> SpaceView:
        """Starts a scheduled Space (host only)."""
        return await self._model(SpaceView, "POST", "/start", idempotent=False)

    async def end(self) -> None:
        """Ends the Space for everyone (host only); ending an ended Space is a no-op."""
        await self._call("POST", "/end", idempotent=True)

    async def leave(self) -> None:
        """Leaves; when the host leaves, the Space ends."""
        await self._call("POST", "/me/leave", idempotent=False)

    def events(
        self,
        *,
        last_event_id: int | None = None,
        on_state: StateCallback | None = None,
        reconnect: Backoff | None = None,
        read_timeout: float = READ_TIMEOUT,
    ) -> EventStream:
        """This participant's event stream, from after `last_event_id` (from now if None).

        Pass the snapshot's `last_event_id`, so nothing between the snapshot and the stream is lost.
        """
        return EventStream(
            self.client,
            self.space_id,
            self.token,
            last_event_id=last_event_id,
            on_state=on_state,
            reconnect=reconnect,
            read_timeout=read_timeout,
        )

    async def admission(self) -> Admission:
        """While waiting to be let in: pending, admitted or denied (the backend holds it a few seconds)."""
        return await self._model(Admission, "GET", "/me/admission", idempotent=True)

    # --- the floor ---

    async def request_to_speak(self) -> ParticipantView:
        return await self._model(ParticipantView, "POST", "/me/speak-request", idempotent=False)

    async def cancel_request(self) -> ParticipantView:
        return await self._model(ParticipantView, "DELETE", "/me/speak-request", idempotent=True)

    async def accept_invite(self) -> ParticipantView:
        return await self._model(ParticipantView, "POST", "/me/invite/accept", idempotent=False)

    async def decline_invite(self) -> ParticipantView:
        return await self._model(ParticipantView, "POST", "/me/invite/decline", idempotent=False)

    async def raise_hand(self, raised: bool = True) -> ParticipantView:
        body = _body(HandRequest, raised=raised)
        return await self._model(ParticipantView, "POST", "/me/hand", body, idempotent=True)

    async def set_camera(self, on: bool, source: CameraSource = CameraSource.MAIN) -> ParticipantView:
        body = _body(CameraRequest, on=on, source=source)
        return await self._model(ParticipantView, "POST", "/me/camera", body, idempotent=True)

    async def react(self, emoji: str) -> None:
        await self._call("POST", "/reactions", _body(ReactionRequest, emoji=emoji), idempotent=False)

    # --- moderation (host and co-hosts) ---

    def _participant(self, participant_id: str, action: str) -> str:
        return f"/participants/{_segment(participant_id)}/{action}"

    async def set_role(self, participant_id: str, role: Role) -> ParticipantView:
        body = _body(RoleRequest, role=role)
        path = self._participant(participant_id, "role")
        return await self._model(ParticipantView, "POST", path, body, idempotent=True)

    async def invite(self, participant_id: str, backstage: bool = False) -> ParticipantView:
        """Invites a listener to speak; `backstage` has them enter the green room first."""
        path = self._participant(participant_id, "invite")
        body = _body(InviteRequest, backstage=True) if backstage else None
        return await self._model(ParticipantView, "POST", path, body, idempotent=False)

    async def bring_on_stage(self, participant_id: str) -> ParticipantView:
        """From the green room to the stage (host and co-hosts)."""
        path = self._participant(participant_id, "on-stage")
        return await self._model(ParticipantView, "POST", path, idempotent=True)

    async def set_scene(self, kind: SceneKind, participant_id: str | None = None) -> SceneView:
        """The program everyone shows (host and co-hosts)."""
        body = _body(SceneRequest, kind=kind, participant_id=participant_id)
        return await self._model(SceneView, "POST", "/scene", body, idempotent=True)

    async def decline_request(self, participant_id: str) -> ParticipantView:
        path = self._participant(participant_id, "decline-request")
        return await self._model(ParticipantView, "POST", path, idempotent=False)

    async def mute(self, participant_id: str, muted: bool = True) -> ParticipantView:
        body = _body(MuteRequest, muted=muted)
        path = self._participant(participant_id, "mute")
        return await self._model(ParticipantView, "POST", path, body, idempotent=True)

    async def remove(self, participant_id: str, block_address: bool = False) -> None:
        """Removes and bans a participant's installation; `block_address` also refuses their address."""
        body = _body(RemoveRequest, block_address=block_address) if block_address else None
        await self._call("POST", self._participant(participant_id, "remove"), body, idempotent=False)

    async def set_access(
        self, *, locked: bool | None = None, approval_required: bool | None = None
    ) -> SpaceView:
        """Locks the Space or asks for approval of newcomers (host and co-hosts)."""
        body = _body(SpaceSettingsRequest, locked=locked, approval_required=approval_required)
        return await self._model(SpaceView, "POST", "/access", body, idempotent=True)

    async def admit(self, participant_id: str) -> ParticipantView:
        path = f"/lobby/{_segment(participant_id)}/admit"
        return await self._model(ParticipantView, "POST", path, idempotent=False)

    async def deny(self, participant_id: str) -> None:
        await self._call("POST", f"/lobby/{_segment(participant_id)}/deny", idempotent=False)

    # --- media ---

    async def publish(self, sdp: str) -> str:
        """Sends a publisher offer; returns Janus's answer SDP."""
        body = _body(SessionDescription, type="offer", sdp=sdp)
        answer = await self._model(SessionDescription, "POST", "/media/publish", body, idempotent=False)
        return answer.sdp

    async def unpublish(self) -> None:
        await self._call("POST", "/media/unpublish", idempotent=True)

    async def subscribe(self, streams: Sequence[StreamChoice] | None = None) -> SubscribeOffer:
        """Janus's offer for the chosen streams (every stream but your own if None)."""
        body = _body(SubscribeRequest, streams=list(streams) if streams is not None else None)
        return await self._model(SubscribeOffer, "POST", "/media/subscribe", body, idempotent=False)

    async def switch_subscription(self, streams: Sequence[SwitchChoice]) -> list[StreamView]:
        """Points slots of the current subscription at other streams; returns what they carry now."""
        body = _body(SwitchRequest, streams=list(streams))
        response = await self._call("POST", "/media/subscribe/switch", body, idempotent=True)
        return [StreamView.model_validate(item) for item in response.json()]

    async def subscribe_answer(self, sdp: str) -> None:
        body = _body(SessionDescription, type="answer", sdp=sdp)
        await self._call("POST", "/media/subscribe/answer", body, idempotent=False)

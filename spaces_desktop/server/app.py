"""HTTP routes of the Spaces backend: JSON in and out, server-sent events for each participant.

Every error is JSON `{error, message}` with a 4xx status (503 when the media
server is away); request bodies are capped before they are read in full.
`message` is a sentence for people and never carries internals (URLs, Janus
codes, parser findings, exception text): those go to the server log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spaces_desktop import __version__
from spaces_desktop.domain import Role
from spaces_desktop.errors import DomainError, MediaServerError
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
    StreamTicket,
    StreamView,
    SubscribeOffer,
    SubscribeRequest,
    SwitchRequest,
    TrickleRequest,
    Waiting,
)
from spaces_desktop.protocol.events import EventType
from spaces_desktop.server.ratelimit import ClientAddress, Limits, RateLimit
from spaces_desktop.server.scenes import set_scene
from spaces_desktop.server.scheduled import scheduled_spaces
from spaces_desktop.server.service import DEFAULT_PAGE, MAX_PAGE, SpacesService
from spaces_desktop.server.store import EventRow, ParticipantRow
from spaces_desktop.server.web import web_router

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 96 * 1024
KEEPALIVE_S = 15.0
REPLAY_PAGE = 500
LIVE_BATCH = 256
"""Most live events one write of a stream carries."""
FINAL_EVENTS = {EventType.SPACE_ENDED.value, EventType.REMOVED.value}
LOGGED_DETAIL_CHARS = 300
UNEXPECTED = "Something went wrong on the server; try again, and tell its operator if it keeps happening."
JSON = "application/json"
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody} for code in (400, 401, 403, 404, 409, 413, 422, 429, 500, 503)
}


class BodyLimit:
    """Rejects request bodies over the limit, whether or not they declare a length."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await _too_large(scope, receive, send, self.limit)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _BodyTooLarge:
            await _too_large(scope, receive, send, self.limit)


class _BodyTooLarge(Exception):
    pass


async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    response = JSONResponse(
        {"error": "too_large", "message": f"The request body is larger than {limit // 1024} KiB."},
        status_code=413,
    )
    await response(scope, receive, send)


def _bearer(authorization: Annotated[str | None, Header()] = None) -> str | None:
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None


Token = Annotated[str | None, Depends(_bearer)]


def _caller(request: Request, space_id: str, token: Token) -> ParticipantRow:
    service: SpacesService = request.app.state.service
    return service.authenticate(space_id, token)


Caller = Annotated[ParticipantRow, Depends(_caller)]


def _stream_caller(
    request: Request, space_id: str, token: Token, ticket: Annotated[str | None, Query(max_length=64)] = None
) -> ParticipantRow:
    """The event stream's caller: a bearer token, or (browsers' EventSource) a stream ticket."""
    service: SpacesService = request.app.state.service
    if ticket is not None and token is None:
        return service.authenticate_ticket(space_id, ticket)
    return service.authenticate(space_id, token)


StreamCaller = Annotated[ParticipantRow, Depends(_stream_caller)]


def _lobby_caller(request: Request, space_id: str, token: Token) -> ParticipantRow:
    service: SpacesService = request.app.state.service
    return service.authenticate(space_id, token, lobby=True)


LobbyCaller = Annotated[ParticipantRow, Depends(_lobby_caller)]
"""A participant, or someone waiting to be let in (admission poll, giving up)."""


def client_address(request: Request) -> str | None:
    """The address a request came from, as bans see it (the one place to honour a trusted proxy)."""
    return request.client.host if request.client else None


def create_app(
    service: SpacesService,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
    limits: Limits | None = None,
    addresses: ClientAddress | None = None,
    cors_origins: Sequence[str] = (),
) -> FastAPI:
    app = FastAPI(
        title="Spaces backend",
        version=__version__,
        description="Spaces, roles and signaling for Spaces Desktop; media flows through Janus VideoRoom.",
        lifespan=lifespan,
        responses=ERRORS,
    )
    app.state.service = service
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    # A request over its limit is refused before anything reads it (only CORS sits outside,
    # so a browser can read the 429).
    app.add_middleware(RateLimit, limits=limits or Limits(), addresses=addresses or ClientAddress())
    if cors_origins:
        # Only the listed sites' pages may call the API from a browser; no cookies are used.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Last-Event-ID"],
            max_age=600,
        )
    app.include_router(web_router(service))

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        if exc.detail != exc.message:
            log.info("%s %s: %s", request.method, request.url.path, _for_log(exc.detail))
        return JSONResponse({"error": exc.code, "message": exc.message}, status_code=exc.status)

    @app.exception_handler(MediaServerError)
    async def media_error(request: Request, exc: MediaServerError) -> JSONResponse:
        log.warning("%s %s: %s", request.method, request.url.path, _for_log(exc.detail))
        return JSONResponse({"error": exc.code, "message": exc.message}, status_code=503)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Starlette re-raises after this answer, so the server logs the traceback too.
        log.error("%s %s failed: %s", request.method, request.url.path, type(exc).__name__)
        return JSONResponse({"error": "internal", "message": UNEXPECTED}, status_code=500)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for error in exc.errors()[:5]:
            where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
            problems.append(f"{where}: {error.get('msg', 'invalid')}")
        return JSONResponse({"error": "invalid_request", "message": "; ".join(problems)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse({"error": code, "message": str(exc.detail)}, status_code=exc.status_code)

    base_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        """The schema, with the join body the join route validates itself."""
        schema = base_openapi()
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas.setdefault("JoinRequest", JoinRequest.model_json_schema())
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/healthz")
    async def healthz() -> dict[str, object]:
        return {"ok": True, "version": __version__}

    @app.post("/spaces", status_code=201)
    async def create_space(body: CreateSpaceRequest, request: Request) -> Joined:
        return await service.create_space(body, client_address(request))

    @app.post("/scheduled-spaces")
    async def scheduled(body: ScheduledQuery) -> ScheduledSpaces:
        """The caller's Spaces scheduled for later: those whose host token it sends (in the body,
        never the URL, so it stays out of logs)."""
        return scheduled_spaces(service.store, service.public_url, body.tokens)

    @app.get("/spaces/{space_id}/preview")
    async def preview(space_id: str) -> SpacePreview:
        return service.preview(space_id)

    @app.post(
        "/spaces/{space_id}/join",
        status_code=201,
        response_model=Joined,
        responses={202: {"model": Waiting, "description": "The host lets new listeners in: wait."}},
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {JSON: {"schema": {"$ref": "#/components/schemas/JoinRequest"}}},
            }
        },
    )
    async def join(space_id: str, request: Request) -> Response:
        # The body is validated here rather than by FastAPI: the busiest route of a big Space,
        # and FastAPI's body handling costs it more than the join itself.
        try:
            body = JoinRequest.model_validate_json(await request.body())
        except ValidationError as exc:
            raise RequestValidationError([_body_error(error) for error in exc.errors()]) from None
        outcome = await service.join(space_id, body, client_address(request))
        if isinstance(outcome, Waiting):
            return Response(outcome.model_dump_json(), status_code=202, media_type=JSON)
        # Encoded here, not validated again by FastAPI: it holds the whole (cached) snapshot.
        return Response(service.views.joined_json(outcome), status_code=201, media_type=JSON)

    @app.get("/spaces/{space_id}/me/admission")
    async def admission(me: LobbyCaller) -> Admission:
        """For someone waiting to be let in: answers at once when decided, else within a few seconds."""
        return await service.admission(me)

    @app.post("/spaces/{space_id}/access")
    async def access(body: SpaceSettingsRequest, me: Caller) -> SpaceView:
        return await service.set_access(me, body.locked, body.approval_required)

    @app.post("/spaces/{space_id}/lobby/{participant_id}/admit")
    async def admit(participant_id: str, me: Caller) -> ParticipantView:
        return await service.admit(me, participant_id)

    @app.post("/spaces/{space_id}/lobby/{participant_id}/deny", status_code=204)
    async def deny(participant_id: str, me: Caller) -> None:
        await service.deny(me, participant_id)

    @app.get("/spaces/{space_id}/participants", response_model=ParticipantPage)
    async def participants(
        me: Caller,
        cursor: Annotated[str | None, Query(max_length=32)] = None,
        q: Annotated[str | None, Query(max_length=200)] = None,
        limit: Annotated[int, Query(description=f"1 to {MAX_PAGE}")] = DEFAULT_PAGE,
    ) -> Response:
        """Active participants in join order, a page at a time; `q` keeps those whose name contains it
        (compared as names are: case and width folded, NFC)."""
        page = service.participants_page(me, cursor, q, limit)
        return Response(service.views.page_json(page, me.space_id), media_type=JSON)

    @app.get("/spaces/{space_id}", response_model=Snapshot)
    async def snapshot(me: Caller) -> Response:
        return Response(service.views.snapshot_json(service.snapshot(me)), media_type=JSON)

    @app.post("/spaces/{space_id}/start")
    async def start(me: Caller) -> SpaceView:
        return await service.start(me)

    @app.post("/spaces/{space_id}/end", status_code=204)
    async def end(me: Caller) -> None:
        await service.end(me)

    @app.post("/spaces/{space_id}/me/leave", status_code=204)
    async def leave(me: LobbyCaller) -> None:
        await service.leave(me)

    @app.post("/spaces/{space_id}/me/speak-request")
    async def request_to_speak(me: Caller) -> ParticipantView:
        return await service.request_to_speak(me, True)

    @app.delete("/spaces/{space_id}/me/speak-request")
    async def cancel_request(me: Caller) -> ParticipantView:
        return await service.request_to_speak(me, False)

    @app.post("/spaces/{space_id}/me/invite/accept")
    async def accept_invite(me: Caller) -> ParticipantView:
        return await service.answer_invite(me, True)

    @app.post("/spaces/{space_id}/me/invite/decline")
    async def decline_invite(me: Caller) -> ParticipantView:
        return await service.answer_invite(me, False)

    @app.post("/spaces/{space_id}/me/hand")
    async def hand(body: HandRequest, me: Caller) -> ParticipantView:
        return await service.raise_hand(me, body.raised)

    @app.post("/spaces/{space_id}/me/camera")
    async def camera(body: CameraRequest, me: Caller) -> ParticipantView:
        return await service.camera(me, body.on, body.source)

    @app.post("/spaces/{space_id}/reactions", status_code=204)
    async def react(body: ReactionRequest, me: Caller) -> None:
        await service.react(me, body.emoji)

    @app.post("/spaces/{space_id}/participants/{participant_id}/role")
    async def set_role(participant_id: str, body: RoleRequest, me: Caller) -> ParticipantView:
        return await service.set_role(me, participant_id, Role(body.role))

    @app.post("/spaces/{space_id}/participants/{participant_id}/invite")
    async def invite(participant_id: str, me: Caller, body: InviteRequest | None = None) -> ParticipantView:
        return await service.invite(me, participant_id, to_backstage=bool(body and body.backstage))

    @app.post("/spaces/{space_id}/participants/{participant_id}/on-stage")
    async def bring_on_stage(participant_id: str, me: Caller) -> ParticipantView:
        """From backstage (the green room) to the stage; the speaker keeps publishing."""
        return await service.bring_on_stage(me, participant_id)

    @app.post("/spaces/{space_id}/scene")
    async def choose_scene(body: SceneRequest, me: Caller) -> SceneView:
        """The program every viewer shows; host and co-hosts only."""
        return set_scene(service.store, service.bus, me, body.kind, body.participant_id)

    @app.post("/spaces/{space_id}/participants/{participant_id}/decline-request")
    async def decline_request(participant_id: str, me: Caller) -> ParticipantView:
        return await service.decline_request(me, participant_id)

    @app.post("/spaces/{space_id}/participants/{participant_id}/mute")
    async def mute(participant_id: str, body: MuteRequest, me: Caller) -> ParticipantView:
        return await service.mute(me, participant_id, body.muted)

    @app.post("/spaces/{space_id}/participants/{participant_id}/remove", status_code=204)
    async def remove(participant_id: str, me: Caller, body: RemoveRequest | None = None) -> None:
        await service.remove(me, participant_id, block_address=bool(body and body.block_address))

    @app.post("/spaces/{space_id}/media/publish")
    async def publish(body: SessionDescription, me: Caller) -> SessionDescription:
        answer = await service.publish(me, body.type, body.sdp)
        return SessionDescription(type="answer", sdp=answer)

    @app.post("/spaces/{space_id}/media/unpublish", status_code=204)
    async def unpublish(me: Caller) -> None:
        await service.unpublish(me)

    @app.post("/spaces/{space_id}/media/subscribe")
    async def subscribe(me: Caller, body: SubscribeRequest | None = None) -> SubscribeOffer:
        choices = (
            [(c.participant_id, c.mid) for c in body.streams] if body and body.streams is not None else None
        )
        return await service.subscribe(me, choices)

    @app.post("/spaces/{space_id}/media/trickle", status_code=204)
    async def trickle(body: TrickleRequest, me: Caller) -> None:
        candidates = [c.model_dump(exclude_none=True) for c in body.candidates]
        await service.trickle(me, body.target, candidates, body.completed)

    @app.post("/spaces/{space_id}/events/ticket")
    async def stream_ticket(me: Caller) -> StreamTicket:
        """A single-use ticket for `GET …/events?ticket=…`, for clients that can't send headers."""
        return service.stream_ticket(me)

    @app.post("/spaces/{space_id}/media/subscribe/switch")
    async def switch_subscription(body: SwitchRequest, me: Caller) -> list[StreamView]:
        """Changes what slots of the current subscription carry (e.g. a large layer for the big tile)."""
        choices = [(c.mid, c.participant_id, c.source_mid) for c in body.streams]
        return await service.switch_subscription(me, choices)

    @app.post("/spaces/{space_id}/media/subscribe/answer", status_code=204)
    async def subscribe_answer(body: SessionDescription, me: Caller) -> None:
        await service.subscribe_answer(me, body.type, body.sdp)

    @app.get(
        "/spaces/{space_id}/events",
        response_class=StreamingResponse,
        responses={
            200: {
                "content": {"text/event-stream": {}},
                "description": "Server-sent events, one per line group.",
            }
        },
    )
    async def events(
        request: Request,
        me: StreamCaller,
        last_event_id: Annotated[str | None, Header()] = None,
        after_id: Annotated[str | None, Query(alias="last_event_id", max_length=20)] = None,
    ) -> StreamingResponse:
        # EventSource sends Last-Event-ID itself only when it reconnects on its own; a page that
        # reopens the stream with a fresh ticket passes it in the query.
        after = _parse_last_event_id(last_event_id if last_event_id is not None else after_id)
        return StreamingResponse(
            _event_stream(service, request, me, after),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    return app


def _queued(
    queue: asyncio.Queue[EventRow | None], first: EventRow | None, most: int
) -> Iterator[EventRow | None]:
    """`first`, then whatever else is already waiting in the queue (up to `most` in all)."""
    yield first
    for _ in range(most - 1):
        try:
            yield queue.get_nowait()
        except asyncio.QueueEmpty:
            return


def _body_error(error: Any) -> dict[str, Any]:
    """A body validation error as FastAPI words it; a JSON parser's finding is not shown."""
    if error.get("type") == "json_invalid":
        return {"type": "json_invalid", "loc": ("body",), "msg": "JSON decode error"}
    return {**error, "loc": ("body", *error["loc"])}


def _for_log(detail: str) -> str:
    """Client-supplied text (SDP fragments) quoted and cut short, so it cannot flood or forge log lines."""
    text = detail if len(detail) <= LOGGED_DETAIL_CHARS else detail[:LOGGED_DETAIL_CHARS] + "..."
    return ascii(text)[1:-1]


def _parse_last_event_id(value: str | None) -> int | None:
    if value is None or value.strip() == "":
        return None
    if not value.strip().isdigit() or len(value.strip()) > 18:
        raise _InvalidHeader("Last-Event-ID must be a non-negative event id.")
    return int(value.strip())


class _InvalidHeader(DomainError):
    code = "invalid_request"
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)


async def _event_stream(
    service: SpacesService, request: Request, me: ParticipantRow, after: int | None
) -> AsyncIterator[bytes]:
    # Subscribe before reading the log, so nothing falls between replay and live.
    subscription = service.bus.subscribe(me.space_id, me.id)
    service.stream_opened(me.id)  # presence: see SpacesService.sweep_presence
    try:
        yield b"retry: 1000\n\n"
        # Without Last-Event-ID the stream starts now: the client's snapshot holds the past.
        last = service.store.last_event_id(me.space_id) if after is None else after
        while True:
            # Page by page, so a long replay holds one page in memory and waits on the reader.
            moderator = service.sees_moderator_events(me.id)  # read per page: roles change meanwhile
            page = service.store.events_after(me.space_id, last, me.id, REPLAY_PAGE, moderator)
            for event in page:
                yield event.sse
                last = event.id
                if event.type in FINAL_EVENTS:
                    return
            if len(page) < REPLAY_PAGE:
                break
        while not subscription.overflowed:
            try:
                first = await asyncio.wait_for(subscription.queue.get(), KEEPALIVE_S)
            except TimeoutError:
                if await request.is_disconnected():
                    return
                yield b": keepalive\n\n"
                continue
            # Everything queued meanwhile goes out as one write: one event per wake-up would fall
            # behind a crowd joining (each loop turn queues many joins' events for the moderators).
            chunk: list[bytes] = []
            for live in _queued(subscription.queue, first, LIVE_BATCH):
                if live is None:
                    # Closed (removed, left, ended): flush what is left in the log for this viewer.
                    moderator = service.sees_moderator_events(me.id)
                    late = service.store.events_after(me.space_id, last, me.id, moderator=moderator)
                    rest = b"".join(chunk) + b"".join(event.sse for event in late)
                    if rest:
                        yield rest
                    return
                if live.id <= last:
                    continue
                chunk.append(live.sse)
                last = live.id
                if live.type in FINAL_EVENTS:
                    yield b"".join(chunk)
                    return
            if chunk:
                yield b"".join(chunk)
    finally:
        service.stream_closed(me.id)
        service.bus.unsubscribe(subscription)

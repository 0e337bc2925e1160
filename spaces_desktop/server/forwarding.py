"""Media calls through any backend: a non-owner forwards a Space's `/media/*` calls to its owner.

Only the backend holding a Space's media lease drives its Janus room. A load
balancer may send a client's publish, subscribe, answer or trickle to any
backend, so each backend checks the lease: if another live backend owns the
Space, the request (body, bearer token, content type) goes to the owner's
internal URL from the lease record, marked with the shared cluster secret and
the client's address; the owner's answer goes back unchanged. The owner checks
the token itself, as for any call (tokens are in the shared store), and takes
the client address from the marked request only when the secret matches, so
its rate limits count the client, not the forwarding backend. A request that
claims to be forwarded without the secret is refused.

While an owner has died and its lease has not yet run out (at most 6 s), the
forward fails and the client gets 503 "try again", as for any media restart.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re

import httpx
from redis.exceptions import RedisError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spaces_desktop.server.media_lease import MediaLeases
from spaces_desktop.server.ratelimit import ClientAddress

log = logging.getLogger(__name__)

CLUSTER_SECRET_ENV = "SPACES_CLUSTER_SECRET"
FORWARDED = b"x-spaces-forwarded"
CLIENT = b"x-spaces-client"
MAX_BODY = 256 * 1024
FORWARD_TIMEOUT_S = 20.0  # longer than a publish's Janus round trips (15 s)
MEDIA_PATH = re.compile(r"^/spaces/([A-Za-z0-9_-]{1,64})/media/")
PASSED_HEADERS = (b"authorization", b"content-type")


class MediaForwarding:
    """ASGI middleware: outermost, so the owner's own limits and checks apply to forwarded calls."""

    def __init__(self, app: ASGIApp, leases: MediaLeases, secret: str, addresses: ClientAddress) -> None:
        self._app = app
        self._leases = leases
        self._secret = secret.encode()
        self._addresses = addresses
        self._http = httpx.AsyncClient(timeout=FORWARD_TIMEOUT_S, trust_env=False)
        self.forwarded = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self._app(scope, receive, send)
        headers = dict(scope.get("headers") or ())
        marked = headers.get(FORWARDED)
        if marked is not None:
            if not hmac.compare_digest(marked, self._secret):
                refused = "This request is not from a backend of this cluster."
                return await _error(send, 403, "forbidden", refused)
            client = headers.get(CLIENT, b"").decode("latin-1")
            scope = {**scope, "client": (client, 0)} if client else scope
            return await self._app(scope, receive, send)
        match = MEDIA_PATH.match(str(scope.get("path", "")))
        if match is None or scope.get("method") != "POST":
            return await self._app(scope, receive, send)
        space_id = match.group(1)
        try:
            owner = await asyncio.to_thread(self._leases.owner, space_id)
        except (RedisError, OSError):
            owner = None  # this backend answers (503 if it has no room), as without forwarding
        if owner is None or owner.backend == self._leases.me.backend or not owner.url:
            return await self._app(scope, receive, send)
        body = await _read_body(receive)
        if body is None:
            return await _error(send, 413, "too_large", "The request body is too large.")
        passed = {k.decode(): v.decode("latin-1") for k, v in headers.items() if k in PASSED_HEADERS}
        passed[FORWARDED.decode()] = self._secret.decode()
        passed[CLIENT.decode()] = self._addresses.of(scope)
        query = scope.get("query_string", b"").decode("latin-1")
        url = f"{owner.url.rstrip('/')}{scope['path']}" + (f"?{query}" if query else "")
        try:
            reply = await self._http.post(url, content=body, headers=passed)
        except httpx.HTTPError as exc:
            log.warning("Forwarding a media call of Space %s to %s failed: %r", space_id, owner.backend, exc)
            return await _error(
                send, 503, "media_error", "The media server of this Space is moving; try again in a moment."
            )
        self.forwarded += 1
        out = [(b"content-type", reply.headers.get("content-type", "application/json").encode())]
        await send({"type": "http.response.start", "status": reply.status_code, "headers": out})
        await send({"type": "http.response.body", "body": reply.content})

    async def aclose(self) -> None:
        await self._http.aclose()


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message: Message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunk = bytes(message.get("body", b""))
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _error(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": code, "message": message}).encode()
    await send(
        {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]}
    )
    await send({"type": "http.response.body", "body": body})


__all__ = ["CLUSTER_SECRET_ENV", "MediaForwarding"]

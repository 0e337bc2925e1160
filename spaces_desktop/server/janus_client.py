"""A small asyncio client for the Janus HTTP API (sessions, handles, long-poll).

Requests carry a transaction id; synchronous plugin requests answer in the
POST itself, asynchronous ones answer `ack` and deliver their result later on
the session's long-poll, where it is matched back by transaction. Events that
answer no request (publishers joining, talking, hang-ups) go to the handle's
event callback. Only the backend talks to Janus; the api secret never leaves it.
Errors carry a sentence for clients and, in `detail`, what Janus said and
where, for the server log only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable
from typing import Any

import httpx

from spaces_desktop.errors import MediaServerError

log = logging.getLogger(__name__)

JsonDict = dict[str, Any]
EventCallback = Callable[[JsonDict], None]

NO_SUCH_SESSION = 458
POLL_TIMEOUT_S = 40.0
REQUEST_TIMEOUT_S = 10.0


REFUSED = "The media server could not do that; try again in a moment."
RESTARTING = "The media server is restarting; try again in a moment."
NOT_ANSWERING = "The media server is not answering; try again in a moment."


class JanusError(MediaServerError):
    """Janus refused a request; `janus_code` is its numeric error code, `detail` its reason."""

    def __init__(self, detail: str, janus_code: int = 0, message: str = REFUSED) -> None:
        super().__init__(message, code="media_error", detail=detail)
        self.janus_code = janus_code


class JanusSessionLost(MediaServerError):
    """The Janus session is gone: Janus restarted, died or dropped it."""

    def __init__(self, detail: str) -> None:
        super().__init__(RESTARTING, detail=detail)


class JanusUnavailable(MediaServerError):
    """Janus does not answer at its URL."""

    def __init__(self, url: str, exc: Exception) -> None:
        # The URL is the base one: query strings (the api secret of a long-poll) stay out.
        super().__init__(NOT_ANSWERING, detail=f"Janus does not answer at {url}: {exc!r}")


class JanusClient:
    """Entry point: `info()` and `create_session()`; one per Janus node."""

    def __init__(self, url: str, secret: str | None, http: httpx.AsyncClient | None = None) -> None:
        self.url = url.rstrip("/")
        self.secret = secret
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(REQUEST_TIMEOUT_S), trust_env=False)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def info(self) -> JsonDict:
        try:
            response = await self._http.get(f"{self.url}/info")
            return dict(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            raise JanusUnavailable(self.url, exc) from exc

    async def create_session(self, on_lost: Callable[[], None] | None = None) -> JanusSession:
        reply = await self.post(self.url, {"janus": "create"})
        session = JanusSession(self, int(reply["data"]["id"]), on_lost)
        session.start()
        return session

    async def post(self, url: str, body: JsonDict) -> JsonDict:
        body = {**body, "transaction": body.get("transaction") or secrets.token_hex(8)}
        if self.secret:
            body["apisecret"] = self.secret
        try:
            response = await self._http.post(url, json=body)
            reply = dict(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            raise JanusUnavailable(self.url, exc) from exc
        _raise_for_error(reply)
        return reply

    async def poll(self, session_id: int) -> list[JsonDict]:
        params: dict[str, str | int] = {"maxev": 20, "rid": secrets.randbelow(1 << 30)}
        if self.secret:
            params["apisecret"] = self.secret
        try:
            response = await self._http.get(f"{self.url}/{session_id}", params=params, timeout=POLL_TIMEOUT_S)
            payload = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise JanusUnavailable(self.url, exc) from exc
        events = payload if isinstance(payload, list) else [payload]
        for event in events:
            _raise_for_error(event)
        return events


def _raise_for_error(reply: JsonDict) -> None:
    if reply.get("janus") == "error":
        error = reply.get("error") or {}
        code = int(error.get("code", 0))
        reason = str(error.get("reason", "unknown error"))
        if code == NO_SUCH_SESSION:
            raise JanusSessionLost(f"Janus lost the session: {reason}")
        raise JanusError(f"Janus refused the request: {reason} (code {code})", code)


class JanusSession:
    """A Janus session kept alive by its long-poll task (runs on the backend's loop)."""

    def __init__(self, client: JanusClient, session_id: int, on_lost: Callable[[], None] | None) -> None:
        self.client = client
        self.id = session_id
        self.url = f"{client.url}/{session_id}"
        self._on_lost = on_lost
        self._pending: dict[str, asyncio.Future[JsonDict]] = {}
        self._handles: dict[int, JanusHandle] = {}
        self._poller: asyncio.Task[None] | None = None
        self.alive = True

    def start(self) -> None:
        self._poller = asyncio.get_running_loop().create_task(
            self._poll_forever(), name=f"janus-poll-{self.id}"
        )

    async def attach(self, plugin: str, on_event: EventCallback | None = None) -> JanusHandle:
        reply = await self.post({"janus": "attach", "plugin": plugin})
        handle = JanusHandle(self, int(reply["data"]["id"]), on_event)
        self._handles[handle.id] = handle
        return handle

    async def post(self, body: JsonDict, url: str | None = None) -> JsonDict:
        if not self.alive:
            raise JanusSessionLost("Janus session is closed")
        return await self.client.post(url or self.url, body)

    async def request_async(self, url: str, body: JsonDict, timeout: float) -> JsonDict:
        """Sends a request Janus answers with `ack`, and waits for its event."""
        transaction = secrets.token_hex(8)
        future: asyncio.Future[JsonDict] = asyncio.get_running_loop().create_future()
        self._pending[transaction] = future
        try:
            reply = await self.post({**body, "transaction": transaction}, url)
            if reply.get("janus") != "ack":
                return reply
            return await asyncio.wait_for(future, timeout)
        except TimeoutError as exc:
            raise JanusError(
                f"Janus did not answer {body.get('janus')} within {timeout:.0f} s",
                message="The media server did not answer in time; try again.",
            ) from exc
        finally:
            self._pending.pop(transaction, None)

    def forget(self, handle_id: int) -> None:
        self._handles.pop(handle_id, None)

    async def destroy(self) -> None:
        if self.alive:
            with contextlib.suppress(MediaServerError):
                await self.post({"janus": "destroy"})
        self._stop()

    def abandon(self, why: str) -> None:
        """Treats the session as lost now, as if its long-poll had failed: for a Janus that went
        silent (a machine off the network sends no reset; the long-poll would wait it out)."""
        if not self.alive:
            return
        log.warning("Janus session %s abandoned: %s", self.id, why)
        self._stop()
        if self._on_lost is not None:
            self._on_lost()

    def _stop(self) -> None:
        self.alive = False
        if self._poller is not None and self._poller is not asyncio.current_task():
            self._poller.cancel()
        lost = JanusSessionLost("Janus session ended")
        for future in self._pending.values():
            if not future.done():
                future.set_exception(lost)
        self._pending.clear()

    async def _poll_forever(self) -> None:
        failures = 0
        while self.alive:
            try:
                events = await self.client.poll(self.id)
                failures = 0
            except JanusUnavailable:
                # One hiccup is tolerated; Janus that stays away is treated as gone.
                failures += 1
                if failures < 2:
                    await asyncio.sleep(0.2)
                    continue
                break
            except JanusSessionLost:
                break
            for event in events:
                self._dispatch(event)
        if self.alive:
            log.warning("Janus session %s lost", self.id)
            self._stop()
            if self._on_lost is not None:
                self._on_lost()

    def _dispatch(self, event: JsonDict) -> None:
        kind = event.get("janus")
        if kind == "keepalive":
            return
        transaction = event.get("transaction")
        future = self._pending.get(transaction) if isinstance(transaction, str) else None
        if future is not None and kind in ("event", "success", "error") and not future.done():
            future.set_result(event)
            return
        handle = self._handles.get(int(event.get("sender", 0) or 0))
        if handle is not None and handle.on_event is not None:
            try:
                handle.on_event(event)
            except Exception:  # a bad callback must not stop the poll loop
                log.exception("Janus event callback failed")


class JanusHandle:
    """A plugin handle: `request` for synchronous plugin requests, `message` for asynchronous ones."""

    def __init__(self, session: JanusSession, handle_id: int, on_event: EventCallback | None) -> None:
        self.session = session
        self.id = handle_id
        self.url = f"{session.url}/{handle_id}"
        self.on_event = on_event

    async def request(self, body: JsonDict) -> JsonDict:
        reply = await self.session.post({"janus": "message", "body": body}, self.url)
        return _plugin_data(reply)

    async def message(
        self, body: JsonDict, jsep: JsonDict | None = None, timeout: float = REQUEST_TIMEOUT_S
    ) -> tuple[JsonDict, JsonDict | None]:
        request: JsonDict = {"janus": "message", "body": body}
        if jsep is not None:
            request["jsep"] = jsep
        reply = await self.session.request_async(self.url, request, timeout)
        _raise_for_error(reply)
        return _plugin_data(reply), reply.get("jsep")

    async def trickle(self, candidates: list[JsonDict], completed: bool) -> None:
        """Hands ICE candidates a peer found after its SDP to Janus (and, at the end, "completed")."""
        if candidates:
            await self.session.post({"janus": "trickle", "candidates": candidates}, self.url)
        if completed:
            await self.session.post({"janus": "trickle", "candidate": {"completed": True}}, self.url)

    async def detach(self) -> None:
        self.session.forget(self.id)
        with contextlib.suppress(MediaServerError):  # already gone with its session
            await self.session.post({"janus": "detach"}, self.url)


def _plugin_data(reply: JsonDict) -> JsonDict:
    data = dict((reply.get("plugindata") or {}).get("data") or {})
    if "error_code" in data or "error" in data:
        code = int(data.get("error_code", 0))
        reason = data.get("error", "unknown error")
        raise JanusError(f"Janus refused the request: {reason} (code {code})", code)
    return data

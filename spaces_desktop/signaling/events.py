"""A participant's event stream that survives drops: it resumes with Last-Event-ID.

    async with participant.events(last_event_id=snapshot.last_event_id, on_state=show) as stream:
        async for event in stream:
            state = apply(state, event)

The stream reads in a task of its own, so `aclose()` stops it at once from any
task of the same loop. After a network error, a silent connection (no byte,
not even the 15 s keepalive, for `READ_TIMEOUT` s), an end of stream without a
final event or a 5xx, it reconnects with backoff and asks for the events after
the last one it delivered; an event it has already delivered is dropped, so the
consumer sees every event once, in id order.

It ends cleanly after `space_ended` or `removed` (kept in `final_event`), and
with the typed error when the backend refuses to reconnect: `Forbidden`
("removed"), `Unauthorized` ("left"), `NotFound` (the Space is gone).

`on_state(state, reason)` runs on the stream's loop (the engine's thread) each
time the connection state changes; `reason` is a sentence for people or None.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from enum import StrEnum
from typing import TYPE_CHECKING
from urllib.parse import quote

import httpx
from pydantic import ValidationError

from spaces_desktop.aio import cancel_and_wait
from spaces_desktop.protocol import Event, EventType
from spaces_desktop.signaling.backoff import Backoff
from spaces_desktop.signaling.errors import ApiError, BackendUnreachable, RateLimited, SignalingError
from spaces_desktop.signaling.sse import SseComment, SseMessage, SseParser, SseRetry, SseTooLarge

if TYPE_CHECKING:
    from spaces_desktop.signaling.client import SpacesClient

log = logging.getLogger(__name__)

KEEPALIVE_S = 15.0
READ_TIMEOUT = KEEPALIVE_S + 5.0
"""The backend sends a keepalive every 15 s; longer silence means the connection is dead."""
FINAL_EVENTS = frozenset({EventType.SPACE_ENDED.value, EventType.REMOVED.value})
DEFAULT_RECONNECT = Backoff(attempts=None, first_delay=1.0, max_delay=10.0, fast_for=30.0)
"""Forever, as a person would keep waiting: every 0.2-0.5 s for the first 30 s of an outage
(a restart is back within 2 s of answering), then backing off to 10 s, the first of those
waits following the server's `retry:` hint.

A bounded policy gives up after `attempts` failed connections in a row, the
one that dropped included.
"""


class StreamState(StrEnum):
    CONNECTING = "connecting"
    OPEN = "open"
    RECONNECTING = "reconnecting"
    CLOSED = "closed"


StateCallback = Callable[[StreamState, str | None], None]


class _Drop(Exception):
    """The connection went away; reconnect."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _End:
    """Put on the queue last: the stream is over, with an error or not."""

    def __init__(self, error: BaseException | None) -> None:
        self.error = error


class EventStream:
    def __init__(
        self,
        client: SpacesClient,
        space_id: str,
        token: str,
        *,
        last_event_id: int | None = None,
        on_state: StateCallback | None = None,
        reconnect: Backoff | None = None,
        read_timeout: float = READ_TIMEOUT,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        self._client = client
        self._path = f"/spaces/{quote(space_id, safe='')}/events"
        self._token = token
        self.last_event_id = last_event_id
        self._on_state = on_state
        self._reconnect = reconnect or DEFAULT_RECONNECT
        self._read_timeout = read_timeout
        self._sleep = sleep or client.sleep
        self._retry_hint: float | None = None
        self.state = StreamState.CLOSED
        self.final_event: Event | None = None
        # Bounded: a slow consumer stops the reading, and the backend's own limit then
        # closes the stream, which resumes from the log once the consumer catches up.
        self._queue: asyncio.Queue[Event | _End] = asyncio.Queue(256)
        self._task: asyncio.Task[None] | None = None
        self._done = False
        self._connected_once = False
        self._progressed = False
        self._seen_at = time.monotonic()
        """When the server last answered (or the stream started): the outage began then."""

    # --- the consumer's side ---

    def start(self) -> None:
        if self._task is None and not self._done:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="spaces-event-stream")

    async def __aenter__(self) -> EventStream:
        self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    def __aiter__(self) -> AsyncIterator[Event]:
        self.start()
        return self

    async def __anext__(self) -> Event:
        if self._done:
            raise StopAsyncIteration
        self.start()
        item = await self._queue.get()
        if isinstance(item, _End):
            self._done = True
            if item.error is not None:
                raise item.error
            raise StopAsyncIteration
        return item

    async def aclose(self) -> None:
        """Stops reading; events not yet taken are dropped."""
        self._done = True
        task, self._task = self._task, None
        if task is not None:
            await cancel_and_wait([task])
        # Wake a consumer waiting in __anext__: the stream is over.
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(_End(None))
        self._set_state(StreamState.CLOSED, None)

    # --- the reading task ---

    def _set_state(self, state: StreamState, reason: str | None) -> None:
        if state is self.state and state is not StreamState.RECONNECTING:
            return
        self.state = state
        if self._on_state is not None:
            try:
                self._on_state(state, reason)
            except Exception:
                log.exception("event stream state callback failed")

    async def _run(self) -> None:
        error: BaseException | None = None
        try:
            await self._connect_loop()
        except SignalingError as exc:
            error = exc
            self._set_state(StreamState.CLOSED, exc.message)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug: hand it to the consumer rather than hang it
            log.exception("event stream failed")
            error = exc
            self._set_state(StreamState.CLOSED, str(exc))
        else:
            self._set_state(StreamState.CLOSED, None)
        await self._queue.put(_End(error))

    async def _connect_loop(self) -> None:
        failures = 0
        self._set_state(StreamState.CONNECTING, None)
        while True:
            try:
                await self._read_once()
                return  # a final event arrived
            except (_Drop, BackendUnreachable, ApiError) as exc:
                if isinstance(exc, ApiError) and not _worth_retrying(exc):
                    raise
                reason = exc.reason if isinstance(exc, _Drop) else exc.message
                if self._progressed:
                    failures = 0  # the connection had worked: start the backoff over
                if self._connected_once:
                    self._seen_at = time.monotonic()
                failures += 1
                if not self._reconnect.allows(failures):
                    if isinstance(exc, _Drop):
                        raise BackendUnreachable(self._client.base_url, reason) from exc
                    raise
                outage = time.monotonic() - self._seen_at
                wait = self._reconnect.wait(failures - 1, outage, first_delay=self._retry_hint)
                if isinstance(exc, RateLimited):
                    wait = max(wait, exc.retry_after)
                log.info("event stream: %s; reconnecting in %.1f s", reason, wait)
                self._set_state(StreamState.RECONNECTING, reason)
                await self._sleep(wait)

    async def _read_once(self) -> None:
        """Reads one connection; returns after a final event, raises _Drop if the connection ends."""
        self._connected_once = False
        self._progressed = False  # an event or keepalive came: not a server that hangs up at once
        headers = self._client.headers(self._token)
        headers["Accept"] = "text/event-stream"
        headers["Cache-Control"] = "no-store"
        if self.last_event_id is not None:
            headers["Last-Event-ID"] = str(self.last_event_id)
        timeout = httpx.Timeout(self._client.timeout.connect, read=self._read_timeout)
        try:
            async with self._client.http.stream(
                "GET", self._client.url(self._path), headers=headers, timeout=timeout
            ) as response:
                if not response.is_success:
                    await response.aread()
                    raise self._client.error_from(response)
                self._connected_once = True
                self._set_state(StreamState.OPEN, None)
                parser = SseParser()
                async for chunk in response.aiter_bytes():
                    try:
                        for item in parser.feed(chunk):
                            if await self._handle(item):
                                return
                    except SseTooLarge as exc:
                        # Nothing to salvage from this connection; a new one resumes after the last event.
                        log.warning("event stream: %s", exc.message)
                        raise _Drop("The server sent more than this app accepts in one event.") from exc
        except httpx.TimeoutException as exc:
            if self._connected_once:
                raise _Drop(f"No word from the server for {self._read_timeout:g} s.") from exc
            raise BackendUnreachable(self._client.base_url, str(exc)) from exc
        except httpx.TransportError as exc:
            if self._connected_once:
                raise _Drop("The connection to the server dropped.") from exc
            raise BackendUnreachable(self._client.base_url, f"{type(exc).__name__}: {exc}") from exc
        raise _Drop("The server closed the event stream.")

    async def _handle(self, item: SseMessage | SseComment | SseRetry) -> bool:
        """Delivers one item; True when the stream is over."""
        if isinstance(item, SseRetry):
            self._retry_hint = item.milliseconds / 1000
            return False
        self._progressed = True
        if isinstance(item, SseComment):
            return False
        event = self._decode(item)
        if event is None:
            return False
        if self.last_event_id is not None and event.id <= self.last_event_id:
            return False  # already delivered before the reconnect
        await self._queue.put(event)
        self.last_event_id = event.id
        if event.type in FINAL_EVENTS:
            self.final_event = event
            return True
        return False

    def _decode(self, message: SseMessage) -> Event | None:
        try:
            return Event.model_validate(json.loads(message.data))
        except (ValueError, ValidationError):
            # One bad entry should not take the Space away; remember its id so a resume skips it.
            log.warning("event stream: skipped an event that does not parse (id %s)", message.id)
            if message.id is not None and message.id.isdigit():
                self.last_event_id = max(self.last_event_id or 0, int(message.id))
            return None


def _worth_retrying(error: ApiError) -> bool:
    # 5xx and 429 pass; 401/403/404 mean the participant or the Space is gone for good.
    return error.status >= 500 or error.status == 429

"""The event stream: delivery, resume with Last-Event-ID, de-duplication, final events, states."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from spaces_desktop.protocol import Event
from spaces_desktop.signaling import (
    ApiError,
    BackendUnreachable,
    Backoff,
    EventStream,
    Forbidden,
    NotFound,
    ServerUnavailable,
    SpacesClient,
    StreamState,
    Unauthorized,
)

BASE = "http://spaces.test:8470"
NOW = "2026-01-01T00:00:00+00:00"
QUICK = Backoff(attempts=None, first_delay=0.0, max_delay=0.0)


def frame(event_id: int, type_: str = "reaction", **data: Any) -> bytes:
    payload = json.dumps({"id": event_id, "type": type_, "data": data, "at": NOW})
    return f"id: {event_id}\nevent: {type_}\ndata: {payload}\n\n".encode()


class Drop:
    """In a script: the connection breaks here."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error or httpx.ReadError("connection reset")


HANG = "hang"


class FakeBackend:
    """Answers each GET of the event stream from the next script, and keeps the requests."""

    def __init__(self, *connections: list[bytes | Drop | str] | httpx.Response) -> None:
        self.connections = list(connections)
        self.requests: list[httpx.Request] = []
        self.release = asyncio.Event()

    def last_event_ids(self) -> list[str | None]:
        return [r.headers.get("last-event-id") for r in self.requests]

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.connections:
            return httpx.Response(404, json={"error": "not_found", "message": "No such Space."})
        script = self.connections.pop(0)
        if isinstance(script, httpx.Response):
            return script
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=self._body(script))

    async def _body(self, script: list[bytes | Drop | str]) -> AsyncIterator[bytes]:
        yield b"retry: 1000\n\n"
        for part in script:
            if isinstance(part, Drop):
                raise part.error
            if part == HANG:
                await self.release.wait()
                continue
            assert isinstance(part, bytes)
            yield part


class Run:
    """A stream over a fake backend, with every state change and wait recorded."""

    def __init__(self, backend: FakeBackend, last_event_id: int | None = None, **options: Any) -> None:
        self.states: list[tuple[StreamState, str | None]] = []
        self.waits: list[float] = []

        async def sleep(seconds: float) -> None:
            self.waits.append(seconds)

        http = httpx.AsyncClient(transport=httpx.MockTransport(backend))
        self.client = SpacesClient(BASE, http=http, sleep=sleep)
        options.setdefault("reconnect", QUICK)
        self.stream = EventStream(
            self.client,
            "sp1",
            "tok",
            last_event_id=last_event_id,
            on_state=lambda state, reason: self.states.append((state, reason)),
            **options,
        )

    async def collect(self, limit: float = 5.0) -> list[Event]:
        async def read() -> list[Event]:
            return [event async for event in self.stream]

        try:
            return await asyncio.wait_for(read(), limit)
        finally:
            await self.stream.aclose()

    def kinds(self) -> list[StreamState]:
        return [state for state, _ in self.states]


async def test_events_arrive_in_order_and_the_stream_ends_after_space_ended() -> None:
    backend = FakeBackend(
        [frame(1), b": keepalive\n\n", frame(2, "talking"), frame(3, "space_ended"), frame(4)]
    )
    run = Run(backend)
    events = await run.collect()
    assert [(e.id, e.type) for e in events] == [(1, "reaction"), (2, "talking"), (3, "space_ended")]
    assert run.stream.final_event is not None and run.stream.final_event.id == 3
    assert run.kinds() == [StreamState.CONNECTING, StreamState.OPEN, StreamState.CLOSED]
    [request] = backend.requests
    assert str(request.url) == f"{BASE}/spaces/sp1/events"
    assert request.headers["authorization"] == "Bearer tok"
    assert "last-event-id" not in request.headers


async def test_removed_ends_the_stream_cleanly() -> None:
    run = Run(FakeBackend([frame(5), frame(6, "removed", by="p_h")]))
    events = await run.collect()
    assert [e.type for e in events] == ["reaction", "removed"]
    assert run.stream.last_event_id == 6


async def test_starts_after_the_given_id() -> None:
    backend = FakeBackend([frame(9, "space_ended")])
    await Run(backend, last_event_id=8).collect()
    assert backend.last_event_ids() == ["8"]


async def test_drop_resumes_with_last_event_id_and_drops_duplicates() -> None:
    backend = FakeBackend(
        [frame(1), frame(2), Drop()],
        # The backend replays from its log; 2 is sent again, as after a race with the live feed.
        [frame(2), frame(3), frame(3), frame(4, "space_ended")],
    )
    run = Run(backend)
    events = await run.collect()
    assert [e.id for e in events] == [1, 2, 3, 4]
    assert backend.last_event_ids() == [None, "2"]
    assert run.kinds() == [
        StreamState.CONNECTING,
        StreamState.OPEN,
        StreamState.RECONNECTING,
        StreamState.OPEN,
        StreamState.CLOSED,
    ]
    assert run.states[2][1] == "The connection to the server dropped."


async def test_end_of_stream_without_a_final_event_reconnects() -> None:
    backend = FakeBackend([frame(1)], [frame(2, "space_ended")])
    run = Run(backend)
    assert [e.id for e in await run.collect()] == [1, 2]
    assert backend.last_event_ids() == [None, "1"]
    assert run.states[2] == (StreamState.RECONNECTING, "The server closed the event stream.")


async def test_server_restart_503_and_refused_connections_are_waited_out_with_backoff() -> None:
    unavailable = httpx.Response(503, json={"error": "media_unavailable", "message": "Restarting."})
    backend = FakeBackend([frame(1), Drop()], unavailable, unavailable, [frame(2, "space_ended")])
    run = Run(backend, reconnect=Backoff(attempts=None, first_delay=0.5, max_delay=4.0))
    assert [e.id for e in await run.collect()] == [1, 2]
    assert backend.last_event_ids() == [None, "1", "1", "1"]
    # The first wait follows the server's retry hint (1 s), then doubles.
    assert len(run.waits) == 3
    assert all(0 <= wait <= ceiling for wait, ceiling in zip(run.waits, (1.0, 2.0, 4.0), strict=True))
    assert run.kinds().count(StreamState.RECONNECTING) == 3


async def test_connect_errors_before_the_first_byte_are_retried() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise httpx.ConnectError("refused")
        return httpx.Response(200, content=frame(1, "space_ended"))

    client = SpacesClient(BASE, http=httpx.AsyncClient(transport=httpx.MockTransport(handler)))
    stream = client.participant("sp1", "tok").events(reconnect=QUICK)
    async with stream:
        assert [e.id async for e in stream] == [1]
    assert calls == 3


async def test_reconnect_attempts_can_be_bounded() -> None:
    backend = FakeBackend([frame(1), Drop()], *[httpx.Response(503, json={"error": "x", "message": "y"})] * 5)
    run = Run(backend, reconnect=Backoff(attempts=3, first_delay=0, max_delay=0))
    with pytest.raises(ServerUnavailable):
        await run.collect()
    assert len(backend.requests) == 3  # the connection that dropped counts as the first try


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [(403, "removed", Forbidden), (401, "left", Unauthorized), (404, "not_found", NotFound)],
)
async def test_refused_reconnect_ends_with_the_typed_error(
    status: int, code: str, kind: type[ApiError]
) -> None:
    refusal = httpx.Response(status, json={"error": code, "message": "You were removed from this Space."})
    backend = FakeBackend([frame(1), Drop()], refusal)
    run = Run(backend)
    delivered: list[int] = []
    with pytest.raises(kind) as caught:
        async for event in run.stream:
            delivered.append(event.id)
    assert delivered == [1] and caught.value.code == code
    assert run.states[-1] == (StreamState.CLOSED, "You were removed from this Space.")
    assert len(backend.requests) == 2
    await run.stream.aclose()


async def test_a_malformed_event_is_skipped_and_its_id_is_not_asked_for_again() -> None:
    backend = FakeBackend([frame(1), b"id: 2\ndata: {not json\n\n", Drop()], [frame(3, "space_ended")])
    run = Run(backend)
    assert [e.id for e in await run.collect()] == [1, 3]
    assert backend.last_event_ids() == [None, "2"]


async def test_close_while_waiting_returns_at_once() -> None:
    backend = FakeBackend([frame(1), HANG])
    run = Run(backend)
    stream = run.stream
    first = await asyncio.wait_for(stream.__anext__(), 2)
    assert first.id == 1
    waiting = asyncio.ensure_future(stream.__anext__())
    await asyncio.sleep(0.05)
    await asyncio.wait_for(stream.aclose(), 1)
    assert run.kinds()[-1] is StreamState.CLOSED
    waiting.cancel()
    with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
        await waiting
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()


# --- a half-dead connection, on a real loopback socket -------------------------


async def test_silent_connection_is_given_up_after_the_read_timeout() -> None:
    connections = 0
    seen_ids: list[str | None] = []
    finished = asyncio.Event()
    handlers: list[asyncio.Task[Any]] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        task = asyncio.current_task()
        assert task is not None
        handlers.append(task)
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        header = [line for line in head.split("\r\n") if line.lower().startswith("last-event-id:")]
        seen_ids.append(header[0].split(":", 1)[1].strip() if header else None)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n")
        if connections == 1:
            writer.write(frame(1))
            await writer.drain()
            await finished.wait()  # alive at the TCP level, silent at the stream level
        else:
            writer.write(frame(2, "space_ended"))
            await writer.drain()
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    states: list[tuple[StreamState, str | None]] = []
    async with server, SpacesClient(f"http://127.0.0.1:{port}") as client:
        stream = client.participant("sp1", "tok").events(
            reconnect=QUICK, on_state=lambda s, r: states.append((s, r)), read_timeout=0.3
        )
        async with stream:
            events = await asyncio.wait_for(_collect(stream), 5)
        finished.set()
        await asyncio.gather(*handlers, return_exceptions=True)
    assert [e.id for e in events] == [1, 2]
    assert seen_ids == [None, "1"]
    assert (StreamState.RECONNECTING, "No word from the server for 0.3 s.") in states


async def _collect(stream: EventStream) -> list[Event]:
    return [event async for event in stream]


async def test_never_reachable_stream_gives_up_when_bounded() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    client = SpacesClient(BASE, http=httpx.AsyncClient(transport=httpx.MockTransport(handler)))
    stream = client.participant("sp1", "tok").events(
        reconnect=Backoff(attempts=2, first_delay=0, max_delay=0)
    )
    with pytest.raises(BackendUnreachable):
        async with stream:
            await _collect(stream)


@dataclass(frozen=True)
class CountingBackoff(Backoff):
    """Records which retry each wait is for, and waits for none."""

    seen: list[int] = field(default_factory=list)

    def delay(self, retry: int, first_delay: float | None = None, rng: Any = None) -> float:
        self.seen.append(retry)
        return 0.0


async def test_backoff_grows_only_while_connections_bring_nothing() -> None:
    backend = FakeBackend([frame(1), Drop()], [frame(2)], [], [], [frame(3, "space_ended")])
    policy = CountingBackoff(attempts=None)
    run = Run(backend, reconnect=policy)
    assert [e.id for e in await run.collect()] == [1, 2, 3]
    # A connection that delivered something starts the backoff over; empty ones make it grow.
    assert policy.seen == [0, 0, 1, 2]


async def test_an_endless_line_is_a_broken_stream_that_resumes_after_the_last_event() -> None:
    endless = [b"x" * 65536] * 800  # 50 MB without a line end
    backend = FakeBackend([frame(1), b"data: ", *endless], [frame(2), frame(3, "space_ended")])
    run = Run(backend)
    events = await run.collect(limit=20)
    assert [e.id for e in events] == [1, 2, 3]
    assert backend.last_event_ids() == [None, "1"]
    assert run.states[2] == (
        StreamState.RECONNECTING,
        "The server sent more than this app accepts in one event.",
    )

"""`bench audience`, signaling part: ten thousand listeners join one Space of one backend process.

Joins come from worker processes, each with many keep-alive connections (the
backend runs without request limits: every join comes from one address). A
sample of listeners (spread over the whole join, every `listeners/streams`-th)
and the moderators (host and a co-host) hold event streams, read as plain
asyncio sockets; the host raises and lowers its hand all along (a stage event,
for everyone), during the joins and after them, and each delivery is timed
from the host's request to the moment a stream has read it.

Why a sample is representative: the backend encodes each event once and hands
the same bytes to every stream, so what a listener waits for is the event loop
(busy with the joins) and its own stream's turn, which the sample sees as any
listener would; the cost of writing to 10,000 sockets rather than a few
hundred is the one thing it leaves out (see `fanout` for that, at 2,000).

The result is a flat dict under signaling keys; `bench/audience_gui.py` and
`bench/audience_media.py` add theirs to the same dict (see `merge` and `run_all`).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.util
import json
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from spaces_desktop.domain import Role
from spaces_desktop.signaling.client import SpacesClient

JOIN_WORKERS = 2
CONCURRENCY_PER_WORKER = 32
TICK_DURING_JOINS_S = 0.25
QUIET_EVENTS = 40
QUIET_SPACING_S = 0.05
DELIVERY_WAIT_S = 60.0
MAX_RECONNECTS = 50
JOIN_TIMEOUT_S = 60.0


def serve_args(listeners: int, streams: int) -> list[str]:
    """No request limits (every join comes from one address), room for the streams and the joins."""
    connections = streams + JOIN_WORKERS * CONCURRENCY_PER_WORKER + 512
    return ["--rate-limit-scale", "0", "--max-connections", str(connections)]


class Stream:
    """One participant's event stream, read as a plain socket; keeps what the benchmark checks."""

    def __init__(self, url: str, space_id: str, token: str, last_event_id: int, host_id: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.space_id, self.token, self.last_event_id, self.host_id = space_id, token, last_event_id, host_id
        self.stage_arrivals: list[float] = []
        """When each of the host's hand changes arrived, in order."""
        self.joined_rows = 0
        """participant_joined events: every arrival for a moderator, none for a listener."""
        self.rows_of_others = 0
        self.listener_counts: list[int] = []
        self.ready = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.own_id = ""
        self.reconnects = 0
        self.opened_at = float("inf")

    def start(self) -> None:
        self.task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        """Reads, and resumes from the last id it read when the backend closes a stream that fell
        behind (as the app does): a stage event is late then, never lost."""
        for _ in range(MAX_RECONNECTS):
            with contextlib.suppress(OSError):
                await self._read_once()
            self.reconnects += 1
            await asyncio.sleep(0.2)

    async def _read_once(self) -> None:
        reader, writer = await asyncio.open_connection(self.host, self.port, limit=1 << 20)
        writer.write(
            (
                f"GET /spaces/{self.space_id}/events HTTP/1.1\r\nHost: {self.host}\r\n"
                f"Authorization: Bearer {self.token}\r\nAccept: text/event-stream\r\n"
                f"Last-Event-ID: {self.last_event_id}\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        kind = b""
        try:
            while True:
                line = await reader.readline()
                if not line or line == b"0\r\n":
                    return  # closed, or the stream's response ended (chunked encoding's last chunk)
                if line.startswith(b"id: "):
                    self.last_event_id = int(line[4:])
                elif line.startswith(b"event: "):
                    kind = line[7:].strip()
                elif line.startswith(b"data: "):
                    self._seen(kind, line[6:])
                elif line.startswith(b"retry:") and not self.ready.is_set():
                    self.opened_at = time.monotonic()
                    self.ready.set()
        finally:
            writer.close()

    def _seen(self, kind: bytes, data: bytes) -> None:
        if kind == b"participant_updated" and self.host_id.encode() in data:
            self.stage_arrivals.append(time.monotonic())
        elif kind == b"participant_joined":
            self.joined_rows += 1
            if self.own_id.encode() not in data:
                self.rows_of_others += 1
        elif kind == b"audience":
            self.listener_counts.append(int(json.loads(data)["data"]["listeners"]))

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()


def _join_body(i: int) -> dict[str, str]:
    return {"display_name": f"Listener {i}", "client_id": f"bench-listener-{i:07d}"}


async def _join_batch(url: str, space_id: str, indices: list[int]) -> list[float]:
    """Joins `indices` over `CONCURRENCY_PER_WORKER` keep-alive connections; each join's time in ms.

    Plain HTTP/1.1 on asyncio sockets rather than httpx: on a two-core machine the load generator
    shares the cores with the backend it measures, and httpx costs about as much CPU per request as
    the backend's join itself."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    queue = list(reversed(indices))
    times: list[float] = []

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, port, limit=1 << 20)
        try:
            while queue:
                i = queue.pop()
                body = json.dumps(_join_body(i)).encode()
                started = time.perf_counter()
                writer.write(
                    f"POST /spaces/{space_id}/join HTTP/1.1\r\nHost: {host}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                status, answer = await asyncio.wait_for(_read_response(reader), JOIN_TIMEOUT_S)
                times.append((time.perf_counter() - started) * 1000)
                if status != 201 or b'"token"' not in answer:
                    raise RuntimeError(f"join {i}: {status} {answer[:200]!r}")
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(CONCURRENCY_PER_WORKER)))
    return times


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One HTTP/1.1 response with a Content-Length body (what the backend sends for a join)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length)


def join_worker(url: str, space_id: str, indices: list[int]) -> tuple[list[float], float]:
    """A worker process's share of the joins (run by a process pool); their times, its CPU seconds."""
    cpu = time.process_time()
    times = asyncio.run(_join_batch(url, space_id, indices))
    return times, time.process_time() - cpu


async def run_audience(url: str, listeners: int, streams: int) -> dict[str, Any]:
    client = SpacesClient(url, timeout=60)
    pool = ProcessPoolExecutor(JOIN_WORKERS)
    try:
        return await _measure(client, pool, url, listeners, streams)
    finally:
        pool.shutdown(cancel_futures=True)
        await client.aclose()


async def _measure(
    client: SpacesClient, pool: ProcessPoolExecutor, url: str, listeners: int, streams: int
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    # Warm the pool up first, so process start-up is not counted as join time.
    await asyncio.gather(*(loop.run_in_executor(pool, time.sleep, 0.01) for _ in range(JOIN_WORKERS)))
    created = await client.create_space("Audience", "Host", video_enabled=False)
    space_id, host_id = created.snapshot.space.id, created.participant.id
    host = client.as_joined(created)
    cohost_joined = await client.join(space_id, "Co-host", client_id="bench-cohost-key")
    await host.set_role(cohost_joined.participant.id, Role.COHOST)
    moderators = []
    for joined in (created, cohost_joined):
        stream = Stream(url, space_id, joined.token, (await host.snapshot()).last_event_id, host_id)
        stream.own_id = joined.participant.id
        stream.start()
        moderators.append(stream)
    await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in moderators)), 30)

    every = max(1, listeners // max(1, streams))
    sampled = set(range(0, listeners, every)[:streams])
    rest = [i for i in range(listeners) if i not in sampled]
    shares = [rest[k::JOIN_WORKERS] for k in range(JOIN_WORKERS)]
    sample_streams: list[Stream] = []
    sent: list[float] = []
    joins_done = asyncio.Event()
    hand = [False]

    answered_ms: list[float] = []

    async def toggle() -> None:
        hand[0] = not hand[0]
        sent.append(time.monotonic())
        await host.raise_hand(hand[0])
        answered_ms.append((time.monotonic() - sent[-1]) * 1000)

    async def sample_joins() -> None:
        # Spread over the joins: a sampled listener arrives when about `i` others have (as the
        # host's stream counts them), amid the crowd, and listens from then on.
        deadline = time.monotonic() + DELIVERY_WAIT_S * 10
        async with httpx.AsyncClient(base_url=url, timeout=60, trust_env=False) as http:
            for i in sorted(sampled):
                while moderators[0].joined_rows < i and time.monotonic() < deadline:
                    await asyncio.sleep(0.005)
                answer = await http.post(f"/spaces/{space_id}/join", json=_join_body(i))
                if answer.status_code != 201:
                    raise RuntimeError(f"join {i}: {answer.status_code} {answer.text[:200]}")
                body = answer.json()
                stream = Stream(url, space_id, body["token"], body["snapshot"]["last_event_id"], host_id)
                stream.own_id = body["participant"]["id"]
                stream.start()
                sample_streams.append(stream)

    async def stage_ticker() -> None:
        while not joins_done.is_set():
            await asyncio.sleep(TICK_DURING_JOINS_S)
            await toggle()

    ticker = asyncio.ensure_future(stage_ticker())
    started = time.monotonic()
    workers = [loop.run_in_executor(pool, join_worker, url, space_id, share) for share in shares]
    sampler = asyncio.ensure_future(sample_joins())
    worker_times = await asyncio.gather(*workers)
    await sampler
    join_seconds = time.monotonic() - started
    joins_done.set()
    await ticker
    during = len(sent)
    await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in sample_streams)), 60)
    await asyncio.sleep(1.5)  # the last coalesced count goes out
    for _ in range(QUIET_EVENTS):
        await toggle()
        await asyncio.sleep(QUIET_SPACING_S)
    everyone = [*moderators, *sample_streams]
    deadline = time.monotonic() + DELIVERY_WAIT_S
    while time.monotonic() < deadline and any(len(s.stage_arrivals) < len(sent) for s in everyone):
        await asyncio.sleep(0.1)
    counted = (await host.snapshot()).counts
    for stream in everyone:
        stream.stop()

    def delays(streams_: Iterable[Stream], first: int, last: int) -> list[float]:
        out = []
        for stream in streams_:
            # A sampled listener hears of events from when it joined: its arrivals are the last ones.
            offset = len(sent) - len(stream.stage_arrivals)
            for k, arrival in enumerate(stream.stage_arrivals):
                # Sent before this stream was open: a replay on opening, not a live delivery.
                if first <= k + offset < last and sent[k + offset] >= stream.opened_at:
                    out.append((arrival - sent[k + offset]) * 1000)
        return sorted(out)

    all_delays = delays(everyone, 0, len(sent))
    join_ms = sorted(t for times, _ in worker_times for t in times)
    missing = sum(len(sent) - len(s.stage_arrivals) for s in moderators) + sum(
        QUIET_EVENTS - min(QUIET_EVENTS, len(s.stage_arrivals)) for s in sample_streams
    )
    return {
        "listeners": listeners,
        "join_rate_per_s": round(listeners / join_seconds, 1),
        "join_p50_ms": _pct(join_ms, 0.5),
        "join_p99_ms": _pct(join_ms, 0.99),
        "delivery_p50_ms": _pct(all_delays, 0.5),
        "delivery_p99_ms": _pct(all_delays, 0.99),
        "delivery_p99_during_joins_ms": _pct(delays(everyone, 0, during), 0.99),
        "delivery_p99_after_joins_ms": _pct(delays(everyone, during, len(sent)), 0.99),
        "stage_request_p99_ms": _pct(answered_ms, 0.99),
        "stage_events": len(sent),
        "streams": len(everyone),
        "sample_listener_streams": len(sample_streams),
        "deliveries": len(all_delays),
        "deliveries_missing": missing,
        "join_clients_cpu_s": round(sum(cpu for _, cpu in worker_times), 2),
        "stream_resumes": sum(s.reconnects for s in everyone),
        "moderator_arrivals_min": min(s.joined_rows for s in moderators),
        "listener_rows_of_others": sum(s.rows_of_others for s in sample_streams),
        "listener_last_count": min(
            (s.listener_counts[-1] for s in sample_streams if s.listener_counts), default=0
        ),
        "backend_count_listeners": counted.listeners if counted else None,
    }


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def rss_mb(pid: int) -> dict[str, float]:
    """The process's resident memory now and at its peak (Linux /proc), in MB."""
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def merge(*parts: dict[str, Any]) -> dict[str, Any]:
    """One result from the signaling, GUI and media parts; a key two parts share must agree."""
    merged: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            if key in merged and merged[key] != value:
                merged[f"{key}_conflict"] = value
            else:
                merged[key] = value
    return merged


def run_signaling(listeners: int, streams: int) -> dict[str, Any]:
    """The signaling part against a `serve` process of its own (inside the benchmark's namespace)."""
    import tempfile

    from spaces_desktop.bench.environment import BenchBackend
    from spaces_desktop.bench.fanout import raise_file_limit

    raise_file_limit(streams * 2 + JOIN_WORKERS * CONCURRENCY_PER_WORKER * 2 + 1024)
    with tempfile.TemporaryDirectory(prefix="spaces-bench-") as folder:
        server = BenchBackend(Path(folder), serve_args=serve_args(listeners, streams))
        server.start()
        try:
            assert server.process is not None
            cpu_before = cpu_seconds(server.process.pid)
            result = asyncio.run(run_audience(server.url, listeners, streams))
            memory = rss_mb(server.process.pid)
            cpu = cpu_seconds(server.process.pid) - cpu_before
        finally:
            server.stop()
    result["backend_rss_mb"] = round(memory.get("VmHWM", memory.get("VmRSS", 0.0)), 1)
    result["backend_rss_now_mb"] = round(memory.get("VmRSS", 0.0), 1)
    result["backend_cpu_s"] = round(cpu, 2)
    result["backend_cpu_ms_per_join"] = round(cpu * 1000 / listeners, 2)
    result["machine_load_1m"] = os.getloadavg()[0]
    result["join_workers"] = JOIN_WORKERS
    result["joins_in_flight"] = JOIN_WORKERS * CONCURRENCY_PER_WORKER
    return result


__all__ = ["merge", "rss_mb", "run_audience", "run_signaling", "serve_args"]


GUI_PART = "spaces_desktop.bench.audience_gui"
"""The host's app part (`measure(listeners)` -> the `gui_*` keys), run when the module is installed."""


def run_all(
    listeners: int, streams: int, media: bool = True, gui: bool = True, media_listeners: int | None = None
) -> dict[str, Any]:
    """`bench audience`: the signaling part, then the host's app, then Janus; one flat dict.

    A part that fails leaves its `<part>_error` (and the others' keys) rather than no result;
    a part left out says so under `<part>_skipped`."""
    parts: list[dict[str, Any]] = [run_signaling(listeners, streams)]
    if not gui:
        parts.append({"gui_skipped": "--no-gui"})
    elif importlib.util.find_spec(GUI_PART) is None:
        parts.append({"gui_skipped": f"{GUI_PART} is not in this build"})
    else:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is first imported
        parts.append(_part("gui", lambda: importlib.import_module(GUI_PART).measure(listeners)))
    if not media:
        parts.append({"media_skipped": "--no-media"})
    else:
        from spaces_desktop.bench import audience_media

        count = media_listeners or audience_media.LISTENERS
        parts.append(_part("media", lambda: audience_media.measure(count)))
    return merge(*parts)


def _part(name: str, measure: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return measure()
    except Exception as exc:  # one part failing still reports the others
        return {f"{name}_error": f"{type(exc).__name__}: {exc}"}

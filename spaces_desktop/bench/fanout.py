"""Event fan-out: thousands of listeners on one Space's event stream, the host emitting events.

Listeners are plain asyncio sockets speaking HTTP/1.1 (one process, little memory
each), so the numbers measure the backend. Delivery time is from the host's
request to the moment each listener has read the event. The host raises and
lowers its hand, one event per request (reactions are batched by the backend);
the backend runs without request limits, as thousands join from one address.
"""

from __future__ import annotations

import asyncio
import resource
import statistics
import time
from typing import Any
from urllib.parse import urlsplit

from spaces_desktop.signaling.client import SpacesClient

JOIN_CONCURRENCY = 64
EVENT_SPACING_S = 0.02


def raise_file_limit(wanted: int) -> int:
    """Lifts the open-files limit as far as allowed (children inherit it); returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard == resource.RLIM_INFINITY else min(max(soft, wanted), hard)
    if target != soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return int(target)


class Listener:
    def __init__(self, host: str, port: int, space_id: str, token: str, last_event_id: int) -> None:
        self.host, self.port, self.space_id, self.token = host, port, space_id, token
        self.last_event_id = last_event_id
        self.arrivals: list[float] = []
        self.ready = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        request = (
            f"GET /spaces/{self.space_id}/events HTTP/1.1\r\nHost: {self.host}\r\n"
            f"Authorization: Bearer {self.token}\r\nAccept: text/event-stream\r\n"
            f"Last-Event-ID: {self.last_event_id}\r\n\r\n"
        )
        writer.write(request.encode())
        await writer.drain()
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                if line.startswith(b"retry:"):
                    self.ready.set()
                elif line.startswith(b"event: participant_updated"):
                    self.arrivals.append(time.monotonic())
        finally:
            writer.close()


async def run_fanout(base_url: str, listeners: int, events: int = 100) -> dict[str, Any]:
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    client = SpacesClient(base_url, timeout=60)
    try:
        joined = await client.create_space("Fan-out", "Host", video_enabled=False)
        space_id = joined.snapshot.space.id
        host_api = client.as_joined(joined)
        gate = asyncio.Semaphore(JOIN_CONCURRENCY)

        async def join(i: int) -> tuple[str, int]:
            # As the app does: the snapshot says where the event stream starts.
            async with gate:
                joined = await client.join(space_id, f"Listener {i}")
                return joined.token, joined.snapshot.last_event_id

        started = time.monotonic()
        tokens = await asyncio.gather(*(join(i) for i in range(listeners)))
        join_rate = listeners / (time.monotonic() - started)
        # Listeners tune in once everyone has joined; the join announcements are not what is measured.
        tuned_in = (await host_api.snapshot()).last_event_id
        crowd = [Listener(host, port, space_id, token, max(last, tuned_in)) for token, last in tokens]
        for listener in crowd:
            listener.task = asyncio.ensure_future(listener.run())
        await asyncio.wait_for(asyncio.gather(*(listener.ready.wait() for listener in crowd)), 120)
        await asyncio.sleep(1.0)  # replay of the join events has drained

        sent: list[float] = []
        for k in range(events):
            sent.append(time.monotonic())
            await host_api.raise_hand(k % 2 == 0)
            await asyncio.sleep(EVENT_SPACING_S)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(len(listener.arrivals) < events for listener in crowd):
            await asyncio.sleep(0.1)
        delays = sorted(
            (arrival - sent[k]) * 1000
            for listener in crowd
            for k, arrival in enumerate(listener.arrivals[:events])
        )
        delivered = len(delays)
        for listener in crowd:
            if listener.task is not None:
                listener.task.cancel()
        return {
            "listeners": listeners,
            "events": events,
            "delivered": delivered,
            "expected": listeners * events,
            "delivery_p50_ms": round(statistics.median(delays), 1) if delays else None,
            "delivery_p99_ms": round(delays[min(len(delays) - 1, int(0.99 * len(delays)))], 1)
            if delays
            else None,
            "join_rate_per_s": round(join_rate, 1),
        }
    finally:
        await client.aclose()


def serve_args(listeners: int) -> list[str]:
    """The backend's options for this run: no request limits, room for every listener's stream."""
    return ["--rate-limit-scale", "0", "--max-connections", str(listeners + 512)]


__all__ = ["raise_file_limit", "run_fanout", "serve_args"]

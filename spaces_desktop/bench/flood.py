"""Floods: does one noisy address slow down everybody else's Space?

Three floods from one address, one after the other, while a bystander (a
process of its own) keeps reading another Space's snapshot (`GET /spaces/{id}`)
and times it:

1. joins: `joins` join requests to one Space, `JOIN_CONCURRENCY` at a time, for at most `seconds`;
2. reactions: one listener sends `reactions` reactions as fast as it can; the
   backend's log then tells how many reaction events were stored;
3. half-open sockets: `half_open` connections that send half a request and
   stall; measured is how soon the backend closes them.

Requests are plain httpx calls without retries, so the counts are what the
backend answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import statistics
import time
from multiprocessing.connection import Connection
from typing import Any
from urllib.parse import urlsplit

import httpx

JOIN_CONCURRENCY = 32
REACTION_CONCURRENCY = 8
PROBE_INTERVAL_S = 0.02
REACTIONS_SECONDS = 20.0
HALF_OPEN_WAIT_S = 30.0


class Probe:
    """Reads another Space's snapshot over and over from a process of its own, keeping each latency.

    A process, so the flood's own client work cannot delay the probe and pass for server latency.
    """

    def __init__(self, base_url: str, space_id: str, token: str) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._process = context.Process(
            target=_probe_main, args=(base_url, space_id, token, child), name="flood-probe", daemon=True
        )
        self._process.start()
        self.latencies_ms: list[float] = []
        self.failures = 0

    async def start(self) -> None:
        await asyncio.to_thread(self._ask, "start")

    async def stop(self) -> dict[str, float | None]:
        self.latencies_ms, failures = await asyncio.to_thread(self._ask, "stop")
        self.failures += failures
        return _percentiles(self.latencies_ms)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._pipe.send("quit")
        self._process.join(5)
        if self._process.is_alive():
            self._process.kill()

    def _ask(self, command: str) -> Any:
        self._pipe.send(command)
        if not self._pipe.poll(60):
            raise TimeoutError("the probe process does not answer")
        return self._pipe.recv()


def _probe_main(base_url: str, space_id: str, token: str, pipe: Connection) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    failures = 0
    measuring = False
    with httpx.Client(base_url=base_url, trust_env=False, headers=headers, timeout=30) as http:
        for _ in range(20):  # warm up: connection open, caches filled
            http.get(f"/spaces/{space_id}")
        while True:
            if pipe.poll(PROBE_INTERVAL_S if measuring else 1.0):
                command = pipe.recv()
                if command == "quit":
                    return
                if command == "start":
                    latencies, failures, measuring = [], 0, True
                    pipe.send(None)
                elif command == "stop":
                    pipe.send((latencies, failures))
                    measuring = False
                continue
            if not measuring:
                continue
            started = time.perf_counter()
            try:
                ok = http.get(f"/spaces/{space_id}").status_code == 200
            except httpx.HTTPError:
                ok = False
            if ok:
                latencies.append((time.perf_counter() - started) * 1000)
            else:
                failures += 1


def _percentiles(samples: list[float]) -> dict[str, float | None]:
    if not samples:
        return {"p50": None, "p99": None, "max": None}
    ordered = sorted(samples)
    return {
        "p50": round(statistics.median(ordered), 1),
        "p99": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 1),
        "max": round(ordered[-1], 1),
    }


async def _create(http: httpx.AsyncClient, title: str) -> tuple[str, str]:
    response = await http.post("/spaces", json={"title": title, "host_name": "Host"}, timeout=60)
    response.raise_for_status()
    body = response.json()
    return body["snapshot"]["space"]["id"], body["token"]


async def _flood_joins(http: httpx.AsyncClient, space_id: str, joins: int, seconds: float) -> dict[str, Any]:
    statuses: dict[int, int] = {}
    deadline = time.monotonic() + seconds
    remaining = iter(range(joins))
    started = time.monotonic()

    async def worker() -> None:
        for i in remaining:
            if time.monotonic() > deadline:
                return
            try:
                response = await http.post(
                    f"/spaces/{space_id}/join", json={"display_name": f"Flood {i}"}, timeout=60
                )
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            except httpx.HTTPError:
                statuses[0] = statuses.get(0, 0) + 1

    await asyncio.gather(*(worker() for _ in range(JOIN_CONCURRENCY)))
    return {
        "flood_joins": sum(statuses.values()),
        "accepted": statuses.get(201, 0),
        "rate_limited": statuses.get(429, 0),
        "join_errors": sum(n for code, n in statuses.items() if code not in (201, 429)),
        "flood_s": round(time.monotonic() - started, 2),
    }


async def _flood_reactions(http: httpx.AsyncClient, space_id: str, token: str, count: int) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    before = (await http.get(f"/spaces/{space_id}", headers=headers)).json()["last_event_id"]
    statuses: dict[int, int] = {}
    deadline = time.monotonic() + REACTIONS_SECONDS
    remaining = iter(range(count))

    async def worker() -> None:
        for _ in remaining:
            if time.monotonic() > deadline:
                return
            try:
                response = await http.post(
                    f"/spaces/{space_id}/reactions", json={"emoji": "👏"}, headers=headers, timeout=30
                )
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            except httpx.HTTPError:
                statuses[0] = statuses.get(0, 0) + 1

    await asyncio.gather(*(worker() for _ in range(REACTION_CONCURRENCY)))
    await asyncio.sleep(1.0)  # the last batch is written
    stored, counted = await _reaction_log(http, space_id, headers, before)
    return {
        "reactions_sent": sum(statuses.values()),
        "reactions_accepted": statuses.get(204, 0),
        "reactions_rate_limited": statuses.get(429, 0),
        "reaction_events_stored": stored,
        "reactions_counted": counted,
    }


async def _reaction_log(
    http: httpx.AsyncClient, space_id: str, headers: dict[str, str], after: int
) -> tuple[int, int]:
    """Reaction events in the log after `after`, and how many reactions they carry."""
    end = (await http.get(f"/spaces/{space_id}", headers=headers)).json()["last_event_id"]
    stored = counted = 0
    if end <= after:
        return 0, 0
    stream_headers = {**headers, "Last-Event-ID": str(after)}
    async with http.stream(
        "GET", f"/spaces/{space_id}/events", headers=stream_headers, timeout=30
    ) as response:
        async for line in response.aiter_lines():
            if not line.startswith("data: "):
                continue
            event = json.loads(line[6:])
            if event["type"] == "reaction":
                stored += 1
                counted += int(event["data"].get("total", 1))
            if event["id"] >= end:
                break
    return stored, counted


async def _half_open(base_url: str, sockets: int, wait_s: float) -> dict[str, Any]:
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    opened: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    for _ in range(sockets):
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: flood\r\nX-Never: ")  # and nothing more
        opened.append((reader, writer))
    started = time.monotonic()

    async def closed_after(reader: asyncio.StreamReader) -> float | None:
        with contextlib.suppress(TimeoutError, ConnectionError):
            while await asyncio.wait_for(reader.read(4096), wait_s - (time.monotonic() - started)):
                pass
            return time.monotonic() - started
        return None

    try:
        times = await asyncio.gather(*(closed_after(reader) for reader, _ in opened))
    finally:
        for _, writer in opened:
            writer.close()
    closed = [t for t in times if t is not None]
    return {
        "half_open_sockets": sockets,
        "half_open_closed": len(closed),
        "half_open_closed_within_s": round(max(closed), 1) if closed else None,
        "half_open_wait_s": wait_s,
    }


async def run_flood(
    base_url: str,
    joins: int = 2000,
    seconds: float = 60.0,
    reactions: int = 1500,
    half_open: int = 300,
    half_open_wait_s: float = HALF_OPEN_WAIT_S,
) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=JOIN_CONCURRENCY, max_keepalive_connections=JOIN_CONCURRENCY)
    async with httpx.AsyncClient(base_url=base_url, trust_env=False, limits=limits) as flood:
        other_id, other_token = await _create(flood, "Bystanders")
        target_id, _ = await _create(flood, "Flooded")
        listener = await flood.post(f"/spaces/{target_id}/join", json={"display_name": "Clapper"})
        listener.raise_for_status()
        probe = Probe(base_url, other_id, other_token)
        try:
            await probe.start()
            await asyncio.sleep(1.0)
            quiet = await probe.stop()

            await probe.start()
            result = await _flood_joins(flood, target_id, joins, seconds)
            during_joins = await probe.stop()
            result.update(
                other_snapshot_quiet_p50_ms=quiet["p50"],
                other_snapshot_p50_ms=during_joins["p50"],
                other_snapshot_p99_ms=during_joins["p99"],
                other_snapshot_max_ms=during_joins["max"],
                other_snapshot_samples=len(probe.latencies_ms),
            )
            result.update(await _flood_reactions(flood, target_id, listener.json()["token"], reactions))

            await probe.start()
            result.update(await _half_open(base_url, half_open, half_open_wait_s))
            during_half_open = await probe.stop()
            result.update(
                other_snapshot_half_open_p99_ms=during_half_open["p99"],
                other_snapshot_failures=probe.failures,
            )
            return result
        finally:
            probe.close()


__all__ = ["run_flood"]

"""What a snapshot and a join cost the backend's event loop in a big Space.

The backend runs in this process (its store in a temporary folder, no Janus) and
is called through its ASGI app, so the numbers hold the route's JSON encoding
too: `participants` join one Space, each join timed, then the host reads the
snapshot `reads` times.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from spaces_desktop.server.app import create_app
from spaces_desktop.server.event_bus import EventBus
from spaces_desktop.server.ratelimit import Limits
from spaces_desktop.server.service import SpacesService
from spaces_desktop.server.store import Store

JOIN_SAMPLE = 200
"""The last joins timed: the ones into an almost full Space."""


async def run_snapshot(participants: int, reads: int = 200) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "spaces.sqlite3")
        try:
            service = SpacesService(store, EventBus(store), "http://spaces.bench")
            app = create_app(service, limits=Limits().scaled(0))
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://spaces.bench") as http:
                return await _measure(http, participants, reads)
        finally:
            store.close()


async def _measure(http: httpx.AsyncClient, participants: int, reads: int) -> dict[str, Any]:
    created = (await http.post("/spaces", json={"title": "Bench", "host_name": "Host"})).raise_for_status()
    space_id = created.json()["snapshot"]["space"]["id"]
    auth = {"Authorization": f"Bearer {created.json()['token']}"}
    join_ms: list[float] = []
    for n in range(participants - 1):
        started = time.perf_counter()
        answer = await http.post(f"/spaces/{space_id}/join", json={"display_name": f"Listener {n}"})
        join_ms.append((time.perf_counter() - started) * 1000)
        answer.raise_for_status()
    snapshot_ms: list[float] = []
    for _ in range(reads):
        started = time.perf_counter()
        answer = await http.get(f"/spaces/{space_id}", headers=auth)
        snapshot_ms.append((time.perf_counter() - started) * 1000)
        answer.raise_for_status()
    # A snapshot lists the stage, the caller and a first page; its counts cover everyone.
    count = int(answer.json()["counts"]["total"])
    if count != participants:
        raise RuntimeError(f"the snapshot counts {count} participants, not {participants}")
    last_joins = join_ms[-JOIN_SAMPLE:]
    return {
        "participants": count,
        "snapshot_p50_ms": round(statistics.median(snapshot_ms), 2),
        "snapshot_p95_ms": round(_percentile(snapshot_ms, 0.95), 2),
        "join_p50_ms": round(statistics.median(last_joins), 2),
        "join_p95_ms": round(_percentile(last_joins, 0.95), 2),
        "snapshot_bytes": len(answer.content),
        "snapshot_rows": len(answer.json()["participants"]),
    }


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


__all__ = ["run_snapshot"]

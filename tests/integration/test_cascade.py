"""Janus cascading on a real cluster: Redis, two backends behind HAProxy, three Janus nodes each in a
network namespace of its own on a bridge, real aiortc publisher and listeners (bench/cascade.py's peers)."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from spaces_desktop.bench.cascade import Caller, Events, Stage, Viewer, _create, _join, _node_of, _owner
from spaces_desktop.bench.cluster import Cluster, cluster

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None or shutil.which("haproxy") is None or shutil.which("janus") is None,
    reason="redis-server, haproxy and janus are needed (scripts/install-system-deps.sh)",
)

FAILOVER_LIMIT_S = 5.0


@dataclass
class Scene:
    c: Cluster
    host: Caller
    stage: Stage
    on_origin: Viewer
    on_edge: Viewer
    origin: str
    owner: str
    streams: dict[str, Events]


async def _frames_after(viewer: Viewer, after: float, count: int, timeout: float) -> float:
    """When the viewer had decoded `count` frames that arrived after `after`; fails after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        later = sorted(t for t in viewer.arrivals.values() if t > after)
        if len(later) >= count:
            return later[0]
        assert time.monotonic() < deadline, f"{len(later)} of {count} frames after {timeout} s"
        await asyncio.sleep(0.02)


async def _follow(events: Events, again: object) -> None:
    while True:
        await events.reset.wait()
        events.reset.clear()
        await again()  # type: ignore[operator]


@contextlib.asynccontextmanager
async def scene() -> AsyncIterator[Scene]:
    async with cluster(2, janus_nodes=3) as c, httpx.AsyncClient(timeout=10, trust_env=False) as http:
        host = await _create(http, c.balancer.url)
        owner, origin = _owner(c, host.space_id)
        assert owner is not None and origin is not None
        # Both listeners talk to the backend that does NOT own the Space: every media call is forwarded.
        other = next(b for b in c.backends if b.name != owner)
        first = await _join(http, host, "OnOrigin")
        second = await _join(http, host, "OnEdge")
        for caller in (first, second):
            caller.base = other.url
        streams = {x.id: Events(x) for x in (host, first, second)}
        tasks = [asyncio.create_task(e.run()) for e in streams.values()]
        stage, on_origin, on_edge = Stage(host), Viewer(first), Viewer(second)
        try:
            await stage.publish()
            await on_origin.subscribe()
            await _frames_after(on_origin, 0, 1, 20)  # a VideoRoom subscriber first: the threshold is 1
            await on_edge.subscribe()
            tasks += [
                asyncio.create_task(_follow(streams[host.id], stage.publish)),
                asyncio.create_task(_follow(streams[first.id], on_origin.subscribe)),
                asyncio.create_task(_follow(streams[second.id], on_edge.subscribe)),
            ]
            yield Scene(c, host, stage, on_origin, on_edge, origin, owner, streams)
        finally:
            for task in tasks:
                task.cancel()
            for peer in (stage, on_origin, on_edge):
                await peer.close()


async def test_a_listener_placed_on_an_edge_decodes_the_origin_publishers_video() -> None:
    async with scene() as s:
        assert s.on_origin.plugin == "VideoRoom" and _node_of(s.c, s.on_origin.node_address) == s.origin
        edge = _node_of(s.c, s.on_edge.node_address)
        assert s.on_edge.plugin == "Mountpoint"
        assert edge is not None and edge != s.origin
        since = time.monotonic()
        await _frames_after(s.on_edge, since, 30, 20)
        # The frames are the publisher's own, by the number drawn in each of them.
        got = {i for i, t in s.on_edge.arrivals.items() if t > since}
        assert got <= set(s.stage.track.sent)
        # A forged forwarding mark is refused; the lease names the origin node.
        async with httpx.AsyncClient(trust_env=False) as http:
            forged = await http.post(
                f"{s.c.backends[0].url}/spaces/{s.host.space_id}/media/unpublish",
                headers={"Authorization": f"Bearer {s.host.token}", "X-Spaces-Forwarded": "guess"},
            )
        assert forged.status_code == 403
        assert _owner(s.c, s.host.space_id) == (s.owner, s.origin)


async def test_a_dead_edges_listener_is_on_another_edge_within_five_seconds() -> None:
    async with scene() as s:
        edge = _node_of(s.c, s.on_edge.node_address)
        assert edge is not None
        await _frames_after(s.on_edge, 0, 10, 20)
        killed = time.monotonic()
        s.c.node(edge).kill()
        back = await _frames_after(s.on_edge, killed, 1, 15)
        assert back - killed <= FAILOVER_LIMIT_S
        moved_to = _node_of(s.c, s.on_edge.node_address)
        assert moved_to not in (edge, s.origin, None) and s.on_edge.plugin == "Mountpoint"
        # Only the moved listener was told to resubscribe; the stage kept publishing where it was.
        assert s.streams[s.on_edge.caller.id].resets == 1
        assert s.streams[s.host.id].resets == 0


async def test_a_dead_origins_room_is_recreated_elsewhere_and_the_stage_republishes_within_five_seconds() -> (
    None
):
    async with scene() as s:
        await _frames_after(s.on_edge, 0, 10, 20)
        killed = time.monotonic()
        s.c.node(s.origin).kill()
        back = await _frames_after(s.on_edge, killed, 1, 15)
        assert s.stage.published_at - killed <= FAILOVER_LIMIT_S
        assert back - killed <= FAILOVER_LIMIT_S
        owner, node = _owner(s.c, s.host.space_id)
        assert owner == s.owner and node not in (s.origin, None)
        await _frames_after(s.on_origin, killed, 10, 15)  # the other listener plays the new publish too


async def test_a_dead_owners_spaces_media_is_taken_over_on_the_nodes_and_plays_again() -> None:
    async with scene() as s:
        await _frames_after(s.on_edge, 0, 10, 20)
        killed = time.monotonic()
        s.c.backend(s.owner).kill()
        # Janus keeps forwarding meanwhile; when the lease runs out (6 s) the other backend re-creates
        # the room (destroying the dead owner's, which the shared room secret allows), resets the
        # Space's media and the stage republishes.
        deadline = killed + 15
        while _owner(s.c, s.host.space_id)[0] in (s.owner, None):
            assert time.monotonic() < deadline, "nobody took the Space's media over"
            await asyncio.sleep(0.05)
        taken = time.monotonic()
        assert _owner(s.c, s.host.space_id)[1] is not None
        back = await _frames_after(s.on_edge, taken, 10, 20)
        assert s.stage.published_at > taken and s.streams[s.host.id].resets >= 1
        assert back - taken <= FAILOVER_LIMIT_S

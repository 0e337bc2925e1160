"""Which edge node serves which listener, and what happens to them when a node dies (server/cascade.py)."""

from __future__ import annotations

from typing import Any, cast

import pytest

from spaces_desktop.errors import MediaServerError
from spaces_desktop.protocol import StreamView
from spaces_desktop.server.cascade import MediaRouter
from spaces_desktop.server.media import MediaListener, Room
from spaces_desktop.server.nodes import JanusNode, NodeLoads
from spaces_desktop.server.streaming import AudienceMedia

NAMES = ["j1", "j2", "j3"]


class FakeEdge:
    """Stands in for one node's AudienceMedia: records who it serves."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.available = True
        self.serving: set[int] = set()
        self.left: list[int] = []
        self.fail = False
        self.forgotten = False

    async def subscribe(
        self, room: Room, feed: int, wanted: list[tuple[int, str]]
    ) -> tuple[str, list[StreamView]]:
        if self.fail:
            raise MediaServerError("node gone")
        self.serving.add(feed)
        return f"offer from {self.name}", []

    def leave_later(self, space_id: str, feed: int) -> None:
        self.serving.discard(feed)
        self.left.append(feed)

    def forwards(self, space_id: str) -> bool:
        return bool(self.serving)

    def forget(self) -> None:
        self.forgotten = True
        self.serving.clear()


class Listener:
    def streams_changed(self, space_id: str) -> None: ...
    def talking(self, space_id: str, feed: int, talking: bool, level_dbov: float | None) -> None: ...
    def media_reset(self, space_id: str, reason: str) -> None: ...
    def feed_id_to_participant(self, feed: int) -> str | None:
        return f"p{feed}"


def make(threshold: int = 1) -> tuple[MediaRouter, dict[str, FakeEdge], list[tuple[str, int]]]:
    nodes = [JanusNode(n, f"http://10.0.0.{i}:8088/janus", f"10.0.0.{i}") for i, n in enumerate(NAMES)]
    resets: list[tuple[str, int]] = []
    router = MediaRouter(
        nodes,
        NodeLoads(NAMES, None, "b1"),
        cast(MediaListener, Listener()),
        lambda: [("space", 7)],
        lambda space, feed: resets.append((space, feed)),
        threshold=threshold,
    )
    edges = {n: FakeEdge(n) for n in NAMES}
    router.route.edges = cast(dict[str, AudienceMedia], edges)
    router._up = set(NAMES)
    router._placed["space"] = "j1"  # the origin
    return router, edges, resets


def room(subscribers: int) -> Room:
    r = Room("space", 7)
    r.subscribers = {1000 + n: cast(Any, object()) for n in range(subscribers)}
    return r


async def test_listeners_past_the_threshold_spread_over_the_edges_and_not_the_origin() -> None:
    router, edges, _ = make(threshold=1)
    r = room(1)
    assert not router.route.serves(room(0), 50)  # the first listener: the origin's VideoRoom
    offers = [(await router.route.subscribe(r, feed, [(1, "0")]))[0] for feed in (50, 51, 52, 53)]
    assert offers == ["offer from j2", "offer from j3", "offer from j2", "offer from j3"]
    assert edges["j1"].serving == set()
    assert router.loads.mine["j2"].viewers == 2 and router.route.node_of("space", 50) == "j2"
    # A resubscription stays on its edge.
    await router.route.subscribe(r, 50, [(1, "0")])
    assert router.route.node_of("space", 50) == "j2" and router.loads.mine["j2"].viewers == 2


async def test_a_dead_edges_listeners_are_told_to_resubscribe_and_land_on_the_other_edge() -> None:
    router, edges, resets = make()
    r = room(1)
    for feed in (50, 51, 52):
        await router.route.subscribe(r, feed, [(1, "0")])
    router._lost("j2")  # what the node's session reports
    assert sorted(resets) == [("space", 50), ("space", 52)]  # only j2's listeners
    assert edges["j2"].forgotten and router.loads.mine["j2"].viewers == 0
    assert router.route.node_of("space", 50) is None and router.route.node_of("space", 51) == "j3"
    offer, _ = await router.route.subscribe(room(1), 50, [(1, "0")])
    assert offer == "offer from j3"
    for task in list(router._tasks):
        task.cancel()


async def test_an_edge_that_fails_while_going_down_is_skipped_and_the_origin_serves_when_alone() -> None:
    router, edges, _ = make()
    edges["j2"].fail = True
    router._up.discard("j2")  # its session is gone, its loss not yet handled
    router.loads.set_down("j2", True)
    offer, _ = await router.route.subscribe(room(1), 50, [(1, "0")])
    assert offer == "offer from j3"
    router.loads.set_down("j3", True)
    router._up.discard("j3")
    offer, _ = await router.route.subscribe(room(1), 51, [(1, "0")])
    assert offer == "offer from j1"  # nobody else: a mountpoint on the origin itself
    edges["j1"].fail = True
    with pytest.raises(MediaServerError):
        await router.route.subscribe(room(1), 51, [(1, "0")])  # the origin answered: its refusal stands

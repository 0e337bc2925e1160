"""Several Janus nodes: each Space's room on an origin node, its listeners spread over edge nodes.

`MediaRouter` is the MediaPort the Spaces service drives when `serve` has
`--janus-node`s: one MediaService (one Janus session) per node, and each Space's
calls go to the node that holds its room, placed by load (server/nodes.py) and
recorded in the Space's media lease (`janus` field). `EdgeRoute` is that
service's AudienceRoute: past the audience threshold a listener watches a
Streaming mountpoint on an edge node, fed by `rtp_forward` from the origin room
(server/streaming.py, one AudienceMedia per node, its RTP sent to the node's
media address). The client cannot tell: the backend relays the same SDP on the
same routes, the offer names the same participants and sources.

Cascading uses `rtp_forward` into Streaming rather than VideoRoom remote
publishers: Debian's Janus 1.1.2 accepts `add_remote_publisher` but has no
`list_remotes`, so a dead remote could not be cleaned up or checked, while the
Streaming path is already measured on one node and keeps edge threads cheap.

Failures, noticed by the node's Janus session: its long-poll fails at once when
Janus dies and the machine answers with a reset; a node gone off the network
sends nothing, so a keepalive every HEARTBEAT_S that goes unanswered twice
abandons the session (within about 2.4 s):
- an edge dies → its listeners are forgotten there and each gets a `media_reset`
  of their own; their next subscribe lands on another live edge;
- an origin dies → its rooms are opened on another live node, the lease records
  the new node, and the Space gets a `media_reset` so publishers republish.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from spaces_desktop.errors import MediaServerError
from spaces_desktop.protocol import StreamView
from spaces_desktop.server.janus_client import JanusSession, JsonDict
from spaces_desktop.server.media import FeedStream, MediaListener, MediaService, Room
from spaces_desktop.server.media_lease import MediaLeases
from spaces_desktop.server.nodes import JanusNode, NodeLoads
from spaces_desktop.server.streaming import DEFAULT_THRESHOLD, AudienceMedia

log = logging.getLogger(__name__)

REVIVE_EVERY_S = 1.0
"""How often a node that was down at start is tried again."""
LOAD_EVERY_S = 2.0
HEARTBEAT_S = 0.4
HEARTBEAT_TIMEOUT_S = 0.8
HEARTBEAT_MISSES = 2
"""A node whose session misses this many keepalives in a row is gone (≈2.4 s at worst)."""
ORIGIN_MOVED = "The media server of this Space moved to another machine; publish and subscribe again."
EDGE_GONE = "Your media server went away; subscribe again."

ResetOne = Callable[[str, int], None]
"""Tells one participant (space id, feed) to subscribe again."""


class _EdgeSide:
    """What a node's AudienceMedia needs: that node's session, and the origin's room of the Space."""

    def __init__(self, router: MediaRouter, node: str) -> None:
        self._router = router
        self._node = node

    @property
    def session(self) -> JanusSession:
        return self._router.service(self._node).session

    def room(self, space_id: str) -> Room:
        return self._router.origin(space_id).room(space_id)


class EdgeRoute:
    """Which edge node serves which listener (an AudienceRoute over one AudienceMedia per node)."""

    def __init__(self, router: MediaRouter, threshold: int, reset_one: ResetOne) -> None:
        self._router = router
        self.threshold = threshold
        self._reset_one = reset_one
        self.edges: dict[str, AudienceMedia] = {}
        self._at: dict[tuple[str, int], str] = {}
        """(space, feed) -> the node whose mountpoint the listener watches (or was offered)."""

    def serves(self, room: Room, feed: int) -> bool:
        if feed in room.publishers:
            return False  # on stage: the origin VideoRoom, hearing everyone but themselves
        if (room.space_id, feed) in self._at:
            return True
        if feed in room.subscribers or feed in room.pending:
            return False
        return len(room.subscribers.keys() | room.pending.keys()) >= self.threshold

    def watching(self, space_id: str, feed: int) -> bool:
        node = self._at.get((space_id, feed))
        return node is not None and self.edges[node].watching(space_id, feed)

    def forwards(self, space_id: str) -> bool:
        """Whether a mountpoint on some node is fed from this Space now (it carries every layer)."""
        return any(edge.forwards(space_id) for edge in self.edges.values())

    def node_of(self, space_id: str, feed: int) -> str | None:
        return self._at.get((space_id, feed))

    async def subscribe(
        self, room: Room, feed: int, wanted: list[tuple[int, str]]
    ) -> tuple[str, list[StreamView]]:
        key = (room.space_id, feed)
        origin = self._router.placed(room.space_id)
        tried: set[str] = set()
        last: MediaServerError | None = None
        for _ in range(len(self.edges)):
            node = self._at.get(key)
            if node is None or node in tried or node not in self._router.loads.live():
                node = self._pick(origin, tried)
            if node is None:
                break
            tried.add(node)
            try:
                result = await self.edges[node].subscribe(room, feed, wanted)
            except MediaServerError as exc:
                if self._router.is_up(node):
                    raise  # the edge answered: a real refusal (stream gone, room rebuilt)
                last = exc
                continue
            self._move(key, node)
            return result
        raise last or MediaServerError("No media server can take listeners now; try again in a moment.")

    def _pick(self, origin: str | None, tried: set[str]) -> str | None:
        """The least-busy live edge; the origin itself only when no other node is up."""
        skip = {*tried, *(n for n, edge in self.edges.items() if not edge.available)}
        node = self._router.loads.pick("edge", exclude={*skip, *([origin] if origin else [])})
        if node is None and origin is not None and origin not in skip and self._router.is_up(origin):
            node = origin
        return node

    def _move(self, key: tuple[str, int], node: str) -> None:
        old = self._at.get(key)
        if old == node:
            return
        if old is not None:
            self.edges[old].leave_later(*key)
            self._router.loads.mine[old].viewers -= 1
        self._at[key] = node
        self._router.loads.mine[node].viewers += 1

    def _forget(self, key: tuple[str, int]) -> str | None:
        node = self._at.pop(key, None)
        if node is not None:
            self._router.loads.mine[node].viewers -= 1
        return node

    async def start(self, space_id: str, feed: int, answer_sdp: str) -> None:
        node = self._at[(space_id, feed)]
        await self.edges[node].start(space_id, feed, answer_sdp)

    async def trickle(self, space_id: str, feed: int, candidates: list[JsonDict], completed: bool) -> bool:
        node = self._at.get((space_id, feed))
        return node is not None and await self.edges[node].trickle(space_id, feed, candidates, completed)

    def leave_later(self, space_id: str, feed: int) -> None:
        node = self._forget((space_id, feed))
        if node is not None:
            self.edges[node].leave_later(space_id, feed)

    async def unsubscribe(self, space_id: str, feed: int) -> None:
        node = self._forget((space_id, feed))
        if node is not None:
            with contextlib.suppress(MediaServerError):
                await self.edges[node].unsubscribe(space_id, feed)

    async def close_room(self, space_id: str) -> None:
        for key in [k for k in self._at if k[0] == space_id]:
            self._forget(key)
        for edge in self.edges.values():
            with contextlib.suppress(MediaServerError):
                await edge.close_room(space_id)

    def edge_lost(self, node: str) -> None:
        """The node's Janus is gone, and every mountpoint and viewer on it: its listeners move."""
        self.edges[node].forget()
        for space_id, feed in [k for k, n in self._at.items() if n == node]:
            self._forget((space_id, feed))
            self._reset_one(space_id, feed)


class MediaRouter:
    """The MediaPort over several Janus nodes (see the module docstring)."""

    def __init__(
        self,
        nodes: list[JanusNode],
        loads: NodeLoads,
        listener: MediaListener,
        owned_rooms: Callable[[], list[tuple[str, int]]],
        reset_one: ResetOne,
        leases: MediaLeases | None = None,
        threshold: int = DEFAULT_THRESHOLD,
        room_secret: Callable[[int], str] | None = None,
    ) -> None:
        self.nodes = {n.name: n for n in nodes}
        self.loads = loads
        self._listener = listener
        self._owned_rooms = owned_rooms
        self._leases = leases
        self._placed: dict[str, str] = {}
        self._up: set[str] = set()
        self._services: dict[str, MediaService] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        self.route = EdgeRoute(self, threshold, reset_one)
        self.moves = 0
        for node in nodes:
            service = MediaService(
                janus_url=lambda n=node: n.url,  # type: ignore[misc]
                janus_secret=lambda n=node: n.secret,  # type: ignore[misc]
                listener=listener,
                live_rooms=lambda name=node.name: self._rooms_on(name),  # type: ignore[misc]
                room_admin_key=lambda n=node: n.admin_key,  # type: ignore[misc]
                room_secret=room_secret,
            )
            service.on_lost = lambda name=node.name: self._lost(name)
            service.audience = self.route
            self._services[node.name] = service
            self.route.edges[node.name] = AudienceMedia(
                _EdgeSide(self, node.name),
                listener.feed_id_to_participant,
                threshold=threshold,
                admin_key=lambda n=node: n.admin_key,  # type: ignore[misc]
                forward_host=node.media_address,
                origin_admin_key=lambda room: self._origin_admin_key(room.space_id),
            )

    # --- nodes ---

    def service(self, node: str) -> MediaService:
        return self._services[node]

    def is_up(self, node: str) -> bool:
        return node in self._up

    def placed(self, space_id: str) -> str | None:
        return self._placed.get(space_id)

    def origin(self, space_id: str) -> MediaService:
        node = self._placed.get(space_id)
        if node is None:
            raise MediaServerError("This Space's media room is being set up; try again in a moment.")
        return self._services[node]

    def _origin_admin_key(self, space_id: str) -> str | None:
        node = self._placed.get(space_id)
        return self.nodes[node].admin_key if node else None

    def _rooms_on(self, node: str) -> list[tuple[str, int]]:
        # MediaService asks this right after (re)connecting: the node answers again.
        if node not in self._up:
            self._up.add(node)
            self.loads.set_down(node, False)
            log.info("Janus node %s is up", node)
        return [(s, r) for s, r in self._owned_rooms() if self._placed.get(s) == node]

    async def start(self) -> None:
        for name, service in self._services.items():
            try:
                await service.start()
            except MediaServerError as exc:
                log.warning("Janus node %s does not answer (%s); trying again", name, exc.detail)
                self.loads.set_down(name, True)
                self._spawn(self._revive(name))
        self._spawn(self._publish_loads())
        for name in self._services:
            self._spawn(self._heartbeat(name))
        for space_id, room_id in self._owned_rooms():
            try:
                await self.open_room(space_id, room_id)
            except MediaServerError:  # no node up yet: opened when a client's next call finds none
                log.warning("Could not open the room of Space %s at start", space_id)

    async def close(self) -> None:
        self._closed = True
        for task in self._tasks:
            task.cancel()
        for service in self._services.values():
            await service.close()

    async def _revive(self, name: str) -> None:
        while not self._closed and name not in self._up:
            await asyncio.sleep(REVIVE_EVERY_S)
            with contextlib.suppress(MediaServerError):
                await self._services[name].start()

    async def _heartbeat(self, name: str) -> None:
        misses = 0
        while not self._closed:
            await asyncio.sleep(HEARTBEAT_S)
            try:
                session = self._services[name].session
            except MediaServerError:
                misses = 0
                continue  # not connected: its MediaService is reconnecting
            try:
                await asyncio.wait_for(session.post({"janus": "keepalive"}), HEARTBEAT_TIMEOUT_S)
                misses = 0
            except (MediaServerError, TimeoutError):
                misses += 1
                if misses >= HEARTBEAT_MISSES and session.alive:
                    session.abandon(f"{misses} keepalives unanswered")
                    misses = 0

    async def _publish_loads(self) -> None:
        while not self._closed:
            await asyncio.to_thread(self.loads.publish)
            await asyncio.sleep(LOAD_EVERY_S)

    def _lost(self, name: str) -> None:
        if self._closed:
            return
        log.warning("Janus node %s is gone; moving its rooms and listeners", name)
        self._up.discard(name)
        self.loads.set_down(name, True)
        self.route.edge_lost(name)
        self._spawn(self._move_rooms(name))

    async def _move_rooms(self, dead: str) -> None:
        for space_id, room_id in self._owned_rooms():
            if self._placed.get(space_id) != dead:
                continue
            target = self.loads.pick("origin", exclude={dead, *(n for n in self.nodes if n not in self._up)})
            if target is None:
                log.warning("No other Janus node is up; Space %s waits for %s to return", space_id, dead)
                continue
            self._unplace(space_id)
            await self.route.close_room(space_id)  # mountpoints fed by the dead room carry nothing now
            try:
                await self._open_on(target, space_id, room_id)
            except MediaServerError:
                log.exception("Could not move the room of Space %s to %s", space_id, target)
                continue
            self.moves += 1
            self._listener.media_reset(space_id, ORIGIN_MOVED)

    def _spawn(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- MediaPort ---

    def streams(self, space_id: str) -> list[FeedStream]:
        node = self._placed.get(space_id)
        return self._services[node].streams(space_id) if node else []

    async def open_room(self, space_id: str, room_id: int) -> None:
        if space_id in self._placed:
            return
        down: set[str] = set()
        for _ in range(len(self.nodes)):
            target = self.loads.pick("origin", exclude={*down, *(n for n in self.nodes if n not in self._up)})
            if target is None:
                break
            try:
                await self._open_on(target, space_id, room_id)
                return
            except MediaServerError:
                if self.is_up(target):
                    raise
                down.add(target)
        raise MediaServerError("No media server is up; try again in a moment.")

    async def _open_on(self, node: str, space_id: str, room_id: int) -> None:
        self._placed[space_id] = node
        self.loads.mine[node].rooms += 1
        try:
            await self._services[node].open_room(space_id, room_id)
        except BaseException:
            self._unplace(space_id)
            raise
        if self._leases is not None:
            with contextlib.suppress(Exception):  # the lease itself is renewed elsewhere
                await asyncio.to_thread(self._leases.place, space_id, node)
        log.info("Space %s placed on Janus node %s", space_id, node)

    def _unplace(self, space_id: str) -> None:
        node = self._placed.pop(space_id, None)
        if node is not None:
            self.loads.mine[node].rooms -= 1

    async def close_room(self, space_id: str) -> None:
        node = self._placed.get(space_id)
        if node is None:
            return
        self._unplace(space_id)
        await self._services[node].close_room(space_id)

    async def publish(self, space_id: str, feed: int, offer_sdp: str, allow_video: bool, muted: bool) -> str:
        return await self.origin(space_id).publish(space_id, feed, offer_sdp, allow_video, muted)

    async def unpublish(self, space_id: str, feed: int) -> bool:
        node = self._placed.get(space_id)
        return await self._services[node].unpublish(space_id, feed) if node else False

    async def moderate(self, space_id: str, feed: int, mute: bool) -> None:
        node = self._placed.get(space_id)
        if node is not None:
            await self._services[node].moderate(space_id, feed, mute)

    async def kick(self, space_id: str, feed: int) -> None:
        node = self._placed.get(space_id)
        if node is not None:
            await self._services[node].kick(space_id, feed)
        else:
            await self.route.unsubscribe(space_id, feed)

    async def subscribe(
        self, space_id: str, feed: int, choices: list[tuple[int, str]] | None
    ) -> tuple[str, list[StreamView]]:
        return await self.origin(space_id).subscribe(space_id, feed, choices)

    async def start_subscription(self, space_id: str, feed: int, answer_sdp: str) -> None:
        await self.origin(space_id).start_subscription(space_id, feed, answer_sdp)

    async def switch(self, space_id: str, feed: int, changes: list[tuple[str, int, str]]) -> list[StreamView]:
        return await self.origin(space_id).switch(space_id, feed, changes)

    async def unsubscribe(self, space_id: str, feed: int) -> None:
        node = self._placed.get(space_id)
        if node is not None:
            await self._services[node].unsubscribe(space_id, feed)
        else:
            await self.route.unsubscribe(space_id, feed)

    async def trickle(
        self, space_id: str, feed: int, target: str, candidates: list[dict[str, Any]], completed: bool
    ) -> None:
        await self.origin(space_id).trickle(space_id, feed, target, candidates, completed)


__all__ = ["EdgeRoute", "MediaRouter"]

"""Media for big audiences: past a per-room number of VideoRoom subscribers, listeners
watch a Janus Streaming mountpoint fed by VideoRoom `rtp_forward` of the stage.

Janus 1.1's VideoRoom relays every packet of a publisher to all its subscribers on
that publisher's thread; the Streaming plugin spreads viewers over helper threads.
A listener cannot tell the two apart: the backend still relays the SDP on the same
routes, and the offer's streams carry the same participant, kind and source.

One mountpoint per Space holds every stage stream (multistream, one m-line each).
Janus cannot add streams to a mountpoint, so when the stage changes (a speaker
comes or goes, a camera is published) the next listener to subscribe builds a new
one; listeners move to it as they resubscribe (make before break), and the old
one is destroyed a grace period later. Mountpoints are private, pinned and locked
with secrets only this backend knows; their RTP ports listen on loopback only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol

from spaces_desktop.errors import Conflict, InvalidInput, MediaServerError
from spaces_desktop.protocol import StreamView
from spaces_desktop.server.janus_client import JanusError, JanusHandle, JanusSession, JsonDict
from spaces_desktop.server.media import (
    JANUS_SDP_ERRORS,
    PENDING_SUBSCRIPTION_S,
    RETIRE_GRACE_S,
    RETIRE_MAX_S,
    UNUSABLE_ANSWER,
    FeedStream,
    Room,
)
from spaces_desktop.server.sdp import parse_media_lines

log = logging.getLogger(__name__)

STREAMING = "janus.plugin.streaming"
DEFAULT_THRESHOLD = 50
"""VideoRoom subscribers per room before listeners go to the mountpoint (see docs/README)."""
HELPER_THREADS = 2
MOUNTPOINT_GRACE_S = 15.0  # a replaced mountpoint serves this long, while listeners resubscribe
FORWARD_HOST = "127.0.0.1"
OPUS_PT = 111
VIDEO_PT = {"vp8": 96, "h264": 126}
H264_FMTP = "profile-level-id=42e01f;packetization-mode=1"

Signature = tuple[tuple[int, int, str, str, str], ...]
"""(feed, publisher handle, mid, kind, codec) of every stage stream: a republish is a change."""


class MediaSide(Protocol):
    """Where mountpoints live (`session`) and where the Space's room is (`room`): the same
    MediaService on one node; an edge node's session and the origin's room when cascading."""

    @property
    def session(self) -> JanusSession: ...

    def room(self, space_id: str) -> Room: ...


@dataclass
class Mountpoint:
    room: Room
    signature: Signature
    id: int = 0
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    pin: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    mids: dict[tuple[int, str], str] = field(default_factory=dict)
    """(feed, publisher mid) -> the mountpoint's mid for it."""
    streams: dict[str, FeedStream] = field(default_factory=dict)
    forwarders: list[tuple[int, int]] = field(default_factory=list)
    """(feed, stream_id) of the rtp_forwards feeding it."""


@dataclass
class Viewer:
    space_id: str
    feed: int
    handle: JanusHandle
    mountpoint: Mountpoint
    up: bool = False


@dataclass
class Audience:
    """The Streaming side of one Space."""

    mountpoint: Mountpoint | None = None
    building: asyncio.Lock = field(default_factory=asyncio.Lock)
    pending: dict[int, Viewer] = field(default_factory=dict)
    viewers: dict[int, Viewer] = field(default_factory=dict)
    retiring: dict[int, list[Viewer]] = field(default_factory=dict)


class AudienceMedia:
    """Decides which listeners watch a mountpoint, and serves them (on the backend's loop)."""

    def __init__(
        self,
        media: MediaSide,
        participant_of: Callable[[int], str | None],
        threshold: int = DEFAULT_THRESHOLD,
        admin_key: Callable[[], str | None] = lambda: None,
        threads: int = HELPER_THREADS,
        forward_host: str = FORWARD_HOST,
        origin_admin_key: Callable[[Room], str | None] | None = None,
    ) -> None:
        self._media = media
        self.forward_host = forward_host
        """Where the origin sends RTP to this node's mountpoints (they bind there): loopback on one node."""
        self._origin_admin_key = origin_admin_key or (lambda room: admin_key())
        self._participant_of = participant_of
        self.threshold = threshold
        self._admin_key = admin_key
        self._threads = threads
        self._spaces: dict[str, Audience] = {}
        self._control: JanusHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.available = True  # False once Janus turned out to have no Streaming plugin

    # --- routing ---

    def serves(self, room: Room, feed: int) -> bool:
        """Whether this subscription goes to the mountpoint rather than the VideoRoom."""
        if not self.available or feed in room.publishers:
            return False  # people on stage hear everyone but themselves: VideoRoom only
        audience = self._spaces.get(room.space_id)
        if audience is not None and (feed in audience.viewers or feed in audience.pending):
            return True  # stays where it is: no flapping around the threshold
        if feed in room.subscribers or feed in room.pending:
            return False
        return len(room.subscribers.keys() | room.pending.keys()) >= self.threshold

    def forwards(self, space_id: str) -> bool:
        """Whether a mountpoint of this Space is fed now: it forwards every layer of the stage."""
        audience = self._spaces.get(space_id)
        return audience is not None and bool(audience.viewers or audience.pending)

    def watching(self, space_id: str, feed: int) -> bool:
        """Whether the listener's newest offer came from a mountpoint (its answer goes there)."""
        audience = self._spaces.get(space_id)
        return audience is not None and feed in audience.pending

    # --- subscribing ---

    async def subscribe(
        self, room: Room, feed: int, wanted: list[tuple[int, str]]
    ) -> tuple[str, list[StreamView]]:
        """Offers the mountpoint's streams among `wanted` to the listener; the answer goes to `start`."""
        audience = self._spaces.setdefault(room.space_id, Audience())
        mountpoint = await self._current(room, audience)
        mids = [mountpoint.mids[w] for w in wanted if w in mountpoint.mids]
        if not mids:
            raise Conflict("A stream ended while subscribing; subscribe again.", code="stream_gone")
        handle = await self._media.session.attach(STREAMING, lambda event: self._on_event(audience, event))
        try:
            _, offer = await handle.message(
                {"request": "watch", "id": mountpoint.id, "pin": mountpoint.pin, "media": mids}, timeout=15
            )
            if offer is None:
                raise MediaServerError("The media server offered no media for this subscription.")
        except BaseException:
            self._detach_soon(handle)
            raise
        if self._media.room(room.space_id) is not room:  # closed or rebuilt meanwhile
            self._detach_soon(handle)
            raise MediaServerError("This Space's media room is being set up; try again in a moment.")
        self._drop(audience.pending.pop(feed, None))
        viewer = Viewer(room.space_id, feed, handle, mountpoint)
        audience.pending[feed] = viewer
        asyncio.get_running_loop().call_later(PENDING_SUBSCRIPTION_S, self._expire, audience, viewer)
        views = []
        for mid in mids:
            stream = mountpoint.streams[mid]
            participant = self._participant_of(stream.feed)
            if participant is not None:
                views.append(
                    StreamView(
                        participant_id=participant,
                        mid=mid,
                        kind=stream.kind,
                        source=stream.source,
                        layer=stream.layer,
                    )
                )
        return str(offer["sdp"]), views

    async def start(self, space_id: str, feed: int, answer_sdp: str) -> None:
        parse_media_lines(answer_sdp)
        audience = self._spaces.get(space_id)
        viewer = audience.pending.pop(feed, None) if audience else None
        if audience is None or viewer is None:
            raise Conflict("Subscribe first, then send the answer.", code="not_subscribed")
        try:
            await viewer.handle.message({"request": "start"}, {"type": "answer", "sdp": answer_sdp})
        except JanusError as exc:
            if exc.janus_code in JANUS_SDP_ERRORS:
                audience.pending.setdefault(feed, viewer)  # a corrected answer may follow
                raise InvalidInput(UNUSABLE_ANSWER, code="invalid_sdp", detail=exc.detail) from exc
            self._drop(viewer)
            raise
        except MediaServerError:
            self._drop(viewer)
            raise
        if self._spaces.get(space_id) is not audience:
            self._drop(viewer)
            raise MediaServerError("This Space's media room is being set up; subscribe again.")
        old = audience.viewers.get(feed)
        audience.viewers[feed] = viewer
        if old is not None and old is not viewer:
            # Make before break: the old one plays until the new one is up, then a little longer.
            audience.retiring.setdefault(feed, []).append(old)
            self._retire_later(audience, old, RETIRE_GRACE_S if viewer.up else RETIRE_MAX_S)

    async def trickle(self, space_id: str, feed: int, candidates: list[JsonDict], completed: bool) -> bool:
        audience = self._spaces.get(space_id)
        viewer = (audience.pending.get(feed) or audience.viewers.get(feed)) if audience else None
        if viewer is None:
            return False
        await viewer.handle.trickle(candidates, completed)
        return True

    def leave_later(self, space_id: str, feed: int) -> None:
        """The listener moved to the VideoRoom (it went on stage): its mountpoint view ends soon."""
        audience = self._spaces.get(space_id)
        if audience is None:
            return
        self._drop(audience.pending.pop(feed, None))
        viewer = audience.viewers.pop(feed, None)
        if viewer is not None:
            audience.retiring.setdefault(feed, []).append(viewer)
            self._retire_later(audience, viewer, RETIRE_MAX_S)

    async def unsubscribe(self, space_id: str, feed: int) -> None:
        audience = self._spaces.get(space_id)
        if audience is None:
            return
        for viewer in [audience.pending.pop(feed, None), audience.viewers.pop(feed, None)]:
            if viewer is not None:
                await viewer.handle.detach()
        for viewer in audience.retiring.pop(feed, []):
            await viewer.handle.detach()

    def forget(self) -> None:
        """This node's Janus died, and its mountpoints and viewers with it: only the origin's
        forwards into them are left to stop (destroying the mountpoint itself fails quietly)."""
        for audience in self._spaces.values():
            if audience.mountpoint is not None:
                self._later(0.0, self._destroy(audience.mountpoint))
        self._spaces.clear()
        self._control = None

    async def close_room(self, space_id: str) -> None:
        audience = self._spaces.pop(space_id, None)
        if audience is None:
            return
        viewers = [*audience.pending.values(), *audience.viewers.values()]
        viewers += [v for retiring in audience.retiring.values() for v in retiring]
        for viewer in viewers:
            await viewer.handle.detach()
        if audience.mountpoint is not None:
            await self._destroy(audience.mountpoint)

    # --- mountpoints ---

    async def _current(self, room: Room, audience: Audience) -> Mountpoint:
        """The mountpoint carrying the stage as it is now, built if the stage changed."""
        async with audience.building:
            signature = _signature(room)
            current = audience.mountpoint
            if current is not None and current.room is room and current.signature == signature:
                return current
            mountpoint = await self._build(room, signature)
            audience.mountpoint = mountpoint
            if current is not None:
                self._later(MOUNTPOINT_GRACE_S, self._destroy(current))
            return mountpoint

    async def _build(self, room: Room, signature: Signature) -> Mountpoint:
        mountpoint = Mountpoint(room, signature)
        media: list[JsonDict] = []
        for index, (feed, _, mid, kind, codec) in enumerate(signature):
            ours = f"{kind[0]}{index}"
            mountpoint.mids[(feed, mid)] = ours
            stream = next(s for s in room.streams.get(feed, []) if s.mid == mid)
            mountpoint.streams[ours] = stream
            entry: JsonDict = {"type": kind, "mid": ours, "port": 0, "iface": self.forward_host}
            if kind == "audio":
                entry |= {"pt": OPUS_PT, "codec": "opus"}
            else:
                entry |= {"pt": VIDEO_PT[codec], "codec": codec, "rtcpport": 0, "bufferkf": True}
                if codec == "h264":
                    entry["fmtp"] = H264_FMTP
            media.append(entry)
        admin_key = self._admin_key()
        try:
            control = await self._control_handle()
            reply = await control.request(
                {
                    "request": "create",
                    "type": "rtp",
                    "description": "space",  # nothing that names the Space
                    "is_private": True,
                    "secret": mountpoint.secret,
                    "pin": mountpoint.pin,
                    "threads": self._threads,
                    "media": media,
                    **({"admin_key": admin_key} if admin_key else {}),
                }
            )
        except JanusError:
            # No Streaming plugin, or one locked with another key (an external Janus):
            # every listener gets the VideoRoom, as before.
            log.exception("Janus would not create a mountpoint; listeners stay on the VideoRoom")
            self.available = False
            raise
        mountpoint.id = int(reply["stream"]["id"])
        ports = {str(p["mid"]): p for p in reply["stream"].get("ports", [])}
        try:
            await self._forward(room, mountpoint, ports)
        except MediaServerError:
            await self._destroy(mountpoint)
            raise
        log.info("Mountpoint %s serves room %s (%d streams)", mountpoint.id, room.room_id, len(media))
        return mountpoint

    async def _forward(self, room: Room, mountpoint: Mountpoint, ports: dict[str, JsonDict]) -> None:
        if room.monitor is None:
            raise MediaServerError("This Space's media room is being set up; try again in a moment.")
        admin_key = self._origin_admin_key(room)
        by_feed: dict[int, list[JsonDict]] = {}
        for (feed, mid), ours in mountpoint.mids.items():
            port = ports[ours]
            stream = mountpoint.streams[ours]
            forward: JsonDict = {"mid": mid, "port": int(port["port"])}
            if stream.kind == "audio":
                forward["pt"] = OPUS_PT
            else:
                forward["pt"] = VIDEO_PT[stream.codec or "vp8"]
                if port.get("rtcp_port"):  # keyframe requests of new viewers reach the publisher
                    forward["rtcp_port"] = int(port["rtcp_port"])
            by_feed.setdefault(feed, []).append(forward)
        for feed, streams in by_feed.items():
            reply = await room.monitor.request(
                {
                    "request": "rtp_forward",
                    "room": room.room_id,
                    "publisher_id": feed,
                    "secret": room.secret,
                    "host": self.forward_host,
                    "host_family": "ipv4",
                    "streams": streams,
                    **({"admin_key": admin_key} if admin_key else {}),
                }
            )
            mountpoint.forwarders += [(feed, int(f["stream_id"])) for f in reply.get("forwarders", [])]

    async def _destroy(self, mountpoint: Mountpoint) -> None:
        room = mountpoint.room
        if room.monitor is not None:
            for feed, stream_id in mountpoint.forwarders:
                with contextlib.suppress(MediaServerError):  # the publisher may have left, and its forwards
                    await room.monitor.request(
                        {
                            "request": "stop_rtp_forward",
                            "room": room.room_id,
                            "publisher_id": feed,
                            "stream_id": stream_id,
                            "secret": room.secret,
                            **({"admin_key": key} if (key := self._origin_admin_key(room)) else {}),
                        }
                    )
        with contextlib.suppress(MediaServerError):  # Janus restarted: it is gone already
            control = await self._control_handle()
            await control.request({"request": "destroy", "id": mountpoint.id, "secret": mountpoint.secret})

    async def _control_handle(self) -> JanusHandle:
        session = self._media.session
        if self._control is None or self._control.session is not session:
            self._control = await session.attach(STREAMING)
        return self._control

    # --- viewers ---

    def _on_event(self, audience: Audience, event: JsonDict) -> None:
        if event.get("janus") != "webrtcup":
            return
        sender = int(event.get("sender", 0) or 0)
        viewer = next((v for v in audience.viewers.values() if v.handle.id == sender), None)
        viewer = viewer or next((v for v in audience.pending.values() if v.handle.id == sender), None)
        if viewer is None:
            return
        viewer.up = True
        for old in audience.retiring.get(viewer.feed, []):
            self._retire_later(audience, old, RETIRE_GRACE_S)

    def _retire_later(self, audience: Audience, viewer: Viewer, delay: float) -> None:
        def retire() -> None:
            retiring = audience.retiring.get(viewer.feed, [])
            if viewer in retiring:
                retiring.remove(viewer)
                self._drop(viewer)

        asyncio.get_running_loop().call_later(delay, retire)

    def _expire(self, audience: Audience, viewer: Viewer) -> None:
        if audience.pending.get(viewer.feed) is viewer:
            del audience.pending[viewer.feed]
            self._drop(viewer)

    def _drop(self, viewer: Viewer | None) -> None:
        if viewer is not None:
            self._detach_soon(viewer.handle)

    def _detach_soon(self, handle: JanusHandle) -> None:
        self._later(0.0, handle.detach())

    def _later(self, delay: float, work: Coroutine[Any, Any, None]) -> None:
        async def run() -> None:
            await asyncio.sleep(delay)
            await work

        task = asyncio.get_running_loop().create_task(run(), name="audience-cleanup")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _signature(room: Room) -> Signature:
    streams = []
    for feed, handle in sorted(room.publishers.items()):
        for stream in room.streams.get(feed, []):
            codec = (stream.codec or "vp8") if stream.kind == "video" else "opus"
            if codec in VIDEO_PT or stream.kind == "audio":
                streams.append((feed, handle.id, stream.mid, stream.kind, codec))
    return tuple(streams)


__all__ = ["DEFAULT_THRESHOLD", "AudienceMedia"]

"""Fakes for unit seams: the media side of the backend, and the client's media transport.

Each implements the Protocol its real counterpart meets (mypy checks it where the
fake is handed over), keeps what it was asked in `calls`, and can hold any call
open with `hold(name)`: the test then runs something else while that await is
pending and lets it go with `Hold.release()`, so races are interleaved by the test,
never by timing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import av
import numpy as np
from aiortc import MediaStreamTrack, RTCIceServer
from aiortc.mediastreams import MediaStreamError

from spaces_desktop.domain import CameraSource
from spaces_desktop.errors import MediaServerError
from spaces_desktop.protocol import StreamView, SubscribeOffer
from spaces_desktop.server.media import FeedStream
from spaces_desktop.transport.ports import OnDead, OnTrack, RequestOffer, SendAnswer, SendOffer
from spaces_desktop.transport.publisher import PublishTracks
from spaces_desktop.transport.stats import InboundSample, TransportStats

HOLD_S = 5.0
"""A held call waits at most this long: a test that forgets to release fails instead of hanging."""


@dataclass
class Hold:
    """One held call: `entered` is set when the call reaches the hold, `release()` lets it go on."""

    name: str
    entered: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)
    error: BaseException | None = None

    def release(self, error: BaseException | None = None) -> None:
        """Lets the held call go on, or fail with `error` (as Janus refusing or dropping it)."""
        self.error = error
        self.released.set()

    async def wait_entered(self) -> None:
        await asyncio.wait_for(self.entered.wait(), HOLD_S)


class Holds:
    """Named holds; each `hold(name)` catches the next call of that name."""

    def __init__(self) -> None:
        self._waiting: dict[str, list[Hold]] = {}
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def hold(self, name: str) -> Hold:
        hold = Hold(name)
        self._waiting.setdefault(name, []).append(hold)
        return hold

    async def checkpoint(self, name: str, *args: Any) -> None:
        self.calls.append((name, args))
        waiting = self._waiting.get(name)
        if not waiting:
            return
        hold = waiting.pop(0)
        hold.entered.set()
        await asyncio.wait_for(hold.released.wait(), HOLD_S)
        if hold.error is not None:
            raise hold.error

    def called(self, name: str) -> list[tuple[Any, ...]]:
        return [args for called, args in self.calls if called == name]


# --- the backend's media side (server/media_port.py) ---


class FakeMedia(Holds):
    """`MediaPort` in memory, as Janus would keep it: one publish per feed, streams per room.

    `published[space_id][feed]` is the feed's muted flag as Janus would enforce it.
    A publish lists an audio stream (mid "0") and, if the offer has video, a camera (mid "1").
    """

    def __init__(self) -> None:
        super().__init__()
        self.rooms: dict[str, int] = {}
        self.published: dict[str, dict[int, bool]] = {}
        self._video: dict[tuple[str, int], bool] = {}
        self.subscriptions: dict[str, dict[int, list[tuple[int, str]]]] = {}

    def streams(self, space_id: str) -> list[FeedStream]:
        listed: list[FeedStream] = []
        for feed in self.published.get(space_id, {}):
            listed.append(FeedStream(feed, "0", "audio", None))
            if self._video.get((space_id, feed)):
                listed.append(FeedStream(feed, "1", "video", CameraSource.MAIN))
        return listed

    async def open_room(self, space_id: str, room_id: int) -> None:
        await self.checkpoint("open_room", space_id, room_id)
        self.rooms[space_id] = room_id

    async def close_room(self, space_id: str) -> None:
        await self.checkpoint("close_room", space_id)
        self.rooms.pop(space_id, None)
        self.published.pop(space_id, None)

    async def publish(self, space_id: str, feed: int, offer_sdp: str, allow_video: bool, muted: bool) -> str:
        self.published.get(space_id, {}).pop(feed, None)  # Janus replaces the feed's earlier publish
        await self.checkpoint("publish", space_id, feed, muted)  # attach, join, publish
        if space_id not in self.rooms:
            raise MediaServerError("This Space's media room is being set up; try again in a moment.")
        self.published.setdefault(space_id, {})[feed] = muted
        self._video[(space_id, feed)] = allow_video and "m=video" in offer_sdp
        return f"answer for {feed}"

    async def unpublish(self, space_id: str, feed: int) -> bool:
        await self.checkpoint("unpublish", space_id, feed)
        return self.published.get(space_id, {}).pop(feed, None) is not None

    async def moderate(self, space_id: str, feed: int, mute: bool) -> None:
        await self.checkpoint("moderate", space_id, feed, mute)
        feeds = self.published.get(space_id, {})
        if feed in feeds:
            feeds[feed] = mute

    async def kick(self, space_id: str, feed: int) -> None:
        await self.checkpoint("kick", space_id, feed)
        self.published.get(space_id, {}).pop(feed, None)
        self.subscriptions.get(space_id, {}).pop(feed, None)

    async def subscribe(
        self, space_id: str, feed: int, choices: list[tuple[int, str]] | None
    ) -> tuple[str, list[StreamView]]:
        await self.checkpoint("subscribe", space_id, feed, choices)
        available = [(s.feed, s.mid) for s in self.streams(space_id) if s.feed != feed]
        wanted = available if choices is None else choices
        self.subscriptions.setdefault(space_id, {})[feed] = wanted
        return f"offer for {feed}", []

    async def start_subscription(self, space_id: str, feed: int, answer_sdp: str) -> None:
        await self.checkpoint("start_subscription", space_id, feed, answer_sdp)

    async def unsubscribe(self, space_id: str, feed: int) -> None:
        await self.checkpoint("unsubscribe", space_id, feed)
        self.subscriptions.get(space_id, {}).pop(feed, None)

    async def trickle(
        self, space_id: str, feed: int, target: str, candidates: list[dict[str, Any]], completed: bool
    ) -> None:
        await self.checkpoint("trickle", space_id, feed, target)

    def is_published(self, space_id: str, feed: int) -> bool:
        return feed in self.published.get(space_id, {})


# --- the client's media transport (transport/ports.py) ---


class FakeTrack(MediaStreamTrack):
    """A received track the test feeds: `push()` a frame, `end()` it as a hang-up would."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._frames: asyncio.Queue[av.AudioFrame | av.VideoFrame | None] = asyncio.Queue()

    def push(self) -> None:
        """One small frame of the track's kind: 20 ms of 48 kHz silence, or a 16×16 picture."""
        if self.kind == "audio":
            silence = np.zeros((1, 960), dtype=np.int16)
            audio = av.AudioFrame.from_ndarray(silence, format="s16", layout="mono")
            audio.sample_rate = 48000
            self._frames.put_nowait(audio)
        else:
            self._frames.put_nowait(
                av.VideoFrame.from_ndarray(np.zeros((16, 16, 3), dtype=np.uint8), format="bgr24")
            )

    def end(self) -> None:
        self._frames.put_nowait(None)

    async def recv(self) -> av.AudioFrame | av.VideoFrame:
        frame = await self._frames.get()
        if frame is None:
            raise MediaStreamError
        return frame


class FakePublisher:
    """A `PublisherLink` that offers a fixed SDP and is "connected" once answered."""

    def __init__(self, transport: FakeTransport, tracks: PublishTracks, on_dead: OnDead | None) -> None:
        self.transport = transport
        self.tracks = tracks
        self.on_dead = on_dead
        self.state = "new"
        self.answer: str | None = None
        self.round_trip_s: float | None = None
        """What `stats()` reports as the round trip to the SFU."""

    async def connect(self, send_offer: SendOffer) -> None:
        await self.transport.checkpoint("publisher.connect")
        video = "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n" if self.tracks.camera is not None else ""
        self.answer = await send_offer(f"v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n{video}")
        self.state = "connected"

    async def stats(self) -> TransportStats:
        return TransportStats(round_trip_s=self.round_trip_s)

    def die(self) -> None:
        """The connection fails by itself (network gone, SFU restarted)."""
        self.state = "failed"
        if self.on_dead is not None:
            self.on_dead("failed")

    async def close(self) -> None:
        self.state = "closed"


class FakeSubscriber:
    """A `SubscriberLink` over the backend's offer; `track(mid)` is the fake track of a stream."""

    def __init__(self, transport: FakeTransport, on_track: OnTrack, on_dead: OnDead | None) -> None:
        self.transport = transport
        self.on_track = on_track
        self.on_dead = on_dead
        self.streams: dict[str, StreamView] = {}
        self.tracks: dict[str, FakeTrack] = {}
        self.state = "new"
        self.keyframes: list[str] = []
        self.received: dict[str, tuple[int, int]] = {}
        """mid -> (packets received, lost) that `stats()` reports."""
        self.bytes: dict[str, int] = {}
        """mid -> bytes received that `stats()` reports."""

    async def connect(self, request_offer: RequestOffer, send_answer: SendAnswer) -> list[StreamView]:
        await self.transport.checkpoint("subscriber.connect")
        offer: SubscribeOffer = await request_offer()
        self.streams = {s.mid: s for s in offer.streams}
        await send_answer("v=0 answer")
        self.state = "connected"
        for mid, stream in self.streams.items():  # aiortc fires `track` once the answer is applied
            self.tracks[mid] = FakeTrack(stream.kind)
            self.on_track(stream, self.tracks[mid])
        return list(offer.streams)

    def track(self, participant_id: str, kind: str = "audio") -> FakeTrack:
        mid = next(
            m for m, s in self.streams.items() if s.participant_id == participant_id and s.kind == kind
        )
        return self.tracks[mid]

    def request_keyframe(self, mid: str) -> bool:
        self.keyframes.append(mid)
        return True

    def keyframe_mark(self, mid: str) -> tuple[int, int | None] | None:
        return None  # fake tracks carry no RTP: a switched slot plays at once

    async def stats(self) -> TransportStats:
        return TransportStats(
            tuple(
                InboundSample(mid, self.streams[mid].kind, received, lost, 0.0, self.bytes.get(mid, 0))
                for mid, (received, lost) in self.received.items()
                if mid in self.streams
            )
        )

    def die(self) -> None:
        self.state = "failed"
        if self.on_dead is not None:
            self.on_dead("failed")

    async def close(self) -> None:
        self.state = "closed"
        for track in self.tracks.values():
            track.end()


class FakeTransport(Holds):
    """A `Transport` that keeps every connection it made, newest last; holds "publisher.connect"
    and "subscriber.connect" catch the next connection before it sends its SDP."""

    def __init__(self) -> None:
        super().__init__()
        self.publishers: list[FakePublisher] = []
        self.subscribers: list[FakeSubscriber] = []

    def publisher(
        self, tracks: PublishTracks, on_dead: OnDead | None, ice_servers: Sequence[RTCIceServer]
    ) -> FakePublisher:
        self.publishers.append(FakePublisher(self, tracks, on_dead))
        return self.publishers[-1]

    def subscriber(
        self, on_track: OnTrack, on_dead: OnDead | None, ice_servers: Sequence[RTCIceServer]
    ) -> FakeSubscriber:
        self.subscribers.append(FakeSubscriber(self, on_track, on_dead))
        return self.subscribers[-1]

    def open_subscribers(self) -> list[FakeSubscriber]:
        return [s for s in self.subscribers if s.state != "closed"]

"""The media transport as the session sees it: a publisher, a subscriber, and who makes them.

`SpaceSession` builds its connections through a `Transport` (by default
`PeerTransport`, real aiortc PeerConnections to the SFU); tests hand it a fake
(tests/support/fakes.py) that never opens a socket, as httpx takes a
`MockTransport`. Every call runs on the engine loop; `on_dead` and `on_track`
are called there too (from aiortc's event emitter).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from aiortc import MediaStreamTrack, RTCIceServer

from spaces_desktop.protocol import StreamView, SubscribeOffer
from spaces_desktop.transport.publisher import Publisher, PublishTracks
from spaces_desktop.transport.stats import TransportStats
from spaces_desktop.transport.subscriber import Subscriber

SendOffer = Callable[[str], Awaitable[str]]
"""Sends our offer to the backend, returns the SFU's answer."""
RequestOffer = Callable[[], Awaitable[SubscribeOffer]]
SendAnswer = Callable[[str], Awaitable[None]]
OnTrack = Callable[[StreamView, MediaStreamTrack], None]
OnDead = Callable[[str], None]
"""Called with the connection state ("failed" or "closed") when a connection dies by itself."""


class PublisherLink(Protocol):
    async def connect(self, send_offer: SendOffer) -> None: ...

    @property
    def state(self) -> str:
        """The connection state as WebRTC names it: "new", "connected", "failed", "closed", …"""
        ...

    async def stats(self) -> TransportStats:
        """Our round trip to the SFU (``round_trip_s``), from its receiver reports."""
        ...

    async def close(self) -> None: ...


class SubscriberLink(Protocol):
    streams: dict[str, StreamView]
    """What each mid of the connection carries, from the SFU's offer."""

    async def connect(self, request_offer: RequestOffer, send_answer: SendAnswer) -> list[StreamView]: ...

    @property
    def state(self) -> str: ...

    def request_keyframe(self, mid: str) -> bool: ...

    def keyframe_mark(self, mid: str) -> tuple[int, int | None] | None:
        """(keyframes decoded so far, pts of the newest) on a video stream: a switched slot's new source."""
        ...

    async def stats(self) -> TransportStats: ...

    async def close(self) -> None: ...


class Transport(Protocol):
    def publisher(
        self, tracks: PublishTracks, on_dead: OnDead | None, ice_servers: Sequence[RTCIceServer]
    ) -> PublisherLink: ...

    def subscriber(
        self, on_track: OnTrack, on_dead: OnDead | None, ice_servers: Sequence[RTCIceServer]
    ) -> SubscriberLink: ...


class PeerTransport:
    """Real PeerConnections (transport/publisher.py and transport/subscriber.py)."""

    def publisher(
        self, tracks: PublishTracks, on_dead: OnDead | None, ice_servers: Sequence[RTCIceServer]
    ) -> PublisherLink:
        return Publisher(tracks, on_dead=on_dead, ice_servers=ice_servers)

    def subscriber(
        self, on_track: OnTrack, on_dead: OnDead | None, ice_servers: Sequence[RTCIceServer]
    ) -> SubscriberLink:
        return Subscriber(on_track, on_dead=on_dead, ice_servers=ice_servers)


__all__ = [
    "OnDead",
    "OnTrack",
    "PeerTransport",
    "PublisherLink",
    "RequestOffer",
    "SendAnswer",
    "SendOffer",
    "SubscriberLink",
    "Transport",
]

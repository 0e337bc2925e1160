"""One PeerConnection that receives every stream of a Space from the SFU.

When the set of published streams changes, the engine builds a new Subscriber
rather than renegotiating: Janus reuses m-lines for new publishers (new SSRC on
an old mid) and aiortc then receives nothing on them, so a fresh connection is
the reliable way to follow publishers as they come and go.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from aiortc import MediaStreamTrack, RTCIceServer, RTCSessionDescription

from spaces_desktop.protocol import StreamView, SubscribeOffer
from spaces_desktop.transport.peer import close_quietly, new_peer_connection
from spaces_desktop.transport.receive_guard import VideoReceiveGuard, install_audio, install_video
from spaces_desktop.transport.stats import ByteCounter, TransportStats, receiver_stats

log = logging.getLogger(__name__)

RequestOffer = Callable[[], Awaitable[SubscribeOffer]]
SendAnswer = Callable[[str], Awaitable[None]]
OnTrack = Callable[[StreamView, MediaStreamTrack], None]


class Subscriber:
    def __init__(
        self,
        on_track: OnTrack,
        on_dead: Callable[[str], None] | None = None,
        ice_servers: Sequence[RTCIceServer] = (),
    ) -> None:
        self.pc = new_peer_connection(on_dead, ice_servers)
        self.streams: dict[str, StreamView] = {}
        self._guards: dict[str, VideoReceiveGuard] = {}
        self._bytes: dict[str, ByteCounter] = {}
        self._on_track = on_track
        self.pc.on("track", self._track)

    def _track(self, track: MediaStreamTrack) -> None:  # engine loop
        mid = next((t.mid for t in self.pc.getTransceivers() if t.receiver.track is track), None)
        stream = self.streams.get(mid or "")
        if stream is None:
            log.warning("Received a track on unknown mid %s", mid)
            return
        self._on_track(stream, track)

    async def connect(self, request_offer: RequestOffer, send_answer: SendAnswer) -> list[StreamView]:
        offer = await request_offer()
        self.streams = {s.mid: s for s in offer.streams}
        await self.pc.setRemoteDescription(RTCSessionDescription(offer.sdp, "offer"))
        for transceiver in self.pc.getTransceivers():
            if transceiver.kind == "video":
                guard = install_video(transceiver.receiver)
                if guard is not None and transceiver.mid is not None:
                    self._guards[transceiver.mid] = guard
                installed = guard is not None
            else:
                installed = install_audio(transceiver.receiver)
            if not installed:
                log.warning("Low-latency jitter buffer not installed; aiortc's default is used")
            if transceiver.mid is not None:  # last, around whatever handles the packets
                self._bytes[transceiver.mid] = ByteCounter(transceiver.receiver)
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        await send_answer(self.pc.localDescription.sdp)
        return list(offer.streams)

    def request_keyframe(self, mid: str) -> bool:
        """Asks the SFU for a fresh keyframe on one video stream; False if it has no guard."""
        guard = self._guards.get(mid)
        if guard is None:
            return False
        guard.request_keyframe()
        return True

    def keyframe_mark(self, mid: str) -> tuple[int, int | None] | None:
        """(keyframes handed to the decoder so far, pts of the newest) on a video stream; None: no guard."""
        guard = self._guards.get(mid)
        return None if guard is None else guard.keyframe_mark()

    async def stats(self) -> TransportStats:
        """Every receiver's counters now (the session rates the network from them)."""
        return await receiver_stats(self.pc.getTransceivers(), self._bytes)

    @property
    def state(self) -> str:
        return str(self.pc.connectionState)

    async def close(self) -> None:
        await close_quietly(self.pc)

"""Real aiortc peers for tests: a publisher with synthetic tracks and a counting subscriber."""

from __future__ import annotations

import asyncio
import fractions
import math
import time
from dataclasses import dataclass, field

import numpy as np
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
    VideoStreamTrack,
)
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcconfiguration import RTCBundlePolicy
from av import AudioFrame

from tests.support.api import Member

SAMPLE_RATE = 48000
FRAME_SAMPLES = 960


class ToneTrack(MediaStreamTrack):
    """A 440 Hz tone in 20 ms frames, paced by the clock."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._pts = 0
        self._start: float | None = None

    async def recv(self) -> AudioFrame:
        if self._start is None:
            self._start = time.monotonic()
        wait = self._start + self._pts / SAMPLE_RATE - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        t = (np.arange(FRAME_SAMPLES) + self._pts) / SAMPLE_RATE
        samples = (0.3 * 32767 * np.sin(2 * math.pi * 440 * t)).astype(np.int16).reshape(1, -1)
        frame = AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
        self._pts += FRAME_SAMPLES
        return frame


class Publisher:
    """A speaker's publishing PeerConnection: a tone and one or two synthetic cameras."""

    def __init__(self, member: Member, video: int = 1, audio: bool = True) -> None:
        self.member = member
        # One transport for every m-line: Janus bundles, and aiortc only sends the
        # second video on the bundled transport with max-bundle.
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
        if audio:
            self.pc.addTransceiver(ToneTrack(), direction="sendonly")
        for _ in range(video):
            self.pc.addTransceiver(VideoStreamTrack(), direction="sendonly")

    async def publish(self, expect: int = 200) -> dict[str, object]:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        response = await self.member.post(
            "/media/publish", {"type": "offer", "sdp": self.pc.localDescription.sdp}, expect=expect
        )
        body = dict(response.json())
        if response.status_code == 200:
            await self.pc.setRemoteDescription(RTCSessionDescription(body["sdp"], "answer"))
        return body

    async def close(self) -> None:
        await self.pc.close()


@dataclass
class Received:
    frames: int = 0
    first_at: float | None = None
    times: list[float] = field(default_factory=list)


class Subscriber:
    """One PeerConnection for every stream in the Space; counts frames per mid."""

    def __init__(self, member: Member) -> None:
        self.member = member
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
        self.received: dict[str, Received] = {}
        self.streams: list[dict[str, object]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self.pc.on("track", self._on_track)

    def _on_track(self, track: MediaStreamTrack) -> None:
        mid = next((t.mid for t in self.pc.getTransceivers() if t.receiver.track is track), None) or "?"
        self.received.setdefault(mid, Received())
        self._tasks.append(asyncio.get_running_loop().create_task(self._count(mid, track)))

    async def _count(self, mid: str, track: MediaStreamTrack) -> None:
        stats = self.received[mid]
        try:
            while True:
                await track.recv()
                now = time.monotonic()
                stats.frames += 1
                stats.times.append(now)
                if stats.first_at is None:
                    stats.first_at = now
        except MediaStreamError:
            return

    async def subscribe(self) -> None:
        response = await self.member.post("/media/subscribe", {})
        offer = response.json()
        self.streams = offer["streams"]
        await self.pc.setRemoteDescription(RTCSessionDescription(offer["sdp"], "offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        await self.member.post(
            "/media/subscribe/answer", {"type": "answer", "sdp": self.pc.localDescription.sdp}, expect=204
        )

    def mids(self, kind: str, participant_id: str | None = None, source: str | None = None) -> list[str]:
        return [
            str(s["mid"])
            for s in self.streams
            if s["kind"] == kind
            and (participant_id is None or s["participant_id"] == participant_id)
            and (source is None or s["source"] == source)
        ]

    def frames(self, mid: str) -> int:
        return self.received.get(mid, Received()).frames

    def frames_since(self, mid: str, since: float) -> int:
        return sum(1 for t in self.received.get(mid, Received()).times if t >= since)

    async def wait_frames(self, mid: str, count: int, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while self.frames(mid) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"mid {mid}: {self.frames(mid)} of {count} frames in {timeout} s")
            await asyncio.sleep(0.05)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await self.pc.close()

"""Pre-encoded VP8 video for load benchmarks: encode a clip once, replay it from many tracks.

A benchmark that publishes dozens of videos cannot afford a live encode per
publisher; these tracks hand aiortc ready packets instead, paced at the clip's
rate, and jump to the next keyframe when a subscriber asks for one.
"""

from __future__ import annotations

import asyncio
import fractions
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import av
from aiortc import RTCRtpSender
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from spaces_desktop.devices.convert import bgr_to_yuv420p
from spaces_desktop.devices.synthetic_camera import SyntheticPattern
from spaces_desktop.media.tracks import VIDEO_CLOCK_RATE, VIDEO_TIME_BASE


@dataclass(frozen=True)
class EncodedClip:
    """VP8 frames encoded once, to be replayed by any number of :class:`PreEncodedVideoTrack`.

    ``frames[i]`` is the bitstream of frame ``i``; ``keyframes`` lists the
    indices that are keyframes (always including 0, so a loop restarts cleanly).
    """

    frames: tuple[bytes, ...]
    keyframes: tuple[int, ...]
    width: int
    height: int
    fps: float
    encode_seconds: float

    def next_keyframe(self, after: int) -> int:
        """Index of the first keyframe at or after ``after`` (wrapping to 0)."""
        for index in self.keyframes:
            if index >= after:
                return index
        return 0


def encode_clip(
    *,
    width: int = 1280,
    height: int = 720,
    fps: float = 30.0,
    seconds: float = 4.0,
    keyframe_interval: int = 60,
    bitrate: int = 1_000_000,
    label: str = "",
    pattern: SyntheticPattern | None = None,
) -> EncodedClip:
    """Encode ``seconds`` of the synthetic pattern to VP8 (blocking: ~11 ms per 720p frame here).

    A keyframe every ``keyframe_interval`` frames and no lookahead
    (``lag-in-frames`` 0), so there are no invisible alt-ref frames: one packet
    is one picture, as RTP packetization expects.
    """
    pattern = pattern or SyntheticPattern(width, height, label=label)
    count = max(1, round(seconds * fps))
    started = time.perf_counter()
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height = width, height
    codec.pix_fmt = "yuv420p"
    codec.time_base = fractions.Fraction(1, round(fps))
    codec.bit_rate = bitrate
    codec.gop_size = keyframe_interval
    codec.options = {
        "deadline": "realtime",
        "cpu-used": "-6",
        "lag-in-frames": "0",
        "auto-alt-ref": "0",
        "minrate": str(bitrate),
        "maxrate": str(bitrate),
        "bufsize": str(bitrate),
    }
    frames: list[bytes] = []
    keyframes: list[int] = []

    def collect(packets: Sequence[av.Packet]) -> None:
        for packet in packets:
            if packet.is_keyframe:
                keyframes.append(len(frames))
            frames.append(bytes(packet))

    for index in range(count):
        video = av.VideoFrame.from_ndarray(bgr_to_yuv420p(pattern.render(index, 0.0)), format="yuv420p")
        video.pts = index
        if index % keyframe_interval == 0:
            video.pict_type = av.video.frame.PictureType.I
        collect(codec.encode(video))
    collect(codec.encode(None))
    if not keyframes or keyframes[0] != 0:
        raise RuntimeError("the VP8 encoder did not start the clip with a keyframe")
    return EncodedClip(
        frames=tuple(frames),
        keyframes=tuple(keyframes),
        width=width,
        height=height,
        fps=fps,
        encode_seconds=time.perf_counter() - started,
    )


class PreEncodedVideoTrack(MediaStreamTrack):
    """Replays an :class:`EncodedClip` in a loop as ``av.Packet`` s: video for load tests at no encode cost.

    aiortc's RTCRtpSender packetizes packets as they are (``Vp8Encoder.pack``),
    so the negotiated codec must be VP8. pts are rewritten to keep increasing
    across loops, paced at the clip's fps.

    Keyframe requests: aiortc handles a PLI/FIR by asking *its encoder* for a
    keyframe, which does nothing for pre-encoded packets. Call
    :meth:`request_keyframe` instead (or :func:`forward_keyframe_requests` to
    route the sender's PLI/FIR here): the next packet sent is then the clip's
    next keyframe, skipping the delta frames in between; it can be skipped
    because the decoder resumes from a keyframe. Without that, subscribers wait
    for the periodic keyframe (``keyframe_interval`` frames).
    """

    kind = "video"

    def __init__(self, clip: EncodedClip, *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.clip = clip
        self._clock = clock
        self._position = 0
        self._sent = 0
        self._start: float | None = None
        self._keyframe_requested = False
        self._ticks = round(VIDEO_CLOCK_RATE / clip.fps)
        self.keyframe_jumps = 0

    def request_keyframe(self) -> None:
        """Make the next packet a keyframe (any thread; takes effect on the next recv)."""
        self._keyframe_requested = True

    async def recv(self) -> av.Packet:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = self._clock()
        else:
            wait = self._start + self._sent / self.clip.fps - self._clock()
            if wait > 0:
                await asyncio.sleep(wait)
        if self._keyframe_requested:
            self._keyframe_requested = False
            if self._position not in self.clip.keyframes:
                self._position = self.clip.next_keyframe(self._position)
                self.keyframe_jumps += 1
        packet = av.Packet(self.clip.frames[self._position])
        packet.pts = self._sent * self._ticks
        packet.time_base = VIDEO_TIME_BASE
        self._sent += 1
        self._position = (self._position + 1) % len(self.clip.frames)
        return packet


def forward_keyframe_requests(sender: RTCRtpSender, track: PreEncodedVideoTrack) -> bool:
    """Route ``sender``'s PLI/FIR to ``track.request_keyframe``; False if this aiortc lacks the hook.

    Relies on aiortc (checked with 1.16) calling ``RTCRtpSender._send_keyframe``
    for PLI and FIR; the sender's own handling still runs.
    """
    original = getattr(sender, "_send_keyframe", None)
    if not callable(original):
        return False

    def send_keyframe() -> None:  # engine loop, from RTCP handling
        original()
        track.request_keyframe()

    sender._send_keyframe = send_keyframe  # type: ignore[method-assign]
    return True

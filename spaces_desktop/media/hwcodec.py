"""Which video encoder this machine uses: a hardware H.264 encoder when one opens, else VP8 in software.

At start the app probes the H.264 hardware encoders FFmpeg (through PyAV)
knows for this platform, in order of preference, by opening each one and
encoding a frame: a name in FFmpeg's list means nothing until a device
answers (NVENC needs an NVIDIA driver, Quick Sync an Intel GPU, VA-API a
render node and hardware frames). The first that works is chosen; with none,
the app keeps sending VP8 from libvpx, as before.

A hardware session can still fail in the middle of a Space (driver reset,
GPU taken by another app, laptop switched GPUs). The encoder then carries on
with software H.264 (libx264) on the same stream, so nothing is
renegotiated and subscribers see at most one keyframe, and the policy
remembers the failure: the next connection publishes VP8 in software.

Untested on real hardware here (the development machines have no GPU): the
probe, the choice and the fallback are tested with a fake probe and a fake
failing codec.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import av
from aiortc import RTCRtpSender, RTCRtpTransceiver, rtcrtpsender
from aiortc.codecs.base import Encoder
from aiortc.codecs.h264 import H264Encoder
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from av.frame import Frame

from spaces_desktop.media.encoders import IdleRelease, ReleasingVp8Encoder

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HardwareEncoder:
    api: str
    """How the person knows it: "VideoToolbox", "VA-API", "NVENC", "Quick Sync", "Media Foundation"."""
    encoder: str
    """FFmpeg's encoder name."""
    pix_fmt: str = "yuv420p"


CANDIDATES: dict[str, tuple[HardwareEncoder, ...]] = {
    "darwin": (HardwareEncoder("VideoToolbox", "h264_videotoolbox"),),
    "win32": (
        HardwareEncoder("NVENC", "h264_nvenc"),
        HardwareEncoder("Quick Sync", "h264_qsv", "nv12"),
        HardwareEncoder("Media Foundation", "h264_mf", "nv12"),
    ),
    "linux": (
        HardwareEncoder("VA-API", "h264_vaapi", "nv12"),
        HardwareEncoder("NVENC", "h264_nvenc"),
        HardwareEncoder("Quick Sync", "h264_qsv", "nv12"),
    ),
}


@dataclass(frozen=True)
class VideoCodecChoice:
    hardware: HardwareEncoder | None = None

    @property
    def codec(self) -> str:
        return "H.264" if self.hardware is not None else "VP8"

    def describe(self) -> str:
        """The read-only line in Settings."""
        if self.hardware is None:
            return "software (VP8)"
        return f"hardware ({self.hardware.api}, H.264)"


SOFTWARE = VideoCodecChoice()

Probe = Callable[[HardwareEncoder], bool]


def encoder_opens(candidate: HardwareEncoder, width: int = 640, height: int = 360) -> bool:
    """Whether ``candidate`` opens and encodes one frame on this machine (a few ms, up to a second)."""
    try:
        codec: Any = av.CodecContext.create(candidate.encoder, "w")
    except (av.FFmpegError, ValueError):  # not in this FFmpeg build
        return False
    try:
        configure_h264(codec, width, height, 1_000_000, candidate.pix_fmt)
        codec.open()
        frame = av.VideoFrame(width, height, candidate.pix_fmt)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.pts = 0
        codec.encode(frame)
        codec.encode(None)
        return True
    except (av.FFmpegError, ValueError, OSError) as exc:
        log.debug("%s does not work here: %s", candidate.encoder, exc)
        return False


def configure_h264(codec: Any, width: int, height: int, bit_rate: int, pix_fmt: str) -> None:
    """Real-time settings every H.264 encoder here understands (baseline profile, no B-frames)."""
    codec.width, codec.height = width, height
    codec.pix_fmt = pix_fmt
    codec.bit_rate = bit_rate
    codec.framerate = fractions.Fraction(30, 1)
    codec.time_base = fractions.Fraction(1, 30)
    codec.max_b_frames = 0
    codec.profile = "Baseline"
    codec.options = {"bf": "0", "g": "3000"}


def probe_video_codec(platform: str = sys.platform, probe: Probe = encoder_opens) -> VideoCodecChoice:
    """The first hardware H.264 encoder of ``platform`` that works, else software VP8."""
    key = next((name for name in CANDIDATES if platform.startswith(name)), "")
    for candidate in CANDIDATES.get(key, ()):
        if probe(candidate):
            log.info("Video encoding: hardware %s (%s)", candidate.api, candidate.encoder)
            return VideoCodecChoice(candidate)
    return SOFTWARE


class VideoCodecPolicy:
    """The choice for this run (any thread): the probe's, then software for good after a failure."""

    def __init__(self, choice: VideoCodecChoice = SOFTWARE) -> None:
        self._lock = threading.Lock()
        self._choice = choice
        self.failure: str | None = None
        """Why hardware encoding was given up, if it was."""

    @property
    def choice(self) -> VideoCodecChoice:
        with self._lock:
            return self._choice

    def adopt(self, choice: VideoCodecChoice) -> None:
        """The probe's answer (at start)."""
        with self._lock:
            self._choice = choice
            self.failure = None

    def hardware_failed(self, reason: str) -> None:
        """A hardware session broke: later connections publish VP8 in software."""
        with self._lock:
            if self._choice.hardware is None:
                return
            log.warning(
                "Hardware video encoding (%s) failed: %s; using software", self._choice.hardware.api, reason
            )
            self._choice = SOFTWARE
            self.failure = reason

    def describe(self) -> str:
        choice = self.choice
        line = choice.describe()
        return (
            f"{line} — hardware failed: {self.failure}" if self.failure and choice.hardware is None else line
        )


POLICY = VideoCodecPolicy()
"""The process's choice; the engine probes at start (``choose_at_start``), Settings shows it."""


def choose_at_start(policy: VideoCodecPolicy = POLICY, probe: Probe = encoder_opens) -> VideoCodecChoice:
    """Probe once, adopt the result and route aiortc's video encoding through this module (blocking:
    a worker)."""
    choice = probe_video_codec(probe=probe)
    policy.adopt(choice)
    install_encoders(policy)
    return choice


_chosen = threading.Lock()
_probed = False


def choose_once() -> VideoCodecChoice:
    """:func:`choose_at_start` the first time in this process; the policy's choice afterwards (blocking)."""
    global _probed
    with _chosen:
        if not _probed:
            _probed = True
            try:
                return choose_at_start()
            except Exception:  # a broken driver must not stop the app: software it is
                log.exception("Probing the hardware video encoders failed")
        return POLICY.choice


class FallbackH264Encoder(H264Encoder):
    """aiortc's H.264 encoder on the hardware encoder; libx264 on the same stream if the hardware fails."""

    def __init__(
        self,
        policy: VideoCodecPolicy,
        create: Callable[[str, str], Any] | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__()
        self._policy = policy
        self._create = create or av.CodecContext.create
        self.hardware = policy.choice.hardware
        self._hw: Any = None
        self._hw_shape: tuple[int, int, int] | None = None
        self.idle = IdleRelease(loop, self._close) if loop is not None else None
        """Closes the hardware session (and libx264) while nobody takes this layer."""

    def encode(self, frame: Frame, force_keyframe: bool = False) -> tuple[list[bytes], int]:
        if self.idle is None:
            return super().encode(frame, force_keyframe)
        with self.idle.encoding():
            return super().encode(frame, force_keyframe)

    def _close(self) -> None:
        self._hw, self._hw_shape, self.codec = None, None, None

    def _encode_frame(self, frame: av.VideoFrame, force_keyframe: bool) -> Iterator[bytes]:
        hardware = self.hardware
        if hardware is not None:
            try:
                data = self._hardware_encode(hardware, frame, force_keyframe)
            except (av.FFmpegError, OSError, ValueError) as exc:
                self._policy.hardware_failed(str(exc) or type(exc).__name__)
                self.hardware, self._hw = None, None
                force_keyframe = True  # the software encoder's first frame: a keyframe for everyone
            else:
                if data:
                    yield from self._split_bitstream(data)
                return
        yield from super()._encode_frame(frame, force_keyframe)

    def _hardware_encode(self, hardware: HardwareEncoder, frame: av.VideoFrame, keyframe: bool) -> bytes:
        bitrate = self.target_bitrate
        shape = (frame.width, frame.height, bitrate)
        if (
            self._hw is None
            or self._hw_shape is None
            or self._hw_shape[:2] != shape[:2]
            or (abs(bitrate - self._hw_shape[2]) > 0.1 * self._hw_shape[2])
        ):
            codec = self._create(hardware.encoder, "w")
            configure_h264(codec, frame.width, frame.height, bitrate, hardware.pix_fmt)
            codec.open()
            self._hw, self._hw_shape = codec, shape
            keyframe = True
        if frame.format.name != hardware.pix_fmt:
            frame = frame.reformat(format=hardware.pix_fmt)
        frame.pict_type = av.video.frame.PictureType.I if keyframe else av.video.frame.PictureType.NONE
        return b"".join(bytes(packet) for packet in self._hw.encode(frame))


_original_get_encoder: Callable[[RTCRtpCodecParameters], Encoder] | None = None


def install_encoders(policy: VideoCodecPolicy = POLICY) -> None:
    """Route aiortc's senders through this module's encoders: H.264 on the hardware encoder while
    one is chosen (:class:`FallbackH264Encoder`), VP8 that frees its memory while idle."""
    global _original_get_encoder
    if _original_get_encoder is not None:
        return
    original = _original_get_encoder = rtcrtpsender.get_encoder

    def get_encoder(codec: RTCRtpCodecParameters) -> Encoder:
        mime = codec.mimeType.lower()
        loop = _running_loop()  # aiortc asks from its sender's task, on the loop
        if mime == "video/h264" and policy.choice.hardware is not None:
            return FallbackH264Encoder(policy, loop=loop)
        if mime == "video/vp8" and loop is not None:
            return ReleasingVp8Encoder(loop)
        return original(codec)

    rtcrtpsender.get_encoder = get_encoder


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def prefer_h264(transceivers: Sequence[RTCRtpTransceiver], policy: VideoCodecPolicy = POLICY) -> bool:
    """Offer only H.264 on video transceivers while a hardware encoder is chosen; True if it did."""
    if policy.choice.hardware is None:
        return False
    codecs = [
        c
        for c in RTCRtpSender.getCapabilities("video").codecs
        if c.mimeType.lower() in ("video/h264", "video/rtx")
    ]
    for transceiver in transceivers:
        if transceiver.kind == "video":
            transceiver.setCodecPreferences(codecs)
    return True

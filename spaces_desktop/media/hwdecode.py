"""Which H.264 decoder this machine uses: a hardware one when it decodes, else FFmpeg's software one.

Received H.264 (from publishers that encode on their GPU, and from browsers)
can decode on the GPU: VideoToolbox on macOS, D3D11/DXVA2, CUDA or Quick
Sync on Windows, VA-API, CUDA or Quick Sync on Linux. At start the app asks
PyAV which device types its FFmpeg has and keeps the first that opens and
decodes a real picture; frames come back in system memory, so everything
after the decoder is the same. VP8 always decodes in software.

A hardware decoder can fail in the middle of a Space (driver reset, GPU
switched); that stream then carries on in software from its next keyframe
and the policy remembers the failure, so later streams start in software.
"""

from __future__ import annotations

import fractions
import logging
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import av
from aiortc import rtcrtpreceiver
from aiortc.codecs.base import Decoder
from aiortc.jitterbuffer import JitterFrame
from aiortc.mediastreams import VIDEO_TIME_BASE
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from av.codec.hwaccel import HWAccel, hwdevices_available
from av.frame import Frame

from spaces_desktop.media.keyframes import h264_keyframe

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HardwareDecoder:
    api: str
    """How the person knows it: "VideoToolbox", "VA-API", "CUDA", ..."""
    device_type: str
    """FFmpeg's hardware device type."""


CANDIDATES: dict[str, tuple[HardwareDecoder, ...]] = {
    "darwin": (HardwareDecoder("VideoToolbox", "videotoolbox"),),
    "win32": (
        HardwareDecoder("Direct3D 11", "d3d11va"),
        HardwareDecoder("DXVA2", "dxva2"),
        HardwareDecoder("CUDA", "cuda"),
        HardwareDecoder("Quick Sync", "qsv"),
    ),
    "linux": (
        HardwareDecoder("VA-API", "vaapi"),
        HardwareDecoder("CUDA", "cuda"),
        HardwareDecoder("Quick Sync", "qsv"),
    ),
}

Probe = Callable[[HardwareDecoder], bool]


def _sample_h264(width: int = 320, height: int = 180) -> list[bytes]:
    """A keyframe and a few pictures from libx264, to try a decoder on."""
    encoder: Any = av.CodecContext.create("libx264", "w")
    encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"
    encoder.time_base = fractions.Fraction(1, 30)
    encoder.options = {"tune": "zerolatency", "preset": "ultrafast"}
    packets: list[bytes] = []
    for i in range(3):
        frame = av.VideoFrame(width, height, "yuv420p")
        for plane in frame.planes:
            plane.update(bytes([16 + 40 * i]) * plane.buffer_size)
        frame.pts = i
        packets += [bytes(p) for p in encoder.encode(frame)]
    packets += [bytes(p) for p in encoder.encode(None)]
    return packets


def decoder_works(candidate: HardwareDecoder) -> bool:
    """Whether ``candidate`` opens and decodes a picture here (no software fallback allowed)."""
    try:
        hwaccel = HWAccel(candidate.device_type, allow_software_fallback=False)
        codec = av.CodecContext.create("h264", "r", hwaccel=hwaccel)
        decoded = [frame for data in _sample_h264() for frame in codec.decode(av.Packet(data))]
        decoded += codec.decode(None)
    except (av.FFmpegError, ValueError, OSError, RuntimeError) as exc:
        log.debug("%s decoding does not work here: %s", candidate.api, exc)
        return False
    # FFmpeg quietly decodes in software when the device does not open: count only the hardware.
    return bool(decoded) and bool(getattr(codec, "is_hwaccel", False))


def probe_decoder(
    platform: str = sys.platform,
    probe: Probe = decoder_works,
    available: Callable[[], Sequence[str]] = hwdevices_available,
) -> HardwareDecoder | None:
    """The first hardware H.264 decoder of ``platform`` that this FFmpeg has and that works."""
    key = next((name for name in CANDIDATES if platform.startswith(name)), "")
    present = set(available())
    for candidate in CANDIDATES.get(key, ()):
        if candidate.device_type in present and probe(candidate):
            log.info("Video decoding: hardware %s", candidate.api)
            return candidate
    return None


class DecodePolicy:
    """The choice for this run (any thread): the probe's, then software for good after a failure."""

    def __init__(self, hardware: HardwareDecoder | None = None) -> None:
        self._lock = threading.Lock()
        self._hardware = hardware
        self.failure: str | None = None

    @property
    def hardware(self) -> HardwareDecoder | None:
        with self._lock:
            return self._hardware

    def adopt(self, hardware: HardwareDecoder | None) -> None:
        with self._lock:
            self._hardware, self.failure = hardware, None

    def hardware_failed(self, reason: str) -> None:
        with self._lock:
            if self._hardware is None:
                return
            log.warning("Hardware video decoding (%s) failed: %s; using software", self._hardware.api, reason)
            self._hardware, self.failure = None, reason

    def describe(self) -> str:
        """The read-only line in Settings."""
        hardware = self.hardware
        if hardware is not None:
            return f"hardware ({hardware.api}) for H.264"
        if self.failure:
            return f"software — hardware failed: {self.failure}"
        return "software"


DECODING = DecodePolicy()
"""The process's choice; the engine probes at start (``choose_decoder_once``), Settings shows it."""


class FallbackH264Decoder(Decoder):
    """H.264 on the hardware decoder; FFmpeg's software decoder for the rest of the stream if it fails."""

    def __init__(
        self,
        policy: DecodePolicy,
        create: Callable[[HardwareDecoder], Any] | None = None,
    ) -> None:
        self._policy = policy
        self.hardware = policy.hardware
        self._create = create or _hardware_context
        self.codec: Any = None
        self._awaiting_keyframe = False
        if self.hardware is not None:
            try:
                self.codec = self._create(self.hardware)
            except (av.FFmpegError, ValueError, OSError, RuntimeError) as exc:
                self._give_up(exc)
        if self.codec is None:
            self.codec = av.CodecContext.create("h264", "r")

    def decode(self, encoded_frame: JitterFrame) -> list[Frame]:
        if self._awaiting_keyframe:
            if not h264_keyframe(encoded_frame.data):
                return []  # a fresh software decoder cannot start mid-stream
            self._awaiting_keyframe = False
        packet = av.Packet(encoded_frame.data)
        packet.pts = encoded_frame.timestamp
        packet.time_base = VIDEO_TIME_BASE
        try:
            return cast(list[Frame], self.codec.decode(packet))
        except (av.FFmpegError, OSError, RuntimeError) as exc:
            if self.hardware is None:
                raise
            self._give_up(exc)
            self.codec = av.CodecContext.create("h264", "r")
            self._awaiting_keyframe = True  # the receiver's stall guard asks the SFU for one
            return []

    def _give_up(self, exc: BaseException) -> None:
        self._policy.hardware_failed(str(exc) or type(exc).__name__)
        self.hardware = None


def _hardware_context(hardware: HardwareDecoder) -> Any:
    codec = av.CodecContext.create("h264", "r", hwaccel=HWAccel(hardware.device_type))
    if not getattr(codec, "is_hwaccel", False):
        raise RuntimeError(f"{hardware.api} did not open")
    return codec


_original_get_decoder: Callable[[RTCRtpCodecParameters], Decoder] | None = None


def install_decoders(policy: DecodePolicy = DECODING) -> None:
    """Make aiortc's receivers decode H.264 with :class:`FallbackH264Decoder` while hardware is chosen."""
    global _original_get_decoder
    if _original_get_decoder is not None:
        return
    original = _original_get_decoder = rtcrtpreceiver.get_decoder

    def get_decoder(codec: RTCRtpCodecParameters) -> Decoder:
        if codec.mimeType.lower() == "video/h264" and policy.hardware is not None:
            return FallbackH264Decoder(policy)
        return original(codec)

    rtcrtpreceiver.get_decoder = get_decoder


_chosen = threading.Lock()
_probed = False


def choose_decoder_once(
    policy: DecodePolicy = DECODING, probe: Probe = decoder_works
) -> HardwareDecoder | None:
    """Probe once per process (blocking: a worker); later calls return the policy's choice."""
    global _probed
    with _chosen:
        if not _probed:
            _probed = True
            try:
                policy.adopt(probe_decoder(probe=probe))
            except Exception:  # a broken driver must not stop the app: software it is
                log.exception("Probing the hardware video decoders failed")
            if policy.hardware is not None:
                install_decoders(policy)
        return policy.hardware


__all__ = [
    "CANDIDATES",
    "DECODING",
    "DecodePolicy",
    "FallbackH264Decoder",
    "HardwareDecoder",
    "choose_decoder_once",
    "decoder_works",
    "install_decoders",
    "probe_decoder",
]

"""Hooks our jitter buffers into aiortc's RTCRtpReceiver, and lets the engine ask for a keyframe.

aiortc feeds each arriving packet to the receiver's jitter buffer and decodes the
one frame it returns; it NACKs every gap it ever saw and asks for a keyframe only
when the buffer says so. The guard, installed before media flows, adds what a
self-healing video receiver needs on top:

- every frame a packet completed is decoded, not just the first (a retransmission
  can complete several at once);
- NACKs name only packets that can still make it (not those of frames given up);
- a FIR follows PLIs that went unanswered, and the engine can request a keyframe
  itself when a picture froze (`request_keyframe`).

It reaches into aiortc's private attributes, checked at install: if aiortc
changed underneath, `install` returns None and aiortc's own logic stays.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import Awaitable, Callable
from typing import Any

from aiortc.rtcrtpreceiver import NackGenerator, RTCRtpReceiver
from aiortc.rtp import RTCP_PSFB_FIR, RtcpPsfbPacket, RtpPacket

from spaces_desktop.transport.jitter import (
    AUDIO_CAPACITY,
    ImmediateJitterBuffer,
    MarkerJitterBuffer,
    VideoReceiveStats,
)

log = logging.getLogger(__name__)

_PRIVATE = "_RTCRtpReceiver__"
_NEEDED = [
    "jitter_buffer",
    "nack_generator",
    "codecs",
    "decoder_queue",
    "decoder_thread",
    "timestamp_mapper",
    "rtcp_ssrc",
]


def _private(receiver: RTCRtpReceiver, name: str) -> Any:
    return getattr(receiver, _PRIVATE + name)


class _HorizonNackGenerator(NackGenerator):
    """aiortc's NACK generator, forgetting packets whose frame the buffer already gave up."""

    def __init__(self, buffer: MarkerJitterBuffer) -> None:
        super().__init__()
        self._buffer = buffer

    def add(self, packet: RtpPacket) -> bool:
        missed = super().add(packet)
        if missed:
            self.missing = {seq for seq in self.missing if not self._buffer.given_up(seq)}
        return missed and bool(self.missing)


class VideoReceiveGuard:
    """One video receiver's healing jitter buffer and keyframe requests (engine loop)."""

    def __init__(self, receiver: RTCRtpReceiver) -> None:
        self.receiver = receiver
        self.buffer = MarkerJitterBuffer(codec_name=self._codec_name)
        self._media_ssrc: int | None = None
        self._fir_sequence = 0
        self._requests: set[asyncio.Task[None]] = set()
        self._original: Callable[[RtpPacket, int], Awaitable[None]] = receiver._handle_rtp_packet
        setattr(receiver, _PRIVATE + "jitter_buffer", self.buffer)
        setattr(receiver, _PRIVATE + "nack_generator", _HorizonNackGenerator(self.buffer))
        receiver._handle_rtp_packet = self._handle_rtp_packet  # type: ignore[method-assign]

    @property
    def stats(self) -> VideoReceiveStats:
        return self.buffer.stats

    def keyframe_mark(self) -> tuple[int, int | None]:
        """(keyframes assembled so far, the newest one's pts as its decoded frame will carry it)."""
        raw = self.buffer.last_keyframe_timestamp
        origin = getattr(_private(self.receiver, "timestamp_mapper"), "_origin", None)
        if raw is None or origin is None:
            return self.stats.keyframes, None
        return self.stats.keyframes, (raw - origin) % (1 << 32)

    def _codec_name(self, payload_type: int) -> str:
        codec = _private(self.receiver, "codecs").get(payload_type)
        return str(codec.name) if codec is not None else ""

    async def _handle_rtp_packet(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        await self._original(packet, arrival_time_ms)
        codecs = _private(self.receiver, "codecs")
        codec = codecs.get(packet.payload_type)
        if codec is not None and codec.name.lower() != "rtx":
            self._media_ssrc = packet.ssrc
        while (frame := self.buffer.pop_ready()) is not None:
            # aiortc decoded the first frame this packet completed; the rest go the same way.
            if _private(self.receiver, "decoder_thread") is None:
                continue
            frame_codec = codecs.get(frame.payload_type)
            if frame_codec is None:
                continue
            frame.timestamp = _private(self.receiver, "timestamp_mapper").map(frame.timestamp)
            _private(self.receiver, "decoder_queue").put((frame_codec, frame))
        if self.buffer.take_fir():
            await self._send_fir()

    def request_keyframe(self) -> None:
        """Asks the sender for a keyframe now (PLI and FIR); newer deltas wait for it."""
        self.buffer.request_keyframe()
        if self._media_ssrc is None:
            return
        task = asyncio.get_running_loop().create_task(self._send_pli_and_fir(self._media_ssrc))
        self._requests.add(task)
        task.add_done_callback(self._requests.discard)

    async def _send_pli_and_fir(self, media_ssrc: int) -> None:
        await self.receiver._send_rtcp_pli(media_ssrc)
        await self._send_fir()

    async def _send_fir(self) -> None:
        # RFC 5104 §4.3.1: media SSRC 0, the target in the FCI with a request sequence number.
        rtcp_ssrc = _private(self.receiver, "rtcp_ssrc")
        if rtcp_ssrc is None or self._media_ssrc is None:
            return
        self._fir_sequence = (self._fir_sequence + 1) % 256
        fci = struct.pack("!LB3x", self._media_ssrc, self._fir_sequence)
        await self.receiver._send_rtcp(
            RtcpPsfbPacket(fmt=RTCP_PSFB_FIR, ssrc=rtcp_ssrc, media_ssrc=0, fci=fci)
        )


def _hookable(receiver: RTCRtpReceiver) -> bool:
    return all(hasattr(receiver, _PRIVATE + name) for name in _NEEDED)


def install_video(receiver: RTCRtpReceiver) -> VideoReceiveGuard | None:
    """Gives a video receiver the healing buffer; None if aiortc changed underneath."""
    return VideoReceiveGuard(receiver) if _hookable(receiver) else None


def install_audio(receiver: RTCRtpReceiver) -> bool:
    """Gives an audio receiver the immediate buffer; False if aiortc changed underneath."""
    if not _hookable(receiver):
        return False
    setattr(receiver, _PRIVATE + "jitter_buffer", ImmediateJitterBuffer(capacity=AUDIO_CAPACITY))
    return True

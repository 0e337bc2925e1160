"""Hardware video encoding: probing, the choice, and the fallback to software when a session fails.

No GPU on these machines: the probe is faked where it would need one, and a hardware session that
fails is a real libx264 context that starts raising. libx264 through the real probe shows that the
probe says yes when an encoder works.
"""

from __future__ import annotations

import asyncio
import fractions
from typing import Any

import av
import numpy as np
import pytest
from aiortc import RTCPeerConnection, VideoStreamTrack, rtcrtpsender
from aiortc.codecs.h264 import H264Encoder
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from spaces_desktop.media import hwcodec
from spaces_desktop.media.hwcodec import (
    SOFTWARE,
    FallbackH264Encoder,
    HardwareEncoder,
    VideoCodecChoice,
    VideoCodecPolicy,
    encoder_opens,
    install_encoders,
    prefer_h264,
    probe_video_codec,
)

NVENC = HardwareEncoder("NVENC", "h264_nvenc")


def test_the_first_working_encoder_of_the_platform_is_chosen() -> None:
    tried: list[str] = []

    def probe(candidate: HardwareEncoder) -> bool:
        tried.append(candidate.encoder)
        return candidate.encoder == "h264_qsv"

    choice = probe_video_codec("linux", probe)
    assert tried == ["h264_vaapi", "h264_nvenc", "h264_qsv"]
    assert choice.hardware is not None and choice.hardware.api == "Quick Sync"
    assert choice.describe() == "hardware (Quick Sync, H.264)" and choice.codec == "H.264"
    assert probe_video_codec("darwin", lambda c: True).describe() == "hardware (VideoToolbox, H.264)"
    assert probe_video_codec("win32", lambda c: c.encoder == "h264_mf").hardware.api == "Media Foundation"  # type: ignore[union-attr]


def test_without_hardware_it_is_software_vp8() -> None:
    assert probe_video_codec("linux", lambda c: False) == SOFTWARE
    assert probe_video_codec("sunos5", lambda c: True) == SOFTWARE
    assert SOFTWARE.describe() == "software (VP8)" and SOFTWARE.codec == "VP8"


def test_the_real_probe_opens_what_works_and_refuses_what_does_not() -> None:
    assert encoder_opens(HardwareEncoder("software stand-in", "libx264"))
    assert not encoder_opens(HardwareEncoder("none", "h264_no_such_encoder"))
    # On this machine (no GPU) the real probe of the platform finds nothing.
    assert probe_video_codec().hardware is None


def _frames(count: int, width: int = 320, height: int = 180) -> list[av.VideoFrame]:
    frames = []
    for i in range(count):
        planes = np.full((height * 3 // 2, width), 16 + i % 200, dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(planes, format="yuv420p")
        frame.pts, frame.time_base = i * 3000, fractions.Fraction(1, 90000)
        frames.append(frame)
    return frames


class FailingSession:
    """A hardware session (really libx264) whose driver goes away after ``good`` frames."""

    def __init__(self, good: int) -> None:
        self.inner: Any = av.CodecContext.create("libx264", "w")
        self.good = good
        self.encoded = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("inner", "good", "encoded"):
            object.__setattr__(self, name, value)
        else:
            setattr(self.inner, name, value)

    def encode(self, frame: av.VideoFrame | None) -> Any:
        self.encoded += 1
        if self.encoded > self.good:
            raise av.FFmpegError(-5, "device lost")
        return self.inner.encode(frame)


def test_a_failing_hardware_session_continues_in_software_and_later_connections_use_vp8() -> None:
    policy = VideoCodecPolicy(VideoCodecChoice(NVENC))
    sessions: list[FailingSession] = []

    def create(name: str, mode: str) -> Any:
        assert (name, mode) == ("h264_nvenc", "w")
        sessions.append(FailingSession(good=5))
        return sessions[-1]

    encoder = FallbackH264Encoder(policy, create=create)
    sent = [encoder.encode(frame, force_keyframe=i == 0)[0] for i, frame in enumerate(_frames(12))]
    assert len(sessions) == 1 and sessions[0].encoded == 6  # five good frames, then the failure
    assert encoder.hardware is None and encoder.codec is not None  # libx264 took over the stream
    assert all(sent[5:]), "every frame after the failure was still sent"
    assert policy.choice == SOFTWARE and "device lost" in (policy.failure or "")
    assert policy.describe().startswith("software (VP8) — hardware failed")


def test_installed_encoders_follow_the_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hwcodec, "_original_get_encoder", None)
    monkeypatch.setattr(rtcrtpsender, "get_encoder", rtcrtpsender.get_encoder)
    policy = VideoCodecPolicy(VideoCodecChoice(NVENC))
    install_encoders(policy)
    h264 = RTCRtpCodecParameters(mimeType="video/H264", clockRate=90000, payloadType=102)
    vp8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
    assert isinstance(rtcrtpsender.get_encoder(h264), FallbackH264Encoder)
    assert isinstance(rtcrtpsender.get_encoder(vp8), Vp8Encoder)
    policy.hardware_failed("driver reset")
    made = rtcrtpsender.get_encoder(h264)
    assert isinstance(made, H264Encoder) and not isinstance(made, FallbackH264Encoder)


def test_publishing_offers_only_h264_while_hardware_is_chosen() -> None:
    async def offer(policy: VideoCodecPolicy) -> str:
        pc = RTCPeerConnection()
        pc.addTransceiver(VideoStreamTrack(), direction="sendonly")
        prefer_h264(pc.getTransceivers(), policy)
        await pc.setLocalDescription(await pc.createOffer())
        sdp = pc.localDescription.sdp
        await pc.close()
        return sdp

    hardware = asyncio.run(offer(VideoCodecPolicy(VideoCodecChoice(NVENC))))
    assert "H264/90000" in hardware and "VP8/90000" not in hardware
    software = asyncio.run(offer(VideoCodecPolicy()))
    assert "VP8/90000" in software

"""Encoders of a layer nobody takes close after a while and reopen on the next picture; freed
memory goes back to the system."""

from __future__ import annotations

import asyncio
import fractions
import sys

import av
import numpy as np
import pytest
from aiortc import rtcrtpsender
from aiortc.codecs.vpx import VpxPayloadDescriptor
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from spaces_desktop.media import hwcodec
from spaces_desktop.media.encoders import ReleasingVp8Encoder
from spaces_desktop.media.heap import HeapTrimmer, trim_heap
from spaces_desktop.media.hwcodec import SOFTWARE, VideoCodecPolicy, install_encoders
from spaces_desktop.media.keyframes import vp8_keyframe

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)


def _frame(i: int, width: int = 320, height: int = 180) -> av.VideoFrame:
    planes = np.full((height * 3 // 2, width), 16 + i % 200, dtype=np.uint8)
    frame = av.VideoFrame.from_ndarray(planes, format="yuv420p")
    frame.pts, frame.time_base = i * 3000, fractions.Fraction(1, 90000)
    return frame


def _is_keyframe(payloads: list[bytes]) -> bool:
    _, frame = VpxPayloadDescriptor.parse(payloads[0])
    return vp8_keyframe(frame)


async def test_an_idle_encoder_closes_and_the_next_picture_reopens_it_as_a_keyframe() -> None:
    loop = asyncio.get_running_loop()
    encoder = ReleasingVp8Encoder(loop, idle_s=0.2)
    for i in range(5):
        payloads, _ = await loop.run_in_executor(None, encoder.encode, _frame(i))
    assert encoder.codec is not None and not _is_keyframe(payloads)
    for _ in range(50):  # bounded: well past the idle time
        if encoder.codec is None:
            break
        await asyncio.sleep(0.05)
    assert encoder.codec is None and encoder.idle.releases == 1
    payloads, _ = await loop.run_in_executor(None, encoder.encode, _frame(5))
    assert encoder.codec is not None and _is_keyframe(payloads)


async def test_an_encoder_in_use_stays_open() -> None:
    loop = asyncio.get_running_loop()
    encoder = ReleasingVp8Encoder(loop, idle_s=0.2)
    for i in range(12):  # a picture every 50 ms for 0.6 s: never idle for 0.2 s
        await loop.run_in_executor(None, encoder.encode, _frame(i))
        await asyncio.sleep(0.05)
    assert encoder.codec is not None and encoder.idle.releases == 0


async def test_senders_get_releasing_vp8_encoders(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hwcodec, "_original_get_encoder", None)
    monkeypatch.setattr(rtcrtpsender, "get_encoder", rtcrtpsender.get_encoder)
    install_encoders(VideoCodecPolicy(SOFTWARE))
    assert isinstance(rtcrtpsender.get_encoder(VP8), ReleasingVp8Encoder)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
async def test_the_heap_is_trimmed_every_interval_until_stopped() -> None:
    assert trim_heap() is not None
    trimmer = HeapTrimmer(asyncio.get_running_loop(), interval=0.05)
    trimmer.start()
    for _ in range(100):
        if trimmer.trims >= 3:
            break
        await asyncio.sleep(0.02)
    trimmer.stop()
    done = trimmer.trims
    assert done >= 3 and trimmer.last_ms is not None
    await asyncio.sleep(0.2)
    assert trimmer.trims == done

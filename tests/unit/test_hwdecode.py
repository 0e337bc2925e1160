"""The H.264 decoder choice: the probe, the receivers' decoder, and the fall back to software."""

from __future__ import annotations

import fractions
from typing import Any

import av
import pytest
from aiortc import rtcrtpreceiver
from aiortc.codecs.h264 import H264Decoder
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from spaces_desktop.media import hwdecode
from spaces_desktop.media.hwdecode import (
    CANDIDATES,
    DecodePolicy,
    FallbackH264Decoder,
    HardwareDecoder,
    install_decoders,
    probe_decoder,
)

VAAPI, QSV = CANDIDATES["linux"][0], CANDIDATES["linux"][2]
H264 = RTCRtpCodecParameters(mimeType="video/H264", clockRate=90000, payloadType=102)


def _stream(count: int, keyframe_every: int = 5) -> list[bytes]:
    """Annex-B access units from libx264, a keyframe every `keyframe_every` pictures."""
    encoder: Any = av.CodecContext.create("libx264", "w")
    encoder.width, encoder.height, encoder.pix_fmt = 160, 96, "yuv420p"
    encoder.time_base = fractions.Fraction(1, 30)
    encoder.gop_size = keyframe_every
    encoder.options = {"tune": "zerolatency", "preset": "ultrafast"}
    units = []
    for i in range(count):
        frame = av.VideoFrame(160, 96, "yuv420p")
        for plane in frame.planes:
            plane.update(bytes([16 + 7 * i % 200]) * plane.buffer_size)
        frame.pts = i
        units += [bytes(p) for p in encoder.encode(frame)]
    return units


class DyingDevice:
    """A hardware session (really the software decoder) whose device goes away after `good` pictures."""

    def __init__(self, good: int) -> None:
        self.good = good
        self.inner = av.CodecContext.create("h264", "r")

    def decode(self, packet: av.Packet) -> list[av.VideoFrame]:
        if self.good == 0:
            raise av.FFmpegError(-5, "device lost")
        self.good -= 1
        return self.inner.decode(packet)  # type: ignore[return-value]


def test_the_first_present_working_device_is_chosen() -> None:
    tried: list[str] = []

    def probe(candidate: HardwareDecoder) -> bool:
        tried.append(candidate.device_type)
        return candidate is QSV

    assert probe_decoder("linux", probe, lambda: ["qsv", "cuda", "vaapi"]) is QSV
    assert tried == ["vaapi", "cuda", "qsv"]
    assert probe_decoder("linux", probe, lambda: ["drm"]) is None  # nothing this platform decodes with
    assert probe_decoder("sunos", probe, lambda: ["qsv"]) is None


def test_no_device_here_means_software() -> None:
    # This FFmpeg quietly decodes in software when a device does not open: that is not hardware.
    present = {c.device_type for c in CANDIDATES["linux"]} & set(av.codec.hwaccel.hwdevices_available())
    if any(hwdecode.decoder_works(c) for c in CANDIDATES["linux"] if c.device_type in present):
        pytest.skip("this machine has a working hardware decoder")
    assert probe_decoder("linux") is None
    assert DecodePolicy().describe() == "software"


def test_a_failing_hardware_decoder_continues_in_software_from_the_next_keyframe() -> None:
    policy = DecodePolicy(VAAPI)
    devices: list[DyingDevice] = []

    def create(hardware: HardwareDecoder) -> Any:
        devices.append(DyingDevice(good=3))
        return devices[-1]

    decoder = FallbackH264Decoder(policy, create=create)
    pictures = [decoder.decode(JitterFrame(unit, i * 3000)) for i, unit in enumerate(_stream(12))]
    assert all(pictures[:3]) and pictures[3] == []  # three on the device, then the failure
    assert decoder.hardware is None and policy.hardware is None
    assert all(pictures[5:]), "software decodes from the next keyframe (the fifth picture) on"
    assert policy.describe().startswith("software — hardware failed") and "device lost" in policy.describe()


def test_a_device_that_does_not_open_decodes_in_software_from_the_start() -> None:
    policy = DecodePolicy(VAAPI)

    def create(hardware: HardwareDecoder) -> Any:
        raise RuntimeError("VA-API did not open")

    decoder = FallbackH264Decoder(policy, create=create)
    assert all(decoder.decode(JitterFrame(unit, i * 3000)) for i, unit in enumerate(_stream(4)))
    assert policy.hardware is None


def test_receivers_decode_h264_on_the_hardware_while_it_is_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hwdecode, "_original_get_decoder", None)
    monkeypatch.setattr(rtcrtpreceiver, "get_decoder", rtcrtpreceiver.get_decoder)
    monkeypatch.setattr(hwdecode, "_hardware_context", lambda hardware: DyingDevice(good=100))
    policy = DecodePolicy(VAAPI)
    install_decoders(policy)
    assert isinstance(rtcrtpreceiver.get_decoder(H264), FallbackH264Decoder)
    policy.hardware_failed("driver reset")
    made = rtcrtpreceiver.get_decoder(H264)
    assert isinstance(made, H264Decoder) and not isinstance(made, FallbackH264Decoder)

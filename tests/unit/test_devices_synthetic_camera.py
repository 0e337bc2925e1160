"""Synthetic camera: the pattern, its cost, and the frame id surviving a real VP8 round trip."""

from __future__ import annotations

import fractions
import time

import av
import numpy as np
import pytest
from aiortc.codecs.vpx import Vp8Decoder, Vp8Encoder, vp8_depayload
from aiortc.jitterbuffer import JitterFrame

from spaces_desktop.devices.camera import CameraDevice, CameraFrame
from spaces_desktop.devices.convert import bgr_to_yuv420p
from spaces_desktop.devices.frame_id import (
    FRAME_ID_MODULUS,
    embed_frame_id,
    frame_id_block,
    frame_id_region,
    read_frame_id,
)
from spaces_desktop.devices.synthetic_camera import SyntheticCamera, SyntheticPattern


def test_pattern_has_the_asked_size_and_moves() -> None:
    pattern = SyntheticPattern(640, 360, label="Alice")
    first, later = pattern.render(0, 0.0), pattern.render(15, 0.0)
    assert first.shape == (360, 640, 3) and first.dtype == np.uint8
    assert first.flags.c_contiguous
    assert not np.array_equal(first, later)
    # Each render is a fresh picture: a consumer may keep it while the next one is drawn.
    assert not np.shares_memory(first, later)


def test_pattern_clock_is_drawn() -> None:
    pattern = SyntheticPattern(640, 360, frame_id=False)
    assert not np.array_equal(pattern.render(3, 1000.0), pattern.render(3, 1001.0))


@pytest.mark.parametrize(("width", "height"), [(320, 180), (640, 360), (1280, 720)])
def test_clock_and_counter_sit_bottom_right_clear_of_the_name_chip(width: int, height: int) -> None:
    # The stage tile draws the name chip bottom left: the caption must stay in the right half.
    pattern = SyntheticPattern(width, height, frame_id=False)
    changed = np.argwhere(np.any(pattern.render(3, 1000.0) != pattern.render(3, 1001.0), axis=2))
    assert changed.size and changed[:, 1].min() > width // 2
    frames = np.argwhere(np.any(pattern.render(10, 1000.0) != pattern.render(10_000, 1000.0), axis=2))
    lower = frames[frames[:, 0] > height * 2 // 3]  # the ball moves in the upper two thirds
    assert lower.size and lower[:, 1].min() > width // 2


@pytest.mark.parametrize(("width", "height", "budget_ms"), [(1280, 720, 6.0), (640, 360, 3.0)])
def test_rendering_is_cheap(width: int, height: int, budget_ms: float) -> None:
    pattern = SyntheticPattern(width, height, label="Bot 7")
    pattern.render(0)
    count = 60
    started = time.perf_counter()
    for index in range(count):
        pattern.render(index)
    per_frame_ms = (time.perf_counter() - started) / count * 1000
    # Measured about 0.4 ms (720p) and 0.12 ms (360p) on a 2-core machine; generous for CI.
    assert per_frame_ms < budget_ms, f"{per_frame_ms:.2f} ms per frame"


@pytest.mark.parametrize("width", [320, 640, 1280, 1920])
def test_frame_id_round_trips_in_raw_pictures(width: int) -> None:
    height = width * 9 // 16
    pattern = SyntheticPattern(width, height)
    for frame_id in (0, 1, 2, 1234, 65_537, FRAME_ID_MODULUS - 1):
        assert read_frame_id(pattern.render(frame_id)) == frame_id
    assert read_frame_id(pattern.render(FRAME_ID_MODULUS + 5)) == 5


def test_frame_id_reader_accepts_every_picture_layout() -> None:
    image = np.full((360, 640, 3), 90, dtype=np.uint8)
    embed_frame_id(image, 4242)
    yuv = bgr_to_yuv420p(image)
    bgra = np.dstack([image, np.full(image.shape[:2], 255, np.uint8)])
    assert read_frame_id(image) == 4242
    assert read_frame_id(bgra) == 4242
    assert read_frame_id(yuv) == 4242  # whole I420 picture
    assert read_frame_id(yuv[:360]) == 4242  # Y plane
    assert read_frame_id(av.VideoFrame.from_ndarray(yuv, format="yuv420p")) == 4242
    assert read_frame_id(av.VideoFrame.from_ndarray(image, format="bgr24")) == 4242
    assert read_frame_id(av.VideoFrame.from_ndarray(image, format="rgb24")) == 4242


def test_frame_id_reader_says_none_for_pictures_without_one() -> None:
    rng = np.random.default_rng(7)
    assert read_frame_id(np.zeros((360, 640, 3), np.uint8)) is None
    assert read_frame_id(np.full((360, 640, 3), 255, np.uint8)) is None
    misses = sum(
        read_frame_id(rng.integers(0, 256, (360, 640, 3), dtype=np.uint8)) is not None for _ in range(50)
    )
    assert misses == 0
    assert read_frame_id(np.zeros((10, 10, 3), np.uint8)) is None
    assert read_frame_id("not a picture") is None


def test_a_flipped_bit_is_caught_by_the_checksum() -> None:
    image = np.zeros((360, 640, 3), np.uint8)
    embed_frame_id(image, 777)
    block = frame_id_block(640)
    left = 10 * block  # a payload bit
    image[block : 2 * block, left : left + block] = 255 - image[block : 2 * block, left : left + block]
    assert read_frame_id(image) is None


def test_frame_id_geometry() -> None:
    assert frame_id_block(1280) == 16
    assert frame_id_block(640) == 16
    assert frame_id_block(320) == 16
    assert frame_id_block(3840) == 32
    assert frame_id_region(1280) == (576, 48)
    assert frame_id_region(640) == (576, 48)
    assert frame_id_region(320) == (320, 64)  # two rows of bits
    with pytest.raises(ValueError):
        embed_frame_id(np.zeros((20, 100, 3), np.uint8), 1)


def _vp8_round_trip(width: int, height: int, frame_ids: list[int], bitrate: int) -> list[int | None]:
    """Encode with aiortc's own VP8 encoder (what RTCRtpSender uses), depacketize, decode."""
    pattern = SyntheticPattern(width, height, label="Latency probe")
    encoder = Vp8Encoder()
    encoder.target_bitrate = bitrate
    decoder = Vp8Decoder()
    read: list[int | None] = []
    for position, frame_id in enumerate(frame_ids):
        frame = av.VideoFrame.from_ndarray(bgr_to_yuv420p(pattern.render(frame_id)), format="yuv420p")
        frame.pts = position * 3000
        frame.time_base = fractions.Fraction(1, 90_000)
        payloads, timestamp = encoder.encode(frame, force_keyframe=False)
        data = b"".join(vp8_depayload(p) for p in payloads)
        decoded = decoder.decode(JitterFrame(data=data, timestamp=timestamp))
        read.extend(read_frame_id(d) for d in decoded)
    return read


@pytest.mark.parametrize(("width", "height"), [(320, 180), (640, 360), (1280, 720)])
@pytest.mark.parametrize("bitrate", [250_000, 1_500_000])
def test_frame_id_survives_vp8(width: int, height: int, bitrate: int) -> None:
    # Large jumps between ids change many blocks per frame: harder than a counter going up by one.
    frame_ids = [(i * 7919 + 3) % FRAME_ID_MODULUS for i in range(60)]
    read = _vp8_round_trip(width, height, frame_ids, bitrate)
    assert read == frame_ids


def test_frame_id_survives_vp8_counting_up() -> None:
    frame_ids = list(range(1000, 1090))
    assert _vp8_round_trip(640, 360, frame_ids, 500_000) == frame_ids


def test_synthetic_camera_is_a_camera_source_with_frame_ids() -> None:
    camera = SyntheticCamera("Bob", width=320, height=180, fps=50)
    assert isinstance(camera, CameraDevice)
    frames: list[CameraFrame] = []
    camera.subscribe(frames.append)
    camera.start()
    try:
        time.sleep(0.3)
    finally:
        camera.stop()
    assert not camera.running
    assert 5 <= len(frames) <= 20, len(frames)
    for frame in frames:
        assert frame.image.shape == (180, 320, 3)
        assert read_frame_id(frame.image) == frame.index
    gaps = np.diff([f.timestamp for f in frames])
    assert abs(float(np.median(gaps)) - 0.02) < 0.01
    assert camera.frames_rendered == len(frames)
    assert camera.render_seconds / len(frames) < 0.01


def test_synthetic_camera_restarts_and_keeps_counting() -> None:
    camera = SyntheticCamera(width=160, height=90, fps=100, frame_id=False)
    camera.start()
    time.sleep(0.05)
    camera.stop()
    before = camera.latest()
    camera.start()
    time.sleep(0.05)
    after = camera.latest()
    camera.stop()
    assert before is not None and after is not None and after.index > before.index


def test_fail_now_ends_capture_with_a_device_error() -> None:
    from spaces_desktop.devices.errors import CameraMissing

    camera = SyntheticCamera(width=160, height=90, fps=30)
    errors: list[Exception] = []
    camera.subscribe(lambda frame: None, errors.append)
    camera.start()
    try:
        camera.fail_now()
        deadline = time.monotonic() + 5
        while not errors and time.monotonic() < deadline:
            time.sleep(0.01)
        assert errors and isinstance(errors[0], CameraMissing)
        assert isinstance(camera.error, CameraMissing)
    finally:
        camera.stop()

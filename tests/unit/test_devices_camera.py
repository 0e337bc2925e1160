"""OpenCvCamera error paths and the threaded camera machinery, with fake captures (no webcam here)."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import pytest

from spaces_desktop.devices.camera import CameraDevice, CameraFrame
from spaces_desktop.devices.errors import CameraBusy, CameraMissing, DeviceError
from spaces_desktop.devices.opencv_camera import OpenCvCamera


class FakeCapture:
    """Stands in for cv2.VideoCapture: opens or not, delivers ``good_reads`` frames, then fails."""

    def __init__(
        self, *, opened: bool = True, good_reads: int = 10**9, width: int = 64, height: int = 48
    ) -> None:
        self.opened = opened
        self.good_reads = good_reads
        self.shape = (height, width, 3)
        self.reads = 0
        self.released = False
        self.props: dict[int, float] = {}

    def isOpened(self) -> bool:
        return self.opened

    def read(self) -> tuple[bool, Any]:
        self.reads += 1
        time.sleep(0.002)
        if self.reads > self.good_reads:
            return False, None
        return True, np.full(self.shape, self.reads % 256, dtype=np.uint8)

    def set(self, prop: int, value: float) -> bool:
        self.props[prop] = value
        return True

    def get(self, prop: int) -> float:
        return 0.0

    def release(self) -> None:
        self.released = True


def camera_with(capture: FakeCapture, *, exists: bool | None = True, **options: Any) -> OpenCvCamera:
    return OpenCvCamera(
        0,
        name="Test camera",
        capture_factory=lambda device: capture,
        device_exists=lambda device: exists,
        **options,
    )


def test_nonexistent_index_is_camera_missing_with_real_opencv() -> None:
    camera = OpenCvCamera(99, open_timeout=5.0)
    with pytest.raises(CameraMissing) as caught:
        camera.start()
    assert "99" in caught.value.message
    assert "Settings" in caught.value.hint
    assert not camera.running
    assert camera.latest() is None


def test_real_opencv_open_failure_without_existence_check_is_camera_missing() -> None:
    # Forces cv2.VideoCapture to actually try (and fail) on an index that does not exist.
    camera = OpenCvCamera(57, device_exists=lambda device: None)
    with pytest.raises(CameraMissing):
        camera.start()


def test_device_that_exists_but_will_not_open_is_busy() -> None:
    capture = FakeCapture(opened=False)
    with pytest.raises(CameraBusy) as caught:
        camera_with(capture).start()
    assert "Close the other app" in str(caught.value)
    assert capture.released


def test_device_that_opens_but_never_delivers_is_busy() -> None:
    capture = FakeCapture(good_reads=0)
    camera = camera_with(capture, stall_timeout=0.2)
    started = time.monotonic()
    with pytest.raises(CameraBusy) as caught:
        camera.start()
    assert time.monotonic() - started < 2.0
    assert "stopped delivering" in caught.value.message
    assert capture.released


def test_camera_that_stalls_after_starting_reports_through_error_listener() -> None:
    capture = FakeCapture(good_reads=5)
    camera = camera_with(capture, stall_timeout=0.2)
    errors: list[DeviceError] = []
    failed = threading.Event()

    def on_error(error: DeviceError) -> None:
        errors.append(error)
        failed.set()

    camera.subscribe(lambda frame: None, on_error)
    camera.start()
    assert failed.wait(3.0)
    assert isinstance(errors[0], CameraBusy)
    assert camera.error is errors[0]
    assert not camera.running
    camera.stop()


def test_unplugged_camera_becomes_missing() -> None:
    capture = FakeCapture(good_reads=3)
    present = [True]
    camera = OpenCvCamera(
        2,
        capture_factory=lambda device: capture,
        device_exists=lambda device: present[0],
        stall_timeout=0.2,
    )
    camera.start()
    present[0] = False
    deadline = time.monotonic() + 3
    while camera.error is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert isinstance(camera.error, CameraMissing)
    camera.stop()


def test_frames_flow_newest_only_and_camera_restarts() -> None:
    capture = FakeCapture(width=32, height=24)
    camera = camera_with(capture)
    assert isinstance(camera, CameraDevice)
    received: list[CameraFrame] = []
    unsubscribe = camera.subscribe(received.append)

    camera.start()
    first = camera.latest()
    assert first is not None and first.image.shape == (24, 32, 3)
    assert camera.running
    assert threading.current_thread().name != "camera-Test camera"
    assert any(t.name == "camera-Test camera" and t.daemon for t in threading.enumerate())
    time.sleep(0.05)
    camera.stop()
    assert not camera.running
    assert capture.released
    count = len(received)
    assert count >= 2
    indices = [f.index for f in received]
    assert indices == sorted(indices) and len(set(indices)) == len(indices)
    assert (camera.width, camera.height) == (32, 24)

    # Restart: a fresh capture, indices keep counting.
    capture.released = False
    camera.start()
    time.sleep(0.02)
    latest = camera.latest()
    assert latest is not None and latest.index > indices[-1]
    unsubscribe()
    settled = len(received)
    time.sleep(0.03)
    assert len(received) == settled
    camera.stop()


def test_asks_for_mjpg_size_fps_and_a_one_frame_buffer() -> None:
    import cv2

    capture = FakeCapture()
    camera = camera_with(capture, width=1280, height=720, fps=30)
    camera.start()
    camera.stop()
    assert capture.props[cv2.CAP_PROP_FRAME_WIDTH] == 1280
    assert capture.props[cv2.CAP_PROP_FRAME_HEIGHT] == 720
    assert capture.props[cv2.CAP_PROP_FPS] == 30
    assert capture.props[cv2.CAP_PROP_BUFFERSIZE] == 1
    assert capture.props[cv2.CAP_PROP_FOURCC] == int.from_bytes(b"MJPG", "little")


def test_a_failing_listener_does_not_stop_capture() -> None:
    capture = FakeCapture()
    camera = camera_with(capture)

    def broken(frame: CameraFrame) -> None:
        raise RuntimeError("listener bug")

    camera.subscribe(broken)
    camera.start()
    time.sleep(0.03)
    assert camera.running and camera.error is None
    camera.stop()


def test_invalid_format_is_rejected() -> None:
    with pytest.raises(ValueError):
        OpenCvCamera(0, width=0)

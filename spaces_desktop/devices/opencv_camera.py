"""Webcams through OpenCV's ``VideoCapture``."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

from spaces_desktop.devices.camera import ThreadedCamera
from spaces_desktop.devices.errors import CameraBusy, CameraMissing

# FOURCC "MJPG" (what cv2.VideoWriter_fourcc computes), little-endian.
_MJPG = int.from_bytes(b"MJPG", "little")


class VideoCaptureLike(Protocol):
    """The part of ``cv2.VideoCapture`` we use (tests hand in fakes)."""

    def isOpened(self) -> bool: ...

    def read(self) -> tuple[bool, Any]: ...

    def set(self, prop: int, value: float) -> bool: ...

    def get(self, prop: int) -> float: ...

    def release(self) -> None: ...


CaptureFactory = Callable[[int | str], VideoCaptureLike]
DeviceExists = Callable[[int | str], bool | None]


def default_capture_factory(device: int | str) -> VideoCaptureLike:
    capture: VideoCaptureLike
    if sys.platform.startswith("linux"):
        # The V4L2 backend directly: the default may try GStreamer first and open slowly.
        capture = cv2.VideoCapture(device, cv2.CAP_V4L2)
    else:
        capture = cv2.VideoCapture(device)
    return capture


def linux_device_exists(device: int | str) -> bool | None:
    """Whether the V4L2 node exists (Linux); None where that cannot be told without opening it."""
    if not sys.platform.startswith("linux"):
        return None
    path = Path(f"/dev/video{device}") if isinstance(device, int) else Path(device)
    return path.exists()


class OpenCvCamera(ThreadedCamera):
    """A webcam captured by OpenCV in the thread ``camera-<name>``.

    The requested size/fps is a wish: the camera picks the closest mode it has,
    and ``width``/``height`` report what it actually delivers once started.
    Pictures are not rescaled here, so the aspect ratio stays the camera's own.

    Raises from :meth:`start`: :class:`CameraMissing` when no camera is at
    ``device``, :class:`CameraBusy` when it exists but will not open or deliver
    (usually another app holds it). If it stops delivering later, capture ends,
    ``error`` is set and error listeners are told: at once when the device
    node is gone (unplugged), after ``stall_timeout`` of failed reads otherwise
    (another app took it, a driver hang), so a lost camera is noticed within a
    second.
    """

    def __init__(
        self,
        device: int | str = 0,
        *,
        width: int = 1280,
        height: int = 720,
        fps: float = 30.0,
        name: str | None = None,
        open_timeout: float = 5.0,
        stall_timeout: float = 0.8,
        capture_factory: CaptureFactory = default_capture_factory,
        device_exists: DeviceExists = linux_device_exists,
    ) -> None:
        super().__init__(name or f"Camera {device}", width, height, fps, open_timeout=open_timeout)
        self.device = device
        self.stall_timeout = stall_timeout
        self._factory = capture_factory
        self._device_exists = device_exists
        self._capture: VideoCaptureLike | None = None

    def _open(self) -> None:
        if self._device_exists(self.device) is False:
            raise CameraMissing(f"No camera was found at “{self.device}”.")
        capture = self._factory(self.device)
        self._capture = capture
        if not capture.isOpened():
            if self._device_exists(self.device):
                raise CameraBusy(f"The camera “{self.name}” could not be opened.")
            raise CameraMissing(
                f"The camera “{self.name}” could not be opened.",
                "Plug it in, close any other app using it, or pick another camera in Settings.",
            )
        # MJPG first: most USB webcams only reach 720p30 compressed; raw YUYV tops out near 10 fps.
        capture.set(cv2.CAP_PROP_FOURCC, float(_MJPG))
        capture.set(cv2.CAP_PROP_FRAME_WIDTH, float(self.width))
        capture.set(cv2.CAP_PROP_FRAME_HEIGHT, float(self.height))
        capture.set(cv2.CAP_PROP_FPS, float(self.fps))
        # One buffered frame at most: a deeper driver queue is pure latency.
        capture.set(cv2.CAP_PROP_BUFFERSIZE, 1.0)
        actual_fps = capture.get(cv2.CAP_PROP_FPS)
        if 1.0 <= actual_fps <= 240.0:
            self._fps = float(actual_fps)

    def _read(self, stop: threading.Event) -> np.ndarray | None:
        capture = self._capture
        assert capture is not None
        deadline = time.monotonic() + self.stall_timeout
        while not stop.is_set():
            ok, image = capture.read()
            if ok and image is not None and image.size:
                if image.ndim == 2:
                    image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
                return np.ascontiguousarray(image[:, :, :3])
            # An unplugged camera's node disappears at once: say so without waiting out the stall.
            if self._device_exists(self.device) is False:
                raise CameraMissing(f"The camera “{self.name}” was unplugged.")
            if time.monotonic() >= deadline:
                raise CameraBusy(f"The camera “{self.name}” stopped delivering pictures.")
            # A failed read often returns at once; don't spin.
            stop.wait(min(0.05, 1.0 / self.fps))
        return None

    def _close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None

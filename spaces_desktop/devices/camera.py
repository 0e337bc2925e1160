"""Cameras: the :class:`CameraDevice` seam and a threaded base that real and synthetic cameras share.

A camera captures in its own named daemon thread and keeps only the newest
frame; a consumer either polls :meth:`CameraDevice.latest` or subscribes to be
told about each new frame. Listeners run **in the capture thread** and must
return quickly (hand the frame over with ``loop.call_soon_threadsafe``).
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from spaces_desktop.devices.errors import CameraBusy, DeviceError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CameraFrame:
    """One captured picture.

    ``image`` is BGR, ``uint8``, shape (height, width, 3), and is never written
    to after it is published. ``index`` counts frames from 0 for the camera's
    lifetime (it keeps counting across stop/start). ``timestamp`` is
    ``time.monotonic()`` at capture.
    """

    image: np.ndarray
    index: int
    timestamp: float

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])


FrameListener = Callable[[CameraFrame], None]
ErrorListener = Callable[[DeviceError], None]


@runtime_checkable
class CameraDevice(Protocol):
    """Anything that produces camera frames: a webcam, the synthetic pattern, a test fake."""

    @property
    def name(self) -> str: ...

    @property
    def width(self) -> int: ...

    @property
    def height(self) -> int: ...

    @property
    def fps(self) -> float: ...

    @property
    def running(self) -> bool: ...

    @property
    def error(self) -> DeviceError | None:
        """Why capture stopped on its own, or None."""
        ...

    def start(self) -> None:
        """Open the device and wait for the first frame; raises a :class:`CameraError` subclass."""
        ...

    def stop(self) -> None:
        """Release the device; :meth:`start` may be called again afterwards."""
        ...

    def latest(self) -> CameraFrame | None:
        """The newest frame, or None before the first one."""
        ...

    def subscribe(self, on_frame: FrameListener, on_error: ErrorListener | None = None) -> Callable[[], None]:
        """Call ``on_frame`` (capture thread) for every new frame; returns an unsubscribe function."""
        ...


class FrameFanout:
    """One camera's pictures handed out: numbered, the latest kept, every listener called (any thread).

    Threaded cameras and capture sources that deliver on another thread (the screen source in ui/qt)
    share it, so a listener sees the same numbering and error handling whatever the device.
    """

    def __init__(self, what: str = "camera") -> None:
        self._what = what
        self._lock = threading.Lock()
        self._latest: CameraFrame | None = None
        self._next_index = 0
        self._listeners: list[tuple[FrameListener, ErrorListener | None]] = []

    @property
    def next_index(self) -> int:
        """The index the next published picture gets."""
        return self._next_index

    def latest(self) -> CameraFrame | None:
        with self._lock:
            return self._latest

    def subscribe(self, on_frame: FrameListener, on_error: ErrorListener | None = None) -> Callable[[], None]:
        entry = (on_frame, on_error)
        with self._lock:
            self._listeners.append(entry)

        def unsubscribe() -> None:
            with self._lock:
                if entry in self._listeners:
                    self._listeners.remove(entry)

        return unsubscribe

    def publish(self, image: np.ndarray, timestamp: float) -> CameraFrame:
        with self._lock:
            frame = CameraFrame(image=image, index=self._next_index, timestamp=timestamp)
            self._next_index += 1
            self._latest = frame
            listeners = list(self._listeners)
        for on_frame, _ in listeners:
            try:
                on_frame(frame)
            except Exception:
                log.exception("%s frame listener failed", self._what)
        return frame

    def fail(self, error: DeviceError) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for _, on_error in listeners:
            if on_error is not None:
                try:
                    on_error(error)
                except Exception:
                    log.exception("%s error listener failed", self._what)


class ThreadedCamera(ABC):
    """Shared machinery: capture thread, newest-frame slot, listeners, start/stop/restart.

    Subclasses implement :meth:`_open`, :meth:`_read` and :meth:`_close`, all
    called in the capture thread.
    """

    def __init__(self, name: str, width: int, height: int, fps: float, *, open_timeout: float = 5.0) -> None:
        if width <= 0 or height <= 0 or fps <= 0:
            raise ValueError(f"invalid camera format {width}x{height}@{fps}")
        self._name = name
        self._width = width
        self._height = height
        self._fps = float(fps)
        self.open_timeout = open_timeout
        self._frames = FrameFanout()
        self._thread: threading.Thread | None = None
        self._stop_event = threading.Event()
        self._error: DeviceError | None = None

    # --- CameraDevice ----------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._name

    @property
    def width(self) -> int:
        return self._width

    @property
    def height(self) -> int:
        return self._height

    @property
    def fps(self) -> float:
        return self._fps

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._stop_event.is_set()

    @property
    def error(self) -> DeviceError | None:
        return self._error

    def start(self) -> None:
        """Start capturing; blocks until the first frame (up to ``open_timeout``) or raises.

        Call it from a worker thread or ``run_in_executor`` when on an event loop:
        opening a webcam can take a second.
        """
        if self.running:
            return
        self._join_previous()
        self._error = None
        stop = threading.Event()
        ready = threading.Event()
        self._stop_event = stop
        thread = threading.Thread(
            target=self._run, args=(stop, ready), name=f"camera-{self._name}", daemon=True
        )
        self._thread = thread
        thread.start()
        if not ready.wait(self.open_timeout):
            stop.set()
            raise CameraBusy(
                f"The camera “{self._name}” did not deliver a picture within {self.open_timeout:g} s."
            )
        if self._error is not None:
            thread.join(timeout=1.0)
            raise self._error

    def stop(self) -> None:
        self._stop_event.set()
        self._join_previous()

    def latest(self) -> CameraFrame | None:
        return self._frames.latest()

    def subscribe(self, on_frame: FrameListener, on_error: ErrorListener | None = None) -> Callable[[], None]:
        return self._frames.subscribe(on_frame, on_error)

    @property
    def _next_index(self) -> int:
        return self._frames.next_index

    # --- subclass hooks (capture thread) -----------------------------------------------------

    @abstractmethod
    def _open(self) -> None:
        """Acquire the device; raise a DeviceError when it cannot be used."""

    @abstractmethod
    def _read(self, stop: threading.Event) -> np.ndarray | None:
        """Block until the next picture (BGR); None to skip; raise DeviceError to end capture."""

    @abstractmethod
    def _close(self) -> None:
        """Release the device (also after a failed open)."""

    # --- capture thread --------------------------------------------------------------------------

    def _run(self, stop: threading.Event, ready: threading.Event) -> None:
        try:
            self._open()
            while not stop.is_set():
                image = self._read(stop)
                if image is None or stop.is_set():
                    continue
                self._publish(image)
                ready.set()
        except DeviceError as exc:
            self._fail(exc)
        except Exception as exc:  # an unexpected backend failure still ends in a readable error
            log.exception("camera %s failed", self._name)
            self._fail(CameraBusy(f"The camera “{self._name}” stopped: {exc}."))
        finally:
            try:
                self._close()
            except Exception:
                log.exception("closing camera %s failed", self._name)
            ready.set()

    def _publish(self, image: np.ndarray) -> None:
        self._height, self._width = int(image.shape[0]), int(image.shape[1])
        self._frames.publish(image, time.monotonic())

    def _fail(self, error: DeviceError) -> None:
        self._error = error
        self._frames.fail(error)

    def _join_previous(self) -> None:
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2.0)
            if thread.is_alive():
                log.warning("camera thread %s did not stop within 2 s", thread.name)
        self._thread = None

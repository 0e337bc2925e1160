"""A screen or a window as a camera: Qt Multimedia's screen and window capture behind the CameraDevice seam.

Specs: ``screen:N`` (the N-th of ``QGuiApplication.screens()``) and
``window:TITLE`` (a window another app shows, or one of ours, by its title).
The engine opens cameras on its own thread; Qt's capture objects must live on
the GUI thread, so :class:`ScreenCamera` builds and drives them there through
a :class:`GuiDispatcher` and hands frames over as BGR numpy pictures, newest
only, like any camera. Frames are scaled down to fit ``max_size`` (a 4K screen
would cost the encoder far too much) and paced at ``fps``.

Qt Multimedia ships in PySide6-Addons; without it, or where the system does
not let the app see the screen (macOS permission, a Wayland desktop without
the portal), picking a screen fails with a sentence saying so.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QSize, Qt, QThread
from PySide6.QtGui import QGuiApplication, QImage

from spaces_desktop.devices.camera import CameraFrame, ErrorListener, FrameFanout, FrameListener
from spaces_desktop.devices.errors import CameraBusy, CameraMissing, DeviceError
from spaces_desktop.session.local_media import CameraOpener, DeviceChoice
from spaces_desktop.ui.qt.bridge import GuiDispatcher

log = logging.getLogger(__name__)

SCREEN = "screen"
WINDOW = "window"
MAX_SIZE = (1280, 720)
OPEN_TIMEOUT_S = 5.0


def multimedia_available() -> bool:
    try:
        from PySide6 import QtMultimedia  # noqa: F401
    except ImportError:
        return False
    return True


def unavailable_sentence() -> str:
    return "Sharing a screen needs Qt Multimedia, which this installation lacks (install PySide6-Addons)."


def refused_sentence(platform: str = sys.platform, wayland: bool | None = None) -> str:
    """What to say when the system does not hand the app the screen's pictures."""
    if platform == "darwin":
        return (
            "macOS did not let Spaces see the screen. Allow it in System Settings → Privacy & Security → "
            "Screen Recording, then pick the screen again."
        )
    if wayland is None:
        app = QGuiApplication.instance()
        wayland = bool(app) and QGuiApplication.platformName().startswith("wayland")
    if wayland:
        return (
            "The desktop did not share the screen. Allow it when the system asks "
            "(it needs PipeWire and the desktop portal), then pick the screen again."
        )
    return "Screen sharing is not available on this system."


@dataclass(frozen=True)
class ScreenOption:
    label: str
    spec: str


def screen_options() -> list[ScreenOption]:
    """Screens and windows that can be shared now (GUI thread); empty without Qt Multimedia."""
    if not multimedia_available() or QGuiApplication.instance() is None:
        return []
    from PySide6.QtMultimedia import QWindowCapture

    screens = QGuiApplication.screens()
    options = [
        ScreenOption(
            QCoreApplication.translate("ScreenSource", "Screen %1: %2 (%3×%4)")
            .replace("%1", str(i + 1))
            .replace("%2", s.name() or QCoreApplication.translate("ScreenSource", "display"))
            .replace("%3", str(s.size().width()))
            .replace("%4", str(s.size().height()))
            if len(screens) > 1
            else QCoreApplication.translate("ScreenSource", "Whole screen (%1×%2)")
            .replace("%1", str(s.size().width()))
            .replace("%2", str(s.size().height())),
            f"{SCREEN}:{i}",
        )
        for i, s in enumerate(screens)
    ]
    for window in QWindowCapture.capturableWindows():
        title = window.description().strip()
        if window.isValid() and title:
            label = QCoreApplication.translate("ScreenSource", "Window: %1").replace("%1", title)
            options.append(ScreenOption(label, f"{WINDOW}:{title}"))
    return options


def is_screen_spec(spec: str) -> bool:
    return spec.startswith((f"{SCREEN}:", f"{WINDOW}:"))


def to_bgr(frame: Any, max_size: tuple[int, int] = MAX_SIZE) -> np.ndarray | None:
    """A QVideoFrame as a BGR picture no larger than ``max_size`` (keeps the aspect ratio)."""
    image: QImage = frame.toImage()
    if image.isNull():
        return None
    if image.width() > max_size[0] or image.height() > max_size[1]:
        image = image.scaled(
            QSize(*max_size), Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
    image = image.convertToFormat(QImage.Format.Format_RGB32)  # B, G, R, X in memory (little-endian)
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    data = np.frombuffer(image.constBits(), dtype=np.uint8, count=stride * height)
    return data.reshape(height, stride // 4, 4)[:, :width, :3].copy()


class ScreenCamera:
    """A :class:`CameraDevice` delivering a screen's or a window's pictures (any thread)."""

    def __init__(
        self,
        spec: str,
        dispatcher: GuiDispatcher,
        *,
        fps: float = 30.0,
        max_size: tuple[int, int] = MAX_SIZE,
        open_timeout: float = OPEN_TIMEOUT_S,
    ) -> None:
        scheme, _, target = spec.partition(":")
        if scheme not in (SCREEN, WINDOW) or not target:
            raise CameraMissing(
                QCoreApplication.translate("ScreenSource", "“%1” is not a screen or a window.").replace(
                    "%1", spec
                )
            )
        self.spec = spec
        self._scheme = scheme
        self._target = target
        self._dispatcher = dispatcher
        self._fps = fps
        self.max_size = max_size
        self.open_timeout = open_timeout
        self._name = f"Screen {int(target) + 1}" if scheme == SCREEN and target.isdigit() else target
        self._width, self._height = max_size
        self._frames = FrameFanout("screen")
        self._error: DeviceError | None = None
        self._running = False
        self._first = threading.Event()
        self._last_at = 0.0
        self._qt: tuple[Any, ...] | None = None
        """(capture, session, sink), GUI thread only."""

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
        return self._running

    @property
    def error(self) -> DeviceError | None:
        return self._error

    def start(self) -> None:
        """Start capturing; from a worker thread, blocks until the first picture or raises."""
        if self._running:
            return
        if not multimedia_available():
            raise CameraBusy(unavailable_sentence(), "Pick a camera instead.")
        self._error = None
        self._first.clear()
        self._on_gui(self._start_capture)
        if _on_gui_thread():
            return  # the GUI thread cannot wait for its own event loop to deliver a frame
        if not self._first.wait(self.open_timeout) and self._error is None:
            self.stop()
            raise CameraBusy(refused_sentence(), "Pick another source, or a camera.")
        if self._error is not None:
            error = self._error
            self.stop()
            raise error
        self._running = True

    def stop(self) -> None:
        self._running = False
        self._on_gui(self._stop_capture)

    def latest(self) -> CameraFrame | None:
        return self._frames.latest()

    def subscribe(self, on_frame: FrameListener, on_error: ErrorListener | None = None) -> Callable[[], None]:
        return self._frames.subscribe(on_frame, on_error)

    # --- GUI thread ------------------------------------------------------------------------

    def _on_gui(self, fn: Callable[[], object]) -> None:
        if _on_gui_thread():
            fn()
            return

        def run() -> None:
            fn()

        self._dispatcher.post(run)

    def _start_capture(self) -> None:
        from PySide6.QtMultimedia import (
            QCapturableWindow,
            QMediaCaptureSession,
            QScreenCapture,
            QVideoSink,
            QWindowCapture,
        )

        self._stop_capture()
        session = QMediaCaptureSession()
        sink = QVideoSink()
        capture: Any
        if self._scheme == SCREEN:
            screens = QGuiApplication.screens()
            index = int(self._target) if self._target.isdigit() else -1
            if not 0 <= index < len(screens):
                self._fail(
                    CameraMissing(
                        QCoreApplication.translate(
                            "ScreenSource", "Screen %1 is not connected any more."
                        ).replace("%1", str(self._target))
                    )
                )
                return
            capture = QScreenCapture()
            capture.setScreen(screens[index])
            session.setScreenCapture(capture)
        else:
            window = _find_window(self._target, QWindowCapture, QCapturableWindow)
            if window is None:
                self._fail(
                    CameraMissing(
                        QCoreApplication.translate(
                            "ScreenSource", "The window “%1” is not open any more."
                        ).replace("%1", str(self._target))
                    )
                )
                return
            capture = QWindowCapture()
            capture.setWindow(window)
            session.setWindowCapture(capture)
        session.setVideoSink(sink)
        sink.videoFrameChanged.connect(self._frame, Qt.ConnectionType.DirectConnection)
        capture.errorOccurred.connect(lambda _error, text: self._capture_failed(text))
        self._qt = (capture, session, sink)
        self._running = True
        capture.start()

    def _stop_capture(self) -> None:
        if self._qt is None:
            return
        capture, session, sink = self._qt
        self._qt = None
        with contextlib.suppress(RuntimeError, TypeError):
            sink.videoFrameChanged.disconnect(self._frame)
        capture.stop()
        for obj in (capture, session, sink):
            obj.deleteLater()

    def _capture_failed(self, text: str) -> None:
        log.warning("screen capture %s failed: %s", self.spec, text)
        if self._scheme == WINDOW:
            message = (
                f"The window “{self._target}” cannot be shared: it closed, or the system does not allow it."
            )
        else:
            message = refused_sentence()
        self._fail(CameraBusy(message, "Pick another source, or a camera."))
        self._stop_capture()

    def _frame(self, frame: Any) -> None:  # the sink's thread
        now = time.monotonic()
        if now - self._last_at < 0.9 / self._fps or not frame.isValid():
            return
        image = to_bgr(frame, self.max_size)
        if image is None:
            return
        self._last_at = now
        self._height, self._width = int(image.shape[0]), int(image.shape[1])
        self._frames.publish(image, now)
        self._first.set()  # after the picture is the latest: the opener reads it once this is set

    def _fail(self, error: DeviceError) -> None:
        self._error = error
        self._running = False
        self._first.set()
        self._frames.fail(error)


def _on_gui_thread() -> bool:
    app = QCoreApplication.instance()
    return app is not None and QThread.currentThread() is app.thread()


def _find_window(title: str, window_capture: Any, capturable: Any) -> Any:
    """Another app's window with this title, else one of ours (no window manager lists those)."""
    for window in window_capture.capturableWindows():
        if window.isValid() and window.description().strip() == title:
            return window
    for own in QGuiApplication.topLevelWindows():
        if own.isVisible() and own.title() == title:
            return capturable(own)
    return None


def screen_opener(dispatcher: GuiDispatcher) -> CameraOpener:
    """The factory the engine uses for ``screen:`` and ``window:`` specs."""

    def open_screen(spec: str, choice: DeviceChoice, label: str) -> ScreenCamera:
        return ScreenCamera(spec, dispatcher, fps=min(choice.fps, 30.0))

    return open_screen


def screen_openers(dispatcher: GuiDispatcher) -> dict[str, CameraOpener]:
    opener = screen_opener(dispatcher)
    return {SCREEN: opener, WINDOW: opener}

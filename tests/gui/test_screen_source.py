"""A screen or a window as the product camera, through Qt Multimedia's real capture.

Runs wherever Qt Multimedia (PySide6-Addons) is installed: capture works on the
offscreen platform and under Xvfb here. Without it, the menu offers no screens
and picking one says why.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from spaces_desktop.devices.camera import CameraDevice
from spaces_desktop.devices.errors import DeviceError
from spaces_desktop.session.local_media import DeviceChoice, open_camera
from spaces_desktop.ui.qt.bridge import GuiDispatcher
from spaces_desktop.ui.qt.screen_source import (
    ScreenCamera,
    multimedia_available,
    refused_sentence,
    screen_openers,
    screen_options,
)

needs_multimedia = pytest.mark.skipif(
    not multimedia_available(), reason="Qt Multimedia (PySide6-Addons) is not installed"
)


def _magenta_window(qtbot, title: str) -> QWidget:  # type: ignore[no-untyped-def]
    window = QWidget()
    window.setWindowTitle(title)
    window.setStyleSheet("background: #ff00ff;")
    window.setGeometry(0, 0, 640, 360)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def _start_in_worker(camera: CameraDevice, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Start as the engine does (from another thread) while the GUI loop keeps running."""
    done: list[BaseException | None] = []

    def run() -> None:
        try:
            camera.start()
            done.append(None)
        except BaseException as exc:
            done.append(exc)

    threading.Thread(target=run, daemon=True).start()
    qtbot.waitUntil(lambda: bool(done), timeout=8000)
    if done[0] is not None:
        raise done[0]


@needs_multimedia
def test_a_screen_opens_through_the_engine_seam_and_delivers_bgr_pictures(qtbot) -> None:  # type: ignore[no-untyped-def]
    window = _magenta_window(qtbot, "Slides")  # kept: an unreferenced widget is destroyed
    openers = screen_openers(GuiDispatcher())
    camera = open_camera("screen:0", DeviceChoice(), "Me · product", openers)
    assert isinstance(camera, ScreenCamera) and isinstance(camera, CameraDevice)
    _start_in_worker(camera, qtbot)
    try:
        assert camera.running
        first = camera.latest()
        assert first is not None and first.image.dtype == np.uint8 and first.image.shape[2] == 3
        qtbot.waitUntil(lambda: (camera.latest() or first).index >= first.index + 5, timeout=5000)
        later = camera.latest()
        assert later is not None
        b, g, r = later.image[100, 100]
        assert r > 200 and b > 200 and g < 60  # the magenta window, in BGR order
        assert first.width <= 1280 and first.height <= 720
    finally:
        camera.stop()
    assert not camera.running
    window.close()


@needs_multimedia
def test_a_window_of_ours_can_be_shared_by_title(qtbot) -> None:  # type: ignore[no-untyped-def]
    if QGuiApplication.platformName() == "offscreen":
        pytest.skip(
            "the offscreen platform has no window ids to capture; run with QT_QPA_PLATFORM=xcb under Xvfb"
        )
    window = _magenta_window(qtbot, "Price list")
    camera = ScreenCamera("window:Price list", GuiDispatcher())
    _start_in_worker(camera, qtbot)
    try:
        first = camera.latest()
        assert first is not None
        qtbot.waitUntil(lambda: (camera.latest() or first).index >= first.index + 3, timeout=5000)
        frame = camera.latest()
        assert frame is not None
        b, g, r = frame.image[frame.height // 2, frame.width // 2]
        assert r > 200 and b > 200 and g < 60
    finally:
        camera.stop()
        window.close()


@needs_multimedia
def test_the_product_camera_menu_lists_the_screens(qtbot) -> None:  # type: ignore[no-untyped-def]
    options = screen_options()
    assert options and options[0].spec == "screen:0"


def test_a_missing_screen_or_window_says_so(qtbot) -> None:  # type: ignore[no-untyped-def]
    if not multimedia_available():
        with pytest.raises(DeviceError, match="Qt Multimedia"):
            ScreenCamera("screen:0", GuiDispatcher()).start()
        return
    camera = ScreenCamera("window:No such window anywhere", GuiDispatcher(), open_timeout=2)
    with pytest.raises(DeviceError, match="not open any more"):
        _start_in_worker(camera, qtbot)


def test_refusals_name_the_fix_for_each_system() -> None:
    assert "Screen Recording" in refused_sentence("darwin")
    assert "portal" in refused_sentence("linux", wayland=True)
    assert "not available" in refused_sentence("linux", wayland=False)

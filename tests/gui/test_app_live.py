"""The main window over the real engine and the built-in backend with Janus: host a Space and end it.

A stand-in stage is used here; the stage has its own tests. Media stays in
the test session's network namespace.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from spaces_desktop.domain.state import Connection
from spaces_desktop.session.engine import Engine
from spaces_desktop.ui.main_window import MainWindow
from spaces_desktop.ui.qt.devices import DeviceDirectory
from spaces_desktop.ui.qt.settings import AppSettings
from spaces_desktop.ui.qt.theme import Theme
from tests.gui.conftest import CountingDevices, StandInStage, empty_catalog

pytestmark = pytest.mark.skipif(shutil.which("janus") is None, reason="Janus is not installed")


def test_host_a_space_for_real(
    qtbot: QtBot,
    theme: Theme,
    app_settings: AppSettings,
    server_url: str,
    shot: Callable[[QWidget, str], Path],
) -> None:
    engine = Engine(lambda _: None, play_audio=False)
    directory = DeviceDirectory(empty_catalog)
    directory.load_now()
    app_settings.display_name = "Dana Host"
    window = MainWindow(
        engine,
        app_settings,
        theme,
        server_url=server_url,
        stage_factory=StandInStage,
        directory=directory,
        preview_devices=CountingDevices(),
        confirm=lambda *_: True,
    )
    qtbot.addWidget(window)
    window.show()
    try:
        dialog = window.open_setup()
        assert dialog is not None
        dialog.title_edit.setText("Live from the test")
        dialog.video_toggle.setChecked(True)
        dialog.go_button.click()
        qtbot.waitUntil(lambda: window.controller.state.connection is Connection.LIVE, timeout=20000)
        # The Space screen opens when the engine's create call returns, a moment after the state is live.
        qtbot.waitUntil(
            lambda: window.space_screen is not None and window.space_screen.isVisible(), timeout=10000
        )
        screen = window.space_screen
        assert screen is not None and screen.isVisible()
        qtbot.waitUntil(lambda: screen.controls.camera.isVisible(), timeout=5000)
        screen.controls.camera.button.click()
        qtbot.waitUntil(lambda: bool(window.controller.state.myself.camera_on), timeout=10000)  # type: ignore[union-attr]
        screen.controls.mic.button.click()
        qtbot.waitUntil(lambda: bool(window.controller.state.myself.muted), timeout=10000)  # type: ignore[union-attr]
        assert screen.controls.mic.caption.text() == "Unmute"
        screen.controls.picker.buttons["🔥"].click()
        qtbot.waitUntil(lambda: screen.overlay.floating == ["🔥"], timeout=10000)
        shot(window, "space-host-live")
        screen.controls.end.click()
        qtbot.waitUntil(lambda: window.stack.currentWidget() is window.ended, timeout=10000)
        assert window.ended.title.text() == "You ended the Space"
        assert app_settings.recent[0].title == "Live from the test"
    finally:
        engine.shutdown()
        directory.close()

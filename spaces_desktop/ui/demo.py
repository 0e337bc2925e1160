"""`spaces-desktop demo`: the app already hosting a Space with video, three guests taking turns.

It starts the built-in backend with its private Janus, goes live as soon as the
server answers, and brings the guests in: two accept the host's invitation, the
third raises a hand for the person at the keyboard to accept. A real camera and
microphone are used when the machine has them; otherwise the test picture, and
the window says so.
"""

from __future__ import annotations

import concurrent.futures
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QCoreApplication, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from spaces_desktop.devices.catalog import list_devices
from spaces_desktop.domain import CameraSource
from spaces_desktop.domain.state import SessionState
from spaces_desktop.session.engine import Engine
from spaces_desktop.session.local_media import NONE, SYNTHETIC, DeviceChoice
from spaces_desktop.session.port import EnginePort
from spaces_desktop.ui.app import APP_NAME, ORG_NAME, data_dir, shutdown
from spaces_desktop.ui.main_window import MainWindow
from spaces_desktop.ui.qt.settings import AppSettings, director_settings
from spaces_desktop.ui.qt.theme import Theme
from spaces_desktop.ui.server_port import ServerFactory
from spaces_desktop.ui.stage.singletons import protect

log = logging.getLogger(__name__)

TITLE = "Spaces Desktop demo: two cameras, one stage"


class Guests(Protocol):
    """The demo's synthetic guests (``headless.demo_guests.DemoGuests``), handed in by the CLI."""

    joined: concurrent.futures.Future[list[str]]
    """Their participant ids, once all of them are in the Space."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


GuestsFactory = Callable[[str, str], Guests]
"""(server URL, Space id) → guests not yet started."""


def host_devices(name: str) -> tuple[DeviceChoice, str | None]:
    """The machine's own camera and microphone when present; a note when we fall back."""
    catalog = list_devices()
    camera = str(catalog.cameras[0].index) if catalog.cameras else SYNTHETIC
    mic = str(catalog.audio.default_microphone.index) if catalog.audio.default_microphone else NONE
    note = None
    if camera == SYNTHETIC and mic == NONE:
        note = QCoreApplication.translate(
            "Demo",
            "No camera or microphone found: you appear with a test picture, without a microphone.",
        )
    elif camera == SYNTHETIC:
        note = QCoreApplication.translate(
            "Demo", "No camera found on this machine: you appear with a test picture."
        )
    elif mic == NONE:
        note = QCoreApplication.translate(
            "Demo", "No microphone found on this machine: you appear without a microphone."
        )
    return DeviceChoice(camera=camera, microphone=mic, label=name, width=1280, height=720), note


def run_demo(
    argv: Sequence[str] | None = None,
    *,
    quit_after_s: float | None = None,
    screenshot: Path | None = None,
    screenshot_after_s: float = 20.0,
    server_factory: ServerFactory | None = None,
    guests_factory: GuestsFactory,
) -> int:
    """Runs the demo until the window closes (or `quit_after_s`); `screenshot` saves the window once."""
    protect()  # PySide6 6.12 on CPython 3.11 would otherwise drain None/True/False
    app = QApplication.instance() or QApplication(list(argv or sys.argv[:1]))
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORG_NAME)
    settings = AppSettings(QSettings())
    theme = Theme()
    theme.apply(app, settings.theme)
    engine: EnginePort = Engine(lambda _: None, director=director_settings(settings.sensitivity))
    embedded = server_factory(data_dir() / "demo-server") if server_factory else None
    window = MainWindow(engine, settings, theme, embedded=embedded)
    window.show()
    name = settings.display_name or "You"
    devices, note = host_devices(name)
    guests: list[Guests] = []

    def go_live() -> None:
        server = window.server_url
        if server is None:
            if window.embedded_error:
                poll.stop()  # the home screen already says what is wrong and how to fix it
            return
        poll.stop()
        window.controller.create(server, TITLE, name, True, devices, settings.client_id)

    def entered() -> None:
        state: SessionState = window.controller.state
        if state.space is None or guests or window.server_url is None:
            return
        if note:
            window.statusBar().showMessage(note)
        engine.set_camera(CameraSource.MAIN, True)
        demo = guests_factory(window.server_url, state.space.id)
        guests.append(demo)
        demo.start()
        demo.joined.add_done_callback(lambda done: window.dispatcher.post(lambda: invite(done)))

    def invite(done: concurrent.futures.Future[list[str]]) -> None:
        error = done.exception()
        if error is not None:
            window.statusBar().showMessage(
                QCoreApplication.translate("Demo", "The demo guests could not join: %1").replace(
                    "%1", str(error)
                )
            )
            return
        for participant_id in done.result():
            engine.invite(participant_id)

    window.controller.entered.connect(entered)
    poll = QTimer()
    poll.timeout.connect(go_live)
    poll.start(100)
    signal.signal(signal.SIGINT, lambda *_: app.quit())
    if screenshot is not None:
        QTimer.singleShot(int(screenshot_after_s * 1000), lambda: window.grab().save(str(screenshot)))
    if quit_after_s is not None:
        QTimer.singleShot(int(quit_after_s * 1000), app.quit)
    try:
        app.exec()
    finally:
        for demo in guests:
            demo.stop()
        shutdown(engine, embedded, window)
    return 0

"""The composition root: builds the app's objects once and wires them together.

Startup (GUI thread): QApplication; if the app already runs, the link goes to
it and this process ends; else settings, theme, the engine (its own thread),
the built-in server (its own thread, unless a server URL is given), the main
window, and a local socket on which later launches hand over their links.
Shutdown is orderly and in this order: the engine leaves the Space and joins
its thread, the built-in server stops (and Janus with it), then the process
exits with 0.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSettings, QStandardPaths, QTimer
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication

from spaces_desktop.domain.state import SessionState
from spaces_desktop.link_handler import register
from spaces_desktop.session.engine import Engine
from spaces_desktop.session.port import EnginePort
from spaces_desktop.ui.main_window import MainWindow
from spaces_desktop.ui.qt.bridge import GuiDispatcher
from spaces_desktop.ui.qt.screen_source import screen_openers
from spaces_desktop.ui.qt.settings import AppSettings, director_settings
from spaces_desktop.ui.qt.single_instance import SingleInstance, hand_over, server_name
from spaces_desktop.ui.qt.theme import Theme
from spaces_desktop.ui.qt.translations import install_translator
from spaces_desktop.ui.server_port import ServerFactory, ServerPort
from spaces_desktop.ui.stage.singletons import protect

log = logging.getLogger(__name__)

APP_NAME = "Spaces Desktop"
ORG_NAME = "spaces-desktop"


def data_dir() -> Path:
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(location) if location else Path.home() / ".local" / "share" / ORG_NAME


def _ignore_state(_: SessionState) -> None:
    """Placeholder until the main window installs its own listener."""


def run(
    link: str | None = None,
    server_url: str | None = None,
    argv: Sequence[str] | None = None,
    *,
    self_check: bool = False,
    server_factory: ServerFactory | None = None,
    quit_requested: threading.Event | None = None,
) -> int:
    """Open the app (blocks until it quits); ``link`` is a Space to join at once.

    ``quit_requested`` is set by a Ctrl+C or SIGTERM that came while the app was loading; the app
    then closes as soon as it runs, through the same orderly shutdown.

    ``self_check`` opens the main window, lets it paint, and quits: a packaged build
    proves it starts without a display or a server.
    """
    protect()  # PySide6 6.12 on CPython 3.11 would otherwise drain None/True/False
    app = QApplication.instance() or QApplication(list(argv or sys.argv[:1]))
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORG_NAME)
    app.setApplicationDisplayName("Spaces")
    app.setQuitOnLastWindowClosed(True)

    instance_name = server_name(str(data_dir()))
    if not self_check and hand_over(instance_name, link):
        return 0  # the app already runs: it opens the link

    settings = AppSettings(QSettings())
    install_translator(app)  # before any widget is built: widgets translate as they are made
    theme = Theme()
    theme.apply(app, settings.theme)
    dispatcher = GuiDispatcher()
    engine = Engine(
        _ignore_state,
        director=director_settings(settings.sensitivity),
        camera_openers=screen_openers(dispatcher),  # "screen:0" / "window:TITLE" as the product camera
    )
    embedded = None
    if server_factory is not None and not server_url and not self_check:
        embedded = server_factory(data_dir() / "server")
    window = MainWindow(
        engine,
        settings,
        theme,
        server_url=server_url,
        embedded=embedded,
        apply_theme=lambda: theme.apply(app, settings.theme),
        dispatcher=dispatcher,
    )
    window.show()
    if link:
        window.home.set_link(link)
        window.open_join(link)
    instance = SingleInstance(instance_name, window.open_link)
    if not self_check:
        instance.listen()
    opener = LinkOpener(window.open_link)  # macOS hands links over as file-open events
    app.installEventFilter(opener)
    if getattr(sys, "frozen", False) and not settings.links_registered:
        register_links_in_background(settings)

    # Ctrl+C in the terminal (or SIGTERM from a session manager) quits cleanly instead of
    # killing the process mid-call.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: app.quit())
    heartbeat = QTimer()
    heartbeat.start(250)
    heartbeat.timeout.connect(lambda: None)  # lets Python see the signal while Qt runs
    if quit_requested is not None and quit_requested.is_set():
        QTimer.singleShot(0, app.quit)

    if self_check:
        QTimer.singleShot(1000, app.quit)
    try:
        app.exec()
    finally:
        instance.close()
        app.removeEventFilter(opener)
        shutdown(engine, embedded, window)
    return 0


class LinkOpener(QObject):
    """Turns the OS's "open this URL" events (macOS, for spaces:// links) into join requests."""

    def __init__(self, open_link: Callable[[str | None], None]) -> None:
        super().__init__()
        self._open_link = open_link

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FileOpen and isinstance(event, QFileOpenEvent):
            url = event.url().toString() or event.file()
            if url:
                self._open_link(url)
                return True
        return False


def register_links_in_background(settings: AppSettings) -> None:
    """At the bundle's first start: spaces:// links open it from now on (off the GUI thread)."""

    def work() -> None:
        try:
            log.info("%s", register())
        except OSError:
            log.warning("Could not register spaces:// links", exc_info=True)

    settings.links_registered = True
    threading.Thread(target=work, name="register-links", daemon=True).start()


def shutdown(engine: EnginePort, embedded: ServerPort | None, window: MainWindow) -> None:
    """Orderly stop (GUI thread): engine first, then the server; safe to call twice."""
    window.directory.close()
    window.release_space_screen()
    engine.shutdown()
    if embedded is not None:
        embedded.stop()
    window.settings.sync()

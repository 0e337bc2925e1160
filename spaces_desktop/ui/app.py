"""The composition root: builds the app's objects once and wires them together.

Startup (GUI thread): QApplication, settings, theme, the engine (its own
thread), the built-in server (its own thread, unless a server URL is given)
and the main window. Shutdown is orderly and in this order: the engine leaves
the Space and joins its thread, the built-in server stops (and Janus with it),
then the process exits with 0.
"""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths, QTimer
from PySide6.QtWidgets import QApplication

from spaces_desktop.domain.state import SessionState
from spaces_desktop.session.engine import Engine
from spaces_desktop.ui.embedded_server import EmbeddedServer
from spaces_desktop.ui.main_window import MainWindow
from spaces_desktop.ui.settings import AppSettings, director_settings
from spaces_desktop.ui.stage.singletons import protect
from spaces_desktop.ui.theme import Theme

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
) -> int:
    """Open the app (blocks until it quits); ``link`` is a Space to join at once.

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

    settings = AppSettings(QSettings())
    theme = Theme()
    theme.apply(app, settings.theme)
    engine = Engine(_ignore_state, director=director_settings(settings.sensitivity))
    embedded = None if server_url or self_check else EmbeddedServer(data_dir() / "server")
    window = MainWindow(
        engine,
        settings,
        theme,
        server_url=server_url,
        embedded=embedded,
        apply_theme=lambda: theme.apply(app, settings.theme),
    )
    window.show()
    if link:
        window.home.set_link(link)
        window.open_join(link)

    # Ctrl+C in the terminal (or SIGTERM from a session manager) quits cleanly instead of
    # killing the process mid-call.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: app.quit())
    heartbeat = QTimer()
    heartbeat.start(250)
    heartbeat.timeout.connect(lambda: None)  # lets Python see the signal while Qt runs

    if self_check:
        QTimer.singleShot(1000, app.quit)
    try:
        app.exec()
    finally:
        shutdown(engine, embedded, window)
    return 0


def shutdown(engine: Engine, embedded: EmbeddedServer | None, window: MainWindow) -> None:
    """Orderly stop (GUI thread): engine first, then the server; safe to call twice."""
    window.directory.close()
    window.release_space_screen()
    engine.shutdown()
    if embedded is not None:
        embedded.stop()
    window.settings.sync()

"""Desktop notifications through the system tray, where there is one (GUI thread).

``QSystemTrayIcon.showMessage`` needs a visible tray icon, so the icon appears
with the first notification and stays until the app quits. Without a tray
(many Linux desktops, offscreen tests) ``notify`` returns False and the caller
shows the message in the window instead.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QSystemTrayIcon, QWidget

SHOWN_MS = 15_000


class Notifier:
    def __init__(self, icon: QIcon, parent: QWidget) -> None:
        self._icon = icon
        self._parent = parent
        self._tray: QSystemTrayIcon | None = None

    def notify(self, title: str, text: str) -> bool:
        """True when the desktop showed it; False when there is no tray to show it."""
        if not QSystemTrayIcon.isSystemTrayAvailable() or not QSystemTrayIcon.supportsMessages():
            return False
        if self._tray is None:
            self._tray = QSystemTrayIcon(self._icon, self._parent)
            self._tray.setToolTip(QCoreApplication.translate("Notifier", "Spaces"))
            self._tray.activated.connect(lambda _: self._bring_forward())
            self._tray.messageClicked.connect(self._bring_forward)
        self._tray.show()
        self._tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, SHOWN_MS)
        return True

    def _bring_forward(self) -> None:
        window = self._parent.window()
        window.showNormal()
        window.raise_()
        window.activateWindow()

    def close(self) -> None:
        if self._tray is not None:
            self._tray.hide()

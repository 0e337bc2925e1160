"""The screen of someone waiting in a Space's lobby until a host lets them in (GUI thread)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QProgressBar, QPushButton, QVBoxLayout, QWidget

from spaces_desktop.ui.qt.theme import Theme
from spaces_desktop.ui.viewmodels.i18n import QT_TRANSLATE_NOOP
from spaces_desktop.ui.widgets.plain import PlainLabel

WAITING_TITLE = QT_TRANSLATE_NOOP("WaitingScreen", "Waiting for the host to let you in")


class WaitingScreen(QWidget):
    cancel_requested = Signal()

    def __init__(self, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        icon = PlainLabel()
        icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        icon.setPixmap(theme.icon("users", theme.palette.muted, 56).pixmap(56, 56))
        self.title = PlainLabel(self.tr(WAITING_TITLE))
        self.title.setProperty("role", "hero")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setWordWrap(True)  # a long translation wraps rather than clips
        self.detail = PlainLabel()  # holds the Space's title, set by its host
        self.detail.setProperty("role", "muted")
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail.setWordWrap(True)
        busy = QProgressBar()
        busy.setRange(0, 0)
        busy.setTextVisible(False)
        busy.setMaximumHeight(4)
        busy.setAccessibleName(self.tr("Waiting"))
        self.cancel_button = QPushButton(self.tr("Stop waiting"))
        self.cancel_button.setMinimumWidth(180)
        card = QFrame()
        card.setObjectName("card")
        card.setMaximumWidth(680)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(40, 36, 40, 32)
        inner.setSpacing(12)
        inner.addWidget(icon)
        inner.addWidget(self.title)
        inner.addWidget(self.detail)
        inner.addWidget(busy)
        inner.addSpacing(12)
        inner.addWidget(self.cancel_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(card, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        self.cancel_button.clicked.connect(self.cancel_requested)

    def show_waiting(self, detail: str) -> None:
        self.detail.setText(detail)
        self.cancel_button.setEnabled(True)

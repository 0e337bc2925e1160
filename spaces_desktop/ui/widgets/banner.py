"""The connection banner over the stage: connecting, reconnecting, failed (GUI thread)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QProgressBar, QPushButton, QWidget

from spaces_desktop.ui.qt.theme import Theme
from spaces_desktop.ui.viewmodels.space_model import BannerView
from spaces_desktop.ui.widgets.plain import PlainLabel

TONE_ICONS = {"info": "info", "warning": "wifi-off", "error": "alert"}


class ConnectionBanner(QFrame):
    retry_clicked = Signal()

    def __init__(self, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self._theme = theme
        self.icon = PlainLabel()
        self.text = PlainLabel()
        self.text.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # indeterminate
        self.progress.setTextVisible(False)
        self.progress.setFixedWidth(120)
        self.retry = QPushButton(self.tr("Retry"))
        self.retry.clicked.connect(self.retry_clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 8, 16, 8)
        layout.setSpacing(10)
        layout.addWidget(self.icon)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.progress, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.retry)
        self.view = BannerView(False)
        self.set_view(self.view)

    def set_view(self, view: BannerView) -> None:
        self.view = view
        self.setVisible(view.visible)
        if not view.visible:
            return
        self.setProperty("tone", view.tone)
        self.style().unpolish(self)
        self.style().polish(self)
        self.icon.setPixmap(
            self._theme.icon(TONE_ICONS.get(view.tone, "info"), self._theme.palette.banner_text, 18).pixmap(
                18, 18
            )
        )
        self.text.setText(view.text)
        self.progress.setVisible(view.busy)
        self.retry.setVisible(view.retry)

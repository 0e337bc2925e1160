"""The screen after a Space ended or the host removed you, with a way back home (GUI thread)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from spaces_desktop.ui.qt.theme import Theme
from spaces_desktop.ui.viewmodels.space_model import EndView
from spaces_desktop.ui.widgets.plain import PlainLabel

CARD_WIDTH = 520
CARD_MARGIN = 40


class EndedScreen(QWidget):
    home_requested = Signal()

    def __init__(self, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._theme = theme
        self.icon = PlainLabel()
        self.icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = PlainLabel()
        self.title.setProperty("role", "hero")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # A hero title wider than the card wraps instead of being cut at both ends.
        self.title.setWordWrap(True)
        self.title.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.space = PlainLabel()
        self.space.setProperty("role", "muted")
        self.space.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.space.setWordWrap(True)
        self.detail = PlainLabel()
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail.setWordWrap(True)
        self.home_button = QPushButton(self.tr("Back to home"))
        self.home_button.setProperty("kind", "primary")
        self.home_button.setMinimumWidth(180)
        card = QFrame()
        card.setObjectName("card")
        card.setFixedWidth(CARD_WIDTH)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(CARD_MARGIN, 36, CARD_MARGIN, 32)
        inner.setSpacing(12)
        inner.addWidget(self.icon)
        inner.addWidget(self.title)
        inner.addWidget(self.space)
        inner.addWidget(self.detail)
        inner.addSpacing(12)
        inner.addWidget(self.home_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(card, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        self.home_button.clicked.connect(self.home_requested)

    def show_end(self, view: EndView, space_title: str) -> None:
        self.icon.setPixmap(self._theme.icon(view.icon, self._theme.palette.muted, 56).pixmap(56, 56))
        self.title.setText(view.title)
        # A centred card sizes to its hint, which ignores wrapping: reserve the wrapped height.
        self.title.setMinimumHeight(self.title.heightForWidth(CARD_WIDTH - 2 * CARD_MARGIN))
        self.icon.setAccessibleName(view.title)
        self.space.setText(self.tr("“%1”").replace("%1", space_title) if space_title else "")
        self.space.setVisible(bool(space_title))
        self.detail.setText(view.detail)

"""Reactions: a small emoji picker, and emoji that float up over the stage and fade.

GUI thread only. The overlay lets mouse clicks through to the stage below.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent
from PySide6.QtWidgets import QGridLayout, QMenu, QToolButton, QWidget, QWidgetAction

from spaces_desktop.ui.qt import theme

EMOJI = ("👏", "❤️", "😂", "🔥", "💯", "🙌", "😮", "😢", "👍", "🎉")
FLOAT_S = 2.6
MAX_FLOATING = 40


class ReactionPicker(QMenu):
    """A popup of emoji buttons; ``picked(emoji)`` when one is clicked."""

    picked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QWidget()
        layout = QGridLayout(grid)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(2)
        self.buttons: dict[str, QToolButton] = {}
        for i, emoji in enumerate(EMOJI):
            button = QToolButton()
            button.setObjectName("emoji")
            button.setText(emoji)
            button.setAccessibleName(self.tr("React with %1").replace("%1", emoji))
            button.clicked.connect(lambda _=False, e=emoji: self._pick(e))
            layout.addWidget(button, i // 5, i % 5)
            self.buttons[emoji] = button
        action = QWidgetAction(self)
        action.setDefaultWidget(grid)
        self.addAction(action)

    def _pick(self, emoji: str) -> None:
        self.picked.emit(emoji)
        self.close()


@dataclass
class _Floating:
    emoji: str
    name: str
    x: float
    """0..1 across the overlay."""
    born: float
    drift: float


class ReactionOverlay(QWidget):
    """Draws incoming reactions rising from the bottom edge; transparent to the mouse."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self._items: list[_Floating] = []
        self._random = random.Random(7)
        self._timer = QTimer(self)
        self._timer.setInterval(33)
        self._timer.timeout.connect(self._tick)

    @property
    def floating(self) -> list[str]:
        return [item.emoji for item in self._items]

    def add(self, emoji: str, name: str = "") -> None:
        now = time.monotonic()
        x = 0.72 + self._random.uniform(-0.1, 0.2)
        self._items.append(_Floating(emoji, name, x, now, self._random.uniform(-0.06, 0.06)))
        del self._items[:-MAX_FLOATING]
        if not self._timer.isActive():
            self._timer.start()
        self.update()

    def _tick(self) -> None:
        now = time.monotonic()
        self._items = [item for item in self._items if now - item.born < FLOAT_S]
        if not self._items:
            self._timer.stop()
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self._items:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        now = time.monotonic()
        emoji_font = theme.emoji_font(self.font(), 26)
        name_font = QFont(self.font())
        name_font.setPointSize(8)
        name_font.setBold(True)
        for item in self._items:
            age = (now - item.born) / FLOAT_S
            opacity = 1.0 if age < 0.6 else max(0.0, 1.0 - (age - 0.6) / 0.4)
            x = (item.x + item.drift * age) * self.width()
            y = self.height() - 40 - age * self.height() * 0.6
            painter.setOpacity(opacity)
            painter.setFont(emoji_font)
            painter.drawText(QRectF(x - 30, y - 30, 60, 44), Qt.AlignmentFlag.AlignCenter, item.emoji)
            if item.name:
                painter.setFont(name_font)
                rect = QRectF(x - 60, y + 14, 120, 18)
                metrics = painter.fontMetrics()
                text = metrics.elidedText(item.name, Qt.TextElideMode.ElideRight, 110)
                width = metrics.horizontalAdvance(text) + 12
                pill = QRectF(x - width / 2, rect.top(), width, 18)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(QColor(0, 0, 0, 150))
                painter.drawRoundedRect(pill, 9, 9)
                painter.setPen(QColor("#ffffff"))
                painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)
        painter.setOpacity(1.0)
        painter.end()

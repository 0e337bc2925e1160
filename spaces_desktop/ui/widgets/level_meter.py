"""A horizontal microphone level meter (GUI thread)."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from spaces_desktop.ui.qt.theme import Palette

FLOOR_DB = -60.0
SEGMENTS = 24


class LevelMeter(QWidget):
    """Shows a level in dBFS from -60 (empty) to 0 (full), with a falling peak hold."""

    def __init__(self, palette: Palette, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._palette = palette
        self.level_db = FLOOR_DB
        self._shown = 0.0
        self.setMinimumHeight(10)
        self.setAccessibleName(self.tr("Microphone level"))

    def sizeHint(self) -> QSize:
        return QSize(200, 12)

    @property
    def fraction(self) -> float:
        return self._shown

    def set_level(self, level_db: float) -> None:
        self.level_db = level_db
        target = min(1.0, max(0.0, (level_db - FLOOR_DB) / -FLOOR_DB))
        # Rise at once, fall gently, so the meter reads like speech and not like flicker.
        self._shown = target if target > self._shown else max(target, self._shown - 0.08)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = self._palette
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        gap = 2.0
        width = (self.width() - gap * (SEGMENTS - 1)) / SEGMENTS
        lit = round(self._shown * SEGMENTS)
        painter.setPen(Qt.PenStyle.NoPen)
        for i in range(SEGMENTS):
            if i < lit:
                colour = QColor(
                    p.success if i < SEGMENTS * 0.7 else p.warning if i < SEGMENTS * 0.9 else p.danger
                )
            else:
                colour = QColor(p.surface2)
            painter.setBrush(colour)
            painter.drawRoundedRect(QRectF(i * (width + gap), 0, width, self.height()), 2, 2)
        painter.end()

"""A switch (on/off slider), as used for "Enable video" (GUI thread)."""

from __future__ import annotations

from PySide6.QtCore import Property, QEasingCurve, QPropertyAnimation, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QAbstractButton, QWidget

from spaces_desktop.ui.qt.theme import Palette


class ToggleSwitch(QAbstractButton):
    """A checkable button drawn as a sliding switch; ``toggled(bool)`` reports changes."""

    def __init__(self, palette: Palette, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._palette = palette
        self.setCheckable(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._offset = 0.0
        self._animation = QPropertyAnimation(self, b"knob", self)
        self._animation.setDuration(140)
        self._animation.setEasingCurve(QEasingCurve.Type.InOutCubic)
        self.toggled.connect(self._slide)

    def sizeHint(self) -> QSize:
        return QSize(46, 26)

    def _get_knob(self) -> float:
        return self._offset

    def _set_knob(self, value: float) -> None:
        self._offset = value
        self.update()

    knob = Property(float, _get_knob, _set_knob)

    def _slide(self, on: bool) -> None:
        self._animation.stop()
        self._animation.setStartValue(self._offset)
        self._animation.setEndValue(1.0 if on else 0.0)
        self._animation.start()

    def setChecked(self, on: bool) -> None:
        super().setChecked(on)
        self._animation.stop()
        self._offset = 1.0 if on else 0.0
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = self._palette
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(1, 1, self.width() - 2, self.height() - 2)
        track_off, track_on = QColor(p.border), QColor(p.accent)
        mix = self._offset
        track = QColor(
            int(track_off.red() + (track_on.red() - track_off.red()) * mix),
            int(track_off.green() + (track_on.green() - track_off.green()) * mix),
            int(track_off.blue() + (track_on.blue() - track_off.blue()) * mix),
        )
        if not self.isEnabled():
            track.setAlpha(110)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(track)
        radius = rect.height() / 2
        painter.drawRoundedRect(rect, radius, radius)
        diameter = rect.height() - 6
        x = rect.left() + 3 + (rect.width() - diameter - 6) * mix
        painter.setBrush(QColor("#ffffff"))
        painter.drawEllipse(QRectF(x, rect.top() + 3, diameter, diameter))
        if self.hasFocus():
            pen = painter.pen()
            painter.setPen(QColor(p.accent))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(-0.5, -0.5, 0.5, 0.5), radius, radius)
            painter.setPen(pen)
        painter.end()

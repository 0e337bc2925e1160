"""Small vector glyphs drawn on tiles: the muted microphone and the pin (GUI thread).

Drawn with QPainter paths rather than icon files so they stay crisp at any
tile size and take the stage's colours.
"""

from __future__ import annotations

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen, QPolygonF


def draw_muted_mic(painter: QPainter, box: QRectF, color: QColor, backing: QColor) -> None:
    """A microphone with a slash through it, fitted in ``box``."""
    s = min(box.width(), box.height())
    cx, top = box.center().x(), box.center().y() - s / 2
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(color)
    painter.drawRoundedRect(QRectF(cx - s * 0.15, top + s * 0.06, s * 0.30, s * 0.50), s * 0.15, s * 0.15)
    pen = QPen(color, max(1.2, s * 0.09), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawArc(QRectF(cx - s * 0.28, top + s * 0.22, s * 0.56, s * 0.52), 180 * 16, 180 * 16)
    painter.drawLine(QPointF(cx, top + s * 0.74), QPointF(cx, top + s * 0.90))
    painter.drawLine(QPointF(cx - s * 0.16, top + s * 0.92), QPointF(cx + s * 0.16, top + s * 0.92))
    slash = QLineF(box.center().x() - s * 0.38, top + s * 0.10, box.center().x() + s * 0.38, top + s * 0.90)
    painter.setPen(QPen(backing, max(2.0, s * 0.22), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
    painter.drawLine(slash)
    painter.setPen(QPen(color, max(1.2, s * 0.10), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
    painter.drawLine(slash)
    painter.restore()


def draw_pin(painter: QPainter, box: QRectF, color: QColor) -> None:
    """A push pin leaning right, fitted in ``box``."""
    s = min(box.width(), box.height())
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.translate(box.center())
    painter.rotate(40)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(color)
    painter.drawRoundedRect(QRectF(-s * 0.22, -s * 0.46, s * 0.44, s * 0.12), s * 0.04, s * 0.04)
    body = QPolygonF(
        [
            QPointF(-s * 0.13, -s * 0.36),
            QPointF(s * 0.13, -s * 0.36),
            QPointF(s * 0.17, -s * 0.02),
            QPointF(s * 0.27, s * 0.06),
            QPointF(-s * 0.27, s * 0.06),
            QPointF(-s * 0.17, -s * 0.02),
        ]
    )
    path = QPainterPath()
    path.addPolygon(body)
    painter.drawPath(path)
    painter.setPen(QPen(color, max(1.2, s * 0.08), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
    painter.drawLine(QPointF(0, s * 0.06), QPointF(0, s * 0.46))
    painter.restore()


SIGNAL_COLORS = {"good": QColor("#2ecc71"), "fair": QColor("#f5a623"), "poor": QColor("#ff5a5f")}


def draw_signal_bars(painter: QPainter, box: QRectF, quality: str, dim: QColor) -> None:
    """Three rising bars, as many lit as the connection deserves (3 good, 2 fair, 1 poor)."""
    lit = {"good": 3, "fair": 2, "poor": 1}.get(quality, 0)
    color = SIGNAL_COLORS.get(quality, dim)
    faded = QColor(dim)
    faded.setAlpha(70)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    width = box.width() / 4
    for i in range(3):
        height = box.height() * (0.4 + 0.3 * i)
        bar = QRectF(box.left() + i * width * 1.4, box.bottom() - height, width, height)
        painter.setBrush(color if i < lit else faded)
        painter.drawRoundedRect(bar, width / 3, width / 3)
    painter.restore()

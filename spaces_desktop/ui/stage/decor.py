"""Tile decorations rendered once into pixmaps and blitted every frame (GUI thread).

A 30 fps tile repaints its name chip, badges, glyphs, shadow and border with
every new picture, though they change only when the tile is resized or what
it says changes. Stroking and filling those antialiased paths cost more than
the video itself; copying a ready pixmap costs a few microseconds. Each slot
(``chrome``, ``labels``) keeps the pieces for one key: a new key (new size,
new name, new colours) renders them again, the same key reuses them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPixmap

Draw = Callable[[QPainter], None]


@dataclass(frozen=True)
class Piece:
    """A rendered decoration and where its top-left corner goes, in the tile's coordinates."""

    at: QPointF
    pixmap: QPixmap


def device_aligned(rect: QRectF, dpr: float) -> QRectF:
    """``rect`` grown outwards to whole device pixels, so the pixmap lands as a plain copy."""
    left, top = math.floor(rect.left() * dpr) / dpr, math.floor(rect.top() * dpr) / dpr
    right, bottom = math.ceil(rect.right() * dpr) / dpr, math.ceil(rect.bottom() * dpr) / dpr
    return QRectF(left, top, right - left, bottom - top)


def render_piece(rect: QRectF, dpr: float, draw: Draw) -> Piece:
    """Render ``draw`` (which paints in tile coordinates) clipped to ``rect`` into a transparent pixmap."""
    area = device_aligned(rect, dpr)
    pixmap = QPixmap(max(1, round(area.width() * dpr)), max(1, round(area.height() * dpr)))
    pixmap.setDevicePixelRatio(dpr)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.translate(-area.topLeft())
    draw(painter)
    painter.end()
    return Piece(area.topLeft(), pixmap)


class DecorCache:
    """One set of rendered pieces per slot, kept while its key stays the same."""

    def __init__(self) -> None:
        self._slots: dict[str, tuple[Hashable, list[Piece]]] = {}
        self.renders = 0
        """Pieces rendered so far: flat while nothing but the video changes."""

    def pieces(self, slot: str, key: Hashable, make: Callable[[], Sequence[Piece]]) -> list[Piece]:
        held = self._slots.get(slot)
        if held is not None and held[0] == key:
            return held[1]
        made = list(make())
        self.renders += len(made)
        self._slots[slot] = (key, made)
        return made

    def clear(self) -> None:
        self._slots.clear()


def blit(painter: QPainter, pieces: Sequence[Piece]) -> None:
    for piece in pieces:
        painter.drawPixmap(piece.at, piece.pixmap)

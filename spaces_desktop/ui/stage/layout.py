"""Where each tile goes: pure geometry for the stage layouts (any thread; no widgets).

- ``speaker``: the participant on stage gets the big tile; everyone else sits
  in a strip below it, or in a column at its side when the stage is wide;
- ``grid``: everyone the same size, rows centred;
- ``side_by_side``: the participant on stage and their product camera share
  the big area, the rest in the strip;
- ``pip``: the product camera gets the big tile with its owner's camera as a
  small picture in its corner.
- ``product``: the product camera alone, full (the "cut" scene; others are hidden).
``side_by_side``, ``pip`` and ``product`` apply only while the participant on stage has a
product camera tile; otherwise the stage shows ``speaker``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QRect

from spaces_desktop.session.frames import TileKey

MODES = ("speaker", "grid", "side_by_side", "pip")
SCENE_MODES = (*MODES, "product")
"""Also ``product``: the product camera alone fills the stage (a scene's "cut"; not a viewer's choice)."""
VIDEO_ASPECT = 16 / 9
MIN_ASPECT = 4 / 3
MAX_BIG_ASPECT = 2.0
GAP = 12
WIDE_STAGE = 1.85
"""Width/height ratio from which the strip moves from below the big tile to its side."""


@dataclass
class Arrangement:
    rects: dict[TileKey, QRect] = field(default_factory=dict)
    featured: list[TileKey] = field(default_factory=list)
    """Tiles shown large, first is the main one."""
    raised: list[TileKey] = field(default_factory=list)
    """Tiles drawn above others (a picture in picture)."""
    mode: str = "speaker"
    """The layout actually used (``side_by_side``/``pip`` fall back to ``speaker``)."""


def arrange(
    mode: str,
    order: Sequence[TileKey],
    area: QRect,
    stage: TileKey | None = None,
    product: TileKey | None = None,
    gap: int = GAP,
) -> Arrangement:
    """Place ``order`` (stage order) in ``area``; ``stage`` is the big tile, ``product`` its second camera."""
    if not order or area.width() <= 0 or area.height() <= 0:
        return Arrangement(mode=mode)
    if mode == "grid":
        return Arrangement(dict(zip(order, fit_tiles(len(order), area, gap), strict=True)), mode="grid")
    main: TileKey = stage if stage is not None and stage in order else order[0]
    second = product if product is not None and product in order and product != main else None
    if mode == "side_by_side" and second is not None:
        return _with_strip(order, area, gap, [main, second], "side_by_side")
    if mode == "product" and second is not None:
        return Arrangement(
            {second: _fit_aspect(area, MIN_ASPECT, MAX_BIG_ASPECT)}, featured=[second], mode="product"
        )
    if mode == "pip" and second is not None:
        result = _with_strip(order, area, gap, [second, main], "pip")
        big = result.rects[second]
        width = max(96, round(big.width() * 0.26))
        height = round(width / VIDEO_ASPECT)
        inset = max(10, round(big.width() * 0.02))
        left, top = big.right() + 1 - inset - width, big.bottom() + 1 - inset - height
        result.rects[main] = QRect(left, top, width, height)
        result.featured = [second]
        result.raised = [main]
        return result
    return _with_strip(order, area, gap, [main], "speaker")


def _with_strip(
    order: Sequence[TileKey], area: QRect, gap: int, big: list[TileKey], mode: str
) -> Arrangement:
    others = [k for k in order if k not in big]
    main = QRect(area)
    strip_rects: list[QRect] = []
    if others:
        if area.width() / area.height() >= WIDE_STAGE:
            strip_w = _clamp(round(area.width() * 0.22), 150, 360)
            strip = QRect(area.right() + 1 - strip_w, area.top(), strip_w, area.height())
            main.setRight(strip.left() - gap - 1)
        else:
            strip_h = _clamp(round(area.height() * 0.2), 72, 180)
            strip = QRect(area.left(), area.bottom() + 1 - strip_h, area.width(), strip_h)
            main.setBottom(strip.top() - gap - 1)
        strip_rects = fit_tiles(len(others), strip, gap)
    rects = dict(zip(others, strip_rects, strict=True))
    if len(big) == 2 and mode == "side_by_side":
        rects.update(zip(big, fit_tiles(2, main, gap), strict=True))
    else:
        rects[big[0]] = _fit_aspect(main, MIN_ASPECT, MAX_BIG_ASPECT)
    return Arrangement(rects, featured=list(big), mode=mode)


def fit_tiles(count: int, area: QRect, gap: int = GAP) -> list[QRect]:
    """``count`` equal tiles, as large as possible in ``area``, rows centred."""
    if count <= 0:
        return []
    best: tuple[float, int, float, float] | None = None
    for cols in range(1, count + 1):
        rows = math.ceil(count / cols)
        cell_w = (area.width() - gap * (cols - 1)) / cols
        cell_h = (area.height() - gap * (rows - 1)) / rows
        if cell_w <= 0 or cell_h <= 0:
            continue
        w, h = _clamp_aspect(cell_w, cell_h, MIN_ASPECT, VIDEO_ASPECT)
        if best is None or w * h > best[0] + 1e-6:
            best = (w * h, cols, w, h)
    if best is None:
        return [QRect(area.topLeft(), area.size()) for _ in range(count)]
    _, cols, w, h = best
    rows = math.ceil(count / cols)
    top = area.top() + (area.height() - (rows * h + gap * (rows - 1))) / 2
    rects = []
    for i in range(count):
        row, col = divmod(i, cols)
        in_row = min(cols, count - row * cols)
        left = area.left() + (area.width() - (in_row * w + gap * (in_row - 1))) / 2
        x = left + col * (w + gap)
        y = top + row * (h + gap)
        rects.append(QRect(round(x), round(y), round(w), round(h)))
    return rects


def _fit_aspect(area: QRect, low: float, high: float) -> QRect:
    w, h = _clamp_aspect(area.width(), area.height(), low, high)
    x = area.left() + (area.width() - w) / 2
    y = area.top() + (area.height() - h) / 2
    return QRect(round(x), round(y), round(w), round(h))


def _clamp_aspect(w: float, h: float, low: float, high: float) -> tuple[float, float]:
    if w / h > high:
        w = h * high
    elif w / h < low:
        h = w / low
    return w, h


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))

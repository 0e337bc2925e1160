"""Overlays in a speaker's own picture: pre-rendered RGBA layers alpha-blended before encoding.

The publisher composites, so every viewer (the web player included) sees the
same lower third, logo or product card; nobody has to render anything on the
way in. Layers arrive as bitmaps drawn elsewhere (the GUI draws them with
Qt, in the app's fonts and colours): this module only places, animates and
blends them, in pure numpy.

Cost per frame is kept small: a layer is cropped to its visible bounding box
once, its premultiplied colour and inverse alpha are cached per frame size,
and only that box of the frame is touched. A frame with nothing to show is
passed through untouched (no copy).

Threads: :meth:`Compositor.set_layers` / :meth:`Compositor.set_visible` run on
the engine loop, :meth:`Compositor.apply` in the camera's capture thread (or an executor); a
lock guards the small shared state, never the blending.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

ANIMATION_S = 0.3
"""How long a layer takes to slide or fade in or out."""


class Motion(StrEnum):
    """How a layer comes in and goes out (it always fades as well)."""

    FADE = "fade"
    SLIDE_LEFT = "slide-left"
    """In from the left edge: a lower third."""
    SLIDE_RIGHT = "slide-right"
    """In from the right edge: a product card."""
    SLIDE_UP = "slide-up"
    """Up from the bottom edge."""


@dataclass(frozen=True, eq=False)
class OverlayLayer:
    """One bitmap and where it sits in a frame of ``frame_size`` (width, height).

    ``rgba`` is (h, w, 4) uint8 in R, G, B, A order with straight (not
    premultiplied) alpha, never written to after it is handed over. A frame of
    another size gets the layer scaled to match (nearest neighbour, cached).
    """

    key: str
    rgba: np.ndarray
    x: int
    y: int
    frame_size: tuple[int, int]
    visible: bool = True
    motion: Motion = Motion.FADE


def ease(t: float) -> float:
    """Smoothstep: starts and ends gently."""
    t = min(1.0, max(0.0, t))
    return t * t * (3.0 - 2.0 * t)


@dataclass
class _Prepared:
    """A layer cropped to its visible pixels and scaled to one frame size."""

    x: int
    y: int
    premul: np.ndarray
    """(h, w, 3) uint16, BGR colour × alpha."""
    alpha: np.ndarray
    """(h, w, 1) uint16, 0..255."""


def _prepare(layer: OverlayLayer, width: int, height: int) -> _Prepared | None:
    rgba = layer.rgba
    x, y = layer.x, layer.y
    lw, lh = layer.frame_size
    if (lw, lh) != (width, height) and lw > 0 and lh > 0:
        sx, sy = width / lw, height / lh
        new_w, new_h = max(1, round(rgba.shape[1] * sx)), max(1, round(rgba.shape[0] * sy))
        rows = np.minimum((np.arange(new_h) / sy).astype(np.intp), rgba.shape[0] - 1)
        cols = np.minimum((np.arange(new_w) / sx).astype(np.intp), rgba.shape[1] - 1)
        rgba = rgba[rows][:, cols]
        x, y = round(x * sx), round(y * sy)
    seen = rgba[:, :, 3] > 0
    if not seen.any():
        return None
    ys, xs = np.nonzero(seen.any(axis=1))[0], np.nonzero(seen.any(axis=0))[0]
    top, bottom, left, right = int(ys[0]), int(ys[-1]) + 1, int(xs[0]), int(xs[-1]) + 1
    box = rgba[top:bottom, left:right]
    alpha = box[:, :, 3:4].astype(np.uint16)
    premul = box[:, :, 2::-1].astype(np.uint16) * alpha  # RGB → BGR, times alpha
    return _Prepared(x + left, y + top, premul, alpha)


def _div255(v: np.ndarray) -> np.ndarray:
    """Rounded v / 255 for uint16 v ≤ 65 280, without a division."""
    v = v + 128
    return (v + (v >> 8)) >> 8


def blend(frame: np.ndarray, prepared: _Prepared, x: int, y: int, opacity: float = 1.0) -> None:
    """Blend ``prepared`` into ``frame`` (BGR, written in place) with its top-left at (x, y), clipped."""
    fh, fw = frame.shape[:2]
    ph, pw = prepared.alpha.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(fw, x + pw), min(fh, y + ph)
    if x0 >= x1 or y0 >= y1 or opacity <= 0:
        return
    sx, sy = x0 - x, y0 - y
    premul = prepared.premul[sy : sy + y1 - y0, sx : sx + x1 - x0]
    alpha = prepared.alpha[sy : sy + y1 - y0, sx : sx + x1 - x0]
    if opacity < 1.0:
        q = np.uint16(round(opacity * 256))
        premul = (premul >> 8) * q + (((premul & 255) * q) >> 8)
        alpha = (alpha * q) >> 8
    roi = frame[y0:y1, x0:x1]
    roi[:] = _div255(premul + roi.astype(np.uint16) * (255 - alpha))


@dataclass
class _Animation:
    shown: bool
    since: float
    start: float
    """Progress (0 hidden .. 1 shown) when the last change began."""

    def progress(self, now: float, duration: float) -> float:
        step = (now - self.since) / duration if duration > 0 else 1.0
        value = self.start + step if self.shown else self.start - step
        return min(1.0, max(0.0, value))


@dataclass
class _Entry:
    layer: OverlayLayer
    animation: _Animation
    cache: dict[tuple[int, int], _Prepared | None] = field(default_factory=dict)


class Compositor:
    """The overlays of one camera: which layers, which are shown, and blending them into frames."""

    def __init__(self, duration: float = ANIMATION_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.duration = duration
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}

    def set_layers(self, layers: Sequence[OverlayLayer]) -> None:
        """Use these layers from the next frame on (any thread).

        A key already present keeps its animation: a layer redrawn while shown
        (a new title) stays up, a visibility change animates from where it is.
        Keys not in ``layers`` go at once.
        """
        now = self._clock()
        with self._lock:
            old = self._entries
            entries: dict[str, _Entry] = {}
            for layer in layers:
                before = old.get(layer.key)
                if before is None:
                    # A new layer that is visible animates in, like one shown later.
                    animation = _Animation(layer.visible, now, 0.0)
                    entries[layer.key] = _Entry(layer, animation)
                    continue
                progress = before.animation.progress(now, self.duration)
                animation = before.animation
                if before.animation.shown != layer.visible:
                    animation = _Animation(layer.visible, now, progress)
                cache = before.cache if before.layer.rgba is layer.rgba else {}
                if before.layer.x != layer.x or before.layer.y != layer.y:
                    cache = {}
                entries[layer.key] = _Entry(layer, animation, cache)
            self._entries = entries

    def set_visible(self, key: str, visible: bool) -> bool:
        """Animate one layer in or out (any thread); False when there is no such layer."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return False
            if entry.animation.shown != visible:
                progress = entry.animation.progress(now, self.duration)
                entry.animation = _Animation(visible, now, progress)
            return True

    def visible(self) -> dict[str, bool]:
        """Each layer's wanted visibility (where its animation is heading)."""
        with self._lock:
            return {key: entry.animation.shown for key, entry in self._entries.items()}

    def progress(self, key: str, now: float | None = None) -> float:
        """How far a layer is shown: 0 hidden, 1 fully in (for tests and previews)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return 0.0
            return entry.animation.progress(self._clock() if now is None else now, self.duration)

    def apply(self, image: np.ndarray, now: float | None = None) -> np.ndarray:
        """``image`` (BGR) with the shown layers blended in; ``image`` itself when nothing shows.

        The camera's frame is never written to: the first layer drawn copies it.
        """
        now = self._clock() if now is None else now
        height, width = image.shape[:2]
        with self._lock:
            entries = list(self._entries.values())
        out: np.ndarray | None = None
        for entry in entries:
            progress = entry.animation.progress(now, self.duration)
            if progress <= 0.0:
                continue
            size = (width, height)
            if size not in entry.cache:
                entry.cache[size] = _prepare(entry.layer, width, height)
            prepared = entry.cache[size]
            if prepared is None:
                continue
            shown = ease(progress)
            x, y = _offset(entry.layer.motion, prepared, width, height, shown)
            if out is None:
                out = image.copy()
            blend(out, prepared, x, y, shown)
        return image if out is None else out


def _offset(motion: Motion, prepared: _Prepared, width: int, height: int, shown: float) -> tuple[int, int]:
    """Where a layer sits while ``shown`` (0..1) of the way in."""
    hidden = 1.0 - shown
    pw = prepared.alpha.shape[1]
    if motion is Motion.SLIDE_LEFT:
        return round(prepared.x - hidden * (prepared.x + pw)), prepared.y
    if motion is Motion.SLIDE_RIGHT:
        return round(prepared.x + hidden * (width - prepared.x)), prepared.y
    if motion is Motion.SLIDE_UP:
        return prepared.x, round(prepared.y + hidden * (height - prepared.y))
    return prepared.x, prepared.y

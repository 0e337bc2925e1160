"""Turns the newest decoded frame of each visible tile into a paintable BGRA picture.

Threads:
- ``notify`` runs on whichever thread put the frame (the engine thread): it
  marks the tile dirty and wakes the worker, a few microseconds, never blocks
  on conversion;
- one worker thread ("stage-convert") does the conversion: swscale converts
  YUV to BGRA and scales to the tile's size in device pixels in one pass, with
  the GIL released, so the GUI thread keeps painting meanwhile;
- the GUI thread says which tiles are visible and at what size
  (``set_targets``), learns which tiles have a new picture (``drain``) and
  paints the newest picture (``picture``).

Only visible tiles are converted, each at most once per new frame: if several
frames arrive while the worker is busy, only the newest is converted. A paced
converter (the stage's) also waits until a tile has painted its last picture
before converting its next one (``consumed``): a tile that is not painted
(window minimised, covered, off screen) costs no conversions, and a GUI that
paints slower than frames arrive never gets pictures it throws away. Each
tile keeps its own swscale context, which halves the cost against a fresh one
per frame. The picture's pixels live in the BGRA frame it holds, so the GUI
wraps them in a QImage without a copy.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import av
from av.video.reformatter import Interpolation, VideoReformatter

from spaces_desktop.session.frames import FrameBoard, TileKey

log = logging.getLogger(__name__)

MAX_UPSCALE = 2.0
"""Never blow a picture up more than this; the painter stretches the rest."""
MAX_WIDTH = 3840
REVIVE_AFTER_S = 1.0
"""A tile whose frames pause this long is reported as new again when they resume (camera back on)."""


@dataclass(frozen=True)
class Target:
    """The size a tile shows its video at, in device pixels."""

    width: int
    height: int
    fit: bool = False
    """True: the whole picture inside the tile (a product shot); False: fill the tile, cropping edges."""


@dataclass(frozen=True)
class Picture:
    """A converted frame; ``frame`` owns the BGRA pixels, keep it while they are painted."""

    seq: int
    frame: av.VideoFrame
    width: int
    height: int
    stride: int
    source_width: int
    source_height: int
    target: Target
    cost_s: float


def output_size(source_width: int, source_height: int, target: Target) -> tuple[int, int]:
    """The size to convert to: the target's cover (or fit) size, keeping the aspect ratio."""
    sx = target.width / max(source_width, 1)
    sy = target.height / max(source_height, 1)
    scale = min(sx, sy) if target.fit else max(sx, sy)
    scale = min(scale, MAX_UPSCALE, MAX_WIDTH / max(source_width, 1))
    if target.fit:  # stay inside the tile
        width, height = math.floor(source_width * scale), math.floor(source_height * scale)
        width, height = width - width % 2, height - height % 2
    else:  # cover the tile to its last pixel
        width, height = math.ceil(source_width * scale - 1e-6), math.ceil(source_height * scale - 1e-6)
        width, height = width + width % 2, height + height % 2
    return max(2, width), max(2, height)


class FrameConverter:
    """Newest-only BGRA conversion of visible tiles on one worker thread."""

    def __init__(self, board: FrameBoard, on_ready: Callable[[], None], *, paced: bool = False) -> None:
        """``on_ready`` runs on the worker or caller thread whenever ``drain`` has news; it must be cheap
        (emit a queued signal). It is called once until the next ``drain``. ``paced``: convert a tile's
        next picture only after ``consumed`` says its last one was painted."""
        self._board = board
        self._paced = paced
        self._unpainted: set[TileKey] = set()
        self.conversions = 0
        """Pictures made so far (for tests and benchmarks)."""
        self._on_ready = on_ready
        self._cond = threading.Condition()
        self._targets: dict[TileKey, Target] = {}
        self._dirty: set[TileKey] = set()
        self._pictures: dict[TileKey, Picture] = {}
        self._ready: set[TileKey] = set()
        self._last_notified: dict[TileKey, float] = {}
        self._new: set[TileKey] = set()
        self._wake_pending = False
        self._paused = False
        self._stopping = False
        self._costs: dict[TileKey, deque[float]] = {}
        self._reformatters: dict[TileKey, VideoReformatter] = {}
        self._thread = threading.Thread(target=self._run, name="stage-convert", daemon=True)
        self._thread.start()

    # --- any thread ---

    def notify(self, key: TileKey) -> None:
        """A new frame is on the board for ``key`` (any thread; cheap, never blocks on work)."""
        wake = False
        now = time.monotonic()
        with self._cond:
            if self._stopping:
                return
            last = self._last_notified.get(key)
            self._last_notified[key] = now
            if last is None or now - last > REVIVE_AFTER_S:
                self._new.add(key)
                wake = not self._wake_pending
                self._wake_pending = True
            if key in self._targets:
                self._dirty.add(key)
                self._cond.notify()
        if wake:
            self._signal()

    # --- GUI thread ---

    def set_targets(self, targets: dict[TileKey, Target]) -> None:
        """Which tiles are visible with video, and their size; others are no longer converted."""
        with self._cond:
            for key, target in targets.items():
                if self._targets.get(key) != target:
                    self._dirty.add(key)
                    self._unpainted.discard(key)  # a new size is worth converting before the next paint
            for key in self._targets.keys() - targets.keys():
                self._pictures.pop(key, None)
                self._unpainted.discard(key)
            self._targets = dict(targets)
            self._cond.notify()

    def set_paused(self, paused: bool) -> None:
        """Stop converting while the stage is hidden; on resume, convert the newest frames again."""
        with self._cond:
            self._paused = paused
            if not paused:
                self._dirty |= self._targets.keys()
                self._unpainted.clear()
            self._cond.notify()

    def consumed(self, key: TileKey, seq: int) -> None:
        """A tile painted its picture ``seq``: a paced converter may make its next one (GUI thread)."""
        with self._cond:
            picture = self._pictures.get(key)
            if key in self._unpainted and (picture is None or picture.seq == seq):
                self._unpainted.discard(key)
                if key in self._dirty:
                    self._cond.notify()

    def picture(self, key: TileKey) -> Picture | None:
        """The newest converted picture of a tile, if any (GUI thread; never waits for the worker)."""
        with self._cond:
            return self._pictures.get(key)

    def drain(self) -> tuple[set[TileKey], set[TileKey]]:
        """Tiles with a new picture since the last call, and keys whose frames just started (or resumed)."""
        with self._cond:
            ready, new = self._ready, self._new
            self._ready, self._new = set(), set()
            self._wake_pending = False
            return ready, new

    def cost_ms(self, key: TileKey) -> float | None:
        """Median conversion time of a tile's recent frames, in milliseconds."""
        with self._cond:
            costs = sorted(self._costs.get(key, ()))
        return costs[len(costs) // 2] * 1e3 if costs else None

    def stop(self, timeout: float = 2.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)

    # --- worker thread ---

    def _signal(self) -> None:
        try:
            self._on_ready()
        except RuntimeError:  # the stage is gone (its C++ object deleted)
            with self._cond:
                self._stopping = True

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and (self._paused or not self._workable()):
                    self._dirty &= self._targets.keys()
                    self._cond.wait()
                if self._stopping:
                    return
                keys = self._workable()
                work = {key: self._targets[key] for key in keys}
                self._dirty -= keys
            for key, target in work.items():
                try:
                    picture = self._convert(key, target)
                except Exception:  # a malformed frame must not end the stage
                    log.exception("could not convert a frame of %s", key)
                    continue
                if picture is None:
                    continue
                with self._cond:
                    if self._targets.get(key) != target:
                        continue  # resized or hidden meanwhile; the new target is queued
                    self._pictures[key] = picture
                    self.conversions += 1
                    if self._paced:
                        self._unpainted.add(key)
                    self._ready.add(key)
                    self._costs.setdefault(key, deque(maxlen=60)).append(picture.cost_s)
                    wake = not self._wake_pending
                    self._wake_pending = True
                if wake:
                    self._signal()

    def _workable(self) -> set[TileKey]:
        """Dirty visible tiles whose last picture was painted (any, unpaced); call under the lock."""
        keys = self._dirty & self._targets.keys()
        return keys - self._unpainted if self._paced else keys

    def _convert(self, key: TileKey, target: Target) -> Picture | None:
        latest = self._board.latest(key)
        if latest is None:
            return None
        seq, frame = latest
        with self._cond:
            previous = self._pictures.get(key)
        if previous is not None and previous.seq == seq and previous.target == target:
            return None
        width, height = output_size(frame.width, frame.height, target)
        downscale = width < frame.width
        reformatter = self._reformatters.setdefault(key, VideoReformatter())
        started = time.perf_counter()
        out = reformatter.reformat(
            frame,
            width=width,
            height=height,
            format="bgra",
            interpolation=Interpolation.AREA if downscale else Interpolation.BILINEAR,
        )
        cost = time.perf_counter() - started
        return Picture(
            seq=seq,
            frame=out,
            width=out.width,
            height=out.height,
            stride=out.planes[0].line_size,
            source_width=frame.width,
            source_height=frame.height,
            target=target,
            cost_s=cost,
        )

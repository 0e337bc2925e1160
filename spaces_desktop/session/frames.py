"""The newest decoded picture of every remote video stream, for whoever paints or counts them.

One slot per tile: the engine thread overwrites it, the GUI thread reads the
newest; nothing queues, so a slow painter skips frames instead of lagging.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import av

from spaces_desktop.domain import CameraSource

TileKey = tuple[str, CameraSource]
FPS_WINDOW_S = 2.0


@dataclass
class TileStats:
    frames: int = 0
    first_at: float | None = None
    last_at: float | None = None
    width: int = 0
    height: int = 0
    recent: deque[float] = field(default_factory=lambda: deque(maxlen=256))

    def fps(self, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        times = [t for t in self.recent if now - t <= FPS_WINDOW_S]
        if len(times) < 2:
            return 0.0
        return (len(times) - 1) / max(times[-1] - times[0], 1e-6)


class FrameBoard:
    """Thread-safe newest-frame slots; `on_frame` runs on the engine thread after each put."""

    def __init__(self, on_frame: Callable[[TileKey], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._frames: dict[TileKey, tuple[int, av.VideoFrame]] = {}
        self._stats: dict[TileKey, TileStats] = {}
        self.on_frame = on_frame

    def put(self, key: TileKey, frame: av.VideoFrame) -> None:
        now = time.monotonic()
        with self._lock:
            stats = self._stats.setdefault(key, TileStats())
            stats.frames += 1
            stats.first_at = stats.first_at or now
            stats.last_at = now
            stats.width, stats.height = frame.width, frame.height
            stats.recent.append(now)
            self._frames[key] = (stats.frames, frame)
        listener = self.on_frame  # read once: the GUI thread may clear it between a check and a call
        if listener is not None:
            listener(key)

    def latest(self, key: TileKey) -> tuple[int, av.VideoFrame] | None:
        """The newest frame and its sequence number (any thread)."""
        with self._lock:
            return self._frames.get(key)

    def stats(self) -> dict[TileKey, TileStats]:
        with self._lock:
            return dict(self._stats)

    def clear(self) -> None:
        """Forgets every frame (on shutdown, so no picture outlives the decoder that made it)."""
        with self._lock:
            self._frames.clear()

    def drop(self, participant_id: str) -> None:
        with self._lock:
            for key in [k for k in self._frames if k[0] == participant_id]:
                del self._frames[key]

"""Video encoders that give their memory back while nobody takes their layer.

A 720p libvpx encoder holds about 40 MB (its reference frames, and a token
buffer sized for a whole picture of noise). A camera layer nobody subscribes
to sends no pictures at all (`CameraVideoTrack.wanted`), so its encoder sits
idle; after `IDLE_RELEASE_S` without a picture it is closed, and the next
picture opens a new one. That picture is a keyframe, which is what a new
subscriber asks for anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Iterator

from aiortc.codecs.vpx import Vp8Encoder
from av.frame import Frame

IDLE_RELEASE_S = 5.0


class IdleRelease:
    """Calls `release` on the loop once `encoding()` has not been entered for `idle_s`.

    Encoding runs in aiortc's executor threads, the check on the event loop; the lock keeps a
    release from ever landing in the middle of an encode."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        release: Callable[[], None],
        idle_s: float = IDLE_RELEASE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._loop = loop
        self._release = release
        self._idle_s = idle_s
        self._clock = clock
        self._lock = threading.Lock()
        self._last = clock()
        self._armed = False
        self.releases = 0
        """How many times the encoder was closed for idling (for tests and the log)."""

    @contextlib.contextmanager
    def encoding(self) -> Iterator[None]:
        with self._lock:
            yield
            self._last = self._clock()
            if not self._armed:
                self._armed = True
                with contextlib.suppress(RuntimeError):  # the loop is closing: nothing to free later
                    self._loop.call_soon_threadsafe(self._check_later, self._idle_s)

    def _check_later(self, delay: float) -> None:
        self._loop.call_later(delay, self._check)

    def _check(self) -> None:
        if not self._lock.acquire(blocking=False):
            self._check_later(self._idle_s)  # encoding right now: not idle
            return
        try:
            idle = self._clock() - self._last
            if idle >= self._idle_s:
                self._release()
                self._armed = False
                self.releases += 1
                return
        finally:
            self._lock.release()
        self._check_later(self._idle_s - idle)


class ReleasingVp8Encoder(Vp8Encoder):
    """aiortc's VP8 encoder, closed while idle (see the module)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, idle_s: float = IDLE_RELEASE_S) -> None:
        super().__init__()
        self.idle = IdleRelease(loop, self._close, idle_s)

    def encode(self, frame: Frame, force_keyframe: bool = False) -> tuple[list[bytes], int]:
        with self.idle.encoding():
            return super().encode(frame, force_keyframe)

    def _close(self) -> None:
        self.codec = None


__all__ = ["IDLE_RELEASE_S", "IdleRelease", "ReleasingVp8Encoder"]

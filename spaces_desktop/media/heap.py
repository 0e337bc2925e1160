"""Hands memory the app has freed back to the system, every few seconds (glibc).

Video churns through big buffers on many threads (decoders, encoders,
conversions). glibc keeps what each thread frees in that thread's arena for
reuse, and some of it is never reused: an encoder closed while nobody takes
its layer (media/encoders.py) leaves tens of MB behind. `malloc_trim` gives
the free pages of every arena back. With another C library (macOS, Windows,
musl) this does nothing: their allocators return memory by themselves.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
import sys
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

TRIM_INTERVAL_S = 10.0


def _glibc_malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim: Callable[[int], int] = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None
    return trim


_MALLOC_TRIM = _glibc_malloc_trim()


def trim_heap() -> float | None:
    """Returns free heap pages to the system (blocking: a worker thread); how long it took, in
    ms, or None where there is nothing to do."""
    if _MALLOC_TRIM is None:
        return None
    started = time.perf_counter()
    _MALLOC_TRIM(0)
    return (time.perf_counter() - started) * 1000


class HeapTrimmer:
    """Runs `trim_heap` in the loop's executor every `interval` seconds until stopped (loop thread)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, interval: float = TRIM_INTERVAL_S) -> None:
        self._loop = loop
        self._interval = interval
        self._handle: asyncio.TimerHandle | None = None
        self.trims = 0
        self.last_ms: float | None = None

    def start(self) -> None:
        if _MALLOC_TRIM is not None and self._handle is None:
            self._handle = self._loop.call_later(self._interval, self._due)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _due(self) -> None:
        future = self._loop.run_in_executor(None, trim_heap)
        future.add_done_callback(self._done)

    def _done(self, future: asyncio.Future[float | None]) -> None:
        if future.cancelled() or self._handle is None:
            return
        error = future.exception()
        if error is not None:
            log.warning("Returning freed memory to the system failed: %s", error)
        else:
            self.trims += 1
            self.last_ms = future.result()
        self._handle = self._loop.call_later(self._interval, self._due)


__all__ = ["TRIM_INTERVAL_S", "HeapTrimmer", "trim_heap"]

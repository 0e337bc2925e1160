"""Hands freed malloc memory back to the system every few seconds (glibc only; elsewhere nothing).

Decoded frames, tile-sized pictures and encoder buffers are megabytes each and are
allocated and freed on many threads (decoder threads, the converter, the encoder's
executor). glibc keeps what they free inside each thread's arena and returns it to
the system only from an arena's top, so a long Space holds tens of megabytes it no
longer uses: ``bench render`` measured 428 MB resident, 385 MB right after
``malloc_trim(0)``, which took 10-16 ms. Trimming on a worker thread every
``INTERVAL_S`` keeps the process near what it really uses, for well under 1 % of a core.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
import sys
from collections.abc import Callable

log = logging.getLogger(__name__)

INTERVAL_S = 10.0


def _load_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim  # musl and other libcs may not have it
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


_trim = _load_trim()


def trim_heap() -> bool:
    """Return free heap pages to the system now (blocking, ~10 ms); False where it cannot."""
    if _trim is None:
        return False
    _trim(0)
    return True


async def trim_periodically(interval: float = INTERVAL_S, trim: Callable[[], bool] = trim_heap) -> None:
    """Trim on an executor thread every ``interval`` seconds until cancelled (engine loop)."""
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(interval)
        if not await loop.run_in_executor(None, trim):
            return

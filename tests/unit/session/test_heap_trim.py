"""The periodic heap trim: it gives memory back, runs off the loop, and stops where it cannot work."""

from __future__ import annotations

import asyncio
import sys
import threading

import numpy as np
import pytest

from spaces_desktop.session.heap_trim import trim_heap, trim_periodically


def _rss_kb() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc_trim")
def test_trim_returns_memory_freed_by_other_threads() -> None:
    kept: list[np.ndarray] = []

    def churn() -> None:
        # Frame-sized blocks on a worker thread, all freed but the newest: glibc keeps the freed
        # ones inside the thread's arena, below the block still in use.
        blocks = [np.ones(200_000 + (i % 7) * 4096, dtype=np.uint8) for i in range(150)]
        kept.append(blocks[-1])
        blocks.clear()

    workers = [threading.Thread(target=churn) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    before = _rss_kb()
    assert trim_heap()
    freed_mb = (before - _rss_kb()) / 1024
    assert freed_mb >= 60, f"only {freed_mb:.0f} MB of ~120 MB freed came back"


def test_trimming_runs_on_a_worker_every_interval_and_stops_where_unsupported() -> None:
    threads: list[str] = []
    answers = iter([True, True, False])

    def trim() -> bool:
        threads.append(threading.current_thread().name)
        return next(answers)

    async def main() -> None:
        await asyncio.wait_for(trim_periodically(0.01, trim), 2.0)  # returns after the False

    asyncio.run(main())
    assert len(threads) == 3 and threading.main_thread().name not in threads

"""asyncio helpers for ending things on time: cancelling tasks without swallowing our own
cancellation, and closing a loop under a deadline that names whatever is still running."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)


async def cancel_and_wait(tasks: Iterable[asyncio.Future[Any]]) -> None:
    """Cancels `tasks` and waits until they are done.

    Unlike `suppress(CancelledError): await task`, a cancellation aimed at the
    caller itself is not swallowed: it propagates at once, so whoever cancels the
    caller sees it end.
    """
    pending = [task for task in tasks if not task.done()]
    for task in pending:
        task.cancel()
    if not pending:
        return
    await asyncio.wait(pending)  # never raises the tasks' errors; raises if we are cancelled
    for task in pending:
        if not task.cancelled() and task.exception() is not None:
            log.debug("%s ended with %r while being cancelled", _name(task), task.exception())


def describe(tasks: Iterable[asyncio.Task[Any]]) -> str:
    """Each task's name and where it waits, for a log line about a stuck shutdown."""
    out = io.StringIO()
    for task in tasks:
        out.write(f"- {_name(task)}\n")
        for frame in task.get_stack(limit=6):
            code = frame.f_code
            out.write(f"    {code.co_filename}:{frame.f_lineno} in {code.co_name}\n")
    return out.getvalue()


def finish_loop(loop: asyncio.AbstractEventLoop, deadline_s: float) -> bool:
    """Cancels what is left on `loop` and closes it, waiting at most `deadline_s`.

    Returns False (and logs every task still running) if something did not end in
    time; the loop is then left open and the caller should exit the process.
    """
    tasks = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        _, stuck = loop.run_until_complete(asyncio.wait(tasks, timeout=deadline_s))
        if stuck:
            log.error("Shutdown deadline passed; still running:\n%s", describe(stuck))
            return False
    try:
        loop.run_until_complete(asyncio.wait_for(loop.shutdown_asyncgens(), deadline_s))
        loop.run_until_complete(asyncio.wait_for(loop.shutdown_default_executor(), deadline_s))
    except TimeoutError:
        log.error("Shutdown deadline passed while closing async generators or worker threads")
        return False
    loop.close()
    return True


def _name(task: asyncio.Future[Any]) -> str:
    return task.get_name() if isinstance(task, asyncio.Task) else repr(task)

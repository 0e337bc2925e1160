"""Keeps ``None``, ``True`` and ``False`` alive under PySide6 6.12 on CPython 3.11 (any thread).

PySide6 6.12.0 returns ``None`` from void methods (``QPainter.setPen``,
``QWidget.update``, ...) and booleans from ``Signal.emit`` without taking a
reference. On CPython 3.12+ these objects are immortal and nothing happens;
on 3.11 every such call lowers their reference count by one, and after a few
thousand calls the interpreter aborts with ``Fatal Python error:
none_dealloc`` (or ``bool_dealloc``). A stage painting nine tiles at 30 fps
makes about 7,000 such calls a second.

``protect()`` gives the three objects a reference count so large it cannot be
spent, which is what CPython 3.12 does for them. The project's dependencies
exclude 6.12.0, so it acts only where that release was installed anyway (a
distribution's package, a hand-made environment); it does nothing on 3.12+,
on other interpreters or with other PySide6 releases, and only once per process.
"""

from __future__ import annotations

import ctypes
import sys
import threading

import PySide6

RESERVE = 1 << 48
AFFECTED_RELEASES = frozenset({"6.12.0"})
_lock = threading.Lock()
_done = False


def protect() -> bool:
    """Make None/True/False effectively immortal; returns whether it changed anything."""
    global _done
    if not needed():
        return False
    with _lock:
        if _done:
            return False
        for obj in (None, True, False):
            ctypes.c_ssize_t.from_address(id(obj)).value += RESERVE
        _done = True
    return True


def needed(version: str = PySide6.__version__) -> bool:
    """Whether this interpreter and PySide6 release drain the singletons' reference counts."""
    return (
        sys.implementation.name == "cpython" and sys.version_info < (3, 12) and version in AFFECTED_RELEASES
    )

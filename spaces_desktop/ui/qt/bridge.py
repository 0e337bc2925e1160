"""Hops from the engine's (or any worker's) thread to the GUI thread.

The engine calls ``on_state`` and finishes its futures on its own thread; Qt
widgets may only be touched on the GUI thread. Everything crosses through a
queued Qt signal here, never by calling a widget from another thread.
"""

from __future__ import annotations

import concurrent.futures
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, Signal

from spaces_desktop.domain.state import SessionState

log = logging.getLogger(__name__)

T = TypeVar("T")


class GuiDispatcher(QObject):
    """Runs callables on the GUI thread, in order, whoever posts them."""

    _call = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._call.connect(self._run, Qt.ConnectionType.QueuedConnection)

    def post(self, fn: Callable[[], None]) -> None:
        """Any thread: run ``fn`` soon on the GUI thread."""
        self._call.emit(fn)

    def _run(self, fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception:  # a failing handler must never take the event loop down
            log.exception("GUI callback failed")

    def when_done(
        self,
        future: concurrent.futures.Future[Any],
        on_done: Callable[[Any, BaseException | None], None],
    ) -> None:
        """Call ``on_done(result, error)`` on the GUI thread once ``future`` finishes.

        ``error`` is None on success; a cancelled future reports CancelledError.
        """

        def finished(done: concurrent.futures.Future[Any]) -> None:  # engine thread (or caller's)
            error = done.exception() if not done.cancelled() else concurrent.futures.CancelledError()
            if error is not None:
                self.post(lambda: on_done(None, error))
                return
            result = done.result()
            self.post(lambda: on_done(result, None))

        future.add_done_callback(finished)


class StateBridge(QObject):
    """Carries each new ``SessionState`` from the engine thread to the GUI thread."""

    state_changed = Signal(object)
    """Emitted on the GUI thread, whatever thread posted the state."""

    _incoming = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._incoming.connect(self.state_changed, Qt.ConnectionType.QueuedConnection)

    def post(self, state: SessionState) -> None:
        """Any thread (the engine's): hand over a snapshot; it arrives on the GUI thread."""
        self._incoming.emit(state)

"""Spaces you scheduled for later: the list on Home, refreshed from their servers, and reminders.

GUI thread. The list is what the settings keep (title, start time, host token),
corrected by each server's answer: a Space the server no longer lists (started
elsewhere, ended, cancelled) is dropped; one whose server does not answer stays
as last known and is marked so. A timer checks every ``TICK_MS`` whether a start
is less than ``REMIND_BEFORE`` away and emits ``due_soon`` once per Space while
the app runs; the same tick repaints "in 5 min" style times.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from spaces_desktop.session.port import EnginePort, ScheduledSpace, Upcoming
from spaces_desktop.ui.qt.bridge import GuiDispatcher
from spaces_desktop.ui.qt.settings import AppSettings
from spaces_desktop.ui.viewmodels.errors import describe

log = logging.getLogger(__name__)

REMIND_BEFORE = timedelta(minutes=5)
"""How long before its start a scheduled Space is announced (and its button reads "Start")."""
TICK_MS = 20_000


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class UpcomingRow:
    space: ScheduledSpace
    reachable: bool = True
    """False when its server did not answer the last time it was asked."""

    def due(self, now: datetime) -> bool:
        """Close enough to its start (or past it) that starting is what the host came for."""
        return now >= self.space.starts_at - REMIND_BEFORE


class UpcomingModel(QObject):
    changed = Signal()
    due_soon = Signal(object)
    """A ScheduledSpace whose start is less than REMIND_BEFORE away (once per Space)."""
    failed = Signal(str)
    """A cancel that did not go through, in words a person understands."""

    def __init__(
        self,
        engine: EnginePort,
        settings: AppSettings,
        dispatcher: GuiDispatcher,
        *,
        clock: Callable[[], datetime] = utc_now,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.engine = engine
        self.settings = settings
        self.dispatcher = dispatcher
        self.clock = clock
        self._unreachable: set[str] = set()
        self._reminded: set[str] = set()
        self._asking = False
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)
        self.timer.start()

    @property
    def rows(self) -> list[UpcomingRow]:
        return [UpcomingRow(s, s.link not in self._unreachable) for s in self.settings.scheduled]

    def token(self, link: str) -> str | None:
        return next((s.token for s in self.settings.scheduled if s.link == link), None)

    def add(self, made: ScheduledSpace) -> None:
        """A Space just scheduled (with its token)."""
        self.settings.scheduled = [s for s in self.settings.scheduled if s.link != made.link] + [made]
        self.changed.emit()
        self.tick()

    def forget(self, link: str) -> None:
        """Started or cancelled: no longer upcoming."""
        self.settings.scheduled = [s for s in self.settings.scheduled if s.link != link]
        self._unreachable.discard(link)
        self.changed.emit()

    # --- asking the servers ---

    def refresh(self) -> None:
        """Asks each server which of the kept Spaces are still scheduled (one question at a time)."""
        kept = {s.link: s.token for s in self.settings.scheduled if s.token}
        if not kept or self._asking:
            return
        self._asking = True
        try:
            future = self.engine.upcoming(kept)
        except Exception as exc:  # an engine that is shutting down
            self._asking = False
            log.info("Could not ask about scheduled Spaces: %s", exc)
            return
        self.dispatcher.when_done(future, self._answered)

    def _answered(self, answer: Upcoming | None, error: BaseException | None) -> None:
        self._asking = False
        if error is not None or answer is None:
            log.info("Asking about scheduled Spaces failed: %r", error)
            return
        listed = {s.link: s for s in answer.spaces}
        kept: list[ScheduledSpace] = []
        for space in self.settings.scheduled:
            if space.link in answer.gone:
                continue
            fresh = listed.get(space.link)
            # The server's title and time win (it is the one others see); the token stays ours.
            kept.append(replace(space, title=fresh.title, starts_at=fresh.starts_at) if fresh else space)
        self.settings.scheduled = kept
        self._unreachable = set(answer.unreachable)
        self.changed.emit()
        self.tick()

    # --- cancelling ---

    def cancel(self, link: str) -> None:
        token = self.token(link)
        if token is None:
            self.forget(link)
            return

        def done(_: Any, error: BaseException | None) -> None:
            if error is not None:
                self.failed.emit(describe(error))
                return
            self.forget(link)

        self.dispatcher.when_done(self.engine.cancel_space(link, token), done)

    # --- reminders ---

    def tick(self) -> None:
        now = self.clock()
        for row in self.rows:
            if row.due(now) and row.space.link not in self._reminded:
                self._reminded.add(row.space.link)
                self.due_soon.emit(row.space)
        self.changed.emit()  # "in 5 min" moves on

    def stop(self) -> None:
        self.timer.stop()

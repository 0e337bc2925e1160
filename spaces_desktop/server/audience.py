"""The audience count: one `audience` event per Space at most once an interval, for everyone.

Listener arrivals and departures go to the moderators only (row by row); the
rest of the Space learns how many are listening from this coalesced count,
which is logged like any event, so a resumed stream replays the latest one.
A change is never dropped: the first change after a quiet spell is sent at
once, later ones are folded into one event at the end of the interval.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

DEFAULT_INTERVAL_S = 1.0

Counts = dict[str, int]
"""`data` of an `audience` event: {listeners, speakers, total}."""


class AudienceCounter:
    def __init__(
        self,
        counts: Callable[[str], Counts],
        send: Callable[[str, Counts], Any],
        interval: float = DEFAULT_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._counts = counts
        self._send = send
        self.interval = interval
        self._clock = clock
        self._sent: dict[str, tuple[float, Counts]] = {}
        """Space id -> when its last count went out, and that count."""
        self._pending: dict[str, asyncio.TimerHandle] = {}

    def changed(self, space_id: str) -> None:
        """The Space's audience changed; its count goes out now or at the end of the interval."""
        if space_id in self._pending:
            return  # already due: it will read the counts as they are then
        last = self._sent.get(space_id)
        wait = 0.0 if last is None else last[0] + self.interval - self._clock()
        if wait <= 0:
            self._flush(space_id)
            return
        loop = asyncio.get_running_loop()
        self._pending[space_id] = loop.call_later(wait, self._flush, space_id)

    def _flush(self, space_id: str) -> None:
        self._pending.pop(space_id, None)
        counts = self._counts(space_id)
        last = self._sent.get(space_id)
        if last is not None and last[1] == counts:
            return  # back where it was: nothing new to say
        self._sent[space_id] = (self._clock(), counts)
        self._send(space_id, counts)

    def forget(self, space_id: str) -> None:
        """The Space ended: nothing more goes out for it."""
        handle = self._pending.pop(space_id, None)
        if handle is not None:
            handle.cancel()
        self._sent.pop(space_id, None)

    def close(self) -> None:
        for space_id in list(self._pending):
            self.forget(space_id)


__all__ = ["DEFAULT_INTERVAL_S", "AudienceCounter", "Counts"]

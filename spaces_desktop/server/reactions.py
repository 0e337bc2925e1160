"""Reactions gathered per Space over a short interval and logged as one event.

A crowd tapping emoji would otherwise write one event per tap to every
listener's stream and to the log. Instead the first reaction of an interval
opens a batch; when the interval ends, one `reaction` event carries the counts
per emoji and who sent them (both bounded), so a Space logs at most one
reaction event per interval however many people react.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from spaces_desktop.protocol import EventType, Reactions, ReactionSender
from spaces_desktop.server.store_api import EventFanout

log = logging.getLogger(__name__)

INTERVAL_S = 0.3
MAX_EMOJI = 16
"""Distinct emoji in one batch; more are dropped (the picker offers far fewer)."""
MAX_SENDERS = 20
"""(participant, emoji) pairs named in one batch; later senders are only counted."""


@dataclass
class _Batch:
    counts: dict[str, int] = field(default_factory=dict)
    senders: dict[tuple[str, str], int] = field(default_factory=dict)
    timer: asyncio.TimerHandle | None = None


class ReactionBatcher:
    def __init__(
        self, bus: EventFanout, is_live: Callable[[str], bool], interval_s: float = INTERVAL_S
    ) -> None:
        self._bus = bus
        self._is_live = is_live
        self.interval_s = interval_s
        self._batches: dict[str, _Batch] = {}

    def add(self, space_id: str, participant_id: str, emoji: str) -> None:
        batch = self._batches.get(space_id)
        if batch is None:
            batch = self._batches[space_id] = _Batch()
            loop = asyncio.get_running_loop()
            batch.timer = loop.call_later(self.interval_s, self.flush, space_id)
        if emoji not in batch.counts and len(batch.counts) >= MAX_EMOJI:
            return
        batch.counts[emoji] = batch.counts.get(emoji, 0) + 1
        key = (participant_id, emoji)
        if key in batch.senders or len(batch.senders) < MAX_SENDERS:
            batch.senders[key] = batch.senders.get(key, 0) + 1

    def flush(self, space_id: str) -> None:
        batch = self._batches.pop(space_id, None)
        if batch is None or not batch.counts:
            return
        if batch.timer is not None:
            batch.timer.cancel()
        if not self._is_live(space_id):
            return  # ended within the interval: space_ended stays the last event
        try:
            self._bus.publish(space_id, EventType.REACTION, reaction_data(batch))
        except Exception:
            log.exception("could not log the reactions of %s", space_id)

    def close(self) -> None:
        """Drops what is pending (the backend is stopping)."""
        for batch in self._batches.values():
            if batch.timer is not None:
                batch.timer.cancel()
        self._batches.clear()


def reaction_data(batch: _Batch) -> dict[str, Any]:
    senders = [ReactionSender(participant_id=p, emoji=e, count=n) for (p, e), n in batch.senders.items()]
    return Reactions(counts=batch.counts, senders=senders, total=sum(batch.counts.values())).model_dump()

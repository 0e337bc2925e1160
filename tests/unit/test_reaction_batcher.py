"""Reactions gathered per Space and interval: one event each, bounded, never after the Space ended."""

from __future__ import annotations

import asyncio
from typing import Any

from spaces_desktop.protocol import Reactions
from spaces_desktop.server.reactions import MAX_EMOJI, MAX_SENDERS, ReactionBatcher


class Bus:
    def __init__(self) -> None:
        self.published: list[tuple[str, str, dict[str, Any]]] = []

    def publish(self, space_id: str, type_: str, data: dict[str, Any]) -> None:
        self.published.append((space_id, type_, data))


async def test_one_event_per_space_and_interval_with_counts_and_senders() -> None:
    bus = Bus()
    live = {"a", "b"}
    batcher = ReactionBatcher(bus, lambda space: space in live, interval_s=0.05)  # type: ignore[arg-type]
    for _ in range(30):
        batcher.add("a", "p1", "👏")
    batcher.add("a", "p2", "🔥")
    batcher.add("b", "p3", "🎉")
    await asyncio.sleep(0.2)
    assert sorted(space for space, _, _ in bus.published) == ["a", "b"]
    a = Reactions.model_validate(next(data for space, _, data in bus.published if space == "a"))
    assert a.counts == {"👏": 30, "🔥": 1} and a.total == 31
    assert [(s.participant_id, s.emoji, s.count) for s in a.senders] == [("p1", "👏", 30), ("p2", "🔥", 1)]

    # A new interval opens with the next reaction.
    batcher.add("a", "p1", "👏")
    await asyncio.sleep(0.2)
    assert len(bus.published) == 3


async def test_a_batch_is_bounded_and_dropped_when_the_space_ended() -> None:
    bus = Bus()
    live = {"a"}
    batcher = ReactionBatcher(bus, lambda space: space in live, interval_s=0.05)  # type: ignore[arg-type]
    for i in range(500):
        batcher.add("a", f"p{i}", chr(0x1F600 + i % 40))
    await asyncio.sleep(0.2)
    ((_, _, data),) = bus.published
    batch = Reactions.model_validate(data)
    assert len(batch.counts) == MAX_EMOJI and len(batch.senders) == MAX_SENDERS
    assert batch.total == sum(batch.counts.values()) < 500

    batcher.add("a", "p1", "👏")
    live.clear()  # the Space ends within the interval
    await asyncio.sleep(0.2)
    assert len(bus.published) == 1
    batcher.add("a", "p1", "👏")
    batcher.close()
    await asyncio.sleep(0.2)
    assert len(bus.published) == 1

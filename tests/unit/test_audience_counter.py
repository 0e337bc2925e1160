"""The audience count coalescer: at most one count per interval, the last change never lost."""

from __future__ import annotations

import asyncio

from spaces_desktop.server.audience import AudienceCounter, Counts

INTERVAL = 0.05


class Room:
    def __init__(self) -> None:
        self.listeners = 0
        self.sent: list[tuple[float, int]] = []

    def counts(self, _: str) -> Counts:
        return {"listeners": self.listeners, "speakers": 1, "total": self.listeners + 1}

    def send(self, _: str, counts: Counts) -> None:
        self.sent.append((asyncio.get_running_loop().time(), counts["listeners"]))


async def test_first_change_goes_out_at_once_and_a_burst_is_one_event() -> None:
    room = Room()
    counter = AudienceCounter(room.counts, room.send, INTERVAL)
    room.listeners = 1
    counter.changed("s")
    assert [n for _, n in room.sent] == [1]
    for n in range(2, 200):
        room.listeners = n
        counter.changed("s")
    assert len(room.sent) == 1  # the burst waits for the end of the interval
    await asyncio.sleep(INTERVAL * 3)
    assert [n for _, n in room.sent] == [1, 199]
    assert room.sent[1][0] - room.sent[0][0] >= INTERVAL * 0.9


async def test_counts_at_most_once_an_interval_while_changing_steadily() -> None:
    room = Room()
    counter = AudienceCounter(room.counts, room.send, INTERVAL)
    loop = asyncio.get_running_loop()
    end = loop.time() + INTERVAL * 8
    while loop.time() < end:
        room.listeners += 1
        counter.changed("s")
        await asyncio.sleep(INTERVAL / 10)
    await asyncio.sleep(INTERVAL * 2)
    gaps = [b[0] - a[0] for a, b in zip(room.sent, room.sent[1:], strict=False)]
    assert 4 <= len(room.sent) <= 10
    assert min(gaps) >= INTERVAL * 0.9
    assert room.sent[-1][1] == room.listeners  # the final count arrived


async def test_no_event_when_the_count_came_back_to_what_was_sent() -> None:
    room = Room()
    counter = AudienceCounter(room.counts, room.send, INTERVAL)
    room.listeners = 5
    counter.changed("s")
    room.listeners = 6
    counter.changed("s")
    room.listeners = 5
    counter.changed("s")
    await asyncio.sleep(INTERVAL * 3)
    assert [n for _, n in room.sent] == [5]


async def test_spaces_are_counted_apart_and_forget_cancels() -> None:
    room = Room()
    sent: list[str] = []
    counter = AudienceCounter(room.counts, lambda space, _: sent.append(space), INTERVAL)
    counter.changed("a")
    counter.changed("b")
    assert sent == ["a", "b"]
    room.listeners = 3
    counter.changed("a")
    counter.forget("a")
    await asyncio.sleep(INTERVAL * 3)
    assert sent == ["a", "b"]

"""A participant's live event stream keeps up when many events arrive in one turn of the loop.

A crowd joining queues one event for the moderators per join, dozens per turn of the backend's
loop; a stream that took one event per wake-up fell behind, overflowed its queue and was closed,
so the host's People panel stopped updating until the stream resumed."""

from __future__ import annotations

import asyncio
import contextlib
import re

from spaces_desktop.server.app import _event_stream
from spaces_desktop.server.event_bus import QUEUE_LIMIT
from tests.unit.server.conftest import World

EVENTS_PER_TURN = 100
TURNS = 3 * QUEUE_LIMIT // EVENTS_PER_TURN


class _Connected:
    """The one thing the stream asks of its request: whether the client went away."""

    async def is_disconnected(self) -> bool:
        return False


async def test_a_stream_keeps_up_with_a_burst_of_events_every_turn(world: World) -> None:
    service = world.service
    stream = _event_stream(service, _Connected(), world.host, world.last_event_id())  # type: ignore[arg-type]
    received: list[bytes] = []
    subscribed = asyncio.Event()

    async def read() -> None:
        async for chunk in stream:
            received.append(chunk)
            subscribed.set()

    reader = asyncio.ensure_future(read())
    await asyncio.wait_for(subscribed.wait(), 5)  # the first chunk ("retry:") comes once it listens
    first = world.last_event_id() + 1
    for turn in range(TURNS):
        for k in range(EVENTS_PER_TURN):
            service.bus.publish(world.space_id, "reaction_sent", {"n": turn * EVENTS_PER_TURN + k})
        await asyncio.sleep(0)
    total = TURNS * EVENTS_PER_TURN
    for _ in range(200):  # bounded: the reader drains what is left within a few turns
        if len(_ids(received)) >= total:
            break
        await asyncio.sleep(0.01)
    assert not reader.done(), "the stream was closed while it fell behind"
    reader.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await reader
    assert _ids(received) == list(range(first, first + total))
    assert len(received) < total / 10, "queued events go out together, not one write each"


def _ids(chunks: list[bytes]) -> list[int]:
    return [int(match) for match in re.findall(rb"(?m)^id: (\d+)$", b"".join(chunks))]

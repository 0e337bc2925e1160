"""Ready-made situations for media tests: a speaker on air and a listener receiving it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from tests.support.api import EventLog, Member, create_space, join, promote
from tests.support.peers import Publisher, Subscriber


@dataclass
class OnAir:
    host: Member
    speaker: Member
    listener: Member
    events: EventLog
    """The listener's event stream."""
    publisher: Publisher
    subscriber: Subscriber


@asynccontextmanager
async def on_air(base_url: str) -> AsyncIterator[OnAir]:
    """A Space where a promoted speaker publishes audio and video and a listener is subscribed."""
    host = await create_space(base_url)
    speaker = await join(base_url, host.space_id, "Sam")
    listener = await join(base_url, host.space_id, "Lee")
    await promote(host, speaker)
    scene = OnAir(host, speaker, listener, EventLog(listener), Publisher(speaker), Subscriber(listener))
    try:
        await scene.publisher.publish()
        await scene.events.wait_for(lambda e: e["type"] == "streams" and e["data"]["streams"])
        await scene.subscriber.subscribe()
        yield scene
    finally:
        await scene.subscriber.close()
        await scene.publisher.close()
        await scene.events.stop()

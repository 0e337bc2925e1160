"""The backend and Janus going away mid-Space: nothing is lost, media comes back."""

from __future__ import annotations

import asyncio
import os
import signal

from tests.support.api import EventLog, create_space, join, promote
from tests.support.backend import Backend
from tests.support.peers import Publisher, Subscriber


async def test_backend_restart_keeps_state_and_resumed_stream_misses_nothing(own_backend: Backend) -> None:
    host = await create_space(own_backend.url, title="Restart me")
    speaker = await join(own_backend.url, host.space_id, "Sam")
    listener = await join(own_backend.url, host.space_id, "Lee")
    await promote(host, speaker)
    await listener.post("/me/hand", {"raised": True})
    before = (await listener.get()).json()
    events = EventLog(listener)
    await events.wait_for(lambda e: e["id"] == before["last_event_id"] or e["id"] > 0)
    await events.stop()
    seen = max((e["id"] for e in events.events), default=0)

    own_backend.restart()

    # While the listener was away, the host muted the speaker.
    await host.post(f"/participants/{speaker.id}/mute", {"muted": True})
    after = (await listener.get()).json()
    assert after["space"] == before["space"]
    roles = {p["id"]: (p["role"], p["hand_raised"]) for p in after["participants"]}
    assert roles[speaker.id] == ("speaker", False)
    assert roles[listener.id] == ("listener", True)
    assert after["last_event_id"] > before["last_event_id"]

    resumed = EventLog(listener, last_event_id=seen)
    try:
        await resumed.wait_for(
            lambda e: e["type"] == "participant_updated" and e["data"]["change"] == "muted"
        )
        ids = [e["id"] for e in resumed.events]
        assert ids == sorted(ids) and ids[0] == min(i for i in ids)
        # Everything after `seen` arrives, exactly once and in order, including the reset notice.
        assert ids[0] > seen and len(set(ids)) == len(ids)
        assert "media_reset" in resumed.types()
        full = EventLog(listener, last_event_id=0)
        await full.wait_for(lambda e: e["id"] == ids[-1])
        assert [e["id"] for e in full.events if e["id"] > seen][: len(ids)] == ids
        await full.stop()
    finally:
        await resumed.stop()


async def test_janus_killed_mid_space_is_restarted_and_media_returns(own_backend: Backend) -> None:
    host = await create_space(own_backend.url)
    speaker = await join(own_backend.url, host.space_id, "Sam")
    listener = await join(own_backend.url, host.space_id, "Lee")
    await promote(host, speaker)
    events = EventLog(listener)
    publisher = Publisher(speaker)
    subscriber = Subscriber(listener)
    try:
        await publisher.publish()
        await events.wait_for(lambda e: e["type"] == "streams" and e["data"]["streams"])
        await subscriber.subscribe()
        [video] = subscriber.mids("video")
        await subscriber.wait_frames(video, 10)

        os.kill(own_backend.janus_pid(), signal.SIGKILL)
        await events.wait_type("media_reset", timeout=20)
        await publisher.close()
        await subscriber.close()

        # The speaker publishes again on a fresh connection; the listener follows.
        publisher = Publisher(speaker)
        await publisher.publish()
        mark = len(events.events)
        await events.wait_for(
            lambda e: events.events.index(e) >= mark and e["type"] == "streams" and e["data"]["streams"]
        )
        subscriber = Subscriber(listener)
        await subscriber.subscribe()
        [video] = subscriber.mids("video")
        await subscriber.wait_frames(video, 30)
    finally:
        await subscriber.close()
        await publisher.close()
        await events.stop()


async def test_second_camera_and_publishers_coming_and_going(backend: Backend) -> None:
    host = await create_space(backend.url)
    first = await join(backend.url, host.space_id, "First")
    second = await join(backend.url, host.space_id, "Second")
    listener = await join(backend.url, host.space_id, "Lee")
    await promote(host, first)
    await promote(host, second)
    events = EventLog(listener)
    brand = Publisher(first, video=2)
    other = Publisher(second)
    subscriber = Subscriber(listener)
    try:
        await brand.publish()
        await events.wait_for(lambda e: e["type"] == "streams" and len(e["data"]["streams"]) == 3)
        await subscriber.subscribe()
        [main] = subscriber.mids("video", first.id, "main")
        [product] = subscriber.mids("video", first.id, "second")
        await asyncio.gather(subscriber.wait_frames(main, 20), subscriber.wait_frames(product, 20))

        # A new publisher arrives and the first one leaves: a fresh subscription follows both.
        await other.publish()
        await events.wait_for(lambda e: e["type"] == "streams" and len(e["data"]["streams"]) == 5)
        await first.post("/media/unpublish", expect=204)
        await events.wait_for(lambda e: e["type"] == "streams" and len(e["data"]["streams"]) == 2)
        await subscriber.close()
        subscriber = Subscriber(listener)
        await subscriber.subscribe()
        assert {s["participant_id"] for s in subscriber.streams} == {second.id}
        [video] = subscriber.mids("video", second.id)
        await subscriber.wait_frames(video, 20)
    finally:
        await subscriber.close()
        await brand.close()
        await other.close()
        await events.stop()

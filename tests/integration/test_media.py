"""Media through the backend and a real Janus: publish, subscribe, mute, end."""

from __future__ import annotations

import asyncio
import time

from tests.support.api import EventLog, create_space, join, promote
from tests.support.backend import Backend
from tests.support.peers import Publisher, Subscriber
from tests.support.scenes import on_air


async def test_speaker_reaches_listener_with_audio_and_video(backend: Backend) -> None:
    host = await create_space(backend.url)
    speaker = await join(backend.url, host.space_id, "Sam")
    listener = await join(backend.url, host.space_id, "Lee")
    await promote(host, speaker)
    events = EventLog(listener)
    publisher = Publisher(speaker)
    started = time.monotonic()
    await publisher.publish()
    await events.wait_for(lambda e: e["type"] == "streams" and len(e["data"]["streams"]) == 2)
    subscriber = Subscriber(listener)
    try:
        await subscriber.subscribe()
        [video] = subscriber.mids("video", speaker.id, "main")
        [audio] = subscriber.mids("audio", speaker.id)
        await subscriber.wait_frames(video, 30)
        await subscriber.wait_frames(audio, 50)
        first = subscriber.received[video].first_at
        assert first is not None
        print(f"publish -> first frame at the listener: {(first - started) * 1000:.0f} ms")
        # Frames keep flowing at about the camera's rate.
        count = subscriber.frames(video)
        await asyncio.sleep(2)
        assert subscriber.frames(video) - count >= 40
        snapshot = (await listener.get()).json()
        assert any(p["id"] == speaker.id and p["publishing"] for p in snapshot["participants"])
    finally:
        await subscriber.close()
        await publisher.close()
        await events.stop()


async def test_listener_cannot_publish(backend: Backend) -> None:
    host = await create_space(backend.url)
    listener = await join(backend.url, host.space_id, "Lee")
    publisher = Publisher(listener)
    try:
        body = await publisher.publish(expect=403)
        assert body["error"] == "not_a_speaker"
    finally:
        await publisher.close()


async def test_video_is_refused_when_the_space_has_video_off(backend: Backend) -> None:
    host = await create_space(backend.url, video=False)
    publisher = Publisher(host)
    try:
        body = await publisher.publish(expect=409)
        assert body["error"] == "video_disabled"
    finally:
        await publisher.close()


async def test_muted_speaker_stops_reaching_listener(backend: Backend) -> None:
    async with on_air(backend.url) as scene:
        host, speaker, subscriber = scene.host, scene.speaker, scene.subscriber
        [audio] = subscriber.mids("audio", speaker.id)
        [video] = subscriber.mids("video", speaker.id)
        await subscriber.wait_frames(audio, 50)
        await host.post(f"/participants/{speaker.id}/mute", {"muted": True})
        await asyncio.sleep(0.5)  # packets already in flight
        since = time.monotonic()
        await asyncio.sleep(1.5)
        assert subscriber.frames_since(audio, since) == 0
        assert subscriber.frames_since(video, since) > 20  # only the audio is cut
        # The host cannot unmute; the speaker can, and the audio comes back.
        refused = await host.post(f"/participants/{speaker.id}/mute", {"muted": False}, expect=403)
        assert refused.json()["error"] == "forbidden"
        await speaker.post(f"/participants/{speaker.id}/mute", {"muted": False})
        since = time.monotonic()
        await asyncio.sleep(1.5)
        assert subscriber.frames_since(audio, since) > 30


async def test_end_stops_media_and_tells_everyone(backend: Backend) -> None:
    async with on_air(backend.url) as scene:
        subscriber, events = scene.subscriber, scene.events
        [video] = subscriber.mids("video")
        await subscriber.wait_frames(video, 10)
        await scene.host.post("/end", expect=204)
        await events.wait_type("space_ended")
        await asyncio.wait_for(events.closed.wait(), 5)
        await asyncio.sleep(1.0)
        since = time.monotonic()
        await asyncio.sleep(1.5)
        assert subscriber.frames_since(video, since) == 0
        offer = {"type": "offer", "sdp": scene.publisher.pc.localDescription.sdp}
        again = await scene.speaker.post("/media/publish", offer, expect=409)
        assert again.json()["error"] == "space_ended"

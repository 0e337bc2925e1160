"""Scenes the host directs, through the real backend and Janus: stored, authorized, sent to everyone."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.support.api import EventLog, create_space, join, promote
from tests.support.backend import Backend
from tests.support.bots import BotProcess
from tests.support.peers import Publisher


async def test_only_moderators_choose_and_every_viewer_gets_the_scene(backend: Backend) -> None:
    host = await create_space(backend.url)
    cohost = await join(backend.url, host.space_id, "Cora")
    speaker = await join(backend.url, host.space_id, "Sid")
    listener = await join(backend.url, host.space_id, "Lou")
    await promote(host, speaker)
    await promote(host, cohost)
    await host.post(f"/participants/{cohost.id}/role", {"role": "cohost"})
    listening = EventLog(listener)
    try:
        for who in (listener, speaker):
            refused = await who.post("/scene", {"kind": "grid"}, expect=403)
            assert refused.json()["error"] == "not_a_moderator"
        assert (await host.post("/scene", {"kind": "person"}, expect=400)).json()[
            "error"
        ] == "scene_needs_person"
        wrong = await host.post("/scene", {"kind": "person", "participant_id": listener.id}, expect=400)
        assert wrong.json()["error"] == "not_on_stage"
        assert (await host.post("/scene", {"kind": "nonsense"}, expect=422)).status_code == 422

        chosen = (await host.post("/scene", {"kind": "person", "participant_id": speaker.id})).json()
        assert chosen == {"kind": "person", "participant_id": speaker.id, "by": host.id}
        event = await listening.wait_type("scene")
        assert (
            event["data"]["scene"]["kind"] == "person"
            and event["data"]["scene"]["participant_id"] == speaker.id
        )
        await cohost.post("/scene", {"kind": "product_pip"})
        await listening.wait_for(
            lambda e: e["type"] == "scene" and e["data"]["scene"]["kind"] == "product_pip"
        )

        # A late joiner reads the current scene from the snapshot; a resumed stream replays it.
        late = await join(backend.url, host.space_id, "Liz")
        assert (await late.get()).json()["scene"]["kind"] == "product_pip"
        resumed = EventLog(listener, last_event_id=event["id"])
        try:
            replayed = await resumed.wait_type("scene")
            assert replayed["data"]["scene"]["kind"] == "product_pip"
        finally:
            await resumed.stop()

        # A co-host demoted a moment ago can no longer direct.
        await host.post(f"/participants/{cohost.id}/role", {"role": "speaker"})
        await cohost.post("/scene", {"kind": "grid"}, expect=403)
        assert (await listener.get()).json()["scene"]["kind"] == "product_pip"
    finally:
        await listening.stop()


async def test_a_listener_bot_receives_the_scene_events(backend: Backend, tmp_path: Path) -> None:
    host = await create_space(backend.url, title="Show")
    link = f"{backend.url}/s/{host.space_id}"
    args = ["--join", link, "--camera", "none", "--mic", "none", "--duration", "12"]
    listener = BotProcess(args, tmp_path, "Lis")
    publisher = Publisher(host)
    try:
        await asyncio.to_thread(listener.wait_event, "scene", scene="auto")  # from the snapshot
        await publisher.publish()
        await host.post("/scene", {"kind": "grid"})
        await asyncio.to_thread(listener.wait_event, "scene", scene="grid", by=host.id)
        await host.post("/scene", {"kind": "person", "participant_id": host.id})
        person = await asyncio.to_thread(listener.wait_event, "scene", scene="person")
        assert person["participant_id"] == host.id and person["name"] == "Host"
    finally:
        listener.stop()
        await publisher.close()
        await host.aclose()

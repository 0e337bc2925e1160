"""The green room through the real backend and Janus: backstage feeds reach the host, never the audience."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from tests.support.api import EventLog, Member, create_space, join, promote
from tests.support.backend import Backend
from tests.support.peers import Publisher, Subscriber


def _mentions(events: list[dict[str, Any]], participant_id: str) -> list[dict[str, Any]]:
    """Stream lists and talking events that name the participant's feeds."""
    found = []
    for event in events:
        if event["type"] == "streams" and any(
            s["participant_id"] == participant_id for s in event["data"]["streams"]
        ):
            found.append(event)
        if event["type"] == "talking" and event["data"]["participant_id"] == participant_id:
            found.append(event)
    return found


async def _invite_backstage(host: Member, guest: Member) -> None:
    await host.post(f"/participants/{guest.id}/invite", {"backstage": True})
    accepted = (await guest.post("/me/invite/accept")).json()
    assert accepted["role"] == "speaker" and accepted["backstage"] is True


async def test_backstage_guest_is_seen_by_the_host_only_until_brought_on_stage(backend: Backend) -> None:
    host = await create_space(backend.url)
    guest = await join(backend.url, host.space_id, "Gia")
    listener = await join(backend.url, host.space_id, "Lee")
    host_events, listener_events = EventLog(host), EventLog(listener)
    await _invite_backstage(host, guest)
    host_pub, guest_pub = Publisher(host), Publisher(guest)
    host_sub, listener_sub = Subscriber(host), Subscriber(listener)
    try:
        await host_pub.publish()
        await guest_pub.publish()
        # The host's list names the guest's feeds (sent to moderators only).
        await host_events.wait_for(
            lambda e: (
                e["type"] == "streams"
                and {s["participant_id"] for s in e["data"]["streams"]} == {host.id, guest.id}
            )
        )
        await listener_events.wait_for(
            lambda e: (
                e["type"] == "streams" and any(s["participant_id"] == host.id for s in e["data"]["streams"])
            )
        )
        await asyncio.sleep(1.5)  # time for talking events from the guest's tone, if any leaked

        # The host subscribes to everything and gets the guest's picture; the listener does not.
        await host_sub.subscribe()
        guest_video = host_sub.mids("video", guest.id)
        assert guest_video and host_sub.mids("audio", guest.id)
        await host_sub.wait_frames(guest_video[0], 10)
        await listener_sub.subscribe()
        assert {s["participant_id"] for s in listener_sub.streams} == {host.id}

        # Asking by name is refused like a stream that does not exist.
        refused = await listener.post(
            "/media/subscribe", {"streams": [{"participant_id": guest.id, "mid": "0"}]}, expect=400
        )
        assert refused.json()["error"] == "no_such_stream"
        # Nor may a listener bring anyone on stage.
        await listener.post(f"/participants/{guest.id}/on-stage", expect=403)

        snapshot = (await listener.get()).json()
        assert all(s["participant_id"] != guest.id for s in snapshot["streams"])
        host_snapshot = (await host.get()).json()
        assert any(s["participant_id"] == guest.id for s in host_snapshot["streams"])
        assert _mentions(listener_events.events, guest.id) == []
        # Pages (listed or searched by name) say of the backstage guest what the snapshot says:
        # not publishing, and no feed of theirs anywhere in the answer.
        snapshot_row = next(p for p in snapshot["participants"] if p["id"] == guest.id)
        assert snapshot_row["publishing"] is False
        for query in ("", "?q=GIA"):
            page = (await listener.get(f"/participants{query}")).json()
            assert [p for p in page["participants"] if p["id"] == guest.id] == [snapshot_row]
            assert "streams" not in page and '"mid"' not in json.dumps(page)
        # The whole stream the listener read does not name a backstage feed.
        assert guest.id not in json.dumps(
            [e for e in listener_events.events if e["type"] in ("streams", "talking")]
        )

        # One click: on stage. The guest's publisher stays as it is (no new offer).
        publishes_before = guest_pub.pc.localDescription.sdp
        on_stage = (await host.post(f"/participants/{guest.id}/on-stage")).json()
        assert on_stage["backstage"] is False and on_stage["publishing"] is True
        shown = await listener_events.wait_for(lambda e: bool(_mentions([e], guest.id)))
        assert shown["type"] == "streams"
        paged = (await listener.get("/participants?q=gia")).json()["participants"]
        assert [p["publishing"] for p in paged] == [True]
        await listener_sub.close()
        listener_sub = Subscriber(listener)
        await listener_sub.subscribe()
        guest_for_listener = listener_sub.mids("video", guest.id)
        assert guest_for_listener, listener_sub.streams
        await listener_sub.wait_frames(guest_for_listener[0], 10)
        assert guest_pub.pc.localDescription.sdp == publishes_before
        assert guest_pub.pc.connectionState == "connected"
        await host.post(f"/participants/{guest.id}/on-stage", expect=409)  # already there
    finally:
        for peer in (host_pub, guest_pub, host_sub, listener_sub):
            await peer.close()
        await host_events.stop()
        await listener_events.stop()


async def test_demoted_cohost_loses_the_backstage_view(backend: Backend) -> None:
    host = await create_space(backend.url)
    cohost = await join(backend.url, host.space_id, "Cody")
    guest = await join(backend.url, host.space_id, "Gus")
    await promote(host, cohost)
    await host.post(f"/participants/{cohost.id}/role", {"role": "cohost"})
    cohost_events = EventLog(cohost)
    await _invite_backstage(cohost, guest)  # a co-host may invite backstage too
    host_pub, guest_pub = Publisher(host), Publisher(guest)
    try:
        await host_pub.publish()
        await guest_pub.publish()
        await cohost_events.wait_for(lambda e: bool(_mentions([e], guest.id)))
        await host.post(f"/participants/{cohost.id}/role", {"role": "listener"})
        latest = await cohost_events.wait_for(
            lambda e: e["type"] == "streams" and not _mentions([e], guest.id) and e["data"]["streams"]
        )
        assert latest["data"]["streams"]
        offer = (await cohost.post("/media/subscribe", {})).json()
        assert {s["participant_id"] for s in offer["streams"]} == {host.id}
    finally:
        await host_pub.close()
        await guest_pub.close()
        await cohost_events.stop()

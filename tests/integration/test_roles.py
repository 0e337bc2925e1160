"""Roles and permissions, checked by the backend from the caller's token."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx

from tests.support.api import EventLog, create_space, join, promote
from tests.support.backend import Backend
from tests.support.peers import Publisher


async def test_listener_cannot_moderate_or_promote_itself(backend: Backend) -> None:
    host = await create_space(backend.url)
    speaker = await join(backend.url, host.space_id, "Sam")
    listener = await join(backend.url, host.space_id, "Lee")
    await promote(host, speaker)
    forbidden = [
        (f"/participants/{speaker.id}/mute", {"muted": True}),
        (f"/participants/{listener.id}/role", {"role": "speaker"}),
        (f"/participants/{listener.id}/role", {"role": "cohost"}),
        (f"/participants/{speaker.id}/role", {"role": "listener"}),
        (f"/participants/{speaker.id}/remove", None),
        (f"/participants/{speaker.id}/invite", None),
        ("/end", None),
        ("/me/camera", {"on": True}),
    ]
    for path, body in forbidden:
        response = await listener.post(path, body, expect=None)
        assert response.status_code in (403, 409), (path, response.text)
        assert response.status_code == 403 or path.endswith("/invite"), (path, response.text)
    snapshot = (await host.get()).json()
    assert {p["id"]: p["role"] for p in snapshot["participants"]} == {
        host.id: "host",
        speaker.id: "speaker",
        listener.id: "listener",
    }


async def test_request_invite_accept_decline_and_limits(backend: Backend) -> None:
    host = await create_space(backend.url)
    events = EventLog(host)
    guests = [await join(backend.url, host.space_id, f"Guest {i}") for i in range(12)]
    asker = guests[0]
    await asker.post("/me/speak-request")
    await events.wait_for(
        lambda e: e["type"] == "participant_updated" and e["data"]["change"] == "speak_request"
    )
    await asker.http.delete(f"/spaces/{host.space_id}/me/speak-request")
    await asker.post("/me/speak-request")
    await host.post(f"/participants/{asker.id}/decline-request")
    await host.post(f"/participants/{asker.id}/decline-request", expect=409)
    await asker.post("/me/speak-request")
    await host.post(f"/participants/{asker.id}/role", {"role": "speaker"})

    invited = guests[1]
    invites = EventLog(invited)
    await host.post(f"/participants/{invited.id}/invite")
    await invites.wait_type("invited")
    await invited.post("/me/invite/decline")
    await invited.post("/me/invite/accept", expect=409)
    await host.post(f"/participants/{invited.id}/invite")
    await invited.post("/me/invite/accept")
    await invites.stop()

    for guest in guests[2:10]:
        await promote(host, guest)
    full = await host.post(f"/participants/{guests[10].id}/role", {"role": "speaker"}, expect=409)
    assert full.json()["error"] == "stage_full"
    # Two co-hosts at most; making a speaker co-host frees a speaker slot.
    await host.post(f"/participants/{guests[2].id}/role", {"role": "cohost"})
    await host.post(f"/participants/{guests[3].id}/role", {"role": "cohost"})
    third = await host.post(f"/participants/{guests[4].id}/role", {"role": "cohost"}, expect=409)
    assert third.json()["error"] == "cohosts_full"
    await host.post(f"/participants/{guests[10].id}/role", {"role": "speaker"})
    # A co-host may demote a speaker but not another co-host, and may not make co-hosts.
    cohost = guests[2]
    await cohost.post(f"/participants/{guests[10].id}/role", {"role": "listener"})
    await cohost.post(f"/participants/{guests[3].id}/role", {"role": "listener"}, expect=403)
    await cohost.post(f"/participants/{guests[11].id}/role", {"role": "cohost"}, expect=403)
    # Anyone may step down.
    await cohost.post(f"/participants/{cohost.id}/role", {"role": "speaker"})
    await guests[5].post(f"/participants/{guests[5].id}/role", {"role": "listener"})
    await events.stop()


async def test_demotion_unpublishes_in_janus(backend: Backend) -> None:
    host = await create_space(backend.url)
    speaker = await join(backend.url, host.space_id, "Sam")
    await promote(host, speaker)
    events = EventLog(host)
    publisher = Publisher(speaker)
    try:
        await publisher.publish()
        await events.wait_for(lambda e: e["type"] == "streams" and e["data"]["streams"])
        await host.post(f"/participants/{speaker.id}/role", {"role": "listener"})
        await events.wait_for(lambda e: e["type"] == "streams" and not e["data"]["streams"])
        # Janus hung up on the demoted speaker's connection.
        for _ in range(50):
            if publisher.pc.connectionState in ("closed", "failed"):
                break
            await asyncio.sleep(0.1)
        assert publisher.pc.connectionState in ("closed", "failed")
        retry = Publisher(speaker)
        again = await retry.publish(expect=403)
        await retry.close()
        assert again["error"] == "not_a_speaker"
    finally:
        await publisher.close()
        await events.stop()


async def test_removed_participant_is_banned_and_cut_off(backend: Backend) -> None:
    host = await create_space(backend.url)
    guest = await join(backend.url, host.space_id, "Troll", client_id="install-troll-1")
    stream = EventLog(guest)
    await asyncio.wait_for(stream.ready.wait(), 5)
    await host.post(f"/participants/{guest.id}/remove", expect=204)
    await stream.wait_type("removed")
    assert stream.closed.is_set() or await stream.wait_for(lambda e: e["type"] == "removed")
    refused = await guest.get(expect=403)
    assert refused.json()["error"] == "removed"
    async with httpx.AsyncClient(base_url=backend.url, trust_env=False) as http:
        rejoin = await http.post(
            f"/spaces/{host.space_id}/join", json={"display_name": "Troll", "client_id": "install-troll-1"}
        )
    assert rejoin.status_code == 403 and rejoin.json()["error"] == "banned"
    await stream.stop()


async def test_hand_camera_reactions_and_leave(backend: Backend) -> None:
    host = await create_space(backend.url, video=True)
    speaker = await join(backend.url, host.space_id, "Sam")
    listener = await join(backend.url, host.space_id, "Lee")
    await promote(host, speaker)
    events = EventLog(listener)
    await listener.post("/me/hand", {"raised": True})
    await speaker.post("/me/camera", {"on": True})
    await speaker.post("/me/camera", {"on": True, "source": "second"})
    await listener.post("/reactions", {"emoji": "🔥"}, expect=204)
    await listener.post("/reactions", {"emoji": "hello"}, expect=422)
    await events.wait_type("reaction")
    snapshot = {p["id"]: p for p in (await host.get()).json()["participants"]}
    assert snapshot[listener.id]["hand_raised"]
    assert snapshot[speaker.id]["camera_on"] and snapshot[speaker.id]["second_camera_on"]
    await speaker.post("/me/leave", expect=204)
    await events.wait_for(lambda e: e["type"] == "participant_left" and e["data"]["reason"] == "left")
    await speaker.get(expect=401)
    await events.stop()

    audio_only = await create_space(backend.url, video=False)
    refused = await audio_only.post("/me/camera", {"on": True}, expect=409)
    assert refused.json()["error"] == "video_disabled"


async def test_scheduled_space_starts_when_the_host_starts_it(backend: Backend) -> None:
    when = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    async with httpx.AsyncClient(base_url=backend.url, trust_env=False) as http:
        created = await http.post(
            "/spaces", json={"title": "Later", "host_name": "Ann", "scheduled_for": when}
        )
        assert created.status_code == 201
        body = created.json()
        space_id = body["snapshot"]["space"]["id"]
        assert body["snapshot"]["space"]["status"] == "scheduled"
        preview = (await http.get(f"/spaces/{space_id}/preview")).json()
        assert preview["status"] == "scheduled" and preview["host_name"] == "Ann"
    host_headers = {"Authorization": f"Bearer {body['token']}"}
    guest = await join(backend.url, space_id, "Early")
    early = await guest.post("/me/speak-request", expect=409)
    assert early.json()["error"] == "space_not_started"
    await guest.post("/start", expect=403)
    async with httpx.AsyncClient(base_url=backend.url, trust_env=False, headers=host_headers) as http:
        started = await http.post(f"/spaces/{space_id}/start")
        assert started.status_code == 200 and started.json()["status"] == "live"
    await guest.post("/me/speak-request")

"""Who may come in, and who has gone: bans, the lock, the lobby and presence, through the real backend."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.api import EventLog, Member, create_space, join, promote
from tests.support.backend import Backend

PRESENCE_S = 2.0
HOST_GRACE_S = 5.0


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    """A backend that lets go of a vanished app after 2 s (a vanished host's Space after 5 s)."""
    folder = tmp_path_factory.mktemp("quick")
    server = Backend(
        folder / "data",
        folder / "backend.log",
        extra_args=("--presence-timeout", str(PRESENCE_S), "--host-grace", str(HOST_GRACE_S)),
    )
    server.start()
    yield server
    server.stop()


async def try_join(base: str, space_id: str, name: str, client_id: str | None = None) -> httpx.Response:
    payload: dict[str, Any] = {"display_name": name}
    if client_id:
        payload["client_id"] = client_id
    async with httpx.AsyncClient(base_url=base, trust_env=False) as http:
        return await http.post(f"/spaces/{space_id}/join", json=payload)


def as_member(base: str, space_id: str, response: httpx.Response) -> Member:
    body = response.json()
    return Member(base, space_id, body["participant"]["id"], body["token"])


async def roles(host: Member) -> dict[str, str]:
    return {p["id"]: p["role"] for p in (await host.get()).json()["participants"]}


async def test_removed_person_cannot_rejoin_without_a_key_and_a_blocked_address_refuses_everyone(
    quick: Backend,
) -> None:
    host = await create_space(quick.url)
    troll = await join(quick.url, host.space_id, "Troll", client_id="install-troll-1")
    await host.post(f"/participants/{troll.id}/remove", expect=204)
    for client_id in ("install-troll-1", None):
        refused = await try_join(quick.url, host.space_id, "Troll", client_id)
        assert refused.status_code == 403 and refused.json()["error"] == "banned", (client_id, refused.text)
    # A new installation key from the same address gets in: on a LAN many people share one address.
    neighbour = await try_join(quick.url, host.space_id, "Neighbour", "install-neighbour-1")
    assert neighbour.status_code == 201, neighbour.text
    again = as_member(quick.url, host.space_id, neighbour)
    await host.post(f"/participants/{again.id}/remove", {"block_address": True}, expect=204)
    for client_id in ("install-troll-2", "install-fresh-3", None):
        refused = await try_join(quick.url, host.space_id, "Troll", client_id)
        assert refused.status_code == 403 and refused.json()["error"] == "banned", (client_id, refused.text)
        assert "removed you" in refused.json()["message"]
    # Bans belong to one Space.
    other = await create_space(quick.url)
    assert (await try_join(quick.url, other.space_id, "Troll", "install-troll-1")).status_code == 201


async def test_a_locked_space_refuses_new_listeners(quick: Backend) -> None:
    host = await create_space(quick.url)
    listener = await join(quick.url, host.space_id, "Lee")
    events = EventLog(listener)
    refused = await listener.post("/access", {"locked": True}, expect=403)
    assert refused.json()["error"] == "forbidden"
    locked = await host.post("/access", {"locked": True})
    assert locked.json()["locked"] is True and locked.json()["approval_required"] is False
    update = await events.wait_for(lambda e: e["type"] == "space_updated" and e["data"]["space"]["locked"])
    assert update["data"]["by"] == host.id
    closed = await try_join(quick.url, host.space_id, "Late")
    assert closed.status_code == 403 and closed.json()["error"] == "space_locked"
    assert closed.json()["message"] == "This Space is locked: the host is not letting anyone new in."
    assert (await host.get()).json()["space"]["locked"] is True
    await host.post("/access", {"locked": False})
    assert (await try_join(quick.url, host.space_id, "Late")).status_code == 201
    await events.stop()


async def test_new_listeners_wait_until_a_host_lets_them_in(quick: Backend) -> None:
    host = await create_space(quick.url)
    cohost = await join(quick.url, host.space_id, "Chris")
    listener = await join(quick.url, host.space_id, "Lee")
    await host.post(f"/participants/{cohost.id}/role", {"role": "cohost"})
    host_events, cohost_events, listener_events = EventLog(host), EventLog(cohost), EventLog(listener)
    await host.post("/access", {"approval_required": True})

    asked = await try_join(quick.url, host.space_id, "Wendy Waiting")
    assert asked.status_code == 202, asked.text
    assert asked.json()["message"] == "Waiting for the host to let you in."
    wendy = as_member(quick.url, host.space_id, asked)
    request = await host_events.wait_type("join_request")
    assert request["data"]["participant"]["display_name"] == "Wendy Waiting"
    await cohost_events.wait_type("join_request")
    waiting = (await host.get()).json()["waiting"]
    assert [p["id"] for p in waiting] == [wendy.id]
    assert (await listener.get()).json()["waiting"] == []
    assert wendy.id not in await roles(host)
    refused = await wendy.get(expect=403)
    assert refused.json()["error"] == "waiting"
    await listener.post(f"/lobby/{wendy.id}/admit", expect=403)

    # The poll waits while nobody decides, and answers as soon as the co-host does.
    poll = asyncio.create_task(wendy.get("/me/admission"))
    await asyncio.sleep(0.5)
    assert not poll.done()
    await cohost.post(f"/lobby/{wendy.id}/admit")
    admitted = await asyncio.wait_for(poll, 5)
    assert admitted.json()["status"] == "admitted"
    await host_events.wait_for(
        lambda e: e["type"] == "participant_joined" and e["data"]["participant"]["id"] == wendy.id
    )
    # Another listener hears of her as a count only (arrivals go to the host and co-hosts).
    await listener_events.wait_for(lambda e: e["type"] == "audience" and e["data"]["listeners"] == 2)
    assert not any(
        e["type"] == "participant_joined" and e["data"]["participant"]["id"] != listener.id
        for e in listener_events.events
    )
    await host_events.wait_for(
        lambda e: e["type"] == "join_request_closed" and e["data"]["outcome"] == "admitted"
    )
    assert (await roles(host))[wendy.id] == "listener"
    await wendy.post("/me/hand", {"raised": True})
    await host.post(f"/lobby/{wendy.id}/admit", expect=404)

    denied_response = await try_join(quick.url, host.space_id, "Dan Denied")
    dan = as_member(quick.url, host.space_id, denied_response)
    await host.post(f"/lobby/{dan.id}/deny", expect=204)
    denied = (await dan.get("/me/admission")).json()
    assert denied == {"status": "denied", "message": "The host did not let you in to this Space."}
    assert (await dan.get(expect=403)).json()["error"] == "denied"
    assert not (await host.get()).json()["waiting"]
    for log in (host_events, cohost_events, listener_events):
        await log.stop()
    assert "join_request" not in listener_events.types()


async def test_someone_who_gives_up_waiting_leaves_the_lobby(quick: Backend) -> None:
    host = await create_space(quick.url)
    events = EventLog(host)
    await host.post("/access", {"approval_required": True})
    quitter = as_member(quick.url, host.space_id, await try_join(quick.url, host.space_id, "Quinn"))
    vanished = as_member(quick.url, host.space_id, await try_join(quick.url, host.space_id, "Vic"))
    await quitter.post("/me/leave", expect=204)
    closed = await events.wait_type("join_request_closed")
    assert closed["data"] == {"participant_id": quitter.id, "outcome": "left"}
    # Vic's app never polls: after the presence timeout the request goes away by itself.
    gone = await events.wait_for(
        lambda e: e["type"] == "join_request_closed" and e["data"]["participant_id"] == vanished.id,
        timeout=PRESENCE_S + 8,
    )
    assert gone["data"]["outcome"] == "left"
    assert (await host.get()).json()["waiting"] == []
    await events.stop()


async def test_a_vanished_speaker_is_freed_after_the_timeout(quick: Backend) -> None:
    host = await create_space(quick.url)
    ghost = await join(quick.url, host.space_id, "Gus Ghost")
    await promote(host, ghost)
    events = EventLog(host)
    stream = EventLog(ghost)
    await asyncio.wait_for(stream.ready.wait(), 5)
    await stream.stop()  # the app died: its stream is gone and nothing comes back
    started = asyncio.get_running_loop().time()
    left = await events.wait_for(
        lambda e: e["type"] == "participant_left" and e["data"]["participant"]["id"] == ghost.id,
        timeout=PRESENCE_S + 10,
    )
    waited = asyncio.get_running_loop().time() - started
    assert left["data"]["reason"] == "gone"
    assert waited >= PRESENCE_S - 0.5, waited
    assert ghost.id not in await roles(host)
    assert (await ghost.get(expect=401)).json()["error"] == "left"
    await events.stop()


async def test_a_stream_that_comes_back_in_time_keeps_everything(quick: Backend) -> None:
    host = await create_space(quick.url)
    speaker = await join(quick.url, host.space_id, "Sam")
    await host.post(f"/participants/{speaker.id}/role", {"role": "cohost"})
    events = EventLog(host)
    first = EventLog(speaker)
    await asyncio.wait_for(first.ready.wait(), 5)
    last_id = (await speaker.get()).json()["last_event_id"]
    for _ in range(3):  # three network blips, each shorter than the timeout
        await first.stop()
        await asyncio.sleep(PRESENCE_S / 3)
        first = EventLog(speaker, last_event_id=last_id)
        await asyncio.wait_for(first.ready.wait(), 5)
        await asyncio.sleep(PRESENCE_S / 2)
    await asyncio.sleep(PRESENCE_S + 1)
    assert (await roles(host))[speaker.id] == "cohost"
    assert not [e for e in events.events if e["type"] == "participant_left"]
    await first.stop()
    await events.stop()


async def test_a_crashed_host_reopens_with_its_token_and_a_space_without_its_host_ends(
    quick: Backend,
) -> None:
    host = await create_space(quick.url)
    guest = await join(quick.url, host.space_id, "Gail")
    guest_events = EventLog(guest)
    crashed = EventLog(host)
    await asyncio.wait_for(crashed.ready.wait(), 5)
    await crashed.stop()
    await asyncio.sleep(PRESENCE_S + 1.5)  # longer than anyone else may be away
    snapshot = (await host.get()).json()
    assert snapshot["space"]["status"] == "live"
    assert {p["id"]: p["role"] for p in snapshot["participants"]}[host.id] == "host"
    reopened = EventLog(host, last_event_id=snapshot["last_event_id"])
    await asyncio.wait_for(reopened.ready.wait(), 5)
    await host.post(f"/participants/{guest.id}/role", {"role": "speaker"})
    await reopened.wait_for(lambda e: e["type"] == "participant_updated")
    await asyncio.sleep(HOST_GRACE_S - PRESENCE_S)
    assert (await host.get()).json()["space"]["status"] == "live"

    # Gone for good: the Space ends after the host's grace period.
    await reopened.stop()
    ended = await guest_events.wait_type("space_ended", timeout=HOST_GRACE_S + 10)
    assert ended["data"]["by"] == host.id
    assert (await host.get()).json()["space"]["status"] == "ended"
    await guest_events.stop()

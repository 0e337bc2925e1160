"""Big-audience signaling through the real backend: who hears of whom, pages, search, resume."""

from __future__ import annotations

import asyncio
import json
import unicodedata
from typing import Any

from tests.support.api import EventLog, Member, create_space, join
from tests.support.backend import Backend


def _mentions(events: list[dict[str, Any]], participant_id: str) -> bool:
    return any(participant_id in json.dumps(e["data"]) for e in events)


async def _all_pages(member: Member, query: str | None = None, limit: int = 7) -> list[str]:
    ids: list[str] = []
    cursor: str | None = None
    for _ in range(1000):
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        if query is not None:
            params["q"] = query
        response = await member.http.get(f"/spaces/{member.space_id}/participants", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["participants"]) <= limit
        ids += [p["id"] for p in body["participants"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return ids
    raise AssertionError("paging did not end")


async def test_a_listener_gets_counts_and_the_host_gets_rows(unlimited_backend: Backend) -> None:
    url = unlimited_backend.url
    host = await create_space(url, "Counts")
    alice = await join(url, host.space_id, "Alice", client_id="alice-key-1")
    host_log, alice_log = EventLog(host, None), EventLog(alice, None)
    await asyncio.gather(host_log.ready.wait(), alice_log.ready.wait())
    others = [await join(url, host.space_id, f"Guest {i}", client_id=f"guest-key-{i}") for i in range(3)]
    await others[0].post("/me/speak-request")
    for other in others:
        await host_log.wait_for(
            lambda e, o=other: e["type"] == "participant_joined" and e["data"]["participant"]["id"] == o.id
        )
    await host_log.wait_for(lambda e: e["type"] == "participant_updated")
    counted = await alice_log.wait_for(lambda e: e["type"] == "audience" and e["data"]["listeners"] == 4, 5)
    assert counted["data"] == {"listeners": 4, "speakers": 1, "total": 5}
    # A stage event reaches everyone, and arrives after what came before it.
    await host.post("/me/hand", {"raised": True})
    await alice_log.wait_for(
        lambda e: e["type"] == "participant_updated" and e["data"]["participant"]["id"] == host.id
    )
    assert "participant_joined" not in alice_log.types()
    for other in others:
        assert not _mentions(alice_log.events, other.id), alice_log.types()
    # Her join snapshot lists the others without the moderator-only request flag.
    snapshot = (await others[1].get()).json()
    rows = {p["id"]: p for p in snapshot["participants"]}
    assert rows[others[0].id]["speak_requested"] is False
    assert snapshot["counts"]["listeners"] == 4
    host_rows = {p["id"]: p for p in (await host.get()).json()["participants"]}
    assert host_rows[others[0].id]["speak_requested"] is True
    await host_log.stop()
    await alice_log.stop()


async def test_moderators_get_every_arrival_and_pages_are_complete_during_joins(
    unlimited_backend: Backend,
) -> None:
    url = unlimited_backend.url
    host = await create_space(url, "Crowd")
    host_log = EventLog(host, None)
    await host_log.ready.wait()
    crowd = 120

    async def arrive(i: int) -> Member:
        return await join(url, host.space_id, f"Fan {i}", client_id=f"fan-key-{i:04d}")

    joining = asyncio.gather(*(arrive(i) for i in range(crowd)))
    pages_during: list[list[str]] = []
    while not joining.done():
        pages_during.append(await _all_pages(host, limit=9))
    members = await joining
    for ids in pages_during:
        assert len(ids) == len(set(ids)), "a page repeated someone"
    joined_ids = {m.id for m in members}
    await host_log.wait_for(
        lambda _: (
            joined_ids
            <= {e["data"]["participant"]["id"] for e in host_log.events if e["type"] == "participant_joined"}
        ),
        15,
    )
    everyone = await _all_pages(host, limit=9)
    assert len(everyone) == len(set(everyone)) == crowd + 1
    assert set(everyone) == joined_ids | {host.id}
    # A listener may page too: the same rows, in the same (join) order.
    assert await _all_pages(members[0], limit=50) == everyone
    await host_log.stop()
    for member in members:
        await member.aclose()


async def test_search_by_name_folds_case_and_normalization(unlimited_backend: Backend) -> None:
    url = unlimited_backend.url
    host = await create_space(url, "Search")
    decomposed = unicodedata.normalize("NFD", "Zoë Quinn")
    zoe = await join(url, host.space_id, decomposed, client_id="zoe-key-01")
    zoey = await join(url, host.space_id, "ZOËY", client_id="zoey-key-01")
    await join(url, host.space_id, "Zed", client_id="zed-key-001")
    for i in range(30):
        await join(url, host.space_id, f"Filler {i}", client_id=f"filler-key-{i:02d}")
    found = await _all_pages(host, unicodedata.normalize("NFC", "zoë"), limit=1)
    assert found == [zoe.id, zoey.id]
    assert await _all_pages(host, "QUINN") == [zoe.id]
    assert len(await _all_pages(host, "filler 1")) == 11  # 1 and 10..19
    assert await _all_pages(host, "nobody") == []


async def test_bad_cursor_query_and_limit_are_refused_with_a_sentence(backend: Backend) -> None:
    host = await create_space(backend.url, "Refusals")
    for path, status in (
        ("/participants?cursor=bogus", 400),
        ("/participants?cursor=c12x", 400),
        ("/participants?q=%07bell", 400),
        ("/participants?limit=0", 400),
        ("/participants?limit=100000", 400),
    ):
        response = await host.get(path, expect=None)
        assert response.status_code == status, (path, response.text)
        body = response.json()
        assert body["message"].endswith("."), body
    stranger = Member(backend.url, host.space_id, "p_nobody", "not-a-token")
    assert (await stranger.get("/participants", expect=None)).status_code == 401
    await stranger.aclose()


async def test_resume_after_a_reconnect_loses_nothing(unlimited_backend: Backend) -> None:
    url = unlimited_backend.url
    host = await create_space(url, "Resume")
    listener = await join(url, host.space_id, "Lou", client_id="lou-key-001")
    first = EventLog(listener, None)
    host_first = EventLog(host, None)
    await asyncio.gather(first.ready.wait(), host_first.ready.wait())
    await host.post("/me/hand", {"raised": True})
    seen = await first.wait_type("participant_updated")
    host_seen = await host_first.wait_for(lambda e: e["type"] == "participant_updated")
    await first.stop()
    await host_first.stop()
    # While both are away: a stage change, and arrivals the count (and the host) must reflect.
    await host.post("/me/hand", {"raised": False})
    late = [await join(url, host.space_id, f"Late {i}", client_id=f"late-key-{i:02d}") for i in range(5)]
    await asyncio.sleep(1.2)  # past the count's interval, so the last count is logged
    again = EventLog(listener, seen["id"])
    host_again = EventLog(host, host_seen["id"])
    lowered = await again.wait_for(
        lambda e: e["type"] == "participant_updated" and e["data"]["participant"]["hand_raised"] is False
    )
    assert lowered["id"] > seen["id"]
    await again.wait_for(lambda e: e["type"] == "audience" and e["data"]["listeners"] == 6, 5)
    arrived = {m.id for m in late}
    await host_again.wait_for(
        lambda _: (
            arrived
            <= {
                e["data"]["participant"]["id"] for e in host_again.events if e["type"] == "participant_joined"
            }
        )
    )
    ids = [e["id"] for e in again.events]
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    await again.stop()
    await host_again.stop()

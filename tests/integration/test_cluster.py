"""Two real backends on one real Redis behind real HAProxy: a backend dies, its client's stream moves on."""

from __future__ import annotations

import asyncio
import shutil

import httpx
import pytest

from spaces_desktop.bench.cluster import cluster, measure_backend_failover
from tests.support.api import EventLog, create_space, join

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None or shutil.which("haproxy") is None,
    reason="redis-server and haproxy are needed (scripts/install-system-deps.sh)",
)


async def test_a_killed_backends_stream_resumes_on_the_other_with_every_event_once() -> None:
    async with cluster(2) as c:
        result = await measure_backend_failover(c)
        assert result["resumed_on"] != result["killed"]
        assert result["lost_events"] == 0 and result["repeated_events"] == 0
        # The host's stream got the listener's hand too (for moderators), the listener's did not.
        assert result["moderator_events_logged"] > 5 and result["listener_saw_moderator_events"] == 0
        assert result["events_logged"] > 20
        assert result["backend_failover_s"] <= 5.0
        # The Space's media lease is the survivor's now (at once, or after the dead owner's lease ran out).
        assert result["media_owner_after"] == result["resumed_on"]


async def test_state_written_through_one_backend_is_read_through_the_other() -> None:
    async with cluster(2) as c:
        one, two = (b.url for b in c.backends)
        async with httpx.AsyncClient(timeout=5) as client:
            made = await client.post(f"{one}/spaces", json={"title": "Shared", "host_name": "Host"})
            created = made.json()
            space_id, host_token = created["snapshot"]["space"]["id"], created["token"]
            joined = await client.post(
                f"{two}/spaces/{space_id}/join", json={"display_name": "Guest", "client_id": "guest-client-1"}
            )
            assert joined.status_code == 201, joined.text
            guest_id = joined.json()["participant"]["id"]
            # The host's token works on the other backend, and sees the guest joined there.
            snapshot = await client.get(
                f"{one}/spaces/{space_id}", headers={"Authorization": f"Bearer {host_token}"}
            )
            assert guest_id in {p["id"] for p in snapshot.json()["participants"]}
            removed = await client.post(
                f"{two}/spaces/{space_id}/participants/{guest_id}/remove",
                json={},
                headers={"Authorization": f"Bearer {host_token}"},
            )
            assert removed.status_code == 204, removed.text
            again = await client.post(
                f"{one}/spaces/{space_id}/join", json={"display_name": "Guest", "client_id": "guest-client-1"}
            )
            assert again.status_code == 403  # the ban made on one backend holds on the other


async def test_arrivals_on_either_backend_reach_moderators_as_rows_and_listeners_as_one_count() -> None:
    """Each backend coalesces the audience count of its own joins, and reads the count from Redis:
    whichever sends last, everyone ends on the true number; listeners never get others' rows."""
    async with cluster(2) as c:
        one, two = (b.url for b in c.backends)
        host = await create_space(one, "Crowd")
        first = await join(two, host.space_id, "First", client_id="first-key")
        host_log, first_log = EventLog(host, None), EventLog(first, None)
        await asyncio.gather(host_log.ready.wait(), first_log.ready.wait())
        try:
            crowd = [
                await join((one, two)[i % 2], host.space_id, f"Guest {i}", client_id=f"guest-key-{i}")
                for i in range(10)
            ]
            for guest in crowd:
                await host_log.wait_for(
                    lambda e, g=guest: (
                        e["type"] == "participant_joined" and e["data"]["participant"]["id"] == g.id
                    )
                )
            for log in (host_log, first_log):
                counted = await log.wait_for(
                    lambda e: e["type"] == "audience" and e["data"]["listeners"] == 11, 5
                )
                assert counted["data"] == {"listeners": 11, "speakers": 1, "total": 12}
            await asyncio.sleep(1.5)  # a later count, if one were still to come, would be here by now
            for log in (host_log, first_log):
                assert [e for e in log.events if e["type"] == "audience"][-1]["data"]["listeners"] == 11
            assert "participant_joined" not in first_log.types()
            # At most one count a second from each backend: 10 joins in well under 5 s.
            assert len([e for e in first_log.events if e["type"] == "audience"]) <= 12
        finally:
            await host_log.stop()
            await first_log.stop()

"""Event fan-out and presence across two backends sharing one real redis-server."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

import pytest
import redis.asyncio as aioredis

from spaces_desktop.domain import ParticipantStatus, Role, SpaceStatus
from spaces_desktop.server.event_bus import Subscription
from spaces_desktop.server.media_lease import MediaLeases
from spaces_desktop.server.redis_events import RedisEventBus
from spaces_desktop.server.redis_presence import SharedPresence
from spaces_desktop.server.redis_store import RedisStore
from spaces_desktop.server.store import MODERATORS, EventRow, ParticipantRow, SpaceRow, now
from tests.support.redis_server import RedisServer


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
async def buses(redis_server: RedisServer) -> AsyncIterator[tuple[RedisEventBus, RedisEventBus]]:
    prefix = f"t{secrets.token_hex(4)}:"
    made = []
    for _ in range(2):
        store = RedisStore(redis_server.client(), prefix)
        bus = RedisEventBus(store, aioredis.Redis.from_url(redis_server.url, decode_responses=True))
        bus.start()
        made.append(bus)
    yield made[0], made[1]
    for bus in made:
        await bus.stop()


async def _take(subscription: Subscription, count: int) -> list[EventRow | None]:
    got: list[EventRow | None] = []
    for _ in range(count):
        got.append(await asyncio.wait_for(subscription.queue.get(), 5))
    return got


async def test_events_from_both_backends_arrive_once_in_log_order(
    buses: tuple[RedisEventBus, RedisEventBus],
) -> None:
    a, b = buses
    on_a, on_b = a.subscribe("s1", "v1"), b.subscribe("s1", "v2")
    sent = []
    for n in range(20):
        sent.append((a if n % 2 else b).publish("s1", "tick", {"n": n}))
    b.publish("s1", "private", {}, target_id="v1")
    for subscription, extra in ((on_a, 1), (on_b, 0)):
        got = await _take(subscription, 20 + extra)
        ids = [e.id for e in got if e is not None]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)
        assert [e.data.get("n") for e in got if e is not None][:20] == list(range(20))
    assert on_b.queue.empty() and on_a.queue.empty()  # the targeted event reached v1 only, once
    assert [e.id for e in sent] == sorted(e.id for e in sent)


async def test_closing_a_viewer_reaches_its_feed_on_the_other_backend(
    buses: tuple[RedisEventBus, RedisEventBus],
) -> None:
    a, b = buses
    feed = b.subscribe("s1", "gone")
    other = b.subscribe("s1", "stays")
    await asyncio.sleep(0.3)  # the reader follows s1 now
    a.publish("s1", "removed", {}, target_id="gone")
    a.close_viewer("s1", "gone")
    got = await _take(feed, 2)
    assert got[0] is not None and got[0].type == "removed" and got[1] is None
    a.close_space("s1")
    assert await _take(other, 1) == [None]


async def test_a_feed_opened_after_events_misses_none_between_replay_and_live(
    buses: tuple[RedisEventBus, RedisEventBus],
    redis_server: RedisServer,
) -> None:
    a, b = buses
    a.publish("s1", "before", {})
    feed = b.subscribe("s1", "v")
    a.publish("s1", "between", {})  # after subscribing, before the reader's next round
    got = await _take(feed, 1)
    assert got[0] is not None and got[0].type == "between"


async def test_moderators_events_reach_only_whoever_is_moderator_on_any_backend(
    buses: tuple[RedisEventBus, RedisEventBus],
) -> None:
    """Logged on one backend, read live on the other: a listener's feed never gets a moderators'
    event (unless it is about them), and a co-host promoted meanwhile does."""
    a, b = buses
    store = a._store
    store.add_space(_space())
    store.add_participant(_row("h", Role.HOST), "tok-h")
    cohost = store.add_participant(_row("c", Role.LISTENER), "tok-c")
    for pid in "xy":
        store.add_participant(_row(pid, Role.LISTENER), f"tok-{pid}")
    feeds = {pid: b.subscribe("s1", pid) for pid in "hcxy"}
    await asyncio.sleep(0.3)  # b's reader follows s1 now
    a.publish("s1", "participant_joined", {"id": "x"}, target_id="x", audience=MODERATORS)
    store.update_participant(replace(cohost, role=Role.COHOST))
    a.publish("s1", "participant_left", {"id": "y"}, audience=MODERATORS)
    a.publish("s1", "audience", {"listeners": 2})
    # All logged before b's reader runs again: c is a co-host when they are handed out.
    expected = {
        "h": ["participant_joined", "participant_left", "audience"],
        "c": ["participant_joined", "participant_left", "audience"],
        "x": ["participant_joined", "audience"],
        "y": ["audience"],
    }
    seen = {pid: [e.type for e in await _take(feeds[pid], len(want)) if e] for pid, want in expected.items()}
    assert seen == expected
    await asyncio.sleep(0.3)
    assert all(feed.queue.empty() for feed in feeds.values())  # nothing more, on no feed


def _space() -> SpaceRow:
    return SpaceRow(0, "s1", "T", False, SpaceStatus.LIVE, "h", now(), None, now(), None)


def _row(pid: str, role: Role) -> ParticipantRow:
    return ParticipantRow(
        0, pid, "s1", pid, role, ParticipantStatus.ACTIVE, None,
        False, False, False, False, False, False, now(),
    )  # fmt: skip


def test_presence_is_claimed_by_one_backend(redis_server: RedisServer) -> None:
    prefix = f"t{secrets.token_hex(4)}:"
    a, b = SharedPresence(redis_server.client(), prefix), SharedPresence(redis_server.client(), prefix)
    a.seen(["p1", "p2"])
    assert a.away(60) == []
    away = b.away(0)
    assert sorted(pid for pid, _ in away) == ["p1", "p2"]
    assert not b.claim("p1", 60)  # not away that long yet
    assert [a.claim("p1", 0), b.claim("p1", 0)] == [True, False]
    b.seen(["p2"])  # seen again on the other backend: watched with the newest sighting
    assert {pid for pid, _ in a.away(0)} == {"p2"}


def test_media_lease_has_one_owner_until_released_or_expired(redis_server: RedisServer) -> None:
    prefix = f"t{secrets.token_hex(4)}:"
    a = MediaLeases(redis_server.client(), "backend-a", prefix, lease_ms=300)
    b = MediaLeases(redis_server.client(), "backend-b", prefix, lease_ms=300)
    assert a.acquire("s1") and not b.acquire("s1")
    owner = b.owner("s1")
    assert owner is not None and owner.backend == "backend-a" and owner.janus == "default"
    assert a.renew_all() == set() and a.acquire("s1")
    a.release("s1")
    assert b.acquire("s1") and not a.acquire("s1")
    assert b.renew_all() == set()
    time.sleep(0.45)  # b died: nobody renewed
    assert b.renew_all() == {"s1"} and a.acquire("s1")

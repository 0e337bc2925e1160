"""The store interface's contract, run against both implementations: SQLite and a real redis-server."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from spaces_desktop.domain import ParticipantStatus, Role, SpaceStatus
from spaces_desktop.server.redis_store import RedisStore
from spaces_desktop.server.store import ParticipantRow, SpaceRow, Store
from spaces_desktop.server.store_api import SpaceStore
from tests.support.redis_server import RedisServer


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SpaceStore]:
    made: SpaceStore
    if request.param == "sqlite":
        made = Store(tmp_path / "spaces.sqlite3")
    else:
        server: RedisServer = request.getfixturevalue("redis_server")
        made = RedisStore(server.client(), prefix=f"t{secrets.token_hex(4)}:")
    yield made
    made.close()


def _space(space_id: str = "s1", host: str = "h1") -> SpaceRow:
    at = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    return SpaceRow(0, space_id, "Title ✓", True, SpaceStatus.SCHEDULED, host, at, None, None, None)


def _person(pid: str, space_id: str = "s1", role: Role = Role.LISTENER, **changes: object) -> ParticipantRow:
    row = ParticipantRow(
        0, pid, space_id, f"name {pid}", role, ParticipantStatus.ACTIVE, f"client-{pid}",
        False, False, False, False, False, False, datetime.now(UTC), "127.0.0.1",
    )  # fmt: skip
    return row if not changes else ParticipantRow(**{**row.__dict__, **changes})  # type: ignore[arg-type]


def test_spaces_round_trip_and_change_status(store: SpaceStore) -> None:
    added = store.add_space(_space())
    assert added.seq > 0
    assert store.space("s1") == added
    assert store.space("nope") is None
    assert store.live_spaces() == []
    store.set_space_status("s1", SpaceStatus.LIVE)
    live = store.space("s1")
    assert live is not None and live.status is SpaceStatus.LIVE and live.started_at is not None
    assert [s.id for s in store.live_spaces()] == ["s1"]
    store.set_space_access("s1", locked=True, approval_required=True)
    changed = store.space("s1")
    assert changed is not None and changed.locked and changed.approval_required
    store.set_space_status("s1", SpaceStatus.ENDED)
    ended = store.space("s1")
    assert ended is not None and ended.ended_at is not None and store.live_spaces() == []


def test_participants_by_token_seq_and_status_in_join_order(store: SpaceStore) -> None:
    store.add_space(_space())
    host = store.add_participant(_person("h1", role=Role.HOST), "token-h")
    guest = store.add_participant(_person("g1"), "token-g")
    pending = store.add_participant(_person("p1", status=ParticipantStatus.PENDING), "token-p")
    assert host.seq < guest.seq < pending.seq
    assert store.participant_by_token("token-g") == guest
    assert store.participant_by_token("token-x") is None
    assert store.participant("h1") == host
    assert store.participant_by_seq(guest.seq) == guest
    assert store.participant_by_seq(99_999) is None
    assert [p.id for p in store.active_participants("s1")] == ["h1", "g1"]
    assert [p.id for p in store.participants_with_status("s1", ParticipantStatus.PENDING)] == ["p1"]
    assert store.count_roles("s1")[Role.HOST] == 1 and store.count_roles("s1")[Role.LISTENER] == 1
    assert [p.id for p in store.present_participants()] == ["h1", "g1", "p1"]


def test_updates_bump_the_version_and_replace_the_row_object(store: SpaceStore) -> None:
    store.add_space(_space())
    guest = store.add_participant(_person("g1"), "token-g")
    before = store.participants_version("s1")
    rows = store.active_participants("s1")
    assert store.active_participants("s1")[0] is rows[0]  # unchanged: the same object (views cache by it)
    promoted = ParticipantRow(**{**guest.__dict__, "role": Role.SPEAKER, "muted": True})
    store.update_participant(promoted)
    assert store.participants_version("s1") != before
    again = store.active_participants("s1")[0]
    assert again.role is Role.SPEAKER and again.muted and again is not rows[0]
    assert store.participant("g1") == promoted
    store.update_participant(ParticipantRow(**{**promoted.__dict__, "status": ParticipantStatus.LEFT}))
    assert store.active_participants("s1") == []


def test_bans_by_client_and_by_address(store: SpaceStore) -> None:
    store.ban("s1", "client-a")
    assert store.is_banned("s1", "client-a") and not store.is_banned("s1", "client-b")
    assert not store.is_banned("s2", "client-a")
    assert store.address_ban("s1", "10.0.0.1") is None
    store.ban_address("s1", "10.0.0.1", blocked=False)
    assert store.address_ban("s1", "10.0.0.1") is False
    store.ban_address("s1", "10.0.0.1", blocked=True)
    store.ban_address("s1", "10.0.0.1", blocked=False)  # a ban only ever widens
    assert store.address_ban("s1", "10.0.0.1") is True


def test_event_log_ids_grow_and_replay_honours_targets(store: SpaceStore) -> None:
    assert store.last_event_id("s1") == 0
    first = store.append_event("s1", "a", {"n": 1}, None)
    mine = store.append_event("s1", "b", {"n": 2}, "me")
    store.append_event("s1", "c", {"n": 3}, "other")
    last = store.append_event("s1", "d", {"n": 4, "when": "x"}, None)
    store.append_event("s2", "e", {}, None)
    assert first.id < mine.id < last.id
    assert store.last_event_id("s1") >= last.id
    seen = store.events_after("s1", 0, "me")
    expected = [("a", {"n": 1}), ("b", {"n": 2}), ("d", {"n": 4, "when": "x"})]
    assert [(e.type, e.data) for e in seen] == expected
    assert [e.type for e in store.events_after("s1", first.id, "me")] == ["b", "d"]
    assert [e.type for e in store.events_after("s1", 0, "me", limit=2)] == ["a", "b"]
    assert store.events_after("s1", last.id, "me") == []
    assert seen[0].sse.startswith(f"id: {first.id}\n".encode())


def test_two_redis_stores_see_each_others_writes(redis_server: RedisServer) -> None:
    """Two backends on one Redis: a participant cached by one and changed by the other is never stale."""
    prefix = f"t{secrets.token_hex(4)}:"
    a, b = RedisStore(redis_server.client(), prefix), RedisStore(redis_server.client(), prefix)
    a.add_space(_space())
    guest = a.add_participant(_person("g1"), "tok")
    assert [p.id for p in b.active_participants("s1")] == ["g1"]  # b caches the Space now
    a.update_participant(ParticipantRow(**{**guest.__dict__, "role": Role.SPEAKER}))
    assert b.active_participants("s1")[0].role is Role.SPEAKER
    b.add_participant(_person("g2"), "tok2")
    assert [p.id for p in a.active_participants("s1")] == ["g1", "g2"]
    assert a.participants_version("s1") == b.participants_version("s1")
    assert b.participant_by_token("tok") is not None
    event = a.append_event("s1", "x", {}, None)
    assert b.last_event_id("s1") == event.id


def test_scene_and_backstage_are_kept(store: SpaceStore) -> None:
    store.add_space(_space())
    assert store.space("s1") is not None and store.space("s1").scene is None  # type: ignore[union-attr]
    store.set_scene("s1", '{"kind":"grid","participant_id":null,"by":"h1"}')
    kept = store.space("s1")
    assert kept is not None and kept.scene == '{"kind":"grid","participant_id":null,"by":"h1"}'
    store.set_space_access("s1", locked=True, approval_required=False)  # other writes keep the scene
    assert store.space("s1").scene == kept.scene  # type: ignore[union-attr]
    guest = store.add_participant(_person("g1", role=Role.SPEAKER), "token-g")
    assert not guest.backstage
    store.update_participant(replace(guest, backstage=True))
    assert store.participant("g1").backstage  # type: ignore[union-attr]
    assert [p.backstage for p in store.active_participants("s1")] == [True]
    assert store.participant_by_token("token-g").backstage  # type: ignore[union-attr]

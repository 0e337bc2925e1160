"""The store interface's contract, run against both implementations: SQLite and a real redis-server."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from spaces_desktop.domain import ParticipantStatus, Role, SpaceStatus
from spaces_desktop.domain.text_rules import name_key
from spaces_desktop.server.redis_store import RedisStore
from spaces_desktop.server.store import MODERATORS, ParticipantRow, SpaceRow, Store, VersionConflict
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


def test_pages_go_in_join_order_with_a_cursor_that_survives_comings_and_goings(store: SpaceStore) -> None:
    store.add_space(_space())
    rows = [store.add_participant(_person(f"p{n}"), f"token-{n}") for n in range(7)]
    page, after = store.participants_page("s1", 0, 3)
    assert [p.id for p in page] == ["p0", "p1", "p2"] and after == rows[2].seq
    # Someone on the next page leaves and someone new arrives: the cursor still means "after p2".
    store.update_participant(replace(rows[3], status=ParticipantStatus.LEFT))
    store.add_participant(_person("p7"), "token-7")
    assert after is not None
    page, after = store.participants_page("s1", after, 3)
    assert [p.id for p in page] == ["p4", "p5", "p6"] and after == rows[6].seq
    assert after is not None
    page, after = store.participants_page("s1", after, 3)
    assert [p.id for p in page] == ["p7"] and after is None
    # Exactly a page left: no cursor to a page that would be empty.
    assert store.participants_page("s1", rows[4].seq, 3) == (
        store.participants_page("s1", 0, 10)[0][-3:],
        None,
    )


def test_pages_search_by_folded_name(store: SpaceStore) -> None:
    store.add_space(_space())
    for n, name in enumerate(("Zoë Adams", "ZOE\u0308 Brown", "Ｚｏｅ Wide", "Max Strauß", "Bob")):
        store.add_participant(_person(f"p{n}", display_name=name), f"token-{n}")
    page, after = store.participants_page("s1", 0, 10, name_key("zoë"))
    assert [p.id for p in page] == ["p0", "p1"] and after is None  # NFC and case folded alike
    assert [p.id for p in store.participants_page("s1", 0, 10, name_key("zoe"))[0]] == ["p2"]
    assert [p.id for p in store.participants_page("s1", 0, 10, name_key("STRAUSS"))[0]] == ["p3"]
    page, after = store.participants_page("s1", 0, 1, name_key("zoë"))
    assert [p.id for p in page] == ["p0"] and after is not None
    assert [p.id for p in store.participants_page("s1", after, 1, name_key("zoë"))[0]] == ["p1"]
    assert store.participants_page("s1", 0, 10, name_key("nobody")) == ([], None)


def test_stage_moderators_counts_and_rows_as_stored_now(store: SpaceStore) -> None:
    store.add_space(_space())
    host = store.add_participant(_person("h1", role=Role.HOST), "token-h")
    early = store.add_participant(_person("e1"), "token-e")
    late = store.add_participant(_person("l1"), "token-l")
    store.add_participant(_person("w1", status=ParticipantStatus.PENDING), "token-w")
    assert [p.id for p in store.stage_participants("s1")] == ["h1"]
    assert store.moderator_ids("s1") == ["h1"]
    # Promoted in the reverse of join order: the stage still lists them by join order.
    store.update_participant(replace(late, role=Role.COHOST))
    store.update_participant(replace(early, role=Role.SPEAKER))
    assert [p.id for p in store.stage_participants("s1")] == ["h1", "e1", "l1"]
    assert store.moderator_ids("s1") == ["h1", "l1"]
    counts = store.count_roles("s1")
    assert (counts[Role.HOST], counts[Role.COHOST], counts[Role.SPEAKER], counts[Role.LISTENER]) == (
        1,
        1,
        1,
        0,
    )
    current = store.space_participant("s1", "l1")
    assert current is not None and current.role is Role.COHOST
    assert store.space_participant("s1", "nobody") is None
    assert store.space_participant("s2", "h1") is None
    store.update_participant(replace(late, role=Role.LISTENER))  # demoted: no moderator any more
    store.update_participant(replace(host, status=ParticipantStatus.LEFT))
    assert store.moderator_ids("s1") == [] and [p.id for p in store.stage_participants("s1")] == ["e1"]
    assert store.count_roles("s1")[Role.LISTENER] == 1 and store.count_roles("s1")[Role.HOST] == 0


def test_moderators_events_replay_to_moderators_and_their_target(store: SpaceStore) -> None:
    everyone = store.append_event("s1", "talking", {}, None)
    joined = store.append_event("s1", "participant_joined", {"id": "a"}, "a", MODERATORS)
    raised = store.append_event("s1", "hand", {}, None, MODERATORS)
    assert joined.audience == MODERATORS and everyone.audience is None
    mine = [e.type for e in store.events_after("s1", 0, "a")]
    assert mine == ["talking", "participant_joined"]
    assert [e.type for e in store.events_after("s1", 0, "b")] == ["talking"]
    replayed = store.events_after("s1", 0, "h", moderator=True)
    assert [e.id for e in replayed] == [everyone.id, joined.id, raised.id]
    assert [e.audience for e in replayed] == [None, MODERATORS, MODERATORS]
    assert replayed[1].visible_to("a", False) and not replayed[2].visible_to("b", False)
    assert [e.type for e in store.events_after("s1", joined.id, "h", limit=1, moderator=True)] == ["hand"]


def test_a_redis_page_sees_the_other_backends_joins_and_roles(redis_server: RedisServer) -> None:
    """The roster a backend caches is checked against the shared version before every page and count."""
    prefix = f"t{secrets.token_hex(4)}:"
    a, b = RedisStore(redis_server.client(), prefix), RedisStore(redis_server.client(), prefix)
    a.add_space(_space())
    a.add_participant(_person("h1", role=Role.HOST), "tok-h")
    first = a.add_participant(_person("g1"), "tok-1")
    assert [p.id for p in b.participants_page("s1", 0, 10)[0]] == ["h1", "g1"]  # b caches it
    a.add_participant(_person("g2", display_name="Ünïcode"), "tok-2")
    a.update_participant(replace(first, role=Role.COHOST))
    assert [p.id for p in b.participants_page("s1", 0, 10, name_key("ÜNÏCODE"))[0]] == ["g2"]
    assert b.moderator_ids("s1") == ["h1", "g1"] and b.count_roles("s1")[Role.LISTENER] == 1
    b.add_participant(_person("g3"), "tok-3")  # b's own write, then a's view of it
    assert a.count_roles("s1")[Role.LISTENER] == 2
    assert [p.id for p in a.participants_page("s1", first.seq, 10)[0]] == ["g2", "g3"]
    event = b.append_event("s1", "participant_joined", {}, "g3", MODERATORS)
    assert [e.id for e in a.events_after("s1", 0, "h1", moderator=True)] == [event.id]
    assert a.events_after("s1", 0, "g2") == []


def test_a_redis_roster_behind_by_a_few_writes_reads_only_those_rows(redis_server: RedisServer) -> None:
    prefix = f"t{secrets.token_hex(4)}:"
    a, b = RedisStore(redis_server.client(), prefix), RedisStore(redis_server.client(), prefix)
    a.add_space(_space())
    rows = [a.add_participant(_person(f"g{n}"), f"tok-{n}") for n in range(4)]
    before = {p.id: p for p in b.active_participants("s1")}  # b caches the Space
    a.update_participant(replace(rows[1], role=Role.SPEAKER))
    a.add_participant(_person("g4", display_name="Late Comer"), "tok-4")
    a.update_participant(replace(rows[2], status=ParticipantStatus.LEFT))
    after = {p.id: p for p in b.active_participants("s1")}
    assert list(after) == ["g0", "g1", "g3", "g4"]
    assert after["g0"] is before["g0"] and after["g3"] is before["g3"]  # caught up, not read again
    assert after["g1"].role is Role.SPEAKER and b.count_roles("s1")[Role.LISTENER] == 3
    assert [p.id for p in b.participants_page("s1", rows[3].seq, 5, name_key("late"))[0]] == ["g4"]
    # Its own write while behind: applied when it next reads, with everyone else's.
    b.update_participant(replace(rows[0], hand_raised=True))
    a.update_participant(replace(rows[3], muted=True))
    b.add_participant(_person("g5"), "tok-5")
    caught = {p.id: p for p in b.active_participants("s1")}
    assert caught["g0"].hand_raised and caught["g3"].muted and "g5" in caught
    assert [p.id for p in a.active_participants("s1")] == [p.id for p in b.active_participants("s1")]
    # Changes it cannot read (trimmed away): the whole Space is read again, still right.
    a._r.delete(a.key("space", "s1", "changes"))
    a.update_participant(replace(rows[1], role=Role.LISTENER))
    assert b.active_participants("s1")[1].role is Role.LISTENER and b.count_roles("s1")[Role.SPEAKER] == 0


def test_a_conditional_write_fails_once_the_version_moved(store: SpaceStore) -> None:
    store.add_space(_space())
    guest = store.add_participant(_person("g1"), "token-g")
    seen = store.participants_version("s1")
    store.update_participant(replace(guest, hand_raised=True), if_version=seen)  # nobody wrote since
    assert store.participant("g1") == replace(guest, hand_raised=True)
    with pytest.raises(VersionConflict):  # `seen` is stale now: this process's own write moved it
        store.update_participant(replace(guest, role=Role.SPEAKER), if_version=seen)
    with pytest.raises(VersionConflict):
        store.add_participant(_person("g2"), "token-2", if_version=seen)
    with pytest.raises(VersionConflict):
        store.remove_participant(replace(guest, status=ParticipantStatus.REMOVED), False, if_version=seen)
    assert store.participant("g1") == replace(guest, hand_raised=True)  # no failed write left a trace
    assert store.participant("g2") is None and not store.is_banned("s1", "client-g1")
    assert store.count_roles("s1")[Role.SPEAKER] == 0
    for change in (
        lambda: store.set_space_access("s1", locked=True, approval_required=False),
        lambda: store.set_space_status("s1", SpaceStatus.LIVE),
    ):  # a check of the Space's state is stale after these too
        seen = store.participants_version("s1")
        change()
        with pytest.raises(VersionConflict):
            store.update_participant(replace(guest, muted=True), if_version=seen)


def test_removal_writes_the_row_and_both_bans_at_once(store: SpaceStore) -> None:
    store.add_space(_space())
    guest = store.add_participant(_person("g1", address="10.0.0.9"), "token-g")
    removed = replace(guest, status=ParticipantStatus.REMOVED)
    store.remove_participant(removed, True, if_version=store.participants_version("s1"))
    assert store.participant("g1") == removed and store.active_participants("s1") == []
    assert store.is_banned("s1", "client-g1") and store.address_ban("s1", "10.0.0.9") is True


def test_a_redis_conditional_write_fails_after_another_backends_write(redis_server: RedisServer) -> None:
    prefix = f"t{secrets.token_hex(4)}:"
    a, b = RedisStore(redis_server.client(), prefix), RedisStore(redis_server.client(), prefix)
    a.add_space(_space())
    guest = a.add_participant(_person("g1"), "tok")
    other = a.add_participant(_person("g2"), "tok2")
    seen = a.participants_version("s1")
    assert a.count_roles("s1")[Role.SPEAKER] == 0
    b.update_participant(replace(other, role=Role.SPEAKER))  # the other backend, between a check and a write
    with pytest.raises(VersionConflict):
        a.update_participant(replace(guest, role=Role.SPEAKER), if_version=seen)
    assert a.count_roles("s1")[Role.SPEAKER] == 1 and b.count_roles("s1")[Role.SPEAKER] == 1
    a.update_participant(replace(guest, role=Role.SPEAKER), if_version=a.participants_version("s1"))
    assert b.count_roles("s1")[Role.SPEAKER] == 2
    b.set_space_status("s1", SpaceStatus.LIVE)  # a Space-row write: the roster catches up past it
    assert [p.id for p in a.stage_participants("s1")] == ["g1", "g2"]

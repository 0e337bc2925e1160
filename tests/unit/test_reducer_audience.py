"""The reducer with big-audience signaling: counts for listeners, pages for moderators."""

from __future__ import annotations

from spaces_desktop.domain import Role
from spaces_desktop.domain.state import SessionState
from spaces_desktop.protocol import AudienceCounts, ParticipantPage, Snapshot
from spaces_desktop.session.reducer import RosterPage, apply, from_snapshot
from tests.unit.test_reducer import dump, event, person, space


def snapshot(you: str, role: Role, next_cursor: str | None) -> SessionState:
    people = [person("h", Role.HOST), person("c", Role.COHOST), person("a"), person("b")]
    if you not in {p.id for p in people}:
        people.append(person(you, role))
    return from_snapshot(
        Snapshot(
            space=space(),
            participants=people,
            streams=[],
            you=you,
            last_event_id=10,
            counts=AudienceCounts(listeners=500, speakers=2, total=502),
            next_cursor=next_cursor,
        )
    )


def test_a_listener_keeps_the_stage_and_counts_from_audience_events() -> None:
    state = snapshot("me", Role.LISTENER, "c40")
    assert sorted(state.members) == ["c", "h", "me"]  # other listeners' rows would go stale
    assert state.listener_count == 500
    state = apply(state, event(11, "audience", listeners=620, speakers=2, total=622))
    assert state.listener_count == 620
    demoted = person("c", Role.LISTENER)
    state = apply(state, event(12, "participant_updated", participant=dump(demoted), change="demoted"))
    assert "c" not in state.members  # off stage: counted, not listed


def test_a_moderator_pages_everyone_in_and_counts_rows_once_complete() -> None:
    state = snapshot("h", Role.HOST, "c4")
    assert not state.roster_complete and state.listener_count == 500
    state = apply(state, event(11, "participant_left", participant=dump(person("x")), reason="left"))
    page = ParticipantPage(participants=[person("x"), person("y")], next_cursor="c9", last_event_id=10)
    state = apply(state, RosterPage(page))
    assert "x" not in state.members and "y" in state.members  # x left before the page came in
    state = apply(state, event(12, "participant_joined", participant=dump(person("z"))))
    last = ParticipantPage(participants=[person("z", hand_raised=False)], next_cursor=None, last_event_id=12)
    state = apply(state, RosterPage(last))
    assert state.roster_complete and state.left_while_paging == frozenset()
    assert sorted(m.id for m in state.listeners) == ["a", "b", "y", "z"]
    assert state.listener_count == 4


def test_becoming_a_cohost_asks_for_the_roster_and_losing_it_drops_listeners() -> None:
    state = snapshot("me", Role.LISTENER, "c40")
    promoted = person("me", Role.COHOST)
    state = apply(state, event(11, "participant_updated", participant=dump(promoted), change="promoted"))
    assert not state.roster_complete
    page = ParticipantPage(participants=[person("a"), person("b")], next_cursor=None, last_event_id=11)
    state = apply(state, RosterPage(page))
    assert state.roster_complete and {"a", "b"} <= set(state.members)
    demoted = person("me", Role.LISTENER)
    state = apply(state, event(12, "participant_updated", participant=dump(demoted), change="demoted"))
    assert sorted(state.members) == ["c", "h", "me"] and not state.roster_complete

"""The reducer and who may come in: the lobby a host sees, the Space's lock and approval switches."""

from __future__ import annotations

from spaces_desktop.domain import ParticipantStatus, Role
from spaces_desktop.domain.state import SessionState
from spaces_desktop.protocol import EventType, Snapshot
from spaces_desktop.session.reducer import apply, from_snapshot
from tests.unit.test_reducer import dump, event, person, space


def host_view() -> SessionState:
    snapshot = Snapshot(
        space=space(),
        participants=[person("h", Role.HOST), person("co", Role.COHOST)],
        streams=[],
        you="co",
        last_event_id=10,
        waiting=[person("w1", status=ParticipantStatus.PENDING)],
    )
    return from_snapshot(snapshot)


def test_the_lobby_follows_requests_and_their_outcomes() -> None:
    state = host_view()
    assert list(state.waiting) == ["w1"] and "w1" not in state.members
    state = apply(state, event(11, EventType.JOIN_REQUEST, participant=dump(person("w2"))))
    assert list(state.waiting) == ["w1", "w2"]
    state = apply(state, event(12, EventType.JOIN_REQUEST_CLOSED, participant_id="w1", outcome="admitted"))
    state = apply(state, event(13, EventType.PARTICIPANT_JOINED, participant=dump(person("w1"))))
    assert list(state.waiting) == ["w2"] and state.members["w1"].role is Role.LISTENER
    # Demoted from co-host: the lobby is no longer ours to see.
    state = apply(
        state,
        event(
            14, EventType.PARTICIPANT_UPDATED, participant=dump(person("co", Role.SPEAKER)), change="demoted"
        ),
    )
    assert not state.waiting


def test_lock_and_approval_come_with_the_space() -> None:
    state = host_view()
    assert state.space is not None and not state.space.locked
    locked = space().model_copy(update={"locked": True, "approval_required": True})
    state = apply(state, event(11, EventType.SPACE_UPDATED, space=dump(locked)))
    assert state.space is not None and state.space.locked and state.space.approval_required

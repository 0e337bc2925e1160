"""The session reducer alone: events in, immutable state out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from spaces_desktop.domain import Role, SpaceStatus
from spaces_desktop.domain.state import Connection, NetworkStats, SessionState
from spaces_desktop.protocol import Event, ParticipantView, Snapshot, SpaceView
from spaces_desktop.session.reducer import (
    ConnectionChanged,
    Pinned,
    QualityMeasured,
    StageChosen,
    apply,
    from_snapshot,
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def space(status: SpaceStatus = SpaceStatus.LIVE) -> SpaceView:
    return SpaceView(
        id="s1",
        title="Launch",
        video_enabled=True,
        status=status,
        host_id="h",
        created_at=NOW,
        scheduled_for=None,
        started_at=NOW,
        ended_at=None,
        share_link="http://x/s/s1",
    )


def person(pid: str, role: Role = Role.LISTENER, **flags: Any) -> ParticipantView:
    return ParticipantView(id=pid, display_name=f"Name {pid.upper()}", role=role, **flags)


def initial() -> SessionState:
    snapshot = Snapshot(
        space=space(),
        participants=[person("h", Role.HOST), person("me")],
        streams=[],
        you="me",
        last_event_id=10,
    )
    return from_snapshot(snapshot)


def event(id_: int, type_: str, **data: Any) -> Event:
    return Event(id=id_, type=type_, data=data, at=NOW)


def dump(view: Any) -> dict[str, Any]:
    return dict(view.model_dump(mode="json"))


def test_snapshot_gives_live_state_with_me() -> None:
    state = initial()
    assert state.connection is Connection.LIVE
    assert state.myself is not None and state.myself.role is Role.LISTENER
    assert [m.id for m in state.speakers] == ["h"] and [m.id for m in state.listeners] == ["me"]
    assert not state.can_use_camera


def test_promotion_gives_camera_and_old_events_are_ignored() -> None:
    state = initial()
    promoted = apply(
        state,
        event(11, "participant_updated", participant=dump(person("me", Role.SPEAKER)), change="promoted"),
    )
    assert promoted.myself is not None and promoted.myself.role is Role.SPEAKER
    assert promoted.can_use_camera and promoted.last_event_id == 11
    replayed = apply(promoted, event(11, "participant_updated", participant=dump(person("me")), change="x"))
    assert replayed is promoted
    assert state.myself is not None and state.myself.role is Role.LISTENER  # the old value is untouched


def test_join_leave_streams_and_talking() -> None:
    state = apply(initial(), event(11, "participant_joined", participant=dump(person("g", Role.LISTENER))))
    state = apply(
        state,
        event(12, "participant_updated", participant=dump(person("g", Role.SPEAKER)), change="promoted"),
    )
    streams = [
        {"participant_id": "g", "mid": "0", "kind": "audio"},
        {"participant_id": "g", "mid": "1", "kind": "video", "source": "main"},
    ]
    state = apply(state, event(13, "streams", streams=streams))
    assert state.members["g"].publishing and len(state.streams_of("g")) == 2
    state = apply(state, event(14, "talking", participant_id="g", talking=True, level_dbov=-20.0))
    assert state.members["g"].talking
    state = apply(state, StageChosen("g"))
    assert state.stage == "g"
    state = apply(
        state, event(15, "participant_left", participant=dump(person("g", Role.SPEAKER)), reason="left")
    )
    assert "g" not in state.members and not state.streams and state.stage is None


def test_pin_overrides_the_director_until_unpinned() -> None:
    state = apply(initial(), Pinned("h"))
    state = apply(state, StageChosen("me"))
    assert state.stage == "h"
    state = apply(state, Pinned(None))
    state = apply(state, StageChosen("me"))
    assert state.stage == "me"


def test_reset_end_removal_and_connection() -> None:
    state = apply(initial(), ConnectionChanged(Connection.RECONNECTING, "Network lost"))
    assert state.connection is Connection.RECONNECTING and state.reason == "Network lost"
    state = apply(state, event(11, "media_reset", reason="restart"))
    assert state.media_epoch == 1
    ended = apply(state, event(12, "space_ended", by="h"))
    assert ended.connection is Connection.ENDED and ended.reason
    removed = apply(state, event(12, "removed", by="h"))
    assert removed.connection is Connection.REMOVED
    reactions = state
    for i in range(60):
        reactions = apply(reactions, event(20 + i, "reaction", participant_id="h", emoji="🔥"))
    assert len(reactions.reactions) == 50
    assert apply(state, event(99, "something_new")).last_event_id == 99


def test_initials() -> None:
    state = initial()
    assert state.members["h"].initials == "NH"


def test_a_batch_of_reactions_floats_each_sender_and_the_unnamed_rest() -> None:
    state = initial()
    batch = event(
        30,
        "reaction",
        counts={"🔥": 7, "👏": 2},
        senders=[
            {"participant_id": "h", "emoji": "🔥", "count": 5},
            {"participant_id": "me", "emoji": "👏", "count": 1},
        ],
        total=9,
    )
    floating = apply(state, batch).reactions
    # A sender floats a few of theirs, not all; what no sender is named for floats without a name.
    assert [(r.participant_id, r.emoji) for r in floating] == [
        ("h", "🔥"),
        ("h", "🔥"),
        ("h", "🔥"),
        ("me", "👏"),
        ("", "🔥"),
        ("", "🔥"),
        ("", "👏"),
    ]
    assert len(set(floating)) == len(floating)  # distinct, so the screen floats every one
    crowd = event(31, "reaction", counts={"🎉": 500}, senders=[], total=500)
    assert len(apply(state, crowd).reactions) == 12


def test_quality_measured_keeps_the_verdicts_and_their_numbers() -> None:
    fair = NetworkStats(loss_percent=3.0, kbps=640, round_trip_ms=85)
    state = apply(SessionState(), QualityMeasured({"a": "fair"}, {"a": fair}))
    assert dict(state.quality) == {"a": "fair"}
    assert dict(state.network) == {"a": fair}
    # The next measurement replaces the last: whoever is no longer measured has no numbers.
    state = apply(state, QualityMeasured({"b": "good"}))
    assert dict(state.network) == {} and dict(state.quality) == {"b": "good"}


def test_requests_to_speak_keep_the_order_they_were_made_in() -> None:
    state = initial()
    for n, pid in enumerate(("a", "b", "c"), start=11):
        state = apply(state, event(n, "participant_joined", participant=dump(person(pid))))
    assert state.requests == ()
    for n, pid in enumerate(("c", "a", "b"), start=20):
        state = apply(
            state, event(n, "participant_updated", participant=dump(person(pid, speak_requested=True)))
        )
    assert state.requests == ("c", "a", "b")  # not join order
    state = apply(
        state, event(30, "participant_updated", participant=dump(person("a", speak_requested=True)))
    )
    assert state.requests == ("c", "a", "b")  # an update of a standing request keeps its place
    state = apply(state, event(31, "participant_updated", participant=dump(person("c", Role.SPEAKER))))
    state = apply(state, event(32, "participant_left", participant=dump(person("b"))))
    assert state.requests == ("a",)  # accepted and gone: no longer asking
    state = apply(
        state, event(33, "participant_updated", participant=dump(person("c", speak_requested=True)))
    )
    assert state.requests == ("a", "c")  # asking again goes to the back
    snapshot = Snapshot(
        space=space(),
        participants=[person("h", Role.HOST), person("x", speak_requested=True), person("me")],
        streams=[],
        you="me",
        last_event_id=1,
    )
    assert from_snapshot(snapshot).requests == ("x",)

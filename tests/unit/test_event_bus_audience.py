"""Who an event reaches: live (the bus) and replayed (the store), for moderators' events too."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from spaces_desktop.domain import ParticipantStatus, Role, SpaceStatus
from spaces_desktop.server.event_bus import EventBus, Subscription
from spaces_desktop.server.store import MODERATORS, ParticipantRow, SpaceRow, Store, now


def _person(pid: str, role: Role) -> ParticipantRow:
    return ParticipantRow(
        0,
        pid,
        "s",
        pid,
        role,
        ParticipantStatus.ACTIVE,
        None,
        False,
        False,
        False,
        False,
        False,
        False,
        now(),
    )


def _queued(sub: Subscription) -> list[str]:
    out = []
    while not sub.queue.empty():
        event = sub.queue.get_nowait()
        assert event is not None
        out.append(event.type)
    return out


async def test_moderator_events_reach_moderators_and_their_target_only(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    store.add_space(SpaceRow(0, "s", "T", False, SpaceStatus.LIVE, "h", now(), None, now(), None))
    for pid, role in (("h", Role.HOST), ("c", Role.LISTENER), ("a", Role.LISTENER), ("b", Role.LISTENER)):
        store.add_participant(_person(pid, role), f"token-{pid}")
    store.participants_with_status("s", ParticipantStatus.ACTIVE)  # the roster is in memory from here
    store.update_participant(replace(store.participant("c") or _person("c", Role.LISTENER), role=Role.COHOST))
    bus = EventBus(store)
    subs = {pid: bus.subscribe("s", pid) for pid in "hcab"}
    bus.publish("s", "participant_joined", {}, target_id="a", audience=MODERATORS)
    bus.publish("s", "invited", {}, target_id="b")
    bus.publish("s", "talking", {})
    assert {pid: _queued(sub) for pid, sub in subs.items()} == {
        "h": ["participant_joined", "talking"],
        "c": ["participant_joined", "talking"],
        "a": ["participant_joined", "talking"],
        "b": ["invited", "talking"],
    }
    replay = {pid: [e.type for e in store.events_after("s", 0, pid, moderator=pid in "hc")] for pid in "hcab"}
    assert replay == {
        "h": ["participant_joined", "talking"],
        "c": ["participant_joined", "talking"],
        "a": ["participant_joined", "talking"],
        "b": ["invited", "talking"],
    }
    # Offered without being chosen (another fan-out), a moderators' event passes nobody else.
    event = store.events_after("s", 0, "h", moderator=True)[0]
    subs["b"].offer(event)
    assert _queued(subs["b"]) == []
    store.close()

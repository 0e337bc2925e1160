"""The backend's presence rules on a real store and a hand-driven clock, and an older database opening."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from spaces_desktop.domain import ParticipantStatus, Role, SpaceStatus
from spaces_desktop.protocol import CreateSpaceRequest, Joined, JoinRequest
from spaces_desktop.server.event_bus import EventBus
from spaces_desktop.server.service import SpacesService
from spaces_desktop.server.store import Store, now


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def service(tmp_path: Path, clock: Clock) -> SpacesService:
    store = Store(tmp_path / "spaces.sqlite3")
    return SpacesService(store, EventBus(store), "http://x", presence_timeout=30, host_grace=300, clock=clock)


async def test_a_listener_is_freed_after_the_timeout_and_the_host_after_the_grace(tmp_path: Path) -> None:
    clock = Clock()
    spaces = service(tmp_path, clock)
    hosted = await spaces.create_space(CreateSpaceRequest(title="T", host_name="Hana"))
    joined = await spaces.join(hosted.snapshot.space.id, JoinRequest(display_name="Lee"))
    assert isinstance(joined, Joined)  # no approval asked: in at once
    lee, host = joined.participant.id, hosted.participant.id
    for pid in (lee, host):
        spaces.stream_opened(pid)
        spaces.stream_opened(pid)  # two streams: closing one is not leaving
        spaces.stream_closed(pid)
    clock.t += 29
    await spaces.sweep_presence()
    assert spaces.store.participant(lee).status is ParticipantStatus.ACTIVE  # type: ignore[union-attr]
    for pid in (lee, host):
        spaces.stream_closed(pid)
    clock.t += 29.9
    await spaces.sweep_presence()
    assert spaces.store.participant(lee).status is ParticipantStatus.ACTIVE  # type: ignore[union-attr]
    clock.t += 0.2
    await spaces.sweep_presence()
    assert spaces.store.participant(lee).status is ParticipantStatus.LEFT  # type: ignore[union-attr]
    space = spaces.store.space(hosted.snapshot.space.id)
    assert space is not None and space.status is SpaceStatus.LIVE
    clock.t += 300
    await spaces.sweep_presence()
    space = spaces.store.space(hosted.snapshot.space.id)
    assert space is not None and space.status is SpaceStatus.ENDED


async def test_a_scheduled_space_waits_for_its_host(tmp_path: Path) -> None:
    clock = Clock()
    spaces = service(tmp_path, clock)
    hosted = await spaces.create_space(
        CreateSpaceRequest(title="Later", host_name="Hana", scheduled_for=now() + timedelta(days=1))
    )
    spaces.stream_opened(hosted.participant.id)
    spaces.stream_closed(hosted.participant.id)
    clock.t += 10_000
    await spaces.sweep_presence()
    space = spaces.store.space(hosted.snapshot.space.id)
    assert space is not None and space.status is SpaceStatus.SCHEDULED
    host = spaces.store.participant(hosted.participant.id)
    assert host is not None and host.role is Role.HOST and host.status is ParticipantStatus.ACTIVE


def test_a_database_from_before_bans_by_address_opens_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(
        """
        CREATE TABLE spaces (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, title TEXT NOT NULL,
            video_enabled INTEGER NOT NULL, status TEXT NOT NULL, host_id TEXT NOT NULL,
            created_at TEXT NOT NULL, scheduled_for TEXT, started_at TEXT, ended_at TEXT);
        CREATE TABLE participants (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
            space_id TEXT NOT NULL REFERENCES spaces(id), display_name TEXT NOT NULL, role TEXT NOT NULL,
            status TEXT NOT NULL, token_digest TEXT NOT NULL UNIQUE, client_id TEXT,
            speak_requested INTEGER NOT NULL DEFAULT 0, invited INTEGER NOT NULL DEFAULT 0,
            hand_raised INTEGER NOT NULL DEFAULT 0, muted INTEGER NOT NULL DEFAULT 0,
            camera_on INTEGER NOT NULL DEFAULT 0, second_camera_on INTEGER NOT NULL DEFAULT 0,
            joined_at TEXT NOT NULL);
        CREATE TABLE bans (space_id TEXT NOT NULL, client_id TEXT NOT NULL,
            PRIMARY KEY (space_id, client_id));
        INSERT INTO spaces VALUES (1, 'S1', 'Old', 1, 'live', 'p_h', '2026-01-01T00:00:00+00:00',
            NULL, '2026-01-01T00:00:00+00:00', NULL);
        INSERT INTO participants (id, space_id, display_name, role, status, token_digest, joined_at)
            VALUES ('p_h', 'S1', 'Hana', 'host', 'active', 'digest', '2026-01-01T00:00:00+00:00');
        INSERT INTO bans VALUES ('S1', 'install-old-1');
        """
    )
    old.close()
    store = Store(path)
    space = store.space("S1")
    assert space is not None and space.title == "Old" and not space.locked and not space.approval_required
    host = store.participant("p_h")
    assert host is not None and host.address is None and host.role is Role.HOST
    assert store.is_banned("S1", "install-old-1")
    store.set_space_access("S1", locked=True, approval_required=True)
    store.ban_address("S1", "10.1.2.3", blocked=False)
    store.ban_address("S1", "10.1.2.3", blocked=True)
    store.ban_address("S1", "10.1.2.3", blocked=False)  # a later plain removal does not unblock
    assert store.address_ban("S1", "10.1.2.3") is True and store.address_ban("S1", "10.9.9.9") is None
    store.close()
    reopened = Store(path)  # opening twice adds nothing twice
    space = reopened.space("S1")
    assert space is not None and space.locked and space.approval_required
    reopened.close()

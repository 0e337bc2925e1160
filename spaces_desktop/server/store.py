"""SQLite persistence for Spaces, participants, bans and the event log.

One connection, used only from the backend's event loop thread; writes are
small and WAL with synchronous=NORMAL keeps them well under a millisecond.
Tokens are stored as SHA-256 digests: a copied database does not leak them.
The participants of a Space are also kept in memory once read, because every
snapshot lists them all: the two writes of a participant row (add and update)
keep that copy equal to the table, and stamp the Space with a new version.
The database and its WAL files are 0600 in a 0700 folder: other local users
cannot read them at all.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import sqlite3
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from spaces_desktop.domain import ParticipantStatus, Role, SpaceStatus
from spaces_desktop.server.private_files import private_dir, private_file, tighten_existing

SCHEMA = """
CREATE TABLE IF NOT EXISTS spaces (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    video_enabled INTEGER NOT NULL,
    status TEXT NOT NULL,
    host_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    scheduled_for TEXT,
    started_at TEXT,
    ended_at TEXT
);
CREATE TABLE IF NOT EXISTS participants (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    space_id TEXT NOT NULL REFERENCES spaces(id),
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    token_digest TEXT NOT NULL UNIQUE,
    client_id TEXT,
    speak_requested INTEGER NOT NULL DEFAULT 0,
    invited INTEGER NOT NULL DEFAULT 0,
    hand_raised INTEGER NOT NULL DEFAULT 0,
    muted INTEGER NOT NULL DEFAULT 0,
    camera_on INTEGER NOT NULL DEFAULT 0,
    second_camera_on INTEGER NOT NULL DEFAULT 0,
    joined_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS participants_space ON participants(space_id, status);
CREATE TABLE IF NOT EXISTS bans (
    space_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    PRIMARY KEY (space_id, client_id)
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    space_id TEXT NOT NULL,
    target_id TEXT,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_space ON events(space_id, id);
CREATE TABLE IF NOT EXISTS address_bans (
    space_id TEXT NOT NULL,
    address TEXT NOT NULL,
    blocked INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (space_id, address)
);
"""

# Columns added after the first release: a database made by an older version gets them on open.
ADDED_COLUMNS = (
    ("spaces", "locked", "INTEGER NOT NULL DEFAULT 0"),
    ("spaces", "approval_required", "INTEGER NOT NULL DEFAULT 0"),
    ("participants", "address", "TEXT"),
    ("spaces", "scene", "TEXT"),
    ("participants", "backstage", "INTEGER NOT NULL DEFAULT 0"),
)


def now() -> datetime:
    return datetime.now(UTC)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class SpaceRow:
    seq: int
    id: str
    title: str
    video_enabled: bool
    status: SpaceStatus
    host_id: str
    created_at: datetime
    scheduled_for: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    locked: bool = False
    approval_required: bool = False
    scene: str | None = None
    """The program the host directs, as the JSON of a `SceneView` (None: Auto)."""


@dataclass(frozen=True)
class ParticipantRow:
    seq: int
    id: str
    space_id: str
    display_name: str
    role: Role
    status: ParticipantStatus
    client_id: str | None
    speak_requested: bool
    invited: bool
    hand_raised: bool
    muted: bool
    camera_on: bool
    second_camera_on: bool
    joined_at: datetime
    address: str | None = None
    """The network address it joined from, as the backend saw it."""
    backstage: bool = False
    """On stage in the green room: publishing, but only moderators may subscribe (server/backstage.py)."""


@dataclass(frozen=True)
class EventRow:
    id: int
    space_id: str
    target_id: str | None
    type: str
    data: dict[str, Any]
    at: datetime

    @cached_property
    def sse(self) -> bytes:
        """The event as one server-sent-events message, encoded once for every listener."""
        payload = json.dumps(
            {"id": self.id, "type": self.type, "data": self.data, "at": self.at.isoformat()}, default=str
        )
        return f"id: {self.id}\nevent: {self.type}\ndata: {payload}\n\n".encode()


_PARTICIPANT_FLAGS = (
    "speak_requested",
    "invited",
    "hand_raised",
    "muted",
    "camera_on",
    "second_camera_on",
    "backstage",
)
_PARTICIPANT_COLUMNS = ", ".join(f.name for f in fields(ParticipantRow))
_ROLES = {role.value: role for role in Role}
_STATUSES = {status.value: status for status in ParticipantStatus}


def _participant_from_tuple(row: tuple[Any, ...]) -> ParticipantRow:
    """A row of `_PARTICIPANT_COLUMNS`: a snapshot converts thousands, so no per-field lookups."""
    seq, id_, space_id, name, role, status, client_id, *flags, joined, address, backstage = row
    speak, invited, hand, muted, cam, cam2 = flags
    return ParticipantRow(
        seq,
        id_,
        space_id,
        name,
        _ROLES[role],
        _STATUSES[status],
        client_id,
        bool(speak),
        bool(invited),
        bool(hand),
        bool(muted),
        bool(cam),
        bool(cam2),
        datetime.fromisoformat(joined),
        address,
        bool(backstage),
    )


class Store:
    def __init__(self, path: Path) -> None:
        # SQLite gives the WAL and shared-memory files the database's mode: make it 0600 first.
        private_dir(path.parent)
        private_file(path)
        sidecars = [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]
        tighten_existing(*sidecars)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        tighten_existing(*sidecars)
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(SCHEMA)
        self._add_missing_columns()
        self._space_participants: dict[str, dict[str, ParticipantRow]] = {}
        """Space id -> its participants by id in join order, for the Spaces read since they began."""
        self._writes = itertools.count(1)
        self._versions: dict[str, int] = {}
        """Space id -> a number that changes with every write of one of its participants."""

    def _add_missing_columns(self) -> None:
        for table, column, declaration in ADDED_COLUMNS:
            present = {row["name"] for row in self._db.execute(f"PRAGMA table_info({table})")}
            if column not in present:
                self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")

    def close(self) -> None:
        self._db.close()

    # --- spaces ---

    def add_space(self, space: SpaceRow) -> SpaceRow:
        cur = self._db.execute(
            "INSERT INTO spaces (id, title, video_enabled, status, host_id, created_at, scheduled_for,"
            " started_at, ended_at) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                space.id,
                space.title,
                int(space.video_enabled),
                space.status.value,
                space.host_id,
                space.created_at.isoformat(),
                space.scheduled_for.isoformat() if space.scheduled_for else None,
                space.started_at.isoformat() if space.started_at else None,
                None,
            ),
        )
        assert cur.lastrowid is not None
        return replace(space, seq=cur.lastrowid)

    def space(self, space_id: str) -> SpaceRow | None:
        row = self._db.execute("SELECT * FROM spaces WHERE id = ?", (space_id,)).fetchone()
        return self._space(row) if row else None

    def live_spaces(self) -> list[SpaceRow]:
        rows = self._db.execute("SELECT * FROM spaces WHERE status = ?", (SpaceStatus.LIVE.value,)).fetchall()
        return [self._space(r) for r in rows]

    def set_space_status(self, space_id: str, status: SpaceStatus) -> None:
        column = {SpaceStatus.LIVE: "started_at", SpaceStatus.ENDED: "ended_at"}.get(status)
        if column:
            self._db.execute(
                f"UPDATE spaces SET status = ?, {column} = ? WHERE id = ?",
                (status.value, now().isoformat(), space_id),
            )
        else:
            self._db.execute("UPDATE spaces SET status = ? WHERE id = ?", (status.value, space_id))
        if status is SpaceStatus.ENDED:
            self._space_participants.pop(space_id, None)  # read again from the table if ever asked

    def set_space_access(self, space_id: str, locked: bool, approval_required: bool) -> None:
        self._db.execute(
            "UPDATE spaces SET locked = ?, approval_required = ? WHERE id = ?",
            (int(locked), int(approval_required), space_id),
        )

    def set_scene(self, space_id: str, scene: str | None) -> None:
        self._db.execute("UPDATE spaces SET scene = ? WHERE id = ?", (scene, space_id))

    @staticmethod
    def _space(row: sqlite3.Row) -> SpaceRow:
        return SpaceRow(
            seq=row["seq"],
            id=row["id"],
            title=row["title"],
            video_enabled=bool(row["video_enabled"]),
            status=SpaceStatus(row["status"]),
            host_id=row["host_id"],
            created_at=datetime.fromisoformat(row["created_at"]),
            scheduled_for=_dt(row["scheduled_for"]),
            started_at=_dt(row["started_at"]),
            ended_at=_dt(row["ended_at"]),
            locked=bool(row["locked"]),
            approval_required=bool(row["approval_required"]),
            scene=row["scene"],
        )

    # --- participants ---

    def add_participant(self, participant: ParticipantRow, token: str) -> ParticipantRow:
        cur = self._db.execute(
            "INSERT INTO participants (id, space_id, display_name, role, status, token_digest, client_id,"
            " joined_at, address) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                participant.id,
                participant.space_id,
                participant.display_name,
                participant.role.value,
                participant.status.value,
                token_digest(token),
                participant.client_id,
                participant.joined_at.isoformat(),
                participant.address,
            ),
        )
        assert cur.lastrowid is not None
        added = replace(participant, seq=cur.lastrowid)
        self._versions[added.space_id] = next(self._writes)
        cached = self._space_participants.get(added.space_id)
        if cached is not None:
            cached[added.id] = added  # the newest seq: join order stays
        return added

    def participant_by_token(self, token: str) -> ParticipantRow | None:
        row = self._db.execute(
            "SELECT * FROM participants WHERE token_digest = ?", (token_digest(token),)
        ).fetchone()
        return self._participant(row) if row else None

    def participant(self, participant_id: str) -> ParticipantRow | None:
        row = self._db.execute("SELECT * FROM participants WHERE id = ?", (participant_id,)).fetchone()
        return self._participant(row) if row else None

    def participant_by_seq(self, seq: int) -> ParticipantRow | None:
        row = self._db.execute("SELECT * FROM participants WHERE seq = ?", (seq,)).fetchone()
        return self._participant(row) if row else None

    def active_participants(self, space_id: str) -> list[ParticipantRow]:
        return self.participants_with_status(space_id, ParticipantStatus.ACTIVE)

    def participants_with_status(self, space_id: str, status: ParticipantStatus) -> list[ParticipantRow]:
        """In join order; the same row objects until one of them changes."""
        return [p for p in self._participants_of(space_id).values() if p.status is status]

    def participants_version(self, space_id: str) -> int:
        """Changes whenever a participant of the Space is added or changed (in this process)."""
        return self._versions.get(space_id, 0)

    def _participants_of(self, space_id: str) -> dict[str, ParticipantRow]:
        cached = self._space_participants.get(space_id)
        if cached is None:
            cursor = self._db.execute(
                f"SELECT {_PARTICIPANT_COLUMNS} FROM participants WHERE space_id = ? ORDER BY seq",
                (space_id,),
            )
            cursor.row_factory = None  # plain tuples, in the dataclass's field order
            cached = {row[1]: _participant_from_tuple(row) for row in cursor.fetchall()}
            self._space_participants[space_id] = cached
        return cached

    def present_participants(self) -> list[ParticipantRow]:
        """Everyone active or waiting in a Space that has not ended."""
        rows = self._db.execute(
            "SELECT p.* FROM participants p JOIN spaces s ON s.id = p.space_id"
            " WHERE s.status != ? AND p.status IN (?, ?) ORDER BY p.seq",
            (SpaceStatus.ENDED.value, ParticipantStatus.ACTIVE.value, ParticipantStatus.PENDING.value),
        ).fetchall()
        return [self._participant(r) for r in rows]

    def count_roles(self, space_id: str) -> dict[Role, int]:
        rows = self._db.execute(
            "SELECT role, COUNT(*) AS n FROM participants WHERE space_id = ? AND status = ? GROUP BY role",
            (space_id, ParticipantStatus.ACTIVE.value),
        ).fetchall()
        counts = dict.fromkeys(Role, 0)
        counts.update({Role(r["role"]): r["n"] for r in rows})
        return counts

    def update_participant(self, participant: ParticipantRow) -> None:
        flags = ", ".join(f"{name} = ?" for name in _PARTICIPANT_FLAGS)
        self._db.execute(
            f"UPDATE participants SET role = ?, status = ?, {flags} WHERE id = ?",
            (
                participant.role.value,
                participant.status.value,
                *(int(getattr(participant, name)) for name in _PARTICIPANT_FLAGS),
                participant.id,
            ),
        )
        self._versions[participant.space_id] = next(self._writes)
        cached = self._space_participants.get(participant.space_id)
        if cached is not None and participant.id in cached:
            # Every column this statement does not write never changes after the insert.
            cached[participant.id] = participant

    @staticmethod
    def _participant(row: sqlite3.Row) -> ParticipantRow:
        return _participant_from_tuple(tuple(row[f.name] for f in fields(ParticipantRow)))

    # --- bans ---

    def ban(self, space_id: str, client_id: str) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO bans (space_id, client_id) VALUES (?, ?)", (space_id, client_id)
        )

    def is_banned(self, space_id: str, client_id: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM bans WHERE space_id = ? AND client_id = ?", (space_id, client_id)
        ).fetchone()
        return row is not None

    def ban_address(self, space_id: str, address: str, blocked: bool) -> None:
        """Remembers a removed person's address; `blocked` refuses everyone from it, else key-less joins."""
        self._db.execute(
            "INSERT INTO address_bans (space_id, address, blocked) VALUES (?, ?, ?)"
            " ON CONFLICT (space_id, address) DO UPDATE SET blocked = MAX(blocked, excluded.blocked)",
            (space_id, address, int(blocked)),
        )

    def address_ban(self, space_id: str, address: str) -> bool | None:
        """None when the address has no ban here; else whether it is blocked for everyone."""
        row = self._db.execute(
            "SELECT blocked FROM address_bans WHERE space_id = ? AND address = ?", (space_id, address)
        ).fetchone()
        return None if row is None else bool(row["blocked"])

    # --- events ---

    def append_event(
        self, space_id: str, type_: str, data: dict[str, Any], target_id: str | None
    ) -> EventRow:
        at = now()
        cur = self._db.execute(
            "INSERT INTO events (space_id, target_id, type, data, at) VALUES (?,?,?,?,?)",
            (space_id, target_id, type_, json.dumps(data, default=str), at.isoformat()),
        )
        assert cur.lastrowid is not None
        return EventRow(cur.lastrowid, space_id, target_id, type_, data, at)

    def events_after(
        self, space_id: str, after_id: int, viewer_id: str, limit: int = 10_000
    ) -> list[EventRow]:
        rows = self._db.execute(
            "SELECT * FROM events WHERE space_id = ? AND id > ? AND (target_id IS NULL OR target_id = ?)"
            " ORDER BY id LIMIT ?",
            (space_id, after_id, viewer_id, limit),
        ).fetchall()
        return [
            EventRow(
                r["id"],
                r["space_id"],
                r["target_id"],
                r["type"],
                json.loads(r["data"]),
                _dt(r["at"]) or now(),
            )
            for r in rows
        ]

    def last_event_id(self, space_id: str) -> int:
        row = self._db.execute("SELECT MAX(id) AS m FROM events WHERE space_id = ?", (space_id,)).fetchone()
        return int(row["m"] or 0)

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

import bisect
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
from spaces_desktop.domain.text_rules import name_key
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
    ("events", "audience", "TEXT"),
)

SPACE_CACHE = 10_000
MODERATORS = "moderators"
"""An event's audience: the Space's host and co-hosts (and its target, if it has one)."""


class VersionConflict(Exception):
    """A conditional write (`if_version=`) found the Space's version moved: another write (here
    or on another backend) came between the caller's checks and its write. Read, check, retry."""


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
    audience: str | None = None
    """None: everyone (or only `target_id` when set); MODERATORS: the moderators, and `target_id`."""

    def visible_to(self, viewer_id: str, moderator: bool) -> bool:
        if self.target_id == viewer_id:
            return True
        if self.audience == MODERATORS:
            return moderator
        return self.target_id is None

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


_STAGE_ROLES = (Role.HOST, Role.COHOST, Role.SPEAKER)
_MODERATOR_ROLES = (Role.HOST, Role.COHOST)


class Roster:
    """One Space's participants in memory: by id in join order, with what joins and pages ask often.

    Both stores keep one per Space (SQLite: kept equal to the table; Redis: valid for one version
    of the Space's participants), so paging, counts and the stage behave the same on either."""

    def __init__(self, rows: list[ParticipantRow]) -> None:
        self.by_id: dict[str, ParticipantRow] = {}
        self.seqs: list[int] = []
        """Every participant's seq in join order (rows never leave the table), for paging by bisection."""
        self.ids: list[str] = []
        self.counts: dict[Role, int] = dict.fromkeys(Role, 0)
        """Active participants by role."""
        self.stage: dict[str, ParticipantRow] = {}
        """Active host, co-hosts and speakers, in join order."""
        self.name_keys: dict[str, str] = {}
        for row in rows:
            self.add(row)

    def add(self, row: ParticipantRow) -> None:
        self.by_id[row.id] = row
        self.seqs.append(row.seq)
        self.ids.append(row.id)
        self._count(row, 1)

    def update(self, row: ParticipantRow) -> None:
        old = self.by_id.get(row.id)
        if old is None:
            return
        self._count(old, -1)
        self.by_id[row.id] = row
        self._count(row, 1)

    def _count(self, row: ParticipantRow, sign: int) -> None:
        if row.status is not ParticipantStatus.ACTIVE:
            return
        self.counts[row.role] += sign
        if row.role in _STAGE_ROLES:
            if sign > 0:
                self.stage[row.id] = row
            else:
                self.stage.pop(row.id, None)

    def name_key(self, row: ParticipantRow) -> str:
        key = self.name_keys.get(row.id)
        if key is None:
            key = self.name_keys[row.id] = name_key(row.display_name)
        return key

    @property
    def last_seq(self) -> int:
        return self.seqs[-1] if self.seqs else 0

    def stage_rows(self) -> list[ParticipantRow]:
        """The active host, co-hosts and speakers in join order (not the order they went on stage)."""
        return sorted(self.stage.values(), key=lambda row: row.seq)

    def moderator_ids(self) -> list[str]:
        return [row.id for row in self.stage_rows() if row.role in _MODERATOR_ROLES]

    def page(self, after_seq: int, limit: int, name_query: str) -> tuple[list[ParticipantRow], int | None]:
        """See `Store.participants_page`."""
        start = bisect.bisect_right(self.seqs, after_seq)
        found: list[ParticipantRow] = []
        for index in range(start, len(self.ids)):
            row = self.by_id[self.ids[index]]
            if row.status is not ParticipantStatus.ACTIVE:
                continue
            if name_query and name_query not in self.name_key(row):
                continue
            if len(found) == limit:
                return found, found[-1].seq
            found.append(row)
        return found, None


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
        self._rosters: dict[str, Roster] = {}
        """Space id -> its participants in memory, for the Spaces read since they began."""
        self._spaces: dict[str, SpaceRow] = {}
        """Space rows as last read or written: every request of a Space reads its row."""
        self._bans: dict[str, tuple[set[str], dict[str, bool]]] = {}
        self._last_event: dict[str, int] = {}
        """Space id -> the id of its newest event, once known."""
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
        cached = self._spaces.get(space_id)
        if cached is not None:
            return cached
        row = self._db.execute("SELECT * FROM spaces WHERE id = ?", (space_id,)).fetchone()
        if row is None:
            return None
        space = self._space(row)
        if len(self._spaces) >= SPACE_CACHE:
            self._spaces.clear()  # a bound, not a policy: they are read again as asked
        self._spaces[space_id] = space
        return space

    def live_spaces(self) -> list[SpaceRow]:
        rows = self._db.execute("SELECT * FROM spaces WHERE status = ?", (SpaceStatus.LIVE.value,)).fetchall()
        return [self._space(r) for r in rows]

    def set_space_status(self, space_id: str, status: SpaceStatus) -> None:
        self._spaces.pop(space_id, None)
        column = {SpaceStatus.LIVE: "started_at", SpaceStatus.ENDED: "ended_at"}.get(status)
        if column:
            self._db.execute(
                f"UPDATE spaces SET status = ?, {column} = ? WHERE id = ?",
                (status.value, now().isoformat(), space_id),
            )
        else:
            self._db.execute("UPDATE spaces SET status = ? WHERE id = ?", (status.value, space_id))
        self._versions[space_id] = next(self._writes)  # a check of the Space's state is stale now
        if status is SpaceStatus.ENDED:
            self._rosters.pop(space_id, None)  # read again from the table if ever asked

    def set_space_access(self, space_id: str, locked: bool, approval_required: bool) -> None:
        self._spaces.pop(space_id, None)
        self._db.execute(
            "UPDATE spaces SET locked = ?, approval_required = ? WHERE id = ?",
            (int(locked), int(approval_required), space_id),
        )
        self._versions[space_id] = next(self._writes)

    def set_scene(self, space_id: str, scene: str | None) -> None:
        self._spaces.pop(space_id, None)
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

    def _require_version(self, space_id: str, if_version: int | None) -> None:
        if if_version is not None and self.participants_version(space_id) != if_version:
            raise VersionConflict(space_id)

    def add_participant(
        self, participant: ParticipantRow, token: str, if_version: int | None = None
    ) -> ParticipantRow:
        self._require_version(participant.space_id, if_version)
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
        roster = self._rosters.get(added.space_id)
        if roster is not None:
            roster.add(added)  # the newest seq: join order stays
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
        return [p for p in self._roster(space_id).by_id.values() if p.status is status]

    def participants_version(self, space_id: str) -> int:
        """Changes whenever a participant of the Space is added, changed or removed and banned, and
        when the Space's status or access changes (in this process)."""
        return self._versions.get(space_id, 0)

    def stage_participants(self, space_id: str) -> list[ParticipantRow]:
        """The active host, co-hosts and speakers, in join order."""
        return self._roster(space_id).stage_rows()

    def space_participant(self, space_id: str, participant_id: str) -> ParticipantRow | None:
        """A participant of the Space as stored now (from memory)."""
        return self._roster(space_id).by_id.get(participant_id)

    def moderator_ids(self, space_id: str) -> list[str]:
        """The active host and co-hosts."""
        return self._roster(space_id).moderator_ids()

    def participants_page(
        self, space_id: str, after_seq: int, limit: int, name_query: str = ""
    ) -> tuple[list[ParticipantRow], int | None]:
        """Active participants joined after `after_seq`, in join order, whose name key contains
        `name_query` (already a `name_key`); and the seq to continue after, None at the end."""
        return self._roster(space_id).page(after_seq, limit, name_query)

    def _roster(self, space_id: str) -> Roster:
        roster = self._rosters.get(space_id)
        if roster is None:
            cursor = self._db.execute(
                f"SELECT {_PARTICIPANT_COLUMNS} FROM participants WHERE space_id = ? ORDER BY seq",
                (space_id,),
            )
            cursor.row_factory = None  # plain tuples, in the dataclass's field order
            roster = Roster([_participant_from_tuple(row) for row in cursor.fetchall()])
            self._rosters[space_id] = roster
        return roster

    def present_participants(self) -> list[ParticipantRow]:
        """Everyone active or waiting in a Space that has not ended."""
        rows = self._db.execute(
            "SELECT p.* FROM participants p JOIN spaces s ON s.id = p.space_id"
            " WHERE s.status != ? AND p.status IN (?, ?) ORDER BY p.seq",
            (SpaceStatus.ENDED.value, ParticipantStatus.ACTIVE.value, ParticipantStatus.PENDING.value),
        ).fetchall()
        return [self._participant(r) for r in rows]

    def count_roles(self, space_id: str) -> dict[Role, int]:
        """Active participants by role."""
        return dict(self._roster(space_id).counts)

    def update_participant(self, participant: ParticipantRow, if_version: int | None = None) -> None:
        self._require_version(participant.space_id, if_version)
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
        roster = self._rosters.get(participant.space_id)
        if roster is not None:
            # Every column this statement does not write never changes after the insert.
            roster.update(participant)

    def remove_participant(
        self, removed: ParticipantRow, block_address: bool, if_version: int | None = None
    ) -> None:
        """Writes the removed row and bans its installation key and address, in one transaction."""
        self._require_version(removed.space_id, if_version)
        self._db.execute("BEGIN")
        try:
            self.update_participant(removed)
            if removed.client_id:
                self.ban(removed.space_id, removed.client_id)
            if removed.address:
                self.ban_address(removed.space_id, removed.address, block_address)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            self._rosters.pop(removed.space_id, None)
            self._bans.pop(removed.space_id, None)
            raise

    @staticmethod
    def _participant(row: sqlite3.Row) -> ParticipantRow:
        return _participant_from_tuple(tuple(row[f.name] for f in fields(ParticipantRow)))

    # --- bans ---

    def ban(self, space_id: str, client_id: str) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO bans (space_id, client_id) VALUES (?, ?)", (space_id, client_id)
        )
        self._bans.pop(space_id, None)

    def is_banned(self, space_id: str, client_id: str) -> bool:
        return client_id in self._bans_of(space_id)[0]

    def _bans_of(self, space_id: str) -> tuple[set[str], dict[str, bool]]:
        """The Space's banned installation keys and addresses (address -> blocked), read once:
        every join asks, and bans are few."""
        known = self._bans.get(space_id)
        if known is None:
            keys = {
                r[0] for r in self._db.execute("SELECT client_id FROM bans WHERE space_id = ?", (space_id,))
            }
            addresses = {
                r[0]: bool(r[1])
                for r in self._db.execute(
                    "SELECT address, blocked FROM address_bans WHERE space_id = ?", (space_id,)
                )
            }
            if len(self._bans) >= SPACE_CACHE:
                self._bans.clear()
            known = self._bans[space_id] = (keys, addresses)
        return known

    def ban_address(self, space_id: str, address: str, blocked: bool) -> None:
        """Remembers a removed person's address; `blocked` refuses everyone from it, else key-less joins."""
        self._db.execute(
            "INSERT INTO address_bans (space_id, address, blocked) VALUES (?, ?, ?)"
            " ON CONFLICT (space_id, address) DO UPDATE SET blocked = MAX(blocked, excluded.blocked)",
            (space_id, address, int(blocked)),
        )
        self._bans.pop(space_id, None)

    def address_ban(self, space_id: str, address: str) -> bool | None:
        """None when the address has no ban here; else whether it is blocked for everyone."""
        return self._bans_of(space_id)[1].get(address)

    # --- events ---

    def append_event(
        self,
        space_id: str,
        type_: str,
        data: dict[str, Any],
        target_id: str | None,
        audience: str | None = None,
    ) -> EventRow:
        at = now()
        cur = self._db.execute(
            "INSERT INTO events (space_id, target_id, type, data, at, audience) VALUES (?,?,?,?,?,?)",
            (space_id, target_id, type_, json.dumps(data, default=str), at.isoformat(), audience),
        )
        assert cur.lastrowid is not None
        self._last_event[space_id] = cur.lastrowid
        return EventRow(cur.lastrowid, space_id, target_id, type_, data, at, audience)

    def events_after(
        self, space_id: str, after_id: int, viewer_id: str, limit: int = 10_000, moderator: bool = False
    ) -> list[EventRow]:
        """The events `viewer_id` may see after `after_id`; `moderator` adds the moderators' ones."""
        rows = self._db.execute(
            "SELECT * FROM events WHERE space_id = ? AND id > ? AND ("
            "(target_id IS NULL AND audience IS NULL) OR target_id = ? OR (? AND audience = ?))"
            " ORDER BY id LIMIT ?",
            (space_id, after_id, viewer_id, int(moderator), MODERATORS, limit),
        ).fetchall()
        return [
            EventRow(
                r["id"],
                r["space_id"],
                r["target_id"],
                r["type"],
                json.loads(r["data"]),
                _dt(r["at"]) or now(),
                r["audience"],
            )
            for r in rows
        ]

    def last_event_id(self, space_id: str) -> int:
        known = self._last_event.get(space_id)
        if known is not None:
            return known
        row = self._db.execute("SELECT MAX(id) AS m FROM events WHERE space_id = ?", (space_id,)).fetchone()
        return int(row["m"] or 0)

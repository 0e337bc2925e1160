"""Redis persistence for Spaces, participants, bans and the event log, shared by several backends.

Keys (all under one prefix, default `sd:`):
  space:{id}                 a Space row as JSON          spaces:open   ids of Spaces not ended
  participant:{id}           a participant row as JSON    pseq:{seq}    participant id by seq
  token:{sha256}             participant id by token digest (tokens are never stored)
  space:{id}:members         sorted set of participant ids, scored by seq (join order)
  space:{id}:version         counter, bumped with every participant write of the Space, with
                             every removal-and-ban and every change of its status or access
  space:{id}:changes         stream of the participant ids written, entry `0-V` for version V
                             (an empty id: a write of the Space row, no participant changed)
  space:{id}:bans / :addrbans   client-id set / address -> 1 blocked, 0 key-less only
  space:{id}:events          the event log, a Redis Stream whose entry ids are `0-N`:
                             N is the event id clients see and send back as Last-Event-ID,
                             the same on every backend (XADD `0-*` numbers them atomically)
                             fields: type, target, data, at, and audience (only when set)
  seq:space, seq:participant counters for row seqs (a participant's seq is its Janus feed id)

Every write is one MULTI/EXEC, so another backend never sees half of it. A
participant write given `if_version=` (the version read before the service
checked its rules) WATCHes the version key and raises `VersionConflict` when
another backend wrote the Space meanwhile, so check-then-write is atomic across
backends (optimistic: no lock is held, a loser re-reads and re-checks). A
Space's participants are cached in this process together with the version they
were read at; every read asks Redis for the version (one GET) and reloads when
another backend wrote since, so the cache is never served stale. The cache is a
`Roster`, as in the SQLite store: pages (a seq cursor, join order, name keys),
the stage, the moderators and the counts come from it the same way on both.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any, cast

import redis

from spaces_desktop.domain import ParticipantStatus, Role, SpaceStatus
from spaces_desktop.server.store import (
    MODERATORS,
    EventRow,
    ParticipantRow,
    Roster,
    SpaceRow,
    VersionConflict,
    now,
    token_digest,
)

CATCH_UP_MAX = 2_000
"""A roster this many writes behind (or fewer) is brought up to date from the changes stream."""
CHANGES_KEPT = 10_000
"""About how many participant writes a Space's changes stream keeps."""
CONTROL_FIELD = "close"
"""A stream entry with this field is no event: it ends live feeds (a viewer id, or `*` for all)."""
ALL_VIEWERS = "*"


@dataclass
class _Members:
    version: int
    roster: Roster


def _encode(row: SpaceRow | ParticipantRow) -> str:
    def plain(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, (Role, ParticipantStatus, SpaceStatus)):
            return value.value
        return value

    return json.dumps({key: plain(value) for key, value in asdict(row).items()})


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _space(text: str) -> SpaceRow:
    d = json.loads(text)
    return SpaceRow(
        seq=d["seq"],
        id=d["id"],
        title=d["title"],
        video_enabled=d["video_enabled"],
        status=SpaceStatus(d["status"]),
        host_id=d["host_id"],
        created_at=datetime.fromisoformat(d["created_at"]),
        scheduled_for=_time(d["scheduled_for"]),
        started_at=_time(d["started_at"]),
        ended_at=_time(d["ended_at"]),
        locked=d["locked"],
        approval_required=d["approval_required"],
        scene=d.get("scene"),
    )


def _participant(text: str) -> ParticipantRow:
    d = json.loads(text)
    d["role"] = Role(d["role"])
    d["status"] = ParticipantStatus(d["status"])
    d["joined_at"] = datetime.fromisoformat(d["joined_at"])
    return ParticipantRow(**d)


def event_id(stream_id: str) -> int:
    """The client-visible id of a stream entry `0-N`."""
    return int(stream_id.partition("-")[2])


def event_from_entry(space_id: str, stream_id: str, fields: dict[str, str]) -> EventRow:
    return EventRow(
        event_id(stream_id),
        space_id,
        fields.get("target") or None,
        fields["type"],
        json.loads(fields["data"]),
        datetime.fromisoformat(fields["at"]),
        fields.get("audience") or None,
    )


def visible_entry(fields: dict[str, str], viewer_id: str, moderator: bool) -> bool:
    """`EventRow.visible_to`, on a stream entry's fields (without decoding its data)."""
    target = fields.get("target") or None
    if target == viewer_id:
        return True
    if fields.get("audience") == MODERATORS:
        return moderator
    return target is None


class RedisStore:
    def __init__(self, client: redis.Redis, prefix: str = "sd:") -> None:
        """`client` must decode responses (`decode_responses=True`)."""
        self._r = client
        self._p = prefix
        self._members: dict[str, _Members] = {}

    def close(self) -> None:
        self._r.close()

    def key(self, *parts: str) -> str:
        return self._p + ":".join(parts)

    def events_key(self, space_id: str) -> str:
        return self.key("space", space_id, "events")

    # --- spaces ---

    def add_space(self, space: SpaceRow) -> SpaceRow:
        added = replace(space, seq=int(self._r.incr(self.key("seq", "space"))))
        pipe = self._r.pipeline()
        pipe.set(self.key("space", added.id), _encode(added), nx=True)
        pipe.sadd(self.key("spaces", "open"), added.id)
        created, _ = pipe.execute()
        if not created:
            raise ValueError(f"Space {added.id} exists already")
        return added

    def space(self, space_id: str) -> SpaceRow | None:
        text = self._r.get(self.key("space", space_id))
        return _space(cast(str, text)) if text else None

    def _open_spaces(self) -> list[SpaceRow]:
        ids = sorted(cast(set[str], self._r.smembers(self.key("spaces", "open"))))
        texts = cast(list[str | None], self._r.mget([self.key("space", i) for i in ids])) if ids else []
        return sorted((_space(t) for t in texts if t), key=lambda s: s.seq)

    def live_spaces(self) -> list[SpaceRow]:
        return [s for s in self._open_spaces() if s.status is SpaceStatus.LIVE]

    def _change_space(self, space_id: str, bump: bool = False, **changes: Any) -> SpaceRow | None:
        """Read-modify-write of one Space row, retried if another backend wrote it meanwhile;
        `bump`: a new participants version too, so a rule checked against the old row fails its write."""
        key = self.key("space", space_id)
        for _ in range(50):
            with self._r.pipeline() as pipe:
                try:
                    pipe.watch(key)
                    text = pipe.get(key)
                    if not text:
                        return None
                    changed = replace(_space(cast(str, text)), **changes)
                    pipe.multi()
                    pipe.set(key, _encode(changed))
                    if changed.status is SpaceStatus.ENDED:
                        pipe.srem(self.key("spaces", "open"), space_id)
                    if bump:
                        self._bump(pipe, space_id, "")
                    results = pipe.execute()
                    if bump:
                        self._cached_bump(space_id, int(results[-2]))
                    return changed
                except redis.WatchError:
                    continue
        raise RuntimeError(f"Space {space_id} kept changing under a write")

    def set_space_status(self, space_id: str, status: SpaceStatus) -> None:
        stamp = {SpaceStatus.LIVE: "started_at", SpaceStatus.ENDED: "ended_at"}.get(status)
        self._change_space(space_id, bump=True, status=status, **({stamp: now()} if stamp else {}))
        if status is SpaceStatus.ENDED:
            self._members.pop(space_id, None)

    def set_space_access(self, space_id: str, locked: bool, approval_required: bool) -> None:
        self._change_space(space_id, bump=True, locked=locked, approval_required=approval_required)

    def set_scene(self, space_id: str, scene: str | None) -> None:
        self._change_space(space_id, scene=scene)

    # --- participants ---

    def _write(
        self, space_id: str, commands: Callable[[redis.client.Pipeline], None], if_version: int | None
    ) -> list[Any]:
        """One MULTI/EXEC of `commands`; with `if_version`, only while the Space's version is still
        that one (WATCH: a write by anyone in between fails this one with `VersionConflict`)."""
        with self._r.pipeline() as pipe:
            if if_version is None:
                commands(pipe)
                return cast(list[Any], pipe.execute())
            version_key = self.key("space", space_id, "version")
            try:
                pipe.watch(version_key)
                if int(cast(str | None, pipe.get(version_key)) or 0) != if_version:
                    raise VersionConflict(space_id)
                pipe.multi()
                commands(pipe)
                return cast(list[Any], pipe.execute())
            except redis.WatchError:
                raise VersionConflict(space_id) from None

    def add_participant(
        self, participant: ParticipantRow, token: str, if_version: int | None = None
    ) -> ParticipantRow:
        added = replace(participant, seq=int(self._r.incr(self.key("seq", "participant"))))
        space_id = added.space_id

        def commands(pipe: redis.client.Pipeline) -> None:
            pipe.set(self.key("token", token_digest(token)), added.id, nx=True)
            pipe.set(self.key("participant", added.id), _encode(added))
            pipe.set(self.key("pseq", str(added.seq)), added.id)
            pipe.zadd(self.key("space", space_id, "members"), {added.id: added.seq})
            self._bump(pipe, space_id, added.id)

        token_new, *_, version, _ = self._write(space_id, commands, if_version)
        if not token_new:
            raise ValueError("token in use")
        self._cached_write(space_id, int(version), added)
        return added

    def update_participant(self, participant: ParticipantRow, if_version: int | None = None) -> None:
        def commands(pipe: redis.client.Pipeline) -> None:
            pipe.set(self.key("participant", participant.id), _encode(participant), xx=True)
            self._bump(pipe, participant.space_id, participant.id)

        *_, version, _ = self._write(participant.space_id, commands, if_version)
        self._cached_write(participant.space_id, int(version), participant)

    def remove_participant(
        self, removed: ParticipantRow, block_address: bool, if_version: int | None = None
    ) -> None:
        """The removed row and the bans of its installation key and address, in one MULTI: a join
        through another backend either fails its conditional write or sees the ban."""
        space_id = removed.space_id

        def commands(pipe: redis.client.Pipeline) -> None:
            pipe.set(self.key("participant", removed.id), _encode(removed), xx=True)
            if removed.client_id:
                pipe.sadd(self.key("space", space_id, "bans"), removed.client_id)
            if removed.address:
                self._ban_address(pipe, space_id, removed.address, block_address)
            self._bump(pipe, space_id, removed.id)

        *_, version, _ = self._write(space_id, commands, if_version)
        self._cached_write(space_id, int(version), removed)

    def _bump(self, pipe: redis.client.Pipeline, space_id: str, participant_id: str) -> None:
        """In the write's MULTI: a new version, and the changed id as the changes stream's entry
        `0-<that version>` (both count up by one per write, together), so a backend whose roster
        is a few versions behind reads only the rows that changed."""
        pipe.incr(self.key("space", space_id, "version"))
        changes = self.key("space", space_id, "changes")
        pipe.xadd(changes, {"id": participant_id}, id="0-*", maxlen=CHANGES_KEPT, approximate=True)

    def _cached_bump(self, space_id: str, version: int) -> None:
        """A write of the Space row only: a roster current just before stays current."""
        cached = self._members.get(space_id)
        if cached is not None and cached.version == version - 1:
            cached.version = version

    def _cached_write(self, space_id: str, version: int, row: ParticipantRow) -> None:
        cached = self._members.get(space_id)
        if cached is None:
            return
        roster = cached.roster
        # Nobody else wrote in between (and a new row is the newest): the cache stays whole.
        if cached.version == version - 1 and (row.id in roster.by_id or row.seq > roster.last_seq):
            if row.id in roster.by_id:
                roster.update(row)
            else:
                roster.add(row)
            cached.version = version
        # Else the next read catches up from the changes stream (this write among them).

    def participant_by_token(self, token: str) -> ParticipantRow | None:
        participant_id = self._r.get(self.key("token", token_digest(token)))
        return self.participant(cast(str, participant_id)) if participant_id else None

    def participant(self, participant_id: str) -> ParticipantRow | None:
        text = self._r.get(self.key("participant", participant_id))
        return _participant(cast(str, text)) if text else None

    def participant_by_seq(self, seq: int) -> ParticipantRow | None:
        participant_id = self._r.get(self.key("pseq", str(seq)))
        return self.participant(cast(str, participant_id)) if participant_id else None

    def active_participants(self, space_id: str) -> list[ParticipantRow]:
        return self.participants_with_status(space_id, ParticipantStatus.ACTIVE)

    def participants_with_status(self, space_id: str, status: ParticipantStatus) -> list[ParticipantRow]:
        return [p for p in self._roster(space_id).by_id.values() if p.status is status]

    def participants_version(self, space_id: str) -> int:
        return int(cast(str | None, self._r.get(self.key("space", space_id, "version"))) or 0)

    def stage_participants(self, space_id: str) -> list[ParticipantRow]:
        """The active host, co-hosts and speakers, in join order."""
        return self._roster(space_id).stage_rows()

    def space_participant(self, space_id: str, participant_id: str) -> ParticipantRow | None:
        """A participant of the Space as stored now (from the cache, checked against the version)."""
        return self._roster(space_id).by_id.get(participant_id)

    def moderator_ids(self, space_id: str) -> list[str]:
        return self._roster(space_id).moderator_ids()

    def participants_page(
        self, space_id: str, after_seq: int, limit: int, name_query: str = ""
    ) -> tuple[list[ParticipantRow], int | None]:
        """As `Store.participants_page`: the cursor is a seq, which never moves (rows are kept)."""
        return self._roster(space_id).page(after_seq, limit, name_query)

    def _roster(self, space_id: str) -> Roster:
        version = self.participants_version(space_id)
        cached = self._members.get(space_id)
        if cached is not None and cached.version == version:
            return cached.roster
        if (
            cached is not None
            and 0 < version - cached.version <= CATCH_UP_MAX
            and self._catch_up(space_id, cached, version)
        ):
            return cached.roster
        for _ in range(20):
            pipe = self._r.pipeline()
            pipe.get(self.key("space", space_id, "version"))
            pipe.zrange(self.key("space", space_id, "members"), 0, -1)
            read_version, ids = pipe.execute()
            texts = (
                cast(list[str | None], self._r.mget([self.key("participant", i) for i in ids])) if ids else []
            )
            if int(read_version or 0) == self.participants_version(space_id):
                roster = Roster([_participant(t) for t in texts if t])
                self._members[space_id] = _Members(int(read_version or 0), roster)
                return roster
        # A Space written to without pause: serve what was read, uncached.
        return Roster([_participant(t) for t in texts if t])

    def _catch_up(self, space_id: str, cached: _Members, version: int) -> bool:
        """Applies the writes from `cached.version` to `version` (read from the changes stream) to
        the roster; False when they cannot all be had (trimmed, or written before the stream)."""
        entries = cast(
            list[tuple[str, dict[str, str]]],
            self._r.xrange(
                self.key("space", space_id, "changes"), min=f"(0-{cached.version}", max=f"0-{version}"
            ),
        )
        if [event_id(stream_id) for stream_id, _ in entries] != list(range(cached.version + 1, version + 1)):
            return False
        ids = list(dict.fromkeys(fields["id"] for _, fields in entries if fields["id"]))
        texts = cast(list[str | None], self._r.mget([self.key("participant", i) for i in ids])) if ids else []
        rows = sorted((_participant(t) for t in texts if t), key=lambda row: row.seq)
        roster = cached.roster
        if len(rows) != len(ids) or any(r.id not in roster.by_id and r.seq < roster.last_seq for r in rows):
            return False  # a row missing, or one joined before a row already listed: read it all
        for row in rows:
            if row.id in roster.by_id:
                roster.update(row)
            else:
                roster.add(row)
        # A row may be newer than `version` (written since): applied again when that write is read.
        cached.version = version
        return True

    def present_participants(self) -> list[ParticipantRow]:
        present = (ParticipantStatus.ACTIVE, ParticipantStatus.PENDING)
        rows = [
            p for s in self._open_spaces() for p in self._roster(s.id).by_id.values() if p.status in present
        ]
        return sorted(rows, key=lambda p: p.seq)

    def count_roles(self, space_id: str) -> dict[Role, int]:
        """Active participants by role (kept by the cached roster, read from the shared version)."""
        return dict(self._roster(space_id).counts)

    # --- bans ---

    def ban(self, space_id: str, client_id: str) -> None:
        self._r.sadd(self.key("space", space_id, "bans"), client_id)

    def is_banned(self, space_id: str, client_id: str) -> bool:
        return bool(self._r.sismember(self.key("space", space_id, "bans"), client_id))

    def ban_address(self, space_id: str, address: str, blocked: bool) -> None:
        with self._r.pipeline() as pipe:
            self._ban_address(pipe, space_id, address, blocked)
            pipe.execute()

    def _ban_address(self, pipe: redis.client.Pipeline, space_id: str, address: str, blocked: bool) -> None:
        key = self.key("space", space_id, "addrbans")
        if blocked:
            pipe.hset(key, address, "1")  # blocking only ever widens a ban
        else:
            pipe.hsetnx(key, address, "0")

    def address_ban(self, space_id: str, address: str) -> bool | None:
        value = self._r.hget(self.key("space", space_id, "addrbans"), address)
        return None if value is None else value == "1"

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
        fields = {
            "type": type_,
            "target": target_id or "",
            "data": json.dumps(data, default=str),
            "at": at.isoformat(),
        }
        if audience is not None:
            fields["audience"] = audience
        stream_id = cast(str, self._r.xadd(self.events_key(space_id), fields, id="0-*"))  # type: ignore[arg-type]
        return EventRow(event_id(stream_id), space_id, target_id, type_, data, at, audience)

    def append_close(self, space_id: str, viewer_id: str) -> None:
        """Ends a viewer's live feeds (or all: `ALL_VIEWERS`) on every backend, after what is logged."""
        self._r.xadd(self.events_key(space_id), {CONTROL_FIELD: viewer_id}, id="0-*")

    def events_after(
        self, space_id: str, after_id: int, viewer_id: str, limit: int = 10_000, moderator: bool = False
    ) -> list[EventRow]:
        """The events `viewer_id` may see after `after_id`; `moderator` adds the moderators' ones."""
        found: list[EventRow] = []
        start = f"(0-{after_id}"
        page = max(limit, 100)
        while len(found) < limit:
            entries = cast(
                list[tuple[str, dict[str, str]]],
                self._r.xrange(self.events_key(space_id), min=start, max="+", count=page),
            )
            for stream_id, fields in entries:
                start = f"({stream_id}"
                if CONTROL_FIELD in fields:
                    continue
                if visible_entry(fields, viewer_id, moderator):
                    found.append(event_from_entry(space_id, stream_id, fields))
                    if len(found) == limit:
                        break
            if len(entries) < page:
                break
        return found

    def last_event_id(self, space_id: str) -> int:
        entries = cast(list[tuple[str, Any]], self._r.xrevrange(self.events_key(space_id), count=1))
        return event_id(entries[0][0]) if entries else 0

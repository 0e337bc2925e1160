"""What the Spaces service needs from its persistence and its event fan-out, as typed interfaces.

Two implementations of each: SQLite with an in-process bus (server/store.py and
server/event_bus.py, the embedded default) and Redis with Redis Streams
(server/redis_store.py and server/redis_events.py, for several `serve`
processes sharing one Redis). The service, the routes and the views depend on
these protocols only. Calls are synchronous on purpose: the service's rule
checks and writes run without an await between them (see service.py), and a
Redis round trip on loopback or a LAN costs well under a millisecond; only the
waiting parts (the live event feed, leases, presence) use redis.asyncio.

No await is not enough with several backends: another one may write between a
check and a write. So the writes that follow a rule check take `if_version=`,
the Space's `participants_version` read before the check, and raise
`VersionConflict` when anyone wrote the Space since; the service then reads,
checks and tries again (optimistic concurrency, no lock held).
"""

from __future__ import annotations

from typing import Any, Protocol

from spaces_desktop.domain import ParticipantStatus, Role, SpaceStatus
from spaces_desktop.server.event_bus import Subscription
from spaces_desktop.server.store import EventRow, ParticipantRow, SpaceRow


class SpaceStore(Protocol):
    """Spaces, participants (tokens kept as SHA-256 digests), bans and each Space's event log."""

    def close(self) -> None: ...

    # spaces
    def add_space(self, space: SpaceRow) -> SpaceRow: ...
    def space(self, space_id: str) -> SpaceRow | None: ...
    def live_spaces(self) -> list[SpaceRow]: ...
    def set_space_status(self, space_id: str, status: SpaceStatus) -> None: ...
    def set_space_access(self, space_id: str, locked: bool, approval_required: bool) -> None: ...
    def set_scene(self, space_id: str, scene: str | None) -> None:
        """The directed program, as a `SceneView`'s JSON (None: back to Auto)."""
        ...

    # participants
    def add_participant(
        self, participant: ParticipantRow, token: str, if_version: int | None = None
    ) -> ParticipantRow:
        """Raises `VersionConflict` if `if_version` is given and the Space's version moved from it."""
        ...

    def participant_by_token(self, token: str) -> ParticipantRow | None: ...
    def participant(self, participant_id: str) -> ParticipantRow | None: ...
    def participant_by_seq(self, seq: int) -> ParticipantRow | None: ...
    def active_participants(self, space_id: str) -> list[ParticipantRow]: ...
    def participants_with_status(self, space_id: str, status: ParticipantStatus) -> list[ParticipantRow]:
        """In join order; the same row objects until one of them changes."""
        ...

    def participants_version(self, space_id: str) -> int:
        """Changes whenever a participant of the Space is added, changed or removed and banned, and
        whenever the Space's status or access changes (by any backend): what `if_version` compares."""
        ...

    def stage_participants(self, space_id: str) -> list[ParticipantRow]:
        """The active host, co-hosts and speakers, in join order."""
        ...

    def moderator_ids(self, space_id: str) -> list[str]:
        """The active host and co-hosts, as stored now."""
        ...

    def space_participant(self, space_id: str, participant_id: str) -> ParticipantRow | None:
        """A participant of the Space as stored now, from the in-process roster (no row read)."""
        ...

    def participants_page(
        self, space_id: str, after_seq: int, limit: int, name_query: str = ""
    ) -> tuple[list[ParticipantRow], int | None]:
        """Active participants joined after `after_seq`, in join order, whose name key contains
        `name_query` (already a `name_key`); and the seq to continue after, None at the end.
        A seq cursor stays valid while people come and go: rows are never deleted."""
        ...

    def present_participants(self) -> list[ParticipantRow]: ...
    def count_roles(self, space_id: str) -> dict[Role, int]:
        """Active participants by role."""
        ...

    def update_participant(self, participant: ParticipantRow, if_version: int | None = None) -> None:
        """Raises `VersionConflict` if `if_version` is given and the Space's version moved from it."""
        ...

    def remove_participant(
        self, removed: ParticipantRow, block_address: bool, if_version: int | None = None
    ) -> None:
        """Writes the removed row and bans its client id and address (`ban`, `ban_address`) in one
        atomic write, conditional like `update_participant`."""
        ...

    # bans
    def ban(self, space_id: str, client_id: str) -> None: ...
    def is_banned(self, space_id: str, client_id: str) -> bool: ...
    def ban_address(self, space_id: str, address: str, blocked: bool) -> None: ...
    def address_ban(self, space_id: str, address: str) -> bool | None: ...

    # the event log
    def append_event(
        self,
        space_id: str,
        type_: str,
        data: dict[str, Any],
        target_id: str | None,
        audience: str | None = None,
    ) -> EventRow:
        """Logs an event; `audience` MODERATORS: for the moderators (and `target_id`) only."""
        ...

    def events_after(
        self, space_id: str, after_id: int, viewer_id: str, limit: int = 10_000, moderator: bool = False
    ) -> list[EventRow]:
        """The events `viewer_id` may see after `after_id` (`EventRow.visible_to`); `moderator`
        (the viewer's role as stored now) adds the moderators' ones."""
        ...

    def last_event_id(self, space_id: str) -> int: ...


class EventFanout(Protocol):
    """Appends to a Space's log and hands each event, in log order, to the live feeds it is for."""

    def publish(
        self,
        space_id: str,
        type_: str,
        data: dict[str, Any],
        target_id: str | None = None,
        audience: str | None = None,
    ) -> EventRow:
        """Logs the event and hands it to the feeds allowed to see it: with `audience` MODERATORS,
        to the feeds of those who are moderators when it is delivered (and of `target_id`)."""
        ...

    def subscribe(self, space_id: str, viewer_id: str) -> Subscription: ...
    def unsubscribe(self, subscription: Subscription) -> None: ...
    def close_viewer(self, space_id: str, viewer_id: str) -> None:
        """Ends one participant's live feeds, on every backend."""
        ...

    def close_space(self, space_id: str) -> None:
        """Ends a Space's live feeds, on every backend."""
        ...

    def close_all(self) -> None:
        """Ends this process's live feeds (it is stopping; clients resume from the log)."""
        ...

    def listener_count(self, space_id: str) -> int:
        """Live feeds of the Space open on this process."""
        ...

"""The rules of a Space: who may do what, enforced from the caller's token and role.

Every method takes the authenticated caller, checks its role against the
action, writes the new state, appends an event and then asks the media service
to make Janus agree (unpublish on demotion, moderate on mute, kick on removal).
Checks and writes run without an await between them, and with several backends
on one Redis that is not enough: each check-then-write is an attempt that reads
the Space's version first, re-reads the caller (their role as stored now, not as
authenticated) and the target, checks, and writes only if the version has not
moved (`if_version`, store_api.py); a write by anyone in between fails it and
it runs again (`_checked_write`, bounded), so two requests racing for the last
speaker slot, or a join racing a ban, cannot both win on any two backends.
Media changes of one participant (publish, unpublish, and the teardown after a
demotion, mute, removal or leave) take that participant's turn one at a time
and read the row again after every Janus round trip, so a publish Janus answers
late cannot outlive a demotion that ran meanwhile.

Presence comes from the event stream: a participant who has opened one and whose
streams have all been gone for `presence_timeout` seconds has left (their slot is
freed; one that never opened a stream is an API client and is not watched until
the backend restarts, after which everyone is watched); the host is
given `host_grace` seconds instead, after which the Space ends, because a
crashed app is not the host leaving and the host may reopen it with their token.

Big audiences: a listener's arrival, departure and changes go to the moderators
(and the listener) only; everyone learns the audience's size from the coalesced
`audience` count (see audience.py). Joins and snapshots carry the stage, the
counts and the first page of participants; the rest is paged on request.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import secrets
import time
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from typing import Any, TypeVar

from spaces_desktop.domain import (
    MAX_COHOSTS,
    MAX_SPEAKERS,
    CameraSource,
    ParticipantStatus,
    Role,
    SpaceStatus,
    is_moderator,
    may_speak,
    outranks,
)
from spaces_desktop.domain.text_rules import MAX_NAME_CHARS, TextRuleError, clean_name, name_key
from spaces_desktop.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    MediaServerError,
    NotFound,
    Unauthorized,
)
from spaces_desktop.protocol import (
    Admission,
    AudienceCounts,
    CreateSpaceRequest,
    EventType,
    Joined,
    JoinRequest,
    ParticipantPage,
    ParticipantView,
    Snapshot,
    SpacePreview,
    SpaceView,
    StreamView,
    SubscribeOffer,
    Waiting,
)
from spaces_desktop.protocol.models import SCHEDULE_HORIZON_DAYS, StreamTicket
from spaces_desktop.server import backstage
from spaces_desktop.server.audience import AudienceCounter, Counts
from spaces_desktop.server.codecs import require_room_codecs
from spaces_desktop.server.ice import IceConfig
from spaces_desktop.server.media import FeedStream
from spaces_desktop.server.media_lease import MediaLeases
from spaces_desktop.server.media_port import MediaPort
from spaces_desktop.server.participant_views import ParticipantViews
from spaces_desktop.server.reactions import ReactionBatcher
from spaces_desktop.server.redis_presence import SharedPresence
from spaces_desktop.server.scenes import scene_of
from spaces_desktop.server.sdp import parse_media_lines
from spaces_desktop.server.store import MODERATORS, ParticipantRow, SpaceRow, VersionConflict, now
from spaces_desktop.server.store_api import EventFanout, SpaceStore
from spaces_desktop.server.tickets import StreamTickets

log = logging.getLogger(__name__)


DEFAULT_PRESENCE_TIMEOUT_S = 30.0
DEFAULT_HOST_GRACE_S = 300.0
ADMISSION_WAIT_S = 8.0
"""How long an admission poll waits for a decision: under the client's 10 s read timeout."""
WAITING_MESSAGE = "Waiting for the host to let you in."
DENIED_MESSAGE = "The host did not let you in to this Space."
FIRST_PAGE = 20
"""Participants a join or snapshot lists beyond the stage and the caller."""
DEFAULT_PAGE = 100
MAX_PAGE = 500
WRITE_ATTEMPTS = 5
"""Tries of one check-then-write while other backends write the same Space in between."""
JOIN_ATTEMPTS = 20
"""Joins conflict with every other write of a big Space (each try costs about a millisecond)."""
BUSY_MESSAGE = "This Space kept changing while your request ran; try again in a moment."
T = TypeVar("T")
BAD_CURSOR = "That cursor is not one this server gave out; ask for the first page without a cursor."


def new_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


class SpacesService:
    def __init__(
        self,
        store: SpaceStore,
        bus: EventFanout,
        public_url: str,
        ice: IceConfig | None = None,
        *,
        presence_timeout: float = DEFAULT_PRESENCE_TIMEOUT_S,
        host_grace: float = DEFAULT_HOST_GRACE_S,
        clock: Callable[[], float] = time.monotonic,
        shared_presence: SharedPresence | None = None,
    ) -> None:
        self.store = store
        self.bus = bus
        self.public_url = public_url.rstrip("/")
        self.media: MediaPort | None = None
        """Set once the media side is up (runner.py); tests give a fake (tests/support/fakes.py)."""
        self.media_leases: MediaLeases | None = None
        """With several backends on one Janus: which Spaces' rooms this one drives."""
        self.ice = ice or IceConfig()
        self._talking: dict[str, set[int]] = {}  # Space id -> feeds Janus last reported talking
        self.tickets = StreamTickets()
        self.presence_timeout = presence_timeout
        self.host_grace = host_grace
        self.clock = clock
        self._open_streams: dict[str, int] = {}
        """Participant id -> event streams (and admission polls) open now."""
        self._away_since: dict[str, float] = {}
        """Participant id -> when its last stream closed (or it joined without one yet)."""
        self._decided: dict[str, asyncio.Event] = {}
        """Pending participant id -> set when a host lets them in or not."""
        self.shared_presence = shared_presence
        """With several backends: who was last seen where lives in Redis, not in `_away_since`."""
        for participant in store.present_participants() if shared_presence is None else ():
            # A restart loses every stream: whoever does not come back within the timeout has gone.
            self._away_since[participant.id] = clock()
        self.reactions = ReactionBatcher(bus, self._is_live)
        self._media_turns: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()
        self.views = ParticipantViews()
        self.audience = AudienceCounter(self.audience_counts, self._send_audience)

    # --- views ---

    def space_view(self, space: SpaceRow) -> SpaceView:
        return SpaceView(
            id=space.id,
            title=space.title,
            video_enabled=space.video_enabled,
            status=space.status,
            host_id=space.host_id,
            created_at=space.created_at,
            scheduled_for=space.scheduled_for,
            started_at=space.started_at,
            ended_at=space.ended_at,
            share_link=f"{self.public_url}/s/{space.id}",
            locked=space.locked,
            approval_required=space.approval_required,
        )

    def _publishing_feeds(
        self, space_id: str, stage: list[tuple[ParticipantRow, FeedStream]] | None = None
    ) -> set[int]:
        return {owner.seq for owner, _ in (self._stage_streams(space_id) if stage is None else stage)}

    def _stage_streams(self, space_id: str) -> list[tuple[ParticipantRow, FeedStream]]:
        """What the audience may see: the room's streams without the backstage ones."""
        return [(owner, stream) for owner, stream in self._room_streams(space_id) if not owner.backstage]

    def _room_streams(self, space_id: str) -> list[tuple[ParticipantRow, FeedStream]]:
        """What Janus publishes in the Space, from those still allowed on stage (backstage too)."""
        if self.media is None:
            return []
        owners: dict[int, ParticipantRow | None] = {}
        listed = []
        for stream in self.media.streams(space_id):
            if stream.feed not in owners:
                owners[stream.feed] = self.store.participant_by_seq(stream.feed)
            owner = owners[stream.feed]
            if owner is not None and owner.space_id == space_id and _on_stage(owner):
                listed.append((owner, stream))
        return listed

    def participant_view(
        self, p: ParticipantRow, publishing_feeds: set[int] | None = None
    ) -> ParticipantView:
        feeds = publishing_feeds if publishing_feeds is not None else self._publishing_feeds(p.space_id)
        return self.views.view(p, p.seq in feeds)

    def stream_views(
        self, space_id: str, stage: list[tuple[ParticipantRow, FeedStream]] | None = None
    ) -> list[StreamView]:
        return [
            StreamView(
                participant_id=owner.id,
                mid=stream.mid,
                kind=stream.kind,
                source=stream.source,
                layer=stream.layer,
            )
            for owner, stream in (self._stage_streams(space_id) if stage is None else stage)
        ]

    def snapshot(self, caller: ParticipantRow) -> Snapshot:
        """The stage, the caller, the counts and the first page of everyone (see `participants_page`)."""
        space = self._space(caller.space_id)
        room = self._room_streams(space.id)  # asked of the media service once per snapshot
        stage = [(owner, stream) for owner, stream in room if not owner.backstage]
        feeds = self._publishing_feeds(space.id, stage)
        page, next_seq = self.store.participants_page(space.id, 0, FIRST_PAGE)
        rows = {row.id: row for row in self.store.stage_participants(space.id)}
        if caller.status is ParticipantStatus.ACTIVE:
            rows.setdefault(caller.id, caller)
        for row in page:
            rows.setdefault(row.id, row)
        moderator = is_moderator(caller.role)
        stamp = (self.store.participants_version(space.id), frozenset(feeds))
        # Every part is built from stored rows and views already valid: no validation again.
        return Snapshot.model_construct(
            space=self.space_view(space),
            participants=[self._view_for(caller, moderator, row, feeds) for row in rows.values()],
            streams=self.stream_views(space.id, backstage.visible(caller, room)),
            you=caller.id,
            last_event_id=self.store.last_event_id(space.id),
            talking=self._talking_now(space.id, feeds),
            waiting=self.views.listed(
                space.id, ParticipantStatus.PENDING, stamp, functools.partial(self._waiting, space.id)
            )
            if moderator
            else [],
            counts=AudienceCounts(**self.audience_counts(space.id)),
            next_cursor=_cursor(next_seq),
            scene=scene_of(space),
        )

    def participants_page(
        self, caller: ParticipantRow, cursor: str | None, query: str | None, limit: int = DEFAULT_PAGE
    ) -> ParticipantPage:
        """Active participants in join order after `cursor`, those whose name contains `query` if given."""
        after = _parse_cursor(cursor)
        key = _query_key(query)
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}.")
        rows, next_seq = self.store.participants_page(caller.space_id, after, limit, key)
        feeds = self._publishing_feeds(caller.space_id)
        moderator = is_moderator(caller.role)
        return ParticipantPage.model_construct(
            participants=[self._view_for(caller, moderator, row, feeds) for row in rows],
            next_cursor=_cursor(next_seq),
            last_event_id=self.store.last_event_id(caller.space_id),
        )

    def _view_for(
        self, caller: ParticipantRow, moderator: bool, row: ParticipantRow, feeds: set[int]
    ) -> ParticipantView:
        return self.views.view(row, row.seq in feeds, public=not moderator and row.id != caller.id)

    def audience_counts(self, space_id: str) -> Counts:
        counts = self.store.count_roles(space_id)
        listeners = counts[Role.LISTENER]
        speakers = counts[Role.HOST] + counts[Role.COHOST] + counts[Role.SPEAKER]
        return {"listeners": listeners, "speakers": speakers, "total": listeners + speakers}

    def _send_audience(self, space_id: str, counts: Counts) -> None:
        space = self.store.space(space_id)
        if space is not None and space.status is not SpaceStatus.ENDED:
            self.bus.publish(space_id, EventType.AUDIENCE, dict(counts))

    def sees_moderator_events(self, participant_id: str) -> bool:
        """Whether the participant, as stored now, is the host or a co-host."""
        current = self.store.participant(participant_id)
        return current is not None and is_moderator(current.role)

    def preview(self, space_id: str) -> SpacePreview:
        space = self._space(space_id)
        counts = self.store.count_roles(space_id)
        host = self.store.participant(space.host_id)
        return SpacePreview(
            id=space.id,
            title=space.title,
            video_enabled=space.video_enabled,
            status=space.status,
            host_name=host.display_name if host else "",
            listeners=counts[Role.LISTENER],
            speakers=counts[Role.HOST] + counts[Role.COHOST] + counts[Role.SPEAKER],
        )

    # --- authentication ---

    def authenticate(
        self,
        space_id: str,
        token: str | None,
        known: ParticipantRow | None = None,
        *,
        lobby: bool = False,
    ) -> ParticipantRow:
        """The caller of `token` (or `known`, from a stream ticket); `lobby` also lets in whoever waits
        to be admitted or was refused."""
        if known is None and not token:
            raise Unauthorized("Sign in to this Space first: send 'Authorization: Bearer <token>'.")
        caller = known if known is not None else self.store.participant_by_token(str(token))
        if caller is None or caller.space_id != space_id:
            if self.store.space(space_id) is None:
                raise NotFound("No such Space.")
            raise Unauthorized("This token does not belong to this Space.")
        if caller.status is ParticipantStatus.REMOVED:
            raise Forbidden("You were removed from this Space by its host.", code="removed")
        if caller.status is ParticipantStatus.LEFT:
            raise Unauthorized(
                "You are no longer in this Space: you left, or your app was away too long. Join it again.",
                code="left",
            )
        if not lobby and caller.status is ParticipantStatus.PENDING:
            raise Forbidden(WAITING_MESSAGE, code="waiting")
        if not lobby and caller.status is ParticipantStatus.DENIED:
            raise Forbidden(DENIED_MESSAGE, code="denied")
        return caller

    def stream_ticket(self, caller: ParticipantRow) -> StreamTicket:
        return StreamTicket(
            ticket=self.tickets.issue(caller.space_id, caller.id), expires_in=self.tickets.ttl_s
        )

    def authenticate_ticket(self, space_id: str, ticket: str) -> ParticipantRow:
        """The caller a stream ticket stands for; it is spent by this call."""
        participant_id = self.tickets.redeem(space_id, ticket)
        participant = self.store.participant(participant_id) if participant_id else None
        if participant is None:
            raise Unauthorized(
                "This stream ticket is unknown or expired; ask for a new one.", code="bad_ticket"
            )
        # The same checks as a token: a removed or departed participant gets no stream.
        return self.authenticate(space_id, None, participant)

    # --- lifecycle ---

    async def create_space(self, request: CreateSpaceRequest, address: str | None = None) -> Joined:
        status = SpaceStatus.LIVE
        if request.scheduled_for is not None:
            when = request.scheduled_for
            if when.tzinfo is None:
                raise InvalidInput("scheduled_for needs a timezone, e.g. 2026-12-01T18:00:00+00:00.")
            if when <= now():
                raise InvalidInput("scheduled_for is in the past; omit it to go live now.")
            if when > now() + timedelta(days=SCHEDULE_HORIZON_DAYS):
                raise InvalidInput(f"A Space can be scheduled at most {SCHEDULE_HORIZON_DAYS} days ahead.")
            status = SpaceStatus.SCHEDULED
        space_id = secrets.token_urlsafe(9)
        host_id = "p_" + secrets.token_urlsafe(9)
        created = now()
        space = self.store.add_space(
            SpaceRow(
                seq=0,
                id=space_id,
                title=request.title,
                video_enabled=request.video_enabled,
                status=status,
                host_id=host_id,
                created_at=created,
                scheduled_for=request.scheduled_for,
                started_at=created if status is SpaceStatus.LIVE else None,
                ended_at=None,
            )
        )
        token = new_token()
        host = self.store.add_participant(
            self._new_participant(
                host_id, space.id, request.host_name, Role.HOST, request.client_id, address=address
            ),
            token,
        )
        self.bus.publish(space.id, EventType.SPACE_UPDATED, {"space": self._dump(self.space_view(space))})
        if status is SpaceStatus.LIVE:
            await self._open_room(space)
        return Joined(
            token=token,
            participant=self.participant_view(host),
            snapshot=self.snapshot(host),
            ice_servers=self.ice.servers_for(host.id),
        )

    async def join(self, space_id: str, request: JoinRequest, address: str | None = None) -> Joined | Waiting:
        """A listener now, or (when the Space asks for approval) someone waiting in its lobby."""
        token = new_token()

        def attempt(version: int) -> tuple[SpaceRow, ParticipantRow]:
            space = self._space(space_id)
            if space.status is SpaceStatus.ENDED:
                raise Conflict("This Space has ended.", code="space_ended")
            self._refuse_banned(space_id, request.client_id, address)
            host = self.store.space_participant(space_id, space.host_id)
            if host is not None and name_key(host.display_name) == name_key(request.display_name):
                raise Conflict("That is the host's name; choose another one.", code="name_taken")
            if space.locked:
                raise Forbidden(
                    "This Space is locked: the host is not letting anyone new in.", code="space_locked"
                )
            waiting = space.approval_required
            # Conditional: a ban, lock or end written by another backend since `version` fails it.
            added = self.store.add_participant(
                self._new_participant(
                    "p_" + secrets.token_urlsafe(9),
                    space_id,
                    request.display_name,
                    Role.LISTENER,
                    request.client_id,
                    status=ParticipantStatus.PENDING if waiting else ParticipantStatus.ACTIVE,
                    address=address,
                ),
                token,
                if_version=version,
            )
            return space, added

        space, participant = self._checked_write(space_id, attempt, JOIN_ATTEMPTS)
        waiting = participant.status is ParticipantStatus.PENDING
        view = self.participant_view(participant, set())  # its feed id is new: nothing published yet
        if waiting:
            self._mark_away(participant.id)  # until its first admission poll
            self._decided[participant.id] = asyncio.Event()
            self._to_moderators(
                space_id,
                EventType.JOIN_REQUEST,
                {"participant": self._dump(view)},
            )
            return Waiting(
                token=token,
                participant=view,
                title=space.title,
                message=WAITING_MESSAGE,
            )
        joined_data = {"participant": self._dump(view)}
        self._announce(participant, participant, EventType.PARTICIPANT_JOINED, joined_data)
        return Joined(
            token=token,
            participant=view,
            snapshot=self.snapshot(participant),
            ice_servers=self.ice.servers_for(participant.id),
        )

    async def start(self, caller: ParticipantRow) -> SpaceView:
        space = self._space(caller.space_id)
        if caller.role is not Role.HOST:
            raise Forbidden("Only the host can start the Space.")
        if space.status is not SpaceStatus.SCHEDULED:
            raise Conflict(f"The Space is {space.status.value}, not scheduled.")
        self.store.set_space_status(space.id, SpaceStatus.LIVE)
        space = self._space(space.id)
        self.bus.publish(space.id, EventType.SPACE_UPDATED, {"space": self._dump(self.space_view(space))})
        await self._open_room(space)
        return self.space_view(space)

    async def end(self, caller: ParticipantRow) -> None:
        if caller.role is not Role.HOST:
            raise Forbidden("Only the host can end the Space.")
        await self._end(caller.space_id, caller.id)

    async def _end(self, space_id: str, by: str) -> None:
        space = self._space(space_id)
        if space.status is SpaceStatus.ENDED:
            return
        self.store.set_space_status(space_id, SpaceStatus.ENDED)
        space = self._space(space_id)
        self.bus.publish(space_id, EventType.SPACE_UPDATED, {"space": self._dump(self.space_view(space))})
        self.bus.publish(space_id, EventType.SPACE_ENDED, {"by": by})
        self.bus.close_space(space_id)
        self._talking.pop(space_id, None)
        self.views.forget_space(space_id)
        self.audience.forget(space_id)
        if self.media is not None:
            await self.media.close_room(space_id)

    async def leave(self, caller: ParticipantRow) -> None:
        def attempt(version: int) -> ParticipantRow | None:
            me = self.store.participant(caller.id) or caller
            if me.status is ParticipantStatus.PENDING:
                self._close_lobby_entry(me, ParticipantStatus.LEFT, "left", version=version)  # stops waiting
            elif me.status is ParticipantStatus.DENIED:
                self.store.update_participant(replace(me, status=ParticipantStatus.LEFT), if_version=version)
            elif me.status is ParticipantStatus.ACTIVE:
                return me
            return None  # removed or gone meanwhile (perhaps through another backend): nothing to undo

        me = self._checked_write(caller.space_id, attempt)
        if me is None:
            return
        if me.role is Role.HOST:
            await self._end(me.space_id, me.id)  # as on X: the Space ends when its host leaves
        await self._depart(me, "left")

    async def _depart(self, participant: ParticipantRow, reason: str) -> None:
        def attempt(version: int) -> tuple[ParticipantRow, ParticipantRow] | None:
            current = self.store.participant(participant.id)
            if current is None or current.status is not ParticipantStatus.ACTIVE:
                return None  # removed or gone meanwhile: a removal is not turned into a departure
            left = replace(current, status=ParticipantStatus.LEFT)
            self.store.update_participant(left, if_version=version)
            return current, left

        written = self._checked_write(participant.space_id, attempt)
        self._away_since.pop(participant.id, None)
        if written is None:
            return
        before, left = written
        data = {"participant": self._dump(self.participant_view(left)), "reason": reason}
        self._announce(before, left, EventType.PARTICIPANT_LEFT, data)
        self.bus.close_viewer(participant.space_id, participant.id)
        await self._sync_media(participant)

    # --- who may come in ---

    async def set_access(
        self, caller: ParticipantRow, locked: bool | None, approval_required: bool | None
    ) -> SpaceView:
        self._require_moderator(self._current(caller))
        space = self._space(caller.space_id)
        if space.status is SpaceStatus.ENDED:
            raise Conflict("This Space has ended.", code="space_ended")
        locked = space.locked if locked is None else locked
        approval = space.approval_required if approval_required is None else approval_required
        if (locked, approval) == (space.locked, space.approval_required):
            return self.space_view(space)
        self.store.set_space_access(space.id, locked, approval)
        space = self._space(space.id)
        view = self.space_view(space)
        self.bus.publish(space.id, EventType.SPACE_UPDATED, {"space": self._dump(view), "by": caller.id})
        return view

    async def admit(self, caller: ParticipantRow, target_id: str) -> ParticipantView:
        def attempt(version: int) -> ParticipantRow:
            me = self._current(caller)
            self._require_moderator(me)
            target = self._waiting_target(me, target_id)
            self._require_live_or_scheduled(me.space_id)
            return self._close_lobby_entry(target, ParticipantStatus.ACTIVE, "admitted", me.id, version)

        admitted = self._checked_write(caller.space_id, attempt)
        view = self.participant_view(admitted)
        self._announce(admitted, admitted, EventType.PARTICIPANT_JOINED, {"participant": self._dump(view)})
        return view

    async def deny(self, caller: ParticipantRow, target_id: str) -> None:
        def attempt(version: int) -> ParticipantRow:
            me = self._current(caller)
            self._require_moderator(me)
            target = self._waiting_target(me, target_id)
            return self._close_lobby_entry(target, ParticipantStatus.DENIED, "denied", me.id, version)

        self._checked_write(caller.space_id, attempt)

    async def admission(self, caller: ParticipantRow) -> Admission:
        """Where a waiting person stands; waits up to ADMISSION_WAIT_S for a decision (long poll)."""
        if caller.status is ParticipantStatus.PENDING:
            # After a backend restart nobody holds the event yet: make it, so the poll still waits.
            decided = self._decided.setdefault(caller.id, asyncio.Event())
            self.stream_opened(caller.id)
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(decided.wait(), ADMISSION_WAIT_S)
            finally:
                self.stream_closed(caller.id)
        current = self.store.participant(caller.id) or caller
        if current.status is ParticipantStatus.ACTIVE:
            return Admission(status="admitted", message="You are in.")
        if current.status is ParticipantStatus.PENDING:
            return Admission(status="pending", message=WAITING_MESSAGE)
        if current.status is ParticipantStatus.DENIED:
            return Admission(status="denied", message=DENIED_MESSAGE)
        space = self._space(caller.space_id)
        if space.status is SpaceStatus.ENDED:
            raise Conflict("This Space has ended.", code="space_ended")
        raise Unauthorized("You stopped waiting to join; join again.", code="left")

    def _close_lobby_entry(
        self,
        target: ParticipantRow,
        status: ParticipantStatus,
        outcome: str,
        by: str | None = None,
        version: int | None = None,
    ) -> ParticipantRow:
        """`target` as read after `version` (the write fails if anyone wrote the Space since)."""
        updated = replace(target, status=status)
        self.store.update_participant(updated, if_version=version)
        if status is ParticipantStatus.ACTIVE:
            self._away_since.setdefault(target.id, self.clock())
        else:
            self._away_since.pop(target.id, None)
        decided = self._decided.pop(target.id, None)
        if decided is not None:
            decided.set()
        self._to_moderators(
            target.space_id,
            EventType.JOIN_REQUEST_CLOSED,
            {"participant_id": target.id, "outcome": outcome, **({"by": by} if by else {})},
        )
        return updated

    def _waiting(self, space_id: str) -> list[ParticipantRow]:
        return self.store.participants_with_status(space_id, ParticipantStatus.PENDING)

    def _waiting_target(self, caller: ParticipantRow, target_id: str) -> ParticipantRow:
        target = self.store.participant(target_id)
        if (
            target is None
            or target.space_id != caller.space_id
            or target.status is not ParticipantStatus.PENDING
        ):
            raise NotFound("Nobody by that id is waiting to join this Space.", code="not_waiting")
        return target

    def _to_moderators(self, space_id: str, type_: str, data: dict[str, Any]) -> None:
        self.bus.publish(space_id, type_, data, audience=MODERATORS)

    def _announce(
        self, before: ParticipantRow, after: ParticipantRow, type_: str, data: dict[str, Any]
    ) -> None:
        """A participant's change: to everyone when it touches the stage, else to the moderators
        and the participant; the audience count follows within its interval."""
        if before.role is Role.LISTENER and after.role is Role.LISTENER:
            self.bus.publish(after.space_id, type_, data, target_id=after.id, audience=MODERATORS)
        else:
            self.bus.publish(after.space_id, type_, data)
        self.audience.changed(after.space_id)

    def _refuse_banned(self, space_id: str, client_id: str | None, address: str | None) -> None:
        refused = Forbidden("The host removed you from this Space; you cannot rejoin it.", code="banned")
        if client_id and self.store.is_banned(space_id, client_id):
            raise refused
        ban = self.store.address_ban(space_id, address) if address else None
        # A blocked address refuses everyone; otherwise only joins that hide their installation key.
        if ban is True or (ban is False and not client_id):
            raise refused

    # --- presence (the event stream) ---

    def stream_opened(self, participant_id: str) -> None:
        self._open_streams[participant_id] = self._open_streams.get(participant_id, 0) + 1
        self._away_since.pop(participant_id, None)
        if self.shared_presence is not None:
            self.shared_presence.seen([participant_id])

    def _mark_away(self, participant_id: str) -> None:
        if self.shared_presence is not None:
            self.shared_presence.seen([participant_id])  # last seen now; any backend may see it again
        else:
            self._away_since[participant_id] = self.clock()

    def _absences(self) -> list[tuple[str, float]]:
        """(participant id, seconds away) of everyone whose streams are all gone."""
        if self.shared_presence is not None:
            self.shared_presence.seen(list(self._open_streams))
            return self.shared_presence.away(min(self.presence_timeout, self.host_grace))
        now_s = self.clock()
        return [(pid, now_s - since) for pid, since in self._away_since.items()]

    def _claim_absence(self, participant_id: str, away: float) -> bool:
        """Whether this backend acts on the absence (with several, exactly one does)."""
        self._away_since.pop(participant_id, None)
        return self.shared_presence is None or self.shared_presence.claim(participant_id, away)

    def _forget_absence(self, participant_id: str) -> None:
        self._away_since.pop(participant_id, None)
        if self.shared_presence is not None:
            self.shared_presence.forget(participant_id)

    def stream_closed(self, participant_id: str) -> None:
        left = self._open_streams.get(participant_id, 0) - 1
        if left > 0:
            self._open_streams[participant_id] = left
            return
        self._open_streams.pop(participant_id, None)
        participant = self.store.participant(participant_id)
        if participant is not None and participant.status in (
            ParticipantStatus.ACTIVE,
            ParticipantStatus.PENDING,
        ):
            self._mark_away(participant_id)

    async def sweep_presence(self) -> None:
        """Lets go of everyone whose streams have been gone too long (see the module's notes)."""
        for participant_id, measured in self._absences():
            # Read again: an earlier iteration awaited, and a stream may have come and gone since.
            if self.shared_presence is None:
                since = self._away_since.get(participant_id)
                if since is None:
                    continue
                away = self.clock() - since
            else:
                away = measured  # by Redis's clock; claimed below against the same threshold
            if self._open_streams.get(participant_id):
                self._away_since.pop(participant_id, None)
                continue
            participant = self.store.participant(participant_id)
            space = self.store.space(participant.space_id) if participant is not None else None
            if (
                participant is None
                or space is None
                or space.status is SpaceStatus.ENDED
                or participant.status not in (ParticipantStatus.ACTIVE, ParticipantStatus.PENDING)
            ):
                self._forget_absence(participant_id)
                continue
            if participant.status is ParticipantStatus.PENDING:
                if away >= self.presence_timeout and self._claim_absence(
                    participant_id, self.presence_timeout
                ):
                    self._checked_write(space.id, functools.partial(self._stop_waiting, participant_id))
            elif participant.role is Role.HOST:
                # A scheduled Space waits for its host; a live one for the host's grace period.
                if (
                    space.status is SpaceStatus.LIVE
                    and away >= self.host_grace
                    and self._claim_absence(participant_id, self.host_grace)
                ):
                    log.info("Host of %s gone %.0f s: ending the Space", space.id, away)
                    await self._end(space.id, participant.id)
            elif away >= self.presence_timeout and self._claim_absence(participant_id, self.presence_timeout):
                log.info("%s gone %.0f s from %s: freeing their place", participant.id, away, space.id)
                await self._depart(participant, "gone")

    def _stop_waiting(self, participant_id: str, version: int) -> None:
        """A waiting person gone too long leaves the lobby, unless decided meanwhile."""
        current = self.store.participant(participant_id)
        if current is not None and current.status is ParticipantStatus.PENDING:
            self._close_lobby_entry(current, ParticipantStatus.LEFT, "left", version=version)

    async def run_presence(self, interval: float = 1.0) -> None:
        """The presence sweep, until cancelled (runs with the backend)."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.sweep_presence()
            except Exception:  # one bad row must not stop the sweep for every Space
                log.exception("Presence sweep failed")

    # --- the floor ---

    async def request_to_speak(self, caller: ParticipantRow, requested: bool) -> ParticipantView:
        def attempt(version: int) -> ParticipantView:
            me = self._current(caller)
            self._require_live(me.space_id)
            if requested and me.role is not Role.LISTENER:
                raise Conflict("You can already speak.", code="already_speaker")
            change = "speak_request" if requested else "speak_request_cancelled"
            return self._update(me, change, me.id, version, speak_requested=requested)

        return self._checked_write(caller.space_id, attempt)

    async def decline_request(self, caller: ParticipantRow, target_id: str) -> ParticipantView:
        def attempt(version: int) -> ParticipantView:
            me = self._current(caller)
            self._require_not_ended(me.space_id)
            self._require_moderator(me)
            target = self._target(me, target_id)
            if not target.speak_requested:
                raise Conflict(f"{target.display_name} has not asked to speak.")
            return self._update(target, "speak_request_declined", me.id, version, speak_requested=False)

        return self._checked_write(caller.space_id, attempt)

    async def invite(
        self, caller: ParticipantRow, target_id: str, to_backstage: bool = False
    ) -> ParticipantView:
        """Invites a listener to speak; `to_backstage` has them enter the green room first."""

        def attempt(version: int) -> tuple[ParticipantRow, ParticipantView]:
            me = self._current(caller)
            self._require_live(me.space_id)
            self._require_moderator(me)
            target = self._target(me, target_id)
            if target.role is not Role.LISTENER:
                raise Conflict(f"{target.display_name} can already speak.", code="already_speaker")
            return target, self._update(
                target, "invited", me.id, version, invited=True, backstage=to_backstage
            )

        target, view = self._checked_write(caller.space_id, attempt)
        self.bus.publish(
            caller.space_id,
            EventType.INVITED,
            {"participant_id": target.id, "by": caller.id},
            target_id=target.id,
        )
        return view

    async def answer_invite(self, caller: ParticipantRow, accept: bool) -> ParticipantView:
        def attempt(version: int) -> ParticipantView:
            me = self._current(caller)
            self._require_not_ended(me.space_id)
            if not me.invited:
                raise Conflict("You have no invitation to speak.", code="not_invited")
            if not accept:
                return self._update(me, "invite_declined", me.id, version, invited=False, backstage=False)
            self._require_live(me.space_id)
            self._require_slot(me.space_id, Role.SPEAKER)
            return self._update(
                me, "promoted", me.id, version, role=Role.SPEAKER, invited=False, speak_requested=False
            )

        return self._checked_write(caller.space_id, attempt)

    async def set_role(self, caller: ParticipantRow, target_id: str, role: Role) -> ParticipantView:
        def attempt(version: int) -> tuple[ParticipantRow, ParticipantView | None, dict[str, Any]]:
            me = self._current(caller)
            target = self._target(me, target_id)
            self._require_live(me.space_id)
            if target.role is role:
                return target, None, {}
            if target.role is Role.HOST:
                raise Forbidden("The host's role cannot change.")
            self_service = target.id == me.id and _rank(role) < _rank(target.role)
            if role is Role.COHOST and me.role is not Role.HOST:
                raise Forbidden("Only the host can make co-hosts.")
            if not self_service:
                if not is_moderator(me.role):
                    raise Forbidden("Only the host and co-hosts can change roles.")
                if target.role is Role.COHOST and me.role is not Role.HOST:
                    raise Forbidden("Only the host can change a co-host's role.")
            if role in (Role.COHOST, Role.SPEAKER):
                self._require_slot(me.space_id, role)
            change = "promoted" if _rank(role) > _rank(target.role) else "demoted"
            fields: dict[str, Any] = {"role": role, "speak_requested": False, "invited": False}
            if role is Role.LISTENER:
                fields.update(muted=False, camera_on=False, second_camera_on=False, backstage=False)
            if role is Role.COHOST:
                fields.update(backstage=False)  # a co-host runs the show: never hidden from it
            return target, self._update(target, change, me.id, version, **fields), fields

        target, written, fields = self._checked_write(caller.space_id, attempt)
        if written is None:
            if not may_speak(role):
                await self._sync_media(target)  # nothing may stay published, even from an earlier race
            return self.participant_view(target)
        view = written
        was_moderator = is_moderator(target.role)
        if was_moderator and not is_moderator(role):
            await self._leave_backstage_view(target)
        if target.backstage and fields.get("backstage") is False and may_speak(role):
            self.streams_changed(caller.space_id)  # a guest made co-host straight from the green room
        if role is Role.COHOST:
            for waiting in self._waiting(caller.space_id):  # a new co-host sees who already waits
                view_data = {"participant": self._dump(self.participant_view(waiting))}
                self.bus.publish(caller.space_id, EventType.JOIN_REQUEST, view_data, target_id=target.id)
        if role is Role.LISTENER:
            await self._sync_media(target)
        return view

    async def bring_on_stage(self, caller: ParticipantRow, target_id: str) -> ParticipantView:
        """From the green room to the stage: the audience may subscribe to the feeds already up."""

        def attempt(version: int) -> ParticipantView:
            me = self._current(caller)
            self._require_live(me.space_id)
            self._require_moderator(me)
            target = self._target(me, target_id)
            if not target.backstage:
                raise Conflict(f"{target.display_name} is not backstage.", code="not_backstage")
            if not may_speak(target.role):
                raise Conflict(
                    f"{target.display_name} has not accepted the invitation yet.", code="not_a_speaker"
                )
            return self._update(target, "on_stage", me.id, version, backstage=False)

        view = self._checked_write(caller.space_id, attempt)
        self.streams_changed(caller.space_id)
        return view

    async def _leave_backstage_view(self, former: ParticipantRow) -> None:
        """A moderator demoted: their stream list loses the backstage feeds, and Janus stops sending them."""
        room = self._room_streams(former.space_id)
        if not any(owner.backstage for owner, _ in room):
            return
        stage = self._stage_streams(former.space_id)
        public = [self._dump(s) for s in self.stream_views(former.space_id, stage)]
        self.bus.publish(former.space_id, EventType.STREAMS, {"streams": public}, target_id=former.id)
        if self.media is not None:
            await self.media.unsubscribe(former.space_id, former.seq)  # they resubscribe to what they may see

    async def mute(self, caller: ParticipantRow, target_id: str, muted: bool) -> ParticipantView:
        def attempt(version: int) -> tuple[ParticipantRow, ParticipantView]:
            me = self._current(caller)
            target = self._target(me, target_id)
            self._require_live(me.space_id)
            if not may_speak(target.role):
                raise Conflict(f"{target.display_name} is a listener and has no microphone on stage.")
            if target.id != me.id:
                if not muted:
                    raise Forbidden("Only the speaker can unmute themself.")
                if not outranks(me.role, target.role):
                    raise Forbidden("Only the host and co-hosts can mute others.")
            return target, self._update(target, "muted" if muted else "unmuted", me.id, version, muted=muted)

        target, view = self._checked_write(caller.space_id, attempt)
        await self._sync_media(target)
        return view

    async def remove(self, caller: ParticipantRow, target_id: str, block_address: bool = False) -> None:
        """Removes and bans by installation key; `block_address` also refuses everyone at their address."""

        def attempt(version: int) -> tuple[ParticipantRow, ParticipantRow]:
            me = self._current(caller)
            self._require_not_ended(me.space_id)
            target = self._target(me, target_id)
            if target.id == me.id:
                raise Conflict("Use leave to leave the Space.")
            if not outranks(me.role, target.role):
                raise Forbidden(
                    "Only the host and co-hosts can remove people, and co-hosts only speakers and listeners."
                )
            removed = replace(
                target, status=ParticipantStatus.REMOVED, camera_on=False, second_camera_on=False
            )
            # The row and the bans in one write: a join on another backend sees both or neither.
            self.store.remove_participant(removed, block_address, if_version=version)
            return target, removed

        target, removed = self._checked_write(caller.space_id, attempt)
        self._away_since.pop(target.id, None)
        self.bus.publish(target.space_id, EventType.REMOVED, {"by": caller.id}, target_id=target.id)
        data = {
            "participant": self._dump(self.participant_view(removed)),
            "reason": "removed",
            "by": caller.id,
        }
        self._announce(target, removed, EventType.PARTICIPANT_LEFT, data)
        self.bus.close_viewer(target.space_id, target.id)
        await self._sync_media(removed)

    # --- presence on stage ---

    async def raise_hand(self, caller: ParticipantRow, raised: bool) -> ParticipantView:
        def attempt(version: int) -> ParticipantView:
            me = self._current(caller)
            self._require_live(me.space_id)
            change = "hand_raised" if raised else "hand_lowered"
            return self._update(me, change, me.id, version, hand_raised=raised)

        return self._checked_write(caller.space_id, attempt)

    async def camera(self, caller: ParticipantRow, on: bool, source: CameraSource) -> ParticipantView:
        def attempt(version: int) -> ParticipantView:
            me = self._current(caller)
            space = self._require_live(me.space_id)
            if on and not space.video_enabled:
                raise Conflict("This Space has video turned off.", code="video_disabled")
            if on and not may_speak(me.role):
                raise Forbidden("Only the host, co-hosts and speakers can turn a camera on.")
            field = "camera_on" if source is CameraSource.MAIN else "second_camera_on"
            change = f"{source.value}_camera_{'on' if on else 'off'}"
            return self._update(me, change, me.id, version, **{field: on})

        return self._checked_write(caller.space_id, attempt)

    async def react(self, caller: ParticipantRow, emoji: str) -> None:
        """Counted into the Space's current batch; one `reaction` event per interval carries them."""
        self._require_live(caller.space_id)
        self.reactions.add(caller.space_id, caller.id, emoji)

    def _is_live(self, space_id: str) -> bool:
        space = self.store.space(space_id)
        return space is not None and space.status is SpaceStatus.LIVE

    # --- media ---

    async def publish(self, caller: ParticipantRow, offer_type: str, sdp: str) -> str:
        self._require_on_stage(caller)
        if offer_type != "offer":
            raise InvalidInput("Publish takes an SDP of type 'offer'.", code="invalid_sdp")
        parse_media_lines(sdp)  # a malformed offer is an invalid one before it is a codec question
        require_room_codecs(sdp)
        media = self._media()
        async with self._media_turn(caller):
            before = self._require_on_stage(caller)  # a demotion may have run while we waited
            space = self._space(caller.space_id)
            try:
                answer = await media.publish(space.id, caller.seq, sdp, space.video_enabled, before.muted)
            except MediaServerError:
                self._require_on_stage(caller)  # a room closed by the Space ending is a 409, not a 503
                raise
            try:
                after = self._require_on_stage(caller)  # Janus took a while: is the caller still on stage?
            except DomainError:
                await media.unpublish(caller.space_id, caller.seq)
                raise
            if after.muted != before.muted:
                await media.moderate(caller.space_id, caller.seq, after.muted)
            return answer

    async def unpublish(self, caller: ParticipantRow) -> None:
        media = self._media()
        async with self._media_turn(caller):
            await media.unpublish(caller.space_id, caller.seq)

    async def subscribe(
        self, caller: ParticipantRow, choices: list[tuple[str, str]] | None
    ) -> SubscribeOffer:
        self._require_live(caller.space_id)
        viewer = self.store.participant(caller.id) or caller
        feeds: list[tuple[int, str]] | None = None
        if choices is not None:
            feeds = []
            for participant_id, mid in choices:
                owner = self.store.participant(participant_id)
                if owner is None or owner.space_id != caller.space_id:
                    raise InvalidInput(
                        f"No participant {participant_id} in this Space.", code="no_such_stream"
                    )
                if backstage.hidden_from(viewer, owner):
                    raise InvalidInput(backstage.BACKSTAGE_UNSEEN, code="no_such_stream")
                feeds.append((owner.seq, mid))
        elif not backstage.sees_backstage(viewer):
            room = self._room_streams(caller.space_id)
            if any(owner.backstage for owner, _ in room):
                # "Everything" for the audience is everything but the green room.
                feeds = [
                    (owner.seq, s.mid) for owner, s in room if not owner.backstage and owner.seq != caller.seq
                ]
                if not feeds:
                    raise Conflict(
                        "Nobody is publishing yet; subscribe when a streams event arrives.",
                        code="nothing_published",
                    )
        media = self._media()
        sdp, streams = await media.subscribe(caller.space_id, caller.seq, feeds)
        # Janus took a while: a co-host demoted meanwhile must not keep a backstage offer.
        viewer = self.store.participant(caller.id) or caller
        if not backstage.sees_backstage(viewer):
            for stream in streams:
                owner = self.store.participant(stream.participant_id)
                if owner is not None and backstage.hidden_from(viewer, owner):
                    await media.unsubscribe(caller.space_id, caller.seq)
                    message = "The streams changed while subscribing; subscribe again."
                    raise Conflict(message, code="stream_gone")
        return SubscribeOffer(sdp=sdp, streams=streams)

    async def switch_subscription(
        self, caller: ParticipantRow, choices: list[tuple[str, str, str]]
    ) -> list[StreamView]:
        """Re-points slots (subscription mid, participant, their mid) of the caller's subscription."""
        self._require_live(caller.space_id)
        changes = []
        for sub_mid, participant_id, mid in choices:
            owner = self.store.participant(participant_id)
            if owner is None or owner.space_id != caller.space_id:
                raise InvalidInput(f"No participant {participant_id} in this Space.", code="no_such_stream")
            changes.append((sub_mid, owner.seq, mid))
        return await self._media().switch(caller.space_id, caller.seq, changes)

    async def subscribe_answer(self, caller: ParticipantRow, answer_type: str, sdp: str) -> None:
        self._require_live(caller.space_id)
        if answer_type != "answer":
            raise InvalidInput("The subscription takes an SDP of type 'answer'.", code="invalid_sdp")
        await self._media().start_subscription(caller.space_id, caller.seq, sdp)

    async def trickle(
        self, caller: ParticipantRow, target: str, candidates: list[dict[str, Any]], completed: bool
    ) -> None:
        self._require_live(caller.space_id)
        if target == "publish" and not may_speak(caller.role):
            raise Forbidden("Listeners have no publishing connection.", code="not_a_speaker")
        await self._media().trickle(caller.space_id, caller.seq, target, candidates, completed)

    # --- what the media service reports (MediaListener) ---

    def streams_changed(self, space_id: str) -> None:
        space = self.store.space(space_id)
        if space is not None and space.status is SpaceStatus.LIVE:
            room = self._room_streams(space_id)
            stage = [(owner, stream) for owner, stream in room if not owner.backstage]
            self.bus.publish(
                space_id,
                EventType.STREAMS,
                {"streams": [self._dump(s) for s in self.stream_views(space_id, stage)]},
            )
            if len(stage) != len(room):
                # The green room: the host and co-hosts get the full list, after the public one.
                full = {"streams": [self._dump(s) for s in self.stream_views(space_id, room)]}
                self._to_moderators(space_id, EventType.STREAMS, full)

    def _talking_now(self, space_id: str, publishing: set[int]) -> list[str]:
        talking = self._talking.get(space_id, set())
        talking &= publishing  # a feed that went away says no "stopped talking"
        return [pid for feed in sorted(talking) if (pid := self.feed_id_to_participant(feed))]

    def talking(self, space_id: str, feed: int, talking: bool, level_dbov: float | None) -> None:
        feeds = self._talking.setdefault(space_id, set())
        if talking:
            feeds.add(feed)
        else:
            feeds.discard(feed)
        participant = self.store.participant_by_seq(feed)
        if participant is not None and participant.space_id == space_id:
            data = {"participant_id": participant.id, "talking": talking, "level_dbov": level_dbov}
            if participant.backstage:
                self._to_moderators(space_id, EventType.TALKING, data)  # the audience never hears backstage
            else:
                self.bus.publish(space_id, EventType.TALKING, data)

    def layers_wanted(self, space_id: str, feed: int, wanted: dict[str, dict[str, bool]]) -> None:
        participant = self.store.participant_by_seq(feed)
        if participant is not None and participant.space_id == space_id:
            self.bus.publish(space_id, EventType.LAYERS_WANTED, dict(wanted), target_id=participant.id)

    def media_reset(self, space_id: str, reason: str) -> None:
        self.bus.publish(space_id, EventType.MEDIA_RESET, {"reason": reason})

    def feed_id_to_participant(self, feed: int) -> str | None:
        participant = self.store.participant_by_seq(feed)
        return participant.id if participant else None

    def live_rooms(self) -> list[tuple[str, int]]:
        return [(space.id, space.seq) for space in self.store.live_spaces()]

    # --- helpers ---

    @asynccontextmanager
    async def _media_turn(self, participant: ParticipantRow) -> AsyncIterator[None]:
        """The participant's turn for media: one publish, unpublish or teardown at a time."""
        lock = self._media_turns.get(participant.seq)
        if lock is None:
            lock = self._media_turns[participant.seq] = asyncio.Lock()
        async with lock:
            yield

    async def _sync_media(self, participant: ParticipantRow) -> None:
        """Makes Janus match the participant's row as it is now: gone, off stage or (un)muted."""
        if self.media is None:
            return
        async with self._media_turn(participant):
            current = self.store.participant(participant.id)
            space = self.store.space(participant.space_id)
            if current is None or current.status is not ParticipantStatus.ACTIVE:
                await self.media.kick(participant.space_id, participant.seq)
            elif not _on_stage(current) or space is None or space.status is not SpaceStatus.LIVE:
                await self.media.unpublish(participant.space_id, participant.seq)
            else:
                await self.media.moderate(participant.space_id, participant.seq, current.muted)

    def _require_on_stage(self, caller: ParticipantRow) -> ParticipantRow:
        """The caller's row as stored now, if it may still publish in a live Space."""
        current = self.store.participant(caller.id)
        if current is None or current.status is ParticipantStatus.REMOVED:
            raise Forbidden("You were removed from this Space by its host.", code="removed")
        if current.status is ParticipantStatus.LEFT:
            raise Unauthorized("You left this Space; join it again.", code="left")
        self._require_live(current.space_id)
        if not may_speak(current.role):
            raise Forbidden("Listeners cannot publish; request to speak first.", code="not_a_speaker")
        return current

    def _checked_write(self, space_id: str, attempt: Callable[[int], T], attempts: int = WRITE_ATTEMPTS) -> T:
        """Runs `attempt(version)`: its reads and checks, then writes conditional on `version`, the
        Space's version read first. Another backend's write in between fails the attempt
        (`VersionConflict`) and it runs again on fresh rows, at most `attempts` times. Synchronous:
        no await inside, so within this process nothing else runs in between."""
        for _ in range(attempts):
            version = self.store.participants_version(space_id)
            try:
                return attempt(version)
            except VersionConflict:
                continue
        log.warning("Space %s: %d conflicting writes in a row", space_id, attempts)
        raise Conflict(BUSY_MESSAGE, code="busy")

    def _current(self, caller: ParticipantRow) -> ParticipantRow:
        """The caller as stored now, checked again: a role or status changed since the request was
        authenticated (by another backend, or during an await) is the one that counts."""
        return self.authenticate(caller.space_id, None, self.store.participant(caller.id) or caller)

    def _media(self) -> MediaPort:
        if self.media is None:
            raise Conflict("Media is not available on this backend.")
        return self.media

    async def _open_room(self, space: SpaceRow) -> None:
        if self.media_leases is not None and not self.media_leases.acquire(space.id):
            return  # another backend drives this Space's room on the shared Janus
        if self.media is not None:
            await self.media.open_room(space.id, space.seq)

    def _space(self, space_id: str) -> SpaceRow:
        space = self.store.space(space_id)
        if space is None:
            raise NotFound("No such Space.")
        return space

    def _require_live_or_scheduled(self, space_id: str) -> SpaceRow:
        space = self._space(space_id)
        if space.status is SpaceStatus.ENDED:
            raise Conflict("This Space has ended.", code="space_ended")
        return space

    def _require_live(self, space_id: str) -> SpaceRow:
        space = self._space(space_id)
        if space.status is SpaceStatus.ENDED:
            raise Conflict("This Space has ended.", code="space_ended")
        if space.status is SpaceStatus.SCHEDULED:
            raise Conflict("This Space has not started yet.", code="space_not_started")
        return space

    def _require_not_ended(self, space_id: str) -> None:
        # A scheduled Space still allows these: the host may tidy up the waiting room.
        if self._space(space_id).status is SpaceStatus.ENDED:
            raise Conflict("This Space has ended.", code="space_ended")

    @staticmethod
    def _require_moderator(caller: ParticipantRow) -> None:
        if not is_moderator(caller.role):
            raise Forbidden("Only the host and co-hosts can do that.")

    def _require_slot(self, space_id: str, role: Role) -> None:
        counts = self.store.count_roles(space_id)
        if role is Role.SPEAKER and counts[Role.SPEAKER] >= MAX_SPEAKERS:
            raise Conflict(f"The stage is full: at most {MAX_SPEAKERS} speakers.", code="stage_full")
        if role is Role.COHOST and counts[Role.COHOST] >= MAX_COHOSTS:
            raise Conflict(f"A Space has at most {MAX_COHOSTS} co-hosts.", code="cohosts_full")

    def _target(self, caller: ParticipantRow, target_id: str) -> ParticipantRow:
        target = self.store.participant(target_id)
        if (
            target is None
            or target.space_id != caller.space_id
            or target.status is not ParticipantStatus.ACTIVE
        ):
            raise NotFound("No such participant in this Space.")
        return target

    def _update(
        self, target: ParticipantRow, change: str, by: str, version: int, **fields: Any
    ) -> ParticipantView:
        """Writes `target` (read after `version`) changed by `fields`, if nobody wrote the Space since."""
        updated = replace(target, **fields)
        self.store.update_participant(updated, if_version=version)
        view = self.participant_view(updated)
        data = {"participant": self._dump(view), "change": change, "by": by}
        self._announce(target, updated, EventType.PARTICIPANT_UPDATED, data)
        return view

    @staticmethod
    def _new_participant(
        pid: str,
        space_id: str,
        name: str,
        role: Role,
        client_id: str | None,
        *,
        status: ParticipantStatus = ParticipantStatus.ACTIVE,
        address: str | None = None,
    ) -> ParticipantRow:
        return ParticipantRow(
            seq=0,
            id=pid,
            space_id=space_id,
            display_name=name,
            role=role,
            status=status,
            address=address,
            client_id=client_id,
            speak_requested=False,
            invited=False,
            hand_raised=False,
            muted=False,
            camera_on=False,
            second_camera_on=False,
            joined_at=now(),
        )

    @staticmethod
    def _dump(model: Any) -> dict[str, Any]:
        return dict(model.model_dump(mode="json"))


def _on_stage(participant: ParticipantRow) -> bool:
    return participant.status is ParticipantStatus.ACTIVE and may_speak(participant.role)


def _cursor(seq: int | None) -> str | None:
    return None if seq is None else f"c{seq}"


def _parse_cursor(cursor: str | None) -> int:
    """The seq a cursor continues after (0: from the start)."""
    if cursor is None or cursor == "":
        return 0
    digits = cursor[1:]
    if not cursor.startswith("c") or not digits.isdigit() or len(digits) > 18:
        raise InvalidInput(BAD_CURSOR, code="bad_cursor")
    return int(digits)


def _query_key(query: str | None) -> str:
    """What names are searched by; empty for no search."""
    if query is None or query.strip() == "":
        return ""
    if len(query) > MAX_NAME_CHARS * 2:
        raise InvalidInput(f"Search for at most {MAX_NAME_CHARS} characters of a name.", code="bad_query")
    try:
        return name_key(clean_name(query))
    except TextRuleError as exc:
        raise InvalidInput(f"That search can't be used: {exc.message}", code="bad_query") from None


def _rank(role: Role) -> int:
    return {Role.LISTENER: 0, Role.SPEAKER: 1, Role.COHOST: 2, Role.HOST: 3}[role]


__all__ = ["SpacesService"]

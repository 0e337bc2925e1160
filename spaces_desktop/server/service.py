"""The rules of a Space: who may do what, enforced from the caller's token and role.

Every method takes the authenticated caller, checks its role against the
action, writes the new state, appends an event and then asks the media service
to make Janus agree (unpublish on demotion, moderate on mute, kick on removal).
Checks and writes run without an await between them, so two requests racing for
the last speaker slot cannot both win. Media changes of one participant (publish,
unpublish, and the teardown after a demotion, mute, removal or leave) take that
participant's turn one at a time and read the row again after every Janus round
trip, so a publish Janus answers late cannot outlive a demotion that ran meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from typing import Any

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
    CreateSpaceRequest,
    EventType,
    Joined,
    JoinRequest,
    ParticipantView,
    Snapshot,
    SpacePreview,
    SpaceView,
    StreamView,
    SubscribeOffer,
)
from spaces_desktop.protocol.models import SCHEDULE_HORIZON_DAYS
from spaces_desktop.server.event_bus import EventBus
from spaces_desktop.server.media import FeedStream, MediaService
from spaces_desktop.server.store import ParticipantRow, SpaceRow, Store, now

log = logging.getLogger(__name__)


def new_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


class SpacesService:
    def __init__(self, store: Store, bus: EventBus, public_url: str) -> None:
        self.store = store
        self.bus = bus
        self.public_url = public_url.rstrip("/")
        self.media: MediaService | None = None
        self._media_turns: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

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
        )

    def _publishing_feeds(self, space_id: str) -> set[int]:
        return {owner.seq for owner, _ in self._stage_streams(space_id)}

    def _stage_streams(self, space_id: str) -> list[tuple[ParticipantRow, FeedStream]]:
        """What Janus publishes in the Space, from participants still allowed on stage only."""
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
        publishing = p.seq in feeds
        return ParticipantView(
            id=p.id,
            display_name=p.display_name,
            role=p.role,
            status=p.status,
            speak_requested=p.speak_requested,
            invited=p.invited,
            hand_raised=p.hand_raised,
            muted=p.muted,
            camera_on=p.camera_on,
            second_camera_on=p.second_camera_on,
            publishing=publishing,
        )

    def stream_views(self, space_id: str) -> list[StreamView]:
        return [
            StreamView(participant_id=owner.id, mid=stream.mid, kind=stream.kind, source=stream.source)
            for owner, stream in self._stage_streams(space_id)
        ]

    def snapshot(self, caller: ParticipantRow) -> Snapshot:
        space = self._space(caller.space_id)
        feeds = self._publishing_feeds(space.id)
        return Snapshot(
            space=self.space_view(space),
            participants=[self.participant_view(p, feeds) for p in self.store.active_participants(space.id)],
            streams=self.stream_views(space.id),
            you=caller.id,
            last_event_id=self.store.last_event_id(space.id),
        )

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

    def authenticate(self, space_id: str, token: str | None) -> ParticipantRow:
        if not token:
            raise Unauthorized("Sign in to this Space first: send 'Authorization: Bearer <token>'.")
        caller = self.store.participant_by_token(token)
        if caller is None or caller.space_id != space_id:
            if self.store.space(space_id) is None:
                raise NotFound("No such Space.")
            raise Unauthorized("This token does not belong to this Space.")
        if caller.status is ParticipantStatus.REMOVED:
            raise Forbidden("You were removed from this Space by its host.", code="removed")
        if caller.status is ParticipantStatus.LEFT:
            raise Unauthorized("You left this Space; join it again.", code="left")
        return caller

    # --- lifecycle ---

    async def create_space(self, request: CreateSpaceRequest) -> Joined:
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
            self._new_participant(host_id, space.id, request.host_name, Role.HOST, request.client_id), token
        )
        self.bus.publish(space.id, EventType.SPACE_UPDATED, {"space": self._dump(self.space_view(space))})
        if status is SpaceStatus.LIVE:
            await self._open_room(space)
        return Joined(token=token, participant=self.participant_view(host), snapshot=self.snapshot(host))

    async def join(self, space_id: str, request: JoinRequest) -> Joined:
        space = self._space(space_id)
        if space.status is SpaceStatus.ENDED:
            raise Conflict("This Space has ended.", code="space_ended")
        if request.client_id and self.store.is_banned(space_id, request.client_id):
            raise Forbidden("The host removed you from this Space; you cannot rejoin it.", code="banned")
        token = new_token()
        participant = self.store.add_participant(
            self._new_participant(
                "p_" + secrets.token_urlsafe(9),
                space_id,
                request.display_name,
                Role.LISTENER,
                request.client_id,
            ),
            token,
        )
        self.bus.publish(
            space_id,
            EventType.PARTICIPANT_JOINED,
            {"participant": self._dump(self.participant_view(participant))},
        )
        return Joined(
            token=token, participant=self.participant_view(participant), snapshot=self.snapshot(participant)
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
        if self.media is not None:
            await self.media.close_room(space_id)

    async def leave(self, caller: ParticipantRow) -> None:
        if caller.role is Role.HOST:
            await self._end(caller.space_id, caller.id)  # as on X: the Space ends when its host leaves
        left = replace(caller, status=ParticipantStatus.LEFT)
        self.store.update_participant(left)
        self.bus.publish(
            caller.space_id,
            EventType.PARTICIPANT_LEFT,
            {"participant": self._dump(self.participant_view(left)), "reason": "left"},
        )
        self.bus.close_viewer(caller.space_id, caller.id)
        await self._sync_media(caller)

    # --- the floor ---

    async def request_to_speak(self, caller: ParticipantRow, requested: bool) -> ParticipantView:
        self._require_live(caller.space_id)
        if requested and caller.role is not Role.LISTENER:
            raise Conflict("You can already speak.", code="already_speaker")
        return self._update(
            caller,
            "speak_request" if requested else "speak_request_cancelled",
            caller.id,
            speak_requested=requested,
        )

    async def decline_request(self, caller: ParticipantRow, target_id: str) -> ParticipantView:
        self._require_moderator(caller)
        target = self._target(caller, target_id)
        if not target.speak_requested:
            raise Conflict(f"{target.display_name} has not asked to speak.")
        return self._update(target, "speak_request_declined", caller.id, speak_requested=False)

    async def invite(self, caller: ParticipantRow, target_id: str) -> ParticipantView:
        self._require_live(caller.space_id)
        self._require_moderator(caller)
        target = self._target(caller, target_id)
        if target.role is not Role.LISTENER:
            raise Conflict(f"{target.display_name} can already speak.", code="already_speaker")
        view = self._update(target, "invited", caller.id, invited=True)
        self.bus.publish(
            caller.space_id,
            EventType.INVITED,
            {"participant_id": target.id, "by": caller.id},
            target_id=target.id,
        )
        return view

    async def answer_invite(self, caller: ParticipantRow, accept: bool) -> ParticipantView:
        if not caller.invited:
            raise Conflict("You have no invitation to speak.", code="not_invited")
        if not accept:
            return self._update(caller, "invite_declined", caller.id, invited=False)
        self._require_live(caller.space_id)
        self._require_slot(caller.space_id, Role.SPEAKER)
        return self._update(
            caller, "promoted", caller.id, role=Role.SPEAKER, invited=False, speak_requested=False
        )

    async def set_role(self, caller: ParticipantRow, target_id: str, role: Role) -> ParticipantView:
        target = self._target(caller, target_id)
        self._require_live(caller.space_id)
        if target.role is role:
            if not may_speak(role):
                await self._sync_media(target)  # nothing may stay published, even from an earlier race
            return self.participant_view(target)
        if target.role is Role.HOST:
            raise Forbidden("The host's role cannot change.")
        self_service = target.id == caller.id and _rank(role) < _rank(target.role)
        if role is Role.COHOST and caller.role is not Role.HOST:
            raise Forbidden("Only the host can make co-hosts.")
        if not self_service:
            if not is_moderator(caller.role):
                raise Forbidden("Only the host and co-hosts can change roles.")
            if target.role is Role.COHOST and caller.role is not Role.HOST:
                raise Forbidden("Only the host can change a co-host's role.")
        if role in (Role.COHOST, Role.SPEAKER):
            self._require_slot(caller.space_id, role)
        change = "promoted" if _rank(role) > _rank(target.role) else "demoted"
        fields: dict[str, Any] = {"role": role, "speak_requested": False, "invited": False}
        if role is Role.LISTENER:
            fields.update(muted=False, camera_on=False, second_camera_on=False)
        view = self._update(target, change, caller.id, **fields)
        if role is Role.LISTENER:
            await self._sync_media(target)
        return view

    async def mute(self, caller: ParticipantRow, target_id: str, muted: bool) -> ParticipantView:
        target = self._target(caller, target_id)
        self._require_live(caller.space_id)
        if not may_speak(target.role):
            raise Conflict(f"{target.display_name} is a listener and has no microphone on stage.")
        if target.id != caller.id:
            if not muted:
                raise Forbidden("Only the speaker can unmute themself.")
            if not outranks(caller.role, target.role):
                raise Forbidden("Only the host and co-hosts can mute others.")
        view = self._update(target, "muted" if muted else "unmuted", caller.id, muted=muted)
        await self._sync_media(target)
        return view

    async def remove(self, caller: ParticipantRow, target_id: str) -> None:
        target = self._target(caller, target_id)
        if target.id == caller.id:
            raise Conflict("Use leave to leave the Space.")
        if not outranks(caller.role, target.role):
            raise Forbidden(
                "Only the host and co-hosts can remove people, and co-hosts only speakers and listeners."
            )
        removed = replace(target, status=ParticipantStatus.REMOVED, camera_on=False, second_camera_on=False)
        self.store.update_participant(removed)
        if target.client_id:
            self.store.ban(target.space_id, target.client_id)
        self.bus.publish(target.space_id, EventType.REMOVED, {"by": caller.id}, target_id=target.id)
        self.bus.publish(
            target.space_id,
            EventType.PARTICIPANT_LEFT,
            {"participant": self._dump(self.participant_view(removed)), "reason": "removed", "by": caller.id},
        )
        self.bus.close_viewer(target.space_id, target.id)
        await self._sync_media(removed)

    # --- presence on stage ---

    async def raise_hand(self, caller: ParticipantRow, raised: bool) -> ParticipantView:
        self._require_live(caller.space_id)
        return self._update(
            caller, "hand_raised" if raised else "hand_lowered", caller.id, hand_raised=raised
        )

    async def camera(self, caller: ParticipantRow, on: bool, source: CameraSource) -> ParticipantView:
        space = self._require_live(caller.space_id)
        if on and not space.video_enabled:
            raise Conflict("This Space has video turned off.", code="video_disabled")
        if on and not may_speak(caller.role):
            raise Forbidden("Only the host, co-hosts and speakers can turn a camera on.")
        field = "camera_on" if source is CameraSource.MAIN else "second_camera_on"
        return self._update(
            caller, f"{source.value}_camera_{'on' if on else 'off'}", caller.id, **{field: on}
        )

    async def react(self, caller: ParticipantRow, emoji: str) -> None:
        self._require_live(caller.space_id)
        self.bus.publish(caller.space_id, EventType.REACTION, {"participant_id": caller.id, "emoji": emoji})

    # --- media ---

    async def publish(self, caller: ParticipantRow, offer_type: str, sdp: str) -> str:
        self._require_on_stage(caller)
        if offer_type != "offer":
            raise InvalidInput("Publish takes an SDP of type 'offer'.", code="invalid_sdp")
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
        feeds: list[tuple[int, str]] | None = None
        if choices is not None:
            feeds = []
            for participant_id, mid in choices:
                owner = self.store.participant(participant_id)
                if owner is None or owner.space_id != caller.space_id:
                    raise InvalidInput(
                        f"No participant {participant_id} in this Space.", code="no_such_stream"
                    )
                feeds.append((owner.seq, mid))
        sdp, streams = await self._media().subscribe(caller.space_id, caller.seq, feeds)
        return SubscribeOffer(sdp=sdp, streams=streams)

    async def subscribe_answer(self, caller: ParticipantRow, answer_type: str, sdp: str) -> None:
        self._require_live(caller.space_id)
        if answer_type != "answer":
            raise InvalidInput("The subscription takes an SDP of type 'answer'.", code="invalid_sdp")
        await self._media().start_subscription(caller.space_id, caller.seq, sdp)

    # --- what the media service reports (MediaListener) ---

    def streams_changed(self, space_id: str) -> None:
        space = self.store.space(space_id)
        if space is not None and space.status is SpaceStatus.LIVE:
            self.bus.publish(
                space_id, EventType.STREAMS, {"streams": [self._dump(s) for s in self.stream_views(space_id)]}
            )

    def talking(self, space_id: str, feed: int, talking: bool, level_dbov: float | None) -> None:
        participant = self.store.participant_by_seq(feed)
        if participant is not None and participant.space_id == space_id:
            self.bus.publish(
                space_id,
                EventType.TALKING,
                {"participant_id": participant.id, "talking": talking, "level_dbov": level_dbov},
            )

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

    def _media(self) -> MediaService:
        if self.media is None:
            raise Conflict("Media is not available on this backend.")
        return self.media

    async def _open_room(self, space: SpaceRow) -> None:
        if self.media is not None:
            await self.media.open_room(space.id, space.seq)

    def _space(self, space_id: str) -> SpaceRow:
        space = self.store.space(space_id)
        if space is None:
            raise NotFound("No such Space.")
        return space

    def _require_live(self, space_id: str) -> SpaceRow:
        space = self._space(space_id)
        if space.status is SpaceStatus.ENDED:
            raise Conflict("This Space has ended.", code="space_ended")
        if space.status is SpaceStatus.SCHEDULED:
            raise Conflict("This Space has not started yet.", code="space_not_started")
        return space

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

    def _update(self, target: ParticipantRow, change: str, by: str, **fields: Any) -> ParticipantView:
        updated = replace(target, **fields)
        self.store.update_participant(updated)
        view = self.participant_view(updated)
        self.bus.publish(
            target.space_id,
            EventType.PARTICIPANT_UPDATED,
            {"participant": self._dump(view), "change": change, "by": by},
        )
        return view

    @staticmethod
    def _new_participant(
        pid: str, space_id: str, name: str, role: Role, client_id: str | None
    ) -> ParticipantRow:
        return ParticipantRow(
            seq=0,
            id=pid,
            space_id=space_id,
            display_name=name,
            role=role,
            status=ParticipantStatus.ACTIVE,
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


def _rank(role: Role) -> int:
    return {Role.LISTENER: 0, Role.SPEAKER: 1, Role.COHOST: 2, Role.HOST: 3}[role]


__all__ = ["SpacesService"]

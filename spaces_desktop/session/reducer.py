"""`apply(state, event) -> state`: the only way a `SessionState` changes.

Backend events arrive as `protocol.Event`; facts the app learns itself (the
connection, the stage director's choice, a pin) arrive as the small local
event classes below. Pure functions: no I/O, no clocks, no Qt.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType
from typing import Any

from spaces_desktop.domain.roles import CameraSource, ParticipantStatus, Role, SpaceStatus, is_moderator
from spaces_desktop.domain.scenes import Scene, SceneKind
from spaces_desktop.domain.state import (
    DIRECTOR_LOG,
    EMPTY,
    Connection,
    DeviceProblem,
    DirectorNote,
    Member,
    NetworkStats,
    Reaction,
    SessionState,
    SpaceInfo,
    Stream,
)
from spaces_desktop.protocol import (
    Event,
    EventType,
    ParticipantPage,
    ParticipantView,
    Reactions,
    SceneView,
    Snapshot,
    SpaceView,
    StreamView,
)

MAX_REACTIONS = 50
FLOATS_PER_SENDER = 3
FLOATS_PER_EVENT = 12


@dataclass(frozen=True)
class ConnectionChanged:
    connection: Connection
    reason: str | None = None


@dataclass(frozen=True)
class StageChosen:
    participant_id: str | None


@dataclass(frozen=True)
class Pinned:
    participant_id: str | None


@dataclass(frozen=True)
class QualityMeasured:
    quality: dict[str, str]
    network: Mapping[str, NetworkStats] = field(default_factory=dict)
    """The numbers behind each verdict (loss, bitrate, round trip)."""


@dataclass(frozen=True)
class VideoPaused:
    videos: frozenset[tuple[str, CameraSource]]


@dataclass(frozen=True)
class DeviceProblemsChanged:
    problems: tuple[DeviceProblem, ...]


@dataclass(frozen=True)
class DirectorExplained:
    note: DirectorNote


@dataclass(frozen=True)
class RosterPage:
    """A page of participants the app asked for (a moderator loading everyone)."""

    page: ParticipantPage


LocalEvent = (
    RosterPage
    | ConnectionChanged
    | StageChosen
    | Pinned
    | QualityMeasured
    | VideoPaused
    | DeviceProblemsChanged
    | DirectorExplained
)


def from_snapshot(snapshot: Snapshot, connection: Connection = Connection.LIVE) -> SessionState:
    """Someone who is not a moderator keeps the stage and themself: other listeners' rows would go
    stale, as their arrivals and departures go to the moderators only (counts come instead)."""
    me = next((p for p in snapshot.participants if p.id == snapshot.you), None)
    moderator = me is not None and is_moderator(me.role)
    kept = [p for p in snapshot.participants if moderator or p.id == snapshot.you or p.role != Role.LISTENER]
    counts = snapshot.counts
    return SessionState(
        connection=connection,
        space=_space(snapshot.space),
        me=snapshot.you,
        members=MappingProxyType({p.id: _member(p) for p in kept}),
        audience_listeners=counts.listeners if counts else sum(p.role == Role.LISTENER for p in kept),
        roster_complete=snapshot.next_cursor is None if moderator else counts is None,
        streams=tuple(_stream(s) for s in snapshot.streams),
        last_event_id=snapshot.last_event_id,
        waiting=MappingProxyType({p.id: _member(p) for p in snapshot.waiting}),
        scene=_scene(snapshot.scene),
        requests=tuple(p.id for p in snapshot.participants if p.speak_requested),
    )


def apply(state: SessionState, event: Event | LocalEvent) -> SessionState:
    if isinstance(event, RosterPage):
        return _with_page(state, event.page)
    if isinstance(event, ConnectionChanged):
        return replace(state, connection=event.connection, reason=event.reason)
    if isinstance(event, StageChosen):
        return replace(state, stage=state.pinned or event.participant_id)
    if isinstance(event, DirectorExplained):
        return replace(state, director_log=(*state.director_log, event.note)[-DIRECTOR_LOG:])
    if isinstance(event, DeviceProblemsChanged):
        return replace(state, device_problems=event.problems)
    if isinstance(event, QualityMeasured):
        return replace(
            state,
            quality=MappingProxyType(dict(event.quality)),
            network=MappingProxyType(dict(event.network)),
        )
    if isinstance(event, VideoPaused):
        return replace(state, paused_video=event.videos)
    if isinstance(event, Pinned):
        stage = event.participant_id or state.stage
        return replace(state, pinned=event.participant_id, stage=stage)
    if event.id <= state.last_event_id:
        return state  # already applied (a replay after a reconnect)
    state = _apply_backend(state, event.type, event.data, event.at)
    return replace(state, last_event_id=event.id)


def _apply_backend(state: SessionState, type_: str, data: dict[str, Any], at: datetime) -> SessionState:
    if type_ == EventType.SPACE_UPDATED:
        space = _space(SpaceView.model_validate(data["space"]))
        connection = Connection.ENDED if space.status is SpaceStatus.ENDED else state.connection
        return replace(state, space=space, connection=connection)
    if type_ in (EventType.PARTICIPANT_JOINED, EventType.PARTICIPANT_UPDATED):
        view = ParticipantView.model_validate(data["participant"])
        if view.status is not ParticipantStatus.ACTIVE:
            return _without(state, view.id)
        if view.id == state.me:
            state = _my_role(state, view.role)
        elif view.role is Role.LISTENER and not _moderating(state):
            return _without(state, view.id)  # off stage: not followed further (see `from_snapshot`)
        member = _member(view)
        previous = state.members.get(view.id)
        if previous is not None:
            member = replace(member, talking=previous.talking and member.on_stage)
        everyone = MappingProxyType({**state.members, view.id: member})
        return replace(state, members=everyone, requests=_requests(state.requests, member))
    if type_ == EventType.PARTICIPANT_LEFT:
        view = ParticipantView.model_validate(data["participant"])
        if view.id == state.me:
            return replace(_without(state, view.id), connection=Connection.LEFT)
        if not state.roster_complete:
            state = replace(state, left_while_paging=state.left_while_paging | {view.id})
        return _without(state, view.id)
    if type_ == EventType.AUDIENCE:
        return replace(state, audience_listeners=int(data.get("listeners", 0)))
    if type_ == EventType.JOIN_REQUEST:
        view = ParticipantView.model_validate(data["participant"])
        return replace(state, waiting=MappingProxyType({**state.waiting, view.id: _member(view)}))
    if type_ == EventType.JOIN_REQUEST_CLOSED:
        gone = str(data["participant_id"])
        waiting = {pid: m for pid, m in state.waiting.items() if pid != gone}
        return replace(state, waiting=MappingProxyType(waiting))
    if type_ == EventType.STREAMS:
        streams = tuple(_stream(StreamView.model_validate(s)) for s in data["streams"])
        publishing = {s.participant_id for s in streams}
        members = {pid: replace(m, publishing=pid in publishing) for pid, m in state.members.items()}
        return replace(state, streams=streams, members=MappingProxyType(members))
    if type_ == EventType.TALKING:
        speaker = state.members.get(str(data["participant_id"]))
        if speaker is None:
            return state
        talking = replace(speaker, talking=bool(data["talking"]))
        return replace(state, members=MappingProxyType({**state.members, speaker.id: talking}))
    if type_ == EventType.REACTION:
        floating = _floating(Reactions.from_data(data), at)
        return replace(state, reactions=(*state.reactions, *floating)[-MAX_REACTIONS:])
    if type_ == EventType.MEDIA_RESET:
        return replace(state, media_epoch=state.media_epoch + 1, streams=())
    if type_ == EventType.SCENE:
        return replace(state, scene=_scene(SceneView.model_validate(data["scene"])))
    if type_ == EventType.SPACE_ENDED:
        return replace(state, connection=Connection.ENDED, reason="The host ended this Space.")
    if type_ == EventType.REMOVED:
        return replace(state, connection=Connection.REMOVED, reason="The host removed you from this Space.")
    return state  # INVITED is reflected by participant_updated; unknown types are ignored


def _moderating(state: SessionState) -> bool:
    me = state.myself
    return me is not None and is_moderator(me.role)


def _my_role(state: SessionState, role: Role) -> SessionState:
    """Losing the moderator role drops the lobby and the other listeners; gaining it means the
    roster is incomplete until the session has paged everyone in."""
    was = _moderating(state)
    now = is_moderator(role)
    if was and not now:
        members = {
            pid: m for pid, m in state.members.items() if pid == state.me or m.role is not Role.LISTENER
        }
        return replace(state, waiting=EMPTY, members=MappingProxyType(members), roster_complete=False)
    if not now:
        return replace(state, waiting=EMPTY)  # the lobby is for the host and co-hosts
    if not was:
        return replace(state, roster_complete=False)
    return state


def _with_page(state: SessionState, page: ParticipantPage) -> SessionState:
    """Adds a page's rows; a row already here came from an event at least as new, and one that
    left meanwhile stays out. The last page completes the roster."""
    members = dict(state.members)
    for view in page.participants:
        if view.id not in members and view.id not in state.left_while_paging:
            members[view.id] = _member(view)
    done = page.next_cursor is None
    return replace(
        state,
        members=MappingProxyType(members),
        roster_complete=done,
        left_while_paging=frozenset() if done else state.left_while_paging,
    )


def _floating(batch: Reactions, at: datetime) -> list[Reaction]:
    """The emoji one reaction event floats: each sender's (a few each), then the unnamed rest."""
    floating: list[Reaction] = []
    named: dict[str, int] = {}
    for sender in batch.senders:
        named[sender.emoji] = named.get(sender.emoji, 0) + sender.count
        for _ in range(min(sender.count, FLOATS_PER_SENDER)):
            floating.append(Reaction(sender.participant_id, sender.emoji, at, len(floating)))
    for emoji, count in batch.counts.items():
        for _ in range(min(count - named.get(emoji, 0), FLOATS_PER_EVENT)):
            floating.append(Reaction("", emoji, at, len(floating)))
    return floating[:FLOATS_PER_EVENT]


def _without(state: SessionState, participant_id: str) -> SessionState:
    members = {pid: m for pid, m in state.members.items() if pid != participant_id}
    streams = tuple(s for s in state.streams if s.participant_id != participant_id)
    if participant_id in state.requests:
        state = replace(state, requests=tuple(pid for pid in state.requests if pid != participant_id))
    stage = None if state.stage == participant_id else state.stage
    pinned = None if state.pinned == participant_id else state.pinned
    return replace(state, members=MappingProxyType(members), streams=streams, stage=stage, pinned=pinned)


def _requests(order: tuple[str, ...], member: Member) -> tuple[str, ...]:
    """The requests to speak after ``member`` changed: a new request goes last, a closed one goes."""
    if member.speak_requested:
        return order if member.id in order else (*order, member.id)
    return tuple(pid for pid in order if pid != member.id) if member.id in order else order


def _space(view: SpaceView) -> SpaceInfo:
    return SpaceInfo(
        id=view.id,
        title=view.title,
        video_enabled=view.video_enabled,
        status=view.status,
        host_id=view.host_id,
        share_link=view.share_link,
        scheduled_for=view.scheduled_for,
        locked=view.locked,
        approval_required=view.approval_required,
    )


def _member(view: ParticipantView) -> Member:
    return Member(
        id=view.id,
        display_name=view.display_name,
        role=Role(view.role),
        speak_requested=view.speak_requested,
        invited=view.invited,
        hand_raised=view.hand_raised,
        muted=view.muted,
        camera_on=view.camera_on,
        second_camera_on=view.second_camera_on,
        publishing=view.publishing,
        backstage=view.backstage,
    )


def _scene(view: SceneView) -> Scene:
    return Scene(SceneKind(view.kind), view.participant_id, view.by)


def _stream(view: StreamView) -> Stream:
    return Stream(
        view.participant_id,
        view.mid,
        view.kind,
        CameraSource(view.source) if view.source else None,
        view.layer,
    )

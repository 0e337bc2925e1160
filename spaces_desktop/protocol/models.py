"""Requests, responses and views exchanged between the app and the backend.

Both sides import these models, so a field renamed here is renamed everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from spaces_desktop.domain import CameraSource, ParticipantStatus, Role, SpaceStatus
from spaces_desktop.domain.scenes import SceneKind
from spaces_desktop.domain.text_rules import (
    MAX_NAME_CHARS,
    MAX_TITLE_CHARS,
    TextRuleError,
    check_reaction,
    clean_name,
    clean_title,
)

MAX_SDP_CHARS = 64 * 1024
SCHEDULE_HORIZON_DAYS = 14


def _rule(check: Callable[[str], str]) -> AfterValidator:
    """A text rule as a validator whose message is the rule's own sentence."""

    def validate(value: str) -> str:
        try:
            return check(value)
        except TextRuleError as exc:
            raise PydanticCustomError("text_rule", exc.message) from None

    return AfterValidator(validate)


_TEXT_RULES = "once normalized (NFC, spaces trimmed and collapsed); no control or invisible characters"
Title = Annotated[
    str, _rule(clean_title), Field(description=f"1 to {MAX_TITLE_CHARS} characters {_TEXT_RULES}.")
]
DisplayName = Annotated[
    str, _rule(clean_name), Field(description=f"1 to {MAX_NAME_CHARS} characters {_TEXT_RULES}.")
]
ClientId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$")]
Emoji = Annotated[str, _rule(check_reaction), Field(description="Exactly one emoji, e.g. 👏 or 👍🏽.")]
Sdp = Annotated[str, StringConstraints(min_length=1, max_length=MAX_SDP_CHARS)]


class Strict(BaseModel):
    """Unknown fields are an error: a typo in a request should not pass silently."""

    model_config = ConfigDict(extra="forbid")


# --- requests ---------------------------------------------------------------


class CreateSpaceRequest(Strict):
    title: Title
    host_name: DisplayName
    video_enabled: bool = False
    scheduled_for: datetime | None = Field(
        default=None,
        description=f"Start time, at most {SCHEDULE_HORIZON_DAYS} days ahead; omit to go live now.",
    )
    client_id: ClientId | None = Field(default=None, description="A stable id of the installation.")


class JoinRequest(Strict):
    display_name: DisplayName
    client_id: ClientId | None = None


class SpaceSettingsRequest(Strict):
    """Who may come in; a field left out keeps its value."""

    locked: bool | None = Field(default=None, description="No new listeners may join.")
    approval_required: bool | None = Field(
        default=None, description="New listeners wait until a host or co-host lets them in."
    )


class RemoveRequest(Strict):
    block_address: bool = Field(
        default=False,
        description="Also refuse every join from the removed person's network address (shared on a LAN).",
    )


class RoleRequest(Strict):
    role: Literal[Role.COHOST, Role.SPEAKER, Role.LISTENER]


class InviteRequest(Strict):
    backstage: bool = Field(
        default=False,
        description="The invited listener enters backstage first: the host and co-hosts see and hear them, "
        "the audience does not, until a host brings them on stage.",
    )


class SceneRequest(Strict):
    kind: SceneKind
    participant_id: str | None = Field(
        default=None,
        max_length=64,
        description="Whom the scene is about: needed for `person`; for product scenes, whose camera.",
    )


class MuteRequest(Strict):
    muted: bool


class HandRequest(Strict):
    raised: bool


class CameraRequest(Strict):
    on: bool
    source: CameraSource = CameraSource.MAIN


class ReactionRequest(Strict):
    emoji: Emoji


class SessionDescription(Strict):
    type: Literal["offer", "answer"]
    sdp: Sdp


class StreamChoice(Strict):
    participant_id: str = Field(max_length=64)
    mid: str = Field(max_length=16)


class SwitchChoice(Strict):
    mid: str = Field(max_length=16, description="The subscription's own mid (the slot) to feed.")
    participant_id: str = Field(max_length=64)
    source_mid: str = Field(
        max_length=16, description="The publisher's stream, as the streams event lists it."
    )


class SwitchRequest(Strict):
    """Changes which published stream slots of the current subscription carry, without renegotiating."""

    streams: list[SwitchChoice] = Field(min_length=1, max_length=16)


class SubscribeRequest(Strict):
    streams: list[StreamChoice] | None = Field(
        default=None, max_length=64, description="Streams to receive; omit for every stream but your own."
    )


class IceCandidate(Strict):
    candidate: str = Field(max_length=512)
    sdpMid: str | None = Field(default=None, max_length=16)
    sdpMLineIndex: int | None = Field(default=None, ge=0, le=64)


class TrickleRequest(Strict):
    """ICE candidates found after the SDP went out, for the publishing or the subscribing connection."""

    target: Literal["publish", "subscribe"]
    candidates: list[IceCandidate] = Field(default_factory=list, max_length=32)
    completed: bool = Field(default=False, description="No more candidates will follow.")


# --- views ------------------------------------------------------------------


class IceServer(BaseModel):
    """A STUN or TURN server for the client's RTCPeerConnection, as browsers spell it."""

    urls: list[str]
    username: str | None = None
    credential: str | None = None


class StreamTicket(BaseModel):
    """A short-lived, single-use key for opening the event stream where headers can't be sent."""

    ticket: str
    expires_in: float = Field(description="Seconds the ticket stays valid.")


class SpaceView(BaseModel):
    id: str
    title: str
    video_enabled: bool
    status: SpaceStatus
    host_id: str
    created_at: datetime
    scheduled_for: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    share_link: str
    locked: bool = False
    approval_required: bool = False


class ParticipantView(BaseModel):
    id: str
    display_name: str
    role: Role
    status: ParticipantStatus = ParticipantStatus.ACTIVE
    speak_requested: bool = False
    invited: bool = False
    hand_raised: bool = False
    muted: bool = False
    camera_on: bool = False
    second_camera_on: bool = False
    publishing: bool = False
    backstage: bool = False
    """On stage in the green room: only the host and co-hosts see and hear them."""


Layer = Literal["large", "small"]
SMALL_LAYER_TRACK_PREFIX = "small-"
"""A publisher's video m-line whose msid track id starts with this carries the small layer of its
main camera (e.g. 320×180 at 15 fps), next to the full-size one (WebRTC libraries without simulcast)."""


class StreamView(BaseModel):
    """One published stream in the SFU, as a subscriber needs to know it."""

    participant_id: str
    mid: str
    kind: Literal["audio", "video"]
    source: CameraSource | None = None
    layer: Layer = Field(
        default="large", description="Video: the full-size picture, or the small one for thumbnails."
    )


class SceneView(BaseModel):
    kind: SceneKind = SceneKind.AUTO
    participant_id: str | None = None
    by: str | None = None


class AudienceCounts(BaseModel):
    """How many are in a Space: `data` of an `audience` event, and part of every snapshot."""

    listeners: int = 0
    speakers: int = Field(default=0, description="The host, co-hosts and speakers.")
    total: int = 0


class Snapshot(BaseModel):
    space: SpaceView
    participants: list[ParticipantView] = Field(
        description="The stage, you, and the first page of everyone in join order (see `next_cursor`)."
    )
    streams: list[StreamView]
    you: str
    last_event_id: int
    talking: list[str] = Field(
        default_factory=list, description="Who is talking right now, so a late joiner sees the speaker."
    )
    waiting: list[ParticipantView] = Field(
        default_factory=list, description="Who waits to be let in; for the host and co-hosts only."
    )
    scene: SceneView = Field(
        default_factory=SceneView, description="The program the host directs, so a late joiner shows it."
    )
    counts: AudienceCounts | None = Field(default=None, description="How many are in the Space now.")
    next_cursor: str | None = Field(
        default=None,
        description="More participants: `GET /spaces/{id}/participants?cursor=…`; null when listed all.",
    )


class ParticipantPage(BaseModel):
    """One page of a Space's active participants in join order, optionally those matching a name."""

    participants: list[ParticipantView]
    next_cursor: str | None = Field(description="Pass it as `cursor` for the next page; null at the end.")
    last_event_id: int = Field(description="The event log's id when the page was read.")


class SpacePreview(BaseModel):
    """What a share link shows before joining: no participant details."""

    id: str
    title: str
    video_enabled: bool
    status: SpaceStatus
    host_name: str
    listeners: int
    speakers: int


class Joined(BaseModel):
    token: str = Field(description="Bearer token for every later call; keep it secret.")
    participant: ParticipantView
    snapshot: Snapshot
    ice_servers: list[IceServer] = Field(
        default_factory=list, description="STUN/TURN servers to give the client's peer connections."
    )


class Waiting(BaseModel):
    """A join the host has to approve first (202): poll `/me/admission` with this token."""

    token: str = Field(description="Bearer token for the admission poll; keep it secret.")
    participant: ParticipantView
    title: str
    message: str


class Admission(BaseModel):
    status: Literal["pending", "admitted", "denied"]
    message: str


class SubscribeOffer(BaseModel):
    type: Literal["offer"] = "offer"
    sdp: str
    streams: list[StreamView] = Field(description="What each m-line (by its mid) carries, in offer order.")


class Event(BaseModel):
    """One entry of a Space's event log, delivered on the event stream in id order."""

    id: int
    type: str
    data: dict[str, object]
    at: datetime


class ErrorBody(BaseModel):
    error: str
    message: str


# --- Spaces scheduled for later ---------------------------------------------

MAX_SCHEDULED_QUERY = 50
"""Host tokens one listing may ask after: as many as an app keeps (it keeps 20)."""
HostToken = Annotated[str, StringConstraints(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")]


class ScheduledQuery(Strict):
    """The host tokens whose scheduled Spaces to list.

    A host token is the proof of whose Space it is (it already lets its holder
    start or end it); the installation's ``client_id`` is not, because every
    server you join learns it.
    """

    tokens: list[HostToken] = Field(max_length=MAX_SCHEDULED_QUERY)


class ScheduledSpaceView(BaseModel):
    id: str
    title: str
    video_enabled: bool
    scheduled_for: datetime
    share_link: str


class ScheduledSpaces(BaseModel):
    spaces: list[ScheduledSpaceView] = Field(description="Soonest first; unknown tokens are left out.")

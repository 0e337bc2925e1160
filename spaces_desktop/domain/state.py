"""What the app knows about the Space it is in, as one immutable value.

The engine builds a new `SessionState` for every change (see `reducer.py`) and
hands it to the GUI or the headless bot; nobody mutates one in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from types import MappingProxyType

from spaces_desktop.domain.director import DirectorNote
from spaces_desktop.domain.roles import CameraSource, Role, SpaceStatus, may_speak
from spaces_desktop.domain.scenes import AUTO_SCENE, Scene


class Connection(StrEnum):
    IDLE = "idle"
    CONNECTING = "connecting"
    WAITING = "waiting"  # in the lobby until a host lets us in
    LIVE = "live"
    RECONNECTING = "reconnecting"
    FAILED = "failed"
    ENDED = "ended"  # the host ended the Space
    REMOVED = "removed"  # the host removed us
    LEFT = "left"


@dataclass(frozen=True)
class SpaceInfo:
    id: str
    title: str
    video_enabled: bool
    status: SpaceStatus
    host_id: str
    share_link: str
    scheduled_for: datetime | None = None
    locked: bool = False
    """No new listeners may join."""
    approval_required: bool = False
    """New listeners wait until a host or co-host lets them in."""


@dataclass(frozen=True)
class Member:
    id: str
    display_name: str
    role: Role
    speak_requested: bool = False
    invited: bool = False
    hand_raised: bool = False
    muted: bool = False
    camera_on: bool = False
    second_camera_on: bool = False
    publishing: bool = False
    talking: bool = False  # from the SFU's talking events; the stage uses decoded levels
    backstage: bool = False
    """In the green room: publishing, seen and heard by the host and co-hosts only."""

    @property
    def on_stage(self) -> bool:
        return may_speak(self.role)

    @property
    def initials(self) -> str:
        parts = [p for p in self.display_name.split() if p]
        letters = "".join(p[0] for p in parts[:2]) or self.display_name[:1]
        return letters.upper()


@dataclass(frozen=True)
class Stream:
    participant_id: str
    mid: str
    kind: str
    source: CameraSource | None
    layer: str = "large"
    """Video: "large" (the full picture) or "small" (the main camera's thumbnail layer)."""


class DeviceSlot(StrEnum):
    """One of the participant's own devices, as the control bar and Settings name them."""

    CAMERA = "camera"
    SECOND_CAMERA = "second_camera"
    MICROPHONE = "microphone"
    SPEAKER = "speaker"


def camera_slot(source: CameraSource) -> DeviceSlot:
    return DeviceSlot.SECOND_CAMERA if source is CameraSource.SECOND else DeviceSlot.CAMERA


def slot_camera(slot: DeviceSlot) -> CameraSource:
    """The camera behind a camera slot (the main one for any other slot)."""
    return CameraSource.SECOND if slot is DeviceSlot.SECOND_CAMERA else CameraSource.MAIN


class DeviceStatus(StrEnum):
    LOST = "lost"  # it stopped on its own: unplugged, or another app took it
    BACK = "back"  # a lost device is present again and can be turned back on


@dataclass(frozen=True)
class DeviceProblem:
    """A device of ours that stopped by itself, or came back after that."""

    slot: DeviceSlot
    status: DeviceStatus
    device_name: str
    detail: str = ""
    """What the device reported, e.g. "The camera “Webcam” was unplugged."."""


@dataclass(frozen=True)
class Reaction:
    participant_id: str
    """Empty when the backend counted the reaction without naming its sender."""
    emoji: str
    at: datetime
    seq: int = 0
    """Tells apart the reactions of one event, which share their time."""


EMPTY: Mapping[str, Member] = MappingProxyType({})
DIRECTOR_LOG = 20


@dataclass(frozen=True)
class NetworkStats:
    """How one remote participant's media arrived over the last interval, in numbers a tooltip shows."""

    loss_percent: float
    """Packets lost of those expected, over all their streams."""
    kbps: int | None = None
    """What we received from them, kbit/s (None when the transport cannot count bytes)."""
    round_trip_ms: int | None = None
    """Our own round trip to the media server (None until we publish and it reports)."""


@dataclass(frozen=True)
class SessionState:
    connection: Connection = Connection.IDLE
    reason: str | None = None
    """Why the connection is what it is, in words a person understands."""
    space: SpaceInfo | None = None
    me: str | None = None
    members: Mapping[str, Member] = field(default_factory=lambda: EMPTY)
    streams: tuple[Stream, ...] = ()
    last_event_id: int = 0
    reactions: tuple[Reaction, ...] = ()
    media_epoch: int = 0
    """Bumped when the SFU lost our media (Janus or backend restarted): publish and subscribe again."""
    stage: str | None = None
    """Who is on the big tile: the stage director's choice, or the pin."""
    pinned: str | None = None
    quality: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """How well each remote participant's media arrives: "good", "fair" or "poor"."""
    network: Mapping[str, NetworkStats] = field(default_factory=lambda: MappingProxyType({}))
    """The numbers behind ``quality``, per remote participant."""
    waiting: Mapping[str, Member] = field(default_factory=lambda: EMPTY)
    """Who waits to be let in (known to the host and co-hosts only), in arrival order."""
    paused_video: frozenset[tuple[str, CameraSource]] = frozenset()
    """Remote videos whose camera is on but whose picture froze: being repaired."""
    device_problems: tuple[DeviceProblem, ...] = ()
    """Our own devices that were lost (or are back), in the order they went."""
    scene: Scene = AUTO_SCENE
    """The program the host directs for everyone (a viewer's pin overrides it for them only)."""
    director_log: tuple[DirectorNote, ...] = ()
    """Why the stage director switched or held, newest last (the last `DIRECTOR_LOG` of them)."""
    requests: tuple[str, ...] = ()
    """Who asks to speak, in the order they asked (a snapshot's in its own order)."""
    audience_listeners: int = 0
    """How many listen, as the backend last counted (its `audience` event, at most once a second)."""
    roster_complete: bool = True
    """`members` holds every participant (a moderator's, once all pages are in); else the stage,
    us and whoever a page brought."""
    left_while_paging: frozenset[str] = frozenset()
    """Who left while the pages were still coming in, so a late page cannot bring them back."""

    @property
    def myself(self) -> Member | None:
        return self.members.get(self.me) if self.me else None

    @cached_property
    def _cast(self) -> tuple[tuple[Member, ...], tuple[Member, ...]]:
        """(on stage, backstage) from one pass over the members, once per state: a Space of
        10,000 listeners makes every pass cost a millisecond, and the GUI asks many times."""
        on_stage: list[Member] = []
        backstage: list[Member] = []
        listener = Role.LISTENER
        for m in self.members.values():
            if m.role is not listener:
                (backstage if m.backstage else on_stage).append(m)
        order = {Role.HOST: 0, Role.COHOST: 1, Role.SPEAKER: 2}
        return tuple(sorted(on_stage, key=lambda m: order[m.role])), tuple(backstage)

    @property
    def speakers(self) -> list[Member]:
        """Host, co-hosts, then speakers, each group in join order."""
        return list(self._cast[0])

    @property
    def backstage(self) -> list[Member]:
        """Speakers in the green room, in join order (only the host and co-hosts see their media)."""
        return list(self._cast[1])

    @property
    def listeners(self) -> list[Member]:
        return [m for m in self.members.values() if m.role is Role.LISTENER]

    @property
    def listener_count(self) -> int:
        """Listeners in the Space: counted from the rows when they are all here, else the backend's count."""
        if not self.roster_complete:
            return self.audience_listeners
        on_stage, backstage = self._cast
        return len(self.members) - len(on_stage) - len(backstage)

    @property
    def pending_requests(self) -> list[Member]:
        return [m for m in self.members.values() if m.speak_requested]

    def streams_of(self, participant_id: str) -> list[Stream]:
        return [s for s in self.streams if s.participant_id == participant_id]

    @property
    def can_use_camera(self) -> bool:
        me = self.myself
        return bool(self.space and self.space.video_enabled and me and me.on_stage)

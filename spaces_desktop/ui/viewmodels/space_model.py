"""What the Space screen shows and allows, computed from a SessionState (no widgets).

Everything here is pure: the same state always gives the same controls and
rows, so the rules are tested without Qt widgets. Words go through Qt's
translation catalogue (``QCoreApplication.translate``), which needs no
application object and returns the English text when no translation is loaded.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from PySide6.QtCore import QCoreApplication

from spaces_desktop.domain import Role, is_moderator, outranks
from spaces_desktop.domain.state import (
    Connection,
    DeviceProblem,
    DeviceSlot,
    DeviceStatus,
    Member,
    SessionState,
)
from spaces_desktop.ui.viewmodels.i18n import QT_TRANSLATE_NOOP

K = TypeVar("K")
CONTEXT = "SpaceModel"


def tr(text: str, n: int = -1) -> str:
    """``text`` in the user's language (``%n`` becomes ``n``, choosing the plural form)."""
    return QCoreApplication.translate(CONTEXT, text, None, n)


class Translated(Mapping[K, str]):
    """A table of English words, translated when read (the translator loads after import)."""

    def __init__(self, words: Mapping[K, str]) -> None:
        self._words = dict(words)

    def __getitem__(self, key: K) -> str:
        return tr(self._words[key])

    def __iter__(self) -> Iterator[K]:
        return iter(self._words)

    def __len__(self) -> int:
        return len(self._words)


ROLE_NAMES: Mapping[Role, str] = Translated(
    {
        Role.HOST: QT_TRANSLATE_NOOP("SpaceModel", "Host"),
        Role.COHOST: QT_TRANSLATE_NOOP("SpaceModel", "Co-host"),
        Role.SPEAKER: QT_TRANSLATE_NOOP("SpaceModel", "Speaker"),
        Role.LISTENER: QT_TRANSLATE_NOOP("SpaceModel", "Listener"),
    }
)


def online(state: SessionState) -> bool:
    """Whether commands can reach the backend now: not while connecting, reconnecting or failed."""
    return state.connection is Connection.LIVE


@dataclass(frozen=True)
class StatusBadge:
    """The header's badge: LIVE only while connected, otherwise what is really going on."""

    visible: bool
    text: str = ""
    role: str = "badge"
    """The style role: "badge" (red, live) or "chip" (grey, not live)."""


def status_badge_for(state: SessionState) -> StatusBadge:
    space = state.space
    if space is None or space.status != "live":
        return StatusBadge(False)
    c = state.connection
    if c is Connection.LIVE:
        return StatusBadge(True, QCoreApplication.translate("SpaceModel", "LIVE"), "badge")
    if c is Connection.RECONNECTING:
        return StatusBadge(True, QCoreApplication.translate("SpaceModel", "Reconnecting"), "chip")
    if c is Connection.CONNECTING:
        return StatusBadge(True, QCoreApplication.translate("SpaceModel", "Connecting"), "chip")
    if c is Connection.FAILED:
        return StatusBadge(True, QCoreApplication.translate("SpaceModel", "Offline"), "chip")
    return StatusBadge(False)


@dataclass(frozen=True)
class Controls:
    """Which control-bar buttons show and in which position."""

    mic: bool = False
    muted: bool = False
    camera: bool = False
    camera_on: bool = False
    second_camera: bool = False
    second_camera_on: bool = False
    hand: bool = False
    hand_raised: bool = False
    request: bool = False
    requested: bool = False
    react: bool = False
    end: bool = False
    leave: bool = True
    product_layouts: bool = False
    """Someone on stage shows a product camera: the side-by-side and picture-in-picture layouts apply."""
    online: bool = True
    """Connected: off while reconnecting or failed, when only Leave (and your own mic) still work."""


def controls_for(state: SessionState, has_second_camera: bool) -> Controls:
    me = state.myself
    if me is None:
        return Controls(leave=state.connection is not Connection.IDLE)
    live = state.connection in (Connection.LIVE, Connection.RECONNECTING, Connection.CONNECTING)
    return Controls(
        mic=me.on_stage,
        muted=me.muted,
        camera=state.can_use_camera,
        camera_on=me.camera_on,
        second_camera=state.can_use_camera and has_second_camera,
        second_camera_on=me.second_camera_on,
        hand=me.on_stage and me.role is not Role.HOST,
        hand_raised=me.hand_raised,
        request=me.role is Role.LISTENER,
        requested=me.speak_requested,
        react=live,
        end=me.role is Role.HOST,
        product_layouts=bool(state.space and state.space.video_enabled)
        and any(m.second_camera_on for m in state.speakers),
        online=online(state),
    )


class Action(StrEnum):
    """What a host or co-host can do to someone, as the side panel offers it."""

    ACCEPT = "accept"
    DECLINE = "decline"
    INVITE = "invite"
    INVITE_BACKSTAGE = "invite_backstage"
    """Invite to the green room: they check their camera and microphone before going live."""
    PROMOTE = "promote"
    DEMOTE = "demote"
    MAKE_COHOST = "make_cohost"
    REMOVE_COHOST = "remove_cohost"
    MUTE = "mute"
    REMOVE = "remove"
    REMOVE_AND_BLOCK = "remove_and_block"
    ADMIT = "admit"
    DENY = "deny"


ACTION_LABELS: Mapping[Action, str] = Translated(
    {
        Action.ACCEPT: QT_TRANSLATE_NOOP("SpaceModel", "Bring on stage"),
        Action.DECLINE: QT_TRANSLATE_NOOP("SpaceModel", "Decline request"),
        Action.INVITE: QT_TRANSLATE_NOOP("SpaceModel", "Invite to speak"),
        Action.INVITE_BACKSTAGE: QT_TRANSLATE_NOOP("SpaceModel", "Invite backstage (green room)"),
        Action.PROMOTE: QT_TRANSLATE_NOOP("SpaceModel", "Make speaker"),
        Action.DEMOTE: QT_TRANSLATE_NOOP("SpaceModel", "Move to listeners"),
        Action.MAKE_COHOST: QT_TRANSLATE_NOOP("SpaceModel", "Make co-host"),
        Action.REMOVE_COHOST: QT_TRANSLATE_NOOP("SpaceModel", "Remove as co-host"),
        Action.MUTE: QT_TRANSLATE_NOOP("SpaceModel", "Mute"),
        Action.REMOVE: QT_TRANSLATE_NOOP("SpaceModel", "Remove from Space"),
        Action.REMOVE_AND_BLOCK: QT_TRANSLATE_NOOP("SpaceModel", "Remove and block their network address"),
        Action.ADMIT: QT_TRANSLATE_NOOP("SpaceModel", "Let in"),
        Action.DENY: QT_TRANSLATE_NOOP("SpaceModel", "Don't let in"),
    }
)

ACTION_ICONS = {
    Action.ACCEPT: "check",
    Action.DECLINE: "close",
    Action.INVITE: "invite",
    Action.INVITE_BACKSTAGE: "invite",
    Action.PROMOTE: "promote",
    Action.DEMOTE: "demote",
    Action.MAKE_COHOST: "star",
    Action.REMOVE_COHOST: "demote",
    Action.MUTE: "volume-off",
    Action.REMOVE: "remove-user",
    Action.REMOVE_AND_BLOCK: "remove-user",
    Action.ADMIT: "check",
    Action.DENY: "close",
}


def action_key(action: Action, participant_id: str) -> str:
    """The pending/error key of one action on one person."""
    return f"{action}:{participant_id}"


@dataclass(frozen=True)
class PersonRow:
    member: Member
    detail: str
    is_me: bool
    actions: tuple[Action, ...] = ()
    """Quick actions shown as buttons (the rest go in the row's menu)."""
    menu: tuple[Action, ...] = ()
    enabled: bool = True
    """False while the connection is down: the actions show but can't be used."""


def person_detail(member: Member, state: SessionState) -> str:
    """The line under a name in the People panel: role, muted, camera, hand, request."""
    bits = []
    if member.on_stage:
        bits.append(ROLE_NAMES[member.role])
        if member.muted:
            bits.append(QCoreApplication.translate("SpaceModel", "muted"))
        if member.camera_on:
            bits.append(QCoreApplication.translate("SpaceModel", "camera on"))
        if member.hand_raised:
            bits.append(QCoreApplication.translate("SpaceModel", "hand raised"))
    else:
        if member.speak_requested:
            bits.append(QCoreApplication.translate("SpaceModel", "asked to speak"))
        if member.invited:
            bits.append(QCoreApplication.translate("SpaceModel", "invited to speak"))
        if not bits:
            bits.append(ROLE_NAMES[Role.LISTENER])
    if member.id == state.me:
        bits.insert(0, QCoreApplication.translate("SpaceModel", "You"))
    return " · ".join(bits)


def actions_for(state: SessionState, member: Member) -> tuple[tuple[Action, ...], tuple[Action, ...]]:
    """(buttons, menu) the current user may use on ``member``; empty for non-moderators."""
    me = state.myself
    if me is None or member.id == me.id or not is_moderator(me.role) or not outranks(me.role, member.role):
        return (), ()
    if member.role is Role.LISTENER:
        if member.speak_requested:
            return (Action.ACCEPT, Action.DECLINE), (
                Action.INVITE_BACKSTAGE,
                Action.REMOVE,
                Action.REMOVE_AND_BLOCK,
            )
        if member.invited:
            return (), (Action.PROMOTE, Action.REMOVE, Action.REMOVE_AND_BLOCK)
        return (Action.INVITE,), (
            Action.INVITE_BACKSTAGE,
            Action.PROMOTE,
            Action.REMOVE,
            Action.REMOVE_AND_BLOCK,
        )
    menu: list[Action] = []
    if member.role is Role.SPEAKER:
        if me.role is Role.HOST:
            menu.append(Action.MAKE_COHOST)
        menu.append(Action.DEMOTE)
    elif member.role is Role.COHOST:
        menu += [Action.REMOVE_COHOST, Action.DEMOTE]
    menu += [Action.REMOVE, Action.REMOVE_AND_BLOCK]
    buttons = () if member.muted else (Action.MUTE,)
    return buttons, tuple(menu)


def listener_count_text(state: SessionState) -> str:
    count = state.listener_count
    return QCoreApplication.translate("SpaceModel", "%n listening", None, count)


@dataclass(frozen=True)
class AccessView:
    """The host panel's switches: shown to the host and co-hosts only."""

    visible: bool
    locked: bool = False
    approval_required: bool = False
    enabled: bool = True
    """False while the connection is down."""


def access_for(state: SessionState) -> AccessView:
    me, space = state.myself, state.space
    if me is None or space is None or not is_moderator(me.role):
        return AccessView(False)
    return AccessView(True, space.locked, space.approval_required, online(state))


def waiting_text(state: SessionState) -> str:
    """What the waiting screen says under its title."""
    return state.reason or QCoreApplication.translate(
        "SpaceModel", "You'll be let in as soon as the host approves."
    )


@dataclass(frozen=True)
class BannerView:
    visible: bool
    tone: str = "info"
    text: str = ""
    busy: bool = False
    retry: bool = False


def banner_for(state: SessionState) -> BannerView:
    c = state.connection
    if c is Connection.CONNECTING:
        return BannerView(
            True,
            "info",
            state.reason or QCoreApplication.translate("SpaceModel", "Connecting to the Space…"),
            busy=True,
        )
    if c is Connection.RECONNECTING:
        return BannerView(
            True,
            "warning",
            state.reason or QCoreApplication.translate("SpaceModel", "Reconnecting…"),
            busy=True,
        )
    if c is Connection.FAILED:
        return BannerView(
            True,
            "error",
            state.reason or QCoreApplication.translate("SpaceModel", "The connection to the Space was lost."),
            busy=False,
            retry=True,
        )
    return BannerView(False)


LOST_TEXT = {
    DeviceSlot.CAMERA: QT_TRANSLATE_NOOP(
        "SpaceModel",
        "Your camera stopped (it was unplugged or another app took it). "
        "Plug it back in or pick another camera.",
    ),
    DeviceSlot.SECOND_CAMERA: QT_TRANSLATE_NOOP(
        "SpaceModel",
        "Your product camera stopped (it was unplugged or another app took it). "
        "Plug it back in or pick another camera.",
    ),
    DeviceSlot.MICROPHONE: QT_TRANSLATE_NOOP(
        "SpaceModel",
        "Your microphone stopped (it was unplugged or another app took it). "
        "Plug it back in or pick another microphone.",
    ),
    DeviceSlot.SPEAKER: QT_TRANSLATE_NOOP(
        "SpaceModel",
        "Your speaker stopped (it was unplugged or another app took it). "
        "Plug it back in or pick another speaker.",
    ),
}
CHOOSE_TEXT = {
    DeviceSlot.CAMERA: QT_TRANSLATE_NOOP("SpaceModel", "Choose camera"),
    DeviceSlot.SECOND_CAMERA: QT_TRANSLATE_NOOP("SpaceModel", "Choose camera"),
    DeviceSlot.MICROPHONE: QT_TRANSLATE_NOOP("SpaceModel", "Choose microphone"),
    DeviceSlot.SPEAKER: QT_TRANSLATE_NOOP("SpaceModel", "Choose speaker"),
}
BACK_TEXT = {
    DeviceSlot.CAMERA: QT_TRANSLATE_NOOP("SpaceModel", "Your camera is back — turn it on?"),
    DeviceSlot.SECOND_CAMERA: QT_TRANSLATE_NOOP("SpaceModel", "Your product camera is back — turn it on?"),
    DeviceSlot.SPEAKER: QT_TRANSLATE_NOOP("SpaceModel", "Your speaker is back — turn it on?"),
}


@dataclass(frozen=True)
class DeviceBannerView:
    """A lost device (and what to do), or a device that came back (and the offer to use it)."""

    visible: bool
    slot: DeviceSlot = DeviceSlot.CAMERA
    status: DeviceStatus = DeviceStatus.LOST
    text: str = ""
    action: str = ""
    """The button: "Choose camera" opens the device menu, "Turn it on" restarts the device."""
    detail: str = ""
    """What the device itself reported, for the tooltip."""
    more: int = 0
    """How many other device problems wait behind this one."""


def device_banner_for(state: SessionState) -> DeviceBannerView:
    """The device problem to show first: a lost device before one that is back, cameras in order."""
    problems = sorted(state.device_problems, key=_problem_order)
    if not problems:
        return DeviceBannerView(False)
    first = problems[0]
    if first.status is DeviceStatus.LOST:
        text, action = tr(LOST_TEXT[first.slot]), tr(CHOOSE_TEXT[first.slot])
    elif first.slot is DeviceSlot.MICROPHONE:
        text, action = (
            QCoreApplication.translate("SpaceModel", "Your microphone is back — use it again?"),
            QCoreApplication.translate("SpaceModel", "Use it"),
        )
    elif first.slot is DeviceSlot.SPEAKER:
        text, action = (
            QCoreApplication.translate("SpaceModel", "Your speaker is back — use it again?"),
            QCoreApplication.translate("SpaceModel", "Use it"),
        )
    else:
        text, action = tr(BACK_TEXT[first.slot]), QCoreApplication.translate("SpaceModel", "Turn it on")
    return DeviceBannerView(True, first.slot, first.status, text, action, first.detail, len(problems) - 1)


def _problem_order(problem: DeviceProblem) -> tuple[int, int]:
    return (0 if problem.status is DeviceStatus.LOST else 1, list(DeviceSlot).index(problem.slot))


@dataclass(frozen=True)
class EndView:
    title: str
    detail: str
    icon: str


def end_view(state: SessionState) -> EndView | None:
    """The "it's over" screen for an ended Space or a removal; None while still in."""
    me = state.myself
    if state.connection is Connection.ENDED:
        if me is not None and me.role is Role.HOST:
            return EndView(
                QCoreApplication.translate("SpaceModel", "You ended the Space"),
                QCoreApplication.translate("SpaceModel", "Thanks for hosting. Everyone has been let go."),
                "end",
            )
        return EndView(
            QCoreApplication.translate("SpaceModel", "This Space has ended"),
            state.reason or QCoreApplication.translate("SpaceModel", "The host ended the Space."),
            "end",
        )
    if state.connection is Connection.REMOVED:
        return EndView(
            QCoreApplication.translate("SpaceModel", "You were removed from this Space"),
            state.reason
            or QCoreApplication.translate("SpaceModel", "The host removed you; you can't rejoin this Space."),
            "remove-user",
        )
    return None

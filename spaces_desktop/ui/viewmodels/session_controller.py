"""The GUI's side of a session: current state, pending actions and refusals (GUI thread).

Every command goes to the engine and returns at once; its future's outcome
comes back through the GUI dispatcher. An action stays *pending* (its button
disabled) until the engine answers; what changed shows up through the state
the backend confirms, never optimistically. A refusal is reported with the
error's own message through ``action_failed``.

Threads: the controller lives on the GUI thread. It wires ``engine.on_state``
once, in its constructor, before any session exists: the engine calls it on its
own thread, and the bridge re-posts each state to the GUI thread (``_on_state``).
Futures' outcomes come back through the GUI dispatcher, also on the GUI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any

from PySide6.QtCore import QObject, Signal

from spaces_desktop.domain import CameraSource, Role, is_moderator
from spaces_desktop.domain.scenes import SceneKind
from spaces_desktop.domain.state import DeviceSlot, DeviceStatus, SessionState, slot_camera
from spaces_desktop.session.local_media import NONE, DeviceChoice
from spaces_desktop.session.port import EnginePort, Future
from spaces_desktop.ui.qt.bridge import GuiDispatcher, StateBridge
from spaces_desktop.ui.viewmodels.errors import describe
from spaces_desktop.ui.viewmodels.space_model import Action, action_key, online

log = logging.getLogger(__name__)

ENTER = "enter"
LEAVE = "leave"


class SessionController(QObject):
    state_changed = Signal(object)
    """A new SessionState (GUI thread)."""
    pending_changed = Signal()
    action_failed = Signal(str, str)
    """(action key, message a person understands)."""
    action_done = Signal(str)
    entered = Signal()
    """Creating or joining a Space succeeded."""
    enter_failed = Signal(str)
    left = Signal()
    scheduled = Signal(object)
    """A Space was made for later (a ScheduledSpace with its host token); nothing was entered."""
    notice = Signal(str)
    """Something worth knowing that is not an error, e.g. "no sound output"."""

    def __init__(
        self,
        engine: EnginePort,
        dispatcher: GuiDispatcher,
        bridge: StateBridge | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.engine = engine
        self.dispatcher = dispatcher
        self.bridge = bridge or StateBridge(self)
        self.bridge.state_changed.connect(self._on_state)
        engine.on_state = self.bridge.post
        self.state = SessionState()
        self.pending: set[str] = set()
        self.devices = DeviceChoice()
        self.speaker = ""
        """The speaker in use: an output index, "" for the system default."""
        self.link: str | None = None
        self.name = ""
        self._notices_seen = 0
        self.last_error: BaseException | None = None
        """Why the last create, join or reopen failed."""
        self._cameras_at_start: tuple[CameraSource, ...] = ()
        """Cameras the host previewed in setup: turned on as soon as the Space is live."""

    # --- state ---

    def _on_state(self, state: SessionState) -> None:
        self.state = state
        self.state_changed.emit(state)
        self._check_notices()

    def _check_notices(self) -> None:
        notices = list(self.engine.notices)
        for text in notices[self._notices_seen :]:
            self.notice.emit(text)
        self._notices_seen = len(notices)

    def is_pending(self, key: str) -> bool:
        return key in self.pending

    # --- running commands ---

    def run(
        self, key: str, start: Callable[[], Future[Any]], on_ok: Callable[[Any], None] | None = None
    ) -> bool:
        """Start a command unless the same one is still pending; False when it was."""
        if key in self.pending:
            return False
        try:
            future = start()
        except Exception as exc:  # the engine refused before even starting
            self.action_failed.emit(key, describe(exc))
            return False
        self.pending.add(key)
        self.pending_changed.emit()

        def done(result: Any, error: BaseException | None) -> None:
            self.pending.discard(key)
            self.pending_changed.emit()
            if error is not None:
                log.info("%s refused: %r", key, error)
                self.action_failed.emit(key, describe(error))
                return
            if on_ok is not None:
                on_ok(result)
            self.action_done.emit(key)

        self.dispatcher.when_done(future, done)
        return True

    # --- entering and leaving ---

    def create(
        self,
        server: str,
        title: str,
        name: str,
        video: bool,
        devices: DeviceChoice,
        client_id: str | None,
        *,
        scheduled_for: datetime | None = None,
    ) -> None:
        self.devices, self.name, self.link = devices, name, None
        create = self.engine.create_space
        self._cameras_at_start = cameras_chosen(devices) if video and scheduled_for is None else ()
        if scheduled_for is None:
            self._enter(lambda: create(server, title, name, video, devices, client_id))
            return
        self._enter(
            lambda: create(server, title, name, video, devices, client_id, scheduled_for=scheduled_for),
            self.scheduled.emit,
        )

    def start_scheduled(self, link: str, token: str, devices: DeviceChoice) -> None:
        """Takes a Space made for later live and enters it as its host."""
        self.devices, self.link, self._cameras_at_start = devices, link, ()
        self._enter(lambda: self.engine.start_space(link, token, devices))

    def reopen(self, link: str, token: str, devices: DeviceChoice) -> None:
        """Back into a Space this app hosts, with its kept token."""
        self.devices, self.link, self._cameras_at_start = devices, link, ()
        self._enter(lambda: self.engine.reopen(link, token, devices))

    def join(self, link: str, name: str, devices: DeviceChoice, client_id: str | None) -> None:
        self.devices, self.name, self.link, self._cameras_at_start = devices, name, link, ()
        self._enter(lambda: self.engine.join(link, name, devices, client_id))

    def _enter(self, start: Callable[[], Future[Any]], on_ok: Callable[[Any], None] | None = None) -> None:
        """Runs an entering command; ``entered`` follows success unless ``on_ok`` takes its place."""
        if ENTER in self.pending:
            return
        self._notices_seen = len(self.engine.notices)
        try:
            future = start()
        except Exception as exc:
            self.enter_failed.emit(describe(exc))
            return
        self.pending.add(ENTER)
        self.pending_changed.emit()

        def done(result: Any, error: BaseException | None) -> None:
            self.pending.discard(ENTER)
            self.pending_changed.emit()
            self.last_error = error
            if error is not None:
                self.enter_failed.emit(describe(error))
                return
            if on_ok is not None:
                on_ok(result)
                return
            self.entered.emit()
            self._check_notices()
            self._start_cameras()

        self.dispatcher.when_done(future, done)

    def _start_cameras(self) -> None:
        """The engine opens cameras off; the host who previewed one in setup goes live with it on."""
        cameras, self._cameras_at_start = self._cameras_at_start, ()
        for source in cameras:
            self.run(f"camera:{source}", partial(self.engine.set_camera, source, True))

    def leave(self) -> None:
        self.run(LEAVE, self.engine.leave, lambda _: self.left.emit())

    # --- my own controls ---

    def toggle_mic(self) -> None:
        me = self.state.myself
        if me is not None and me.on_stage:
            self.run("mic", lambda: self.engine.set_muted(not me.muted))

    def toggle_camera(self, source: CameraSource = CameraSource.MAIN) -> None:
        me = self.state.myself
        if me is None or not self.state.can_use_camera:
            return
        on = me.second_camera_on if source is CameraSource.SECOND else me.camera_on
        self.run(f"camera:{source}", lambda: self.engine.set_camera(source, not on))

    # --- devices ---

    def device_in_use(self, slot: DeviceSlot) -> str:
        """The spec of the device working for ``slot`` now; "" when none is (it was lost)."""
        if any(p.slot is slot and p.status is DeviceStatus.LOST for p in self.state.device_problems):
            return ""
        if slot is DeviceSlot.SPEAKER:
            return self.speaker
        if slot is DeviceSlot.MICROPHONE:
            return self.devices.microphone
        if slot is DeviceSlot.SECOND_CAMERA:
            return self.devices.second_camera or ""
        return self.devices.camera

    def set_device(self, slot: DeviceSlot, spec: str) -> None:
        """Switch a device without leaving the Space; remembered once the engine has switched."""

        def switched(_: Any) -> None:
            if slot is DeviceSlot.SPEAKER:
                self.speaker = spec
            elif slot is DeviceSlot.MICROPHONE:
                self.devices = replace(self.devices, microphone=spec)
            elif slot is DeviceSlot.SECOND_CAMERA:
                self.devices = replace(self.devices, second_camera=spec)
            else:
                self.devices = replace(self.devices, camera=spec)

        self.run(f"device:{slot}", lambda: self.engine.set_device(slot, spec), switched)

    def turn_back_on(self, slot: DeviceSlot) -> None:
        """A lost device is back: cameras turn on again, the microphone and speaker open again."""
        if slot is DeviceSlot.MICROPHONE:
            self.set_device(slot, self.devices.microphone)
        elif slot is DeviceSlot.SPEAKER:
            self.set_device(slot, self.speaker)
        elif slot in (DeviceSlot.CAMERA, DeviceSlot.SECOND_CAMERA):
            source = slot_camera(slot)
            self.run(f"camera:{source}", lambda: self.engine.set_camera(source, True))

    def toggle_hand(self) -> None:
        me = self.state.myself
        if me is not None:
            self.run("hand", lambda: self.engine.raise_hand(not me.hand_raised))

    def toggle_request(self) -> None:
        me = self.state.myself
        if me is not None and me.role is Role.LISTENER:
            self.run("request", lambda: self.engine.request_to_speak(not me.speak_requested))

    def react(self, emoji: str) -> None:
        self.run(f"react:{emoji}", lambda: self.engine.react(emoji))

    def answer_invite(self, accept: bool) -> None:
        self.run("invite_answer", lambda: self.engine.answer_invite(accept))

    def pin(self, participant_id: str | None) -> None:
        self.run("pin", lambda: self.engine.pin(participant_id))

    def set_big(self, participant_ids: frozenset[str]) -> None:
        """The stage shows these participants' cameras big: the engine takes their large layer."""
        self.engine.set_big_tiles(sorted(participant_ids))

    def toggle_pin(self) -> None:
        """Pin whoever is on the big tile, or unpin."""
        if self.state.pinned:
            self.pin(None)
        elif self.state.stage:
            self.pin(self.state.stage)

    # --- the show ---

    def set_scene(self, kind: SceneKind) -> None:
        """Host and co-hosts: the program for everyone; a person scene holds whoever is on our big tile."""
        me = self.state.myself
        if me is None or not is_moderator(me.role) or not online(self.state):
            return
        subject = None
        if kind is SceneKind.PERSON:
            subject = self.state.pinned or self.state.stage
            if subject is None:
                return
        self.run("scene", lambda: self.engine.set_scene(kind, subject))

    def back_to_program(self) -> None:
        """Drop our own pin: the stage shows the host's program again."""
        if self.state.pinned:
            self.pin(None)

    def bring_on_stage(self, participant_id: str) -> None:
        if online(self.state):
            self.run(f"on_stage:{participant_id}", lambda: self.engine.bring_on_stage(participant_id))

    def invite_backstage(self, participant_id: str) -> None:
        if online(self.state):
            self.run(f"invite:{participant_id}", lambda: self.engine.invite_backstage(participant_id))

    def end_space(self) -> None:
        if online(self.state):
            self.run("end", self.engine.end_space)

    # --- moderation ---

    def set_access(self, setting: str, on: bool) -> None:
        """One of the host panel's switches: "locked" or "approval_required"."""
        if not online(self.state):
            return  # the switch is disabled while the connection is down
        if setting == "locked":
            self.run(f"access:{setting}", lambda: self.engine.set_access(locked=on))
        elif setting == "approval_required":
            self.run(f"access:{setting}", lambda: self.engine.set_access(approval_required=on))

    def moderate(self, action: Action, participant_id: str) -> None:
        if not online(self.state):
            return  # the panel's buttons are disabled while the connection is down
        engine = self.engine
        calls: dict[Action, Callable[[], Future[Any]]] = {
            Action.ACCEPT: lambda: engine.set_role(participant_id, Role.SPEAKER),
            Action.PROMOTE: lambda: engine.set_role(participant_id, Role.SPEAKER),
            Action.DECLINE: lambda: engine.decline_request(participant_id),
            Action.INVITE: lambda: engine.invite(participant_id),
            Action.INVITE_BACKSTAGE: lambda: engine.invite_backstage(participant_id),
            Action.DEMOTE: lambda: engine.set_role(participant_id, Role.LISTENER),
            Action.MAKE_COHOST: lambda: engine.set_role(participant_id, Role.COHOST),
            Action.REMOVE_COHOST: lambda: engine.set_role(participant_id, Role.SPEAKER),
            Action.MUTE: lambda: engine.mute(participant_id),
            Action.REMOVE: lambda: engine.remove(participant_id),
            Action.REMOVE_AND_BLOCK: lambda: engine.remove(participant_id, block_address=True),
            Action.ADMIT: lambda: engine.admit(participant_id),
            Action.DENY: lambda: engine.deny(participant_id),
        }
        self.run(action_key(action, participant_id), calls[action])


def cameras_chosen(devices: DeviceChoice) -> tuple[CameraSource, ...]:
    """The cameras a device choice opens (its main camera, and a product camera if one was picked)."""
    cameras = []
    if devices.camera != NONE:
        cameras.append(CameraSource.MAIN)
    if devices.second_camera and devices.second_camera != NONE:
        cameras.append(CameraSource.SECOND)
    return tuple(cameras)

"""An engine that talks to nobody: it records commands and lets its owner push states.

Product code, as httpx ships ``MockTransport``: GUI tests, demos and screenshots
drive the real windows with it. Every command returns a Future that is already
done, unless its name is in ``hold`` (it stays pending until the owner resolves
``futures[name]``) or in ``fail`` (it fails with that exception). ``push``
delivers a state as the engine would (here on the caller's thread).
"""

from __future__ import annotations

import concurrent.futures
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from spaces_desktop.domain import CameraSource, Role
from spaces_desktop.domain.scenes import SceneKind
from spaces_desktop.domain.state import DeviceSlot, SessionState
from spaces_desktop.media.overlays import OverlayLayer
from spaces_desktop.media.readiness import Finding
from spaces_desktop.media.stage_director import StageDirectorSettings
from spaces_desktop.session.frames import FrameBoard
from spaces_desktop.session.local_media import DeviceChoice
from spaces_desktop.session.port import EnginePort, ScheduledSpace, Upcoming

Future = concurrent.futures.Future


class FakeEngine:
    def __init__(self) -> None:
        self.frames = FrameBoard()
        self.notices: list[str] = []
        self.on_state: Callable[[SessionState], None] = lambda _: None
        self.director: StageDirectorSettings | None = None
        self.session: Any = None
        self.token: str | None = None
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.hold: set[str] = set()
        """Commands whose future stays pending until the owner resolves it."""
        self.fail: dict[str, BaseException] = {}
        self.futures: dict[str, Future[Any]] = {}
        self.upcoming_answer = Upcoming()
        """What ``upcoming`` answers."""
        self.shut_down = False
        self.overlays: dict[CameraSource, tuple[OverlayLayer, ...]] = {}
        """The layers last set per camera."""
        self.readiness_answer: list[Finding] = []
        """What ``readiness`` answers (the green room's checks)."""

    def _record(self, name: str, *args: Any, result: Any = None) -> Future[Any]:
        self.calls.append((name, args))
        future: Future[Any] = Future()
        self.futures[name] = future
        if name in self.fail:
            future.set_exception(self.fail[name])
        elif name not in self.hold:
            future.set_result(result)
        return future

    def called(self, name: str) -> list[tuple[Any, ...]]:
        return [args for n, args in self.calls if n == name]

    def push(self, state: SessionState) -> None:
        """Deliver a state the way the engine does (from "its" thread: here, directly)."""
        self.on_state(state)

    # --- entering and leaving ---

    def create_space(
        self,
        server: str,
        title: str,
        name: str,
        video: bool,
        devices: DeviceChoice,
        client_id: str | None = None,
        *,
        scheduled_for: datetime | None = None,
    ) -> Future[ScheduledSpace | None]:
        made = None
        if scheduled_for is not None:
            link = f"{server.rstrip('/')}/s/{secrets.token_urlsafe(6)}"
            made = ScheduledSpace(link, title, scheduled_for, token=secrets.token_urlsafe(16))
        return self._record(
            "create_space", server, title, name, video, devices, client_id, scheduled_for, result=made
        )

    def join(self, link: str, name: str, devices: DeviceChoice, client_id: str | None = None) -> Future[None]:
        return self._record("join", link, name, devices, client_id)

    def reopen(self, link: str, token: str, devices: DeviceChoice) -> Future[None]:
        return self._record("reopen", link, token, devices)

    def leave(self) -> Future[None]:
        return self._record("leave")

    # --- Spaces scheduled for later ---

    def upcoming(self, kept: Mapping[str, str]) -> Future[Upcoming]:
        return self._record("upcoming", dict(kept), result=self.upcoming_answer)

    def start_space(self, link: str, token: str, devices: DeviceChoice) -> Future[None]:
        return self._record("start_space", link, token, devices)

    def cancel_space(self, link: str, token: str) -> Future[None]:
        return self._record("cancel_space", link, token)

    # --- commands while in a Space ---

    def set_muted(self, muted: bool) -> Future[Any]:
        return self._record("set_muted", muted)

    def set_camera(self, source: CameraSource, on: bool) -> Future[Any]:
        return self._record("set_camera", source, on)

    def set_device(self, slot: DeviceSlot, spec: str) -> Future[Any]:
        return self._record("set_device", slot, spec)

    def raise_hand(self, raised: bool) -> Future[Any]:
        return self._record("raise_hand", raised)

    def react(self, emoji: str) -> Future[Any]:
        return self._record("react", emoji)

    def request_to_speak(self, requested: bool = True) -> Future[Any]:
        return self._record("request_to_speak", requested)

    def answer_invite(self, accept: bool) -> Future[Any]:
        return self._record("answer_invite", accept)

    def set_role(self, participant_id: str, role: Role) -> Future[Any]:
        return self._record("set_role", participant_id, role)

    def invite(self, participant_id: str) -> Future[Any]:
        return self._record("invite", participant_id)

    def invite_backstage(self, participant_id: str) -> Future[Any]:
        return self._record("invite_backstage", participant_id)

    def bring_on_stage(self, participant_id: str) -> Future[Any]:
        return self._record("bring_on_stage", participant_id)

    def set_scene(self, kind: SceneKind, participant_id: str | None = None) -> Future[Any]:
        return self._record("set_scene", kind, participant_id)

    def decline_request(self, participant_id: str) -> Future[Any]:
        return self._record("decline_request", participant_id)

    def mute(self, participant_id: str) -> Future[Any]:
        return self._record("mute", participant_id)

    def remove(self, participant_id: str, block_address: bool = False) -> Future[Any]:
        return self._record("remove", participant_id, block_address)

    def set_access(self, *, locked: bool | None = None, approval_required: bool | None = None) -> Future[Any]:
        return self._record("set_access", locked, approval_required)

    def admit(self, participant_id: str) -> Future[Any]:
        return self._record("admit", participant_id)

    def deny(self, participant_id: str) -> Future[Any]:
        return self._record("deny", participant_id)

    def end_space(self) -> Future[Any]:
        return self._record("end_space")

    def set_director(self, settings: StageDirectorSettings | None) -> Future[None]:
        self.director = settings
        return self._record("set_director", settings)

    def readiness(self) -> Future[list[Finding]]:
        return self._record("readiness", result=list(self.readiness_answer))

    def pin(self, participant_id: str | None) -> Future[Any]:
        return self._record("pin", participant_id)

    def set_big_tiles(self, participant_ids: list[str] | None) -> Future[Any]:
        return self._record("set_big_tiles", participant_ids)

    def set_overlays(self, source: CameraSource, layers: Sequence[OverlayLayer]) -> Future[None]:
        self.overlays[source] = tuple(layers)
        return self._record("set_overlays", source, tuple(layers))

    def show_overlay(self, source: CameraSource, key: str, visible: bool) -> Future[bool]:
        known = any(layer.key == key for layer in self.overlays.get(source, ()))
        return self._record("show_overlay", source, key, visible, result=known)

    def shutdown(self, timeout: float = 5.0) -> None:
        self.shut_down = True


# mypy holds the fake to the contract: a missing command or a drifted signature fails here.
_conforms: type[EnginePort] = FakeEngine

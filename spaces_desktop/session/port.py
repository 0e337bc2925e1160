"""The part of the client engine the GUI uses, as a Protocol.

The real :class:`spaces_desktop.session.engine.Engine` satisfies it; GUI tests
pass a fake. Every command returns a ``concurrent.futures.Future`` at once;
``on_state`` is called on the engine's thread, never the GUI's.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from typing import Any, Protocol

from spaces_desktop.domain import CameraSource, Role
from spaces_desktop.domain.state import DeviceSlot, SessionState
from spaces_desktop.media.stage_director import StageDirectorSettings
from spaces_desktop.session.frames import FrameBoard
from spaces_desktop.session.local_media import DeviceChoice

Future = concurrent.futures.Future


class EnginePort(Protocol):
    frames: FrameBoard
    notices: list[str]
    on_state: Callable[[SessionState], None]
    director: StageDirectorSettings | None

    @property
    def session(self) -> Any:
        """The current session or None; ``session.mixer.levels()`` is safe from any thread."""
        ...

    def create_space(
        self,
        server: str,
        title: str,
        name: str,
        video: bool,
        devices: DeviceChoice,
        client_id: str | None = None,
    ) -> Future[None]: ...

    def join(
        self, link: str, name: str, devices: DeviceChoice, client_id: str | None = None
    ) -> Future[None]: ...

    def reopen(self, link: str, token: str, devices: DeviceChoice) -> Future[None]: ...

    @property
    def token(self) -> str | None:
        """The current session's bearer token, or None."""
        ...

    def leave(self) -> Future[None]: ...

    def set_muted(self, muted: bool) -> Future[Any]: ...

    def set_camera(self, source: CameraSource, on: bool) -> Future[Any]: ...

    def set_device(self, slot: DeviceSlot, spec: str) -> Future[Any]:
        """Switch a camera, microphone or speaker without leaving the Space."""
        ...

    def raise_hand(self, raised: bool) -> Future[Any]: ...

    def react(self, emoji: str) -> Future[Any]: ...

    def request_to_speak(self, requested: bool = True) -> Future[Any]: ...

    def answer_invite(self, accept: bool) -> Future[Any]: ...

    def set_role(self, participant_id: str, role: Role) -> Future[Any]: ...

    def invite(self, participant_id: str) -> Future[Any]: ...

    def decline_request(self, participant_id: str) -> Future[Any]: ...

    def mute(self, participant_id: str) -> Future[Any]: ...

    def remove(self, participant_id: str, block_address: bool = False) -> Future[Any]: ...

    def set_access(
        self, *, locked: bool | None = None, approval_required: bool | None = None
    ) -> Future[Any]: ...

    def admit(self, participant_id: str) -> Future[Any]: ...

    def deny(self, participant_id: str) -> Future[Any]: ...

    def end_space(self) -> Future[Any]: ...

    def pin(self, participant_id: str | None) -> Future[Any]: ...

    def set_director(self, settings: StageDirectorSettings | None) -> Future[None]:
        """Stage sensitivity, applied on the engine's loop (never set ``director`` from the GUI)."""
        ...

    def shutdown(self, timeout: float = 5.0) -> None: ...

"""The engine contract: every command the GUI gives the client engine, as one Protocol.

The real :class:`spaces_desktop.session.engine.Engine` and the product's fake
(:class:`spaces_desktop.session.fake.FakeEngine`, for GUI tests and demos) both
implement it, and mypy checks both against it (see the ``_conforms`` lines at
the end of those modules). A caller types its engine as ``EnginePort``: a
command the engine lacks, or one whose signature drifted, fails the type
check instead of being detected at run time.

Every command returns a ``concurrent.futures.Future`` at once; ``on_state`` is
called on the engine's thread, never the GUI's.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from spaces_desktop.domain import CameraSource, Role
from spaces_desktop.domain.scenes import SceneKind
from spaces_desktop.domain.state import DeviceSlot, SessionState
from spaces_desktop.media.overlays import OverlayLayer
from spaces_desktop.media.readiness import Finding
from spaces_desktop.media.stage_director import StageDirectorSettings
from spaces_desktop.session.frames import FrameBoard
from spaces_desktop.session.local_media import DeviceChoice

Future = concurrent.futures.Future


@dataclass(frozen=True)
class ScheduledSpace:
    """A Space made for later, as its host sees it."""

    link: str
    title: str
    starts_at: datetime
    """When the host said it starts (timezone-aware)."""
    token: str | None = field(default=None, repr=False)
    """The host token: only in the answer to creating it; the caller keeps it to start or cancel."""


@dataclass(frozen=True)
class Upcoming:
    """What the servers said about the scheduled Spaces a host asked after."""

    spaces: tuple[ScheduledSpace, ...] = ()
    """Still scheduled, soonest first."""
    gone: frozenset[str] = frozenset()
    """Links the server no longer lists: started, ended, cancelled or unknown there."""
    unreachable: frozenset[str] = frozenset()
    """Links whose server did not answer: keep what you knew of them."""


class EnginePort(Protocol):
    frames: FrameBoard
    notices: list[str]
    on_state: Callable[[SessionState], None]
    director: StageDirectorSettings | None

    @property
    def session(self) -> Any:
        """The current session or None; ``session.mixer.levels()`` is safe from any thread."""
        ...

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
        """Live now: enters the Space as host, result None. With ``scheduled_for`` (aware): makes
        it for later and opens nothing (no devices, no event stream); the result says what was made."""
        ...

    def join(
        self, link: str, name: str, devices: DeviceChoice, client_id: str | None = None
    ) -> Future[None]: ...

    def reopen(self, link: str, token: str, devices: DeviceChoice) -> Future[None]: ...

    @property
    def token(self) -> str | None:
        """The current session's bearer token, or None."""
        ...

    def leave(self) -> Future[None]: ...

    # --- Spaces scheduled for later (no session needed) ---

    def upcoming(self, kept: Mapping[str, str]) -> Future[Upcoming]:
        """Asks each server which of these (link -> host token) are still scheduled."""
        ...

    def start_space(self, link: str, token: str, devices: DeviceChoice) -> Future[None]:
        """Takes a scheduled Space live and enters it as its host."""
        ...

    def cancel_space(self, link: str, token: str) -> Future[None]:
        """Ends a scheduled Space before it started (host token)."""
        ...

    # --- commands while in a Space ---

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

    def invite_backstage(self, participant_id: str) -> Future[Any]:
        """Invites a listener to speak from the green room first (host and co-hosts)."""
        ...

    def bring_on_stage(self, participant_id: str) -> Future[Any]:
        """A backstage speaker goes live, already publishing."""
        ...

    def set_scene(self, kind: SceneKind, participant_id: str | None = None) -> Future[Any]:
        """The program everyone shows (host and co-hosts)."""
        ...

    def decline_request(self, participant_id: str) -> Future[Any]: ...

    def mute(self, participant_id: str) -> Future[Any]: ...

    def remove(self, participant_id: str, block_address: bool = False) -> Future[Any]: ...

    def set_access(
        self, *, locked: bool | None = None, approval_required: bool | None = None
    ) -> Future[Any]: ...

    def admit(self, participant_id: str) -> Future[Any]: ...

    def deny(self, participant_id: str) -> Future[Any]: ...

    def end_space(self) -> Future[Any]: ...

    def readiness(self) -> Future[list[Finding]]:
        """The green room's checks (camera, microphone, echo, network), in plain words."""
        ...

    def pin(self, participant_id: str | None) -> Future[Any]: ...

    def set_big_tiles(self, participant_ids: list[str] | None) -> Future[Any]:
        """Whose camera tiles the stage shows big (they get the large layer); None: the stage and the pin."""
        ...

    def set_director(self, settings: StageDirectorSettings | None) -> Future[None]:
        """Stage sensitivity, applied on the engine's loop (never set ``director`` from the GUI)."""
        ...

    def set_overlays(self, source: CameraSource, layers: Sequence[OverlayLayer]) -> Future[None]:
        """What is blended into this camera's published pictures, in and outside a Space (kept for the
        next one). A key already shown keeps its place; visibility changes animate."""
        ...

    def show_overlay(self, source: CameraSource, key: str, visible: bool) -> Future[bool]:
        """Slide or fade one overlay in or out; the result is False when there is no such layer."""
        ...

    def shutdown(self, timeout: float = 5.0) -> None: ...

"""The client engine on its own thread: one asyncio loop for signaling, WebRTC and audio.

Threads:
- the caller's (GUI) thread calls the command methods; each returns a
  `concurrent.futures.Future` at once and never waits on the network;
- the engine thread runs the loop; `on_state` and the frame board's `on_frame`
  are called there, so a GUI must hop back to its own thread (a queued signal);
- the speaker's PortAudio thread pulls the mix.
Shutdown is orderly: close the session (peer connections, devices), stop the
loop, join the thread; the process then exits cleanly.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from spaces_desktop.aio import describe
from spaces_desktop.devices.errors import DeviceError
from spaces_desktop.devices.speaker import PullAudio, SpeakerSink
from spaces_desktop.domain import CameraSource, Role
from spaces_desktop.domain.scenes import SceneKind
from spaces_desktop.domain.state import DeviceSlot, SessionState
from spaces_desktop.errors import Conflict, SpacesError
from spaces_desktop.media.heap import HeapTrimmer
from spaces_desktop.media.hwcodec import choose_once
from spaces_desktop.media.hwdecode import choose_decoder_once
from spaces_desktop.media.overlays import Compositor, OverlayLayer
from spaces_desktop.media.readiness import Finding
from spaces_desktop.media.stage_director import StageDirectorSettings
from spaces_desktop.session.frames import FrameBoard
from spaces_desktop.session.local_media import CameraOpener, DeviceChoice, LocalMedia
from spaces_desktop.session.port import EnginePort, ScheduledSpace, Upcoming
from spaces_desktop.session.schedule import ask_servers
from spaces_desktop.session.space_session import SpaceSession
from spaces_desktop.signaling.client import SpacesClient
from spaces_desktop.signaling.links import parse_link

log = logging.getLogger(__name__)

T = TypeVar("T")

SHUTDOWN_S = 2.5
"""From close to the engine thread gone, whatever still runs on it."""
SpeakerFactory = Callable[[PullAudio, int | str | None], SpeakerSink]


class Engine:
    def __init__(
        self,
        on_state: Callable[[SessionState], None],
        frames: FrameBoard | None = None,
        *,
        director: StageDirectorSettings | None = None,
        play_audio: bool = True,
        speaker_device: int | str | None = None,
        speaker_factory: SpeakerFactory = SpeakerSink,
        camera_openers: Mapping[str, CameraOpener] | None = None,
    ) -> None:
        self.frames = frames or FrameBoard()
        self.on_state = on_state
        self.director = director
        self.play_audio = play_audio
        self.speaker_device = speaker_device
        self._speaker_factory = speaker_factory
        self.camera_openers = dict(camera_openers or {})
        """Camera schemes only the GUI can open (e.g. "screen:0", "window:ID"), by scheme."""
        self.overlays = {source: Compositor() for source in CameraSource}
        """Per camera, the overlays blended into its pictures; they outlive a Space."""
        self.session: SpaceSession | None = None
        self.notices: list[str] = []
        """Things a person should know that are not errors, e.g. "no speaker found"."""
        self._client: SpacesClient | None = None
        self._speaker: SpeakerSink | None = None
        self._loop = asyncio.new_event_loop()
        self.heap = HeapTrimmer(self._loop)
        """Gives memory freed by video threads back to the system now and then (glibc)."""
        self._thread = threading.Thread(target=self._run, name="spaces-engine", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        # Which video encoder this machine has (hardware H.264 or VP8), once, before the first Space.
        self._loop.run_in_executor(None, choose_once)
        self._loop.run_in_executor(None, choose_decoder_once)  # and which H.264 decoder
        self.heap.start()
        self._loop.run_forever()

    def submit(self, factory: Callable[[], Awaitable[T]]) -> concurrent.futures.Future[T]:
        """Runs `factory()` on the engine loop (any thread). After shutdown the future comes back
        cancelled: a widget still reporting its layout while the window closes must not raise."""

        async def run() -> T:
            return await factory()

        if self._loop.is_closed():
            stopped: concurrent.futures.Future[T] = concurrent.futures.Future()
            stopped.cancel()
            return stopped
        coroutine = run()
        try:
            return asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        except RuntimeError:  # the loop closed between the check and the call
            coroutine.close()
            stopped = concurrent.futures.Future()
            stopped.cancel()
            return stopped

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
    ) -> concurrent.futures.Future[ScheduledSpace | None]:
        """Live now (enters as host), or with ``scheduled_for`` made for later: then nothing opens."""
        if scheduled_for is not None:
            when = scheduled_for

            async def schedule() -> ScheduledSpace | None:
                async with SpacesClient(server) as client:
                    joined = await client.create_space(
                        title, name, video_enabled=video, scheduled_for=when, client_id=client_id
                    )
                space = joined.snapshot.space
                return ScheduledSpace(
                    space.share_link, space.title, space.scheduled_for or when, joined.token
                )

            return self.submit(schedule)

        async def create() -> ScheduledSpace | None:
            session = await self._new_session(server, devices)
            await session.create(title, name, video, client_id)
            self._start_speaker(session)
            return None

        return self.submit(create)

    def join(
        self, link: str, name: str, devices: DeviceChoice, client_id: str | None = None
    ) -> concurrent.futures.Future[None]:
        async def join() -> None:
            base, space_id = parse_link(link)
            session = await self._new_session(base, devices)
            await session.join(space_id, name, client_id)
            self._start_speaker(session)

        return self.submit(join)

    def reopen(self, link: str, token: str, devices: DeviceChoice) -> concurrent.futures.Future[None]:
        """Back into a Space with a kept token: a host whose app closed while it was live."""

        async def reopen() -> None:
            base, space_id = parse_link(link)
            session = await self._new_session(base, devices)
            await session.resume(space_id, token)
            self._start_speaker(session)

        return self.submit(reopen)

    @property
    def token(self) -> str | None:
        """The current session's bearer token (kept by a host to reopen the Space)."""
        session = self.session
        return getattr(session, "token", None) if session is not None else None

    # --- Spaces scheduled for later ---

    def upcoming(self, kept: Mapping[str, str]) -> concurrent.futures.Future[Upcoming]:
        """Which of these (link -> host token) are still scheduled, asked of each link's server."""
        wanted = dict(kept)
        return self.submit(lambda: ask_servers(wanted))

    def start_space(self, link: str, token: str, devices: DeviceChoice) -> concurrent.futures.Future[None]:
        """Takes a scheduled Space live and enters it as host (one future: a refusal leaves nothing open)."""

        async def start() -> None:
            base, space_id = parse_link(link)
            session = await self._new_session(base, devices)
            try:
                # Live already (a second click, another device) is fine; an ended one fails in resume.
                with contextlib.suppress(Conflict):
                    await session.client.participant(space_id, token).start()
                await session.resume(space_id, token)
            except BaseException:
                await self._drop_session()
                raise
            self._start_speaker(session)

        return self.submit(start)

    def cancel_space(self, link: str, token: str) -> concurrent.futures.Future[None]:
        """Ends a scheduled Space before it started: its link stops working for everyone."""

        async def cancel() -> None:
            base, space_id = parse_link(link)
            async with SpacesClient(base) as client:
                await client.participant(space_id, token).end()

        return self.submit(cancel)

    def leave(self) -> concurrent.futures.Future[None]:
        async def leave() -> None:
            if self.session is not None:
                await self.session.leave()
            await self._drop_session()

        return self.submit(leave)

    async def _new_session(self, server: str, devices: DeviceChoice) -> SpaceSession:
        await self._drop_session()
        self._client = SpacesClient(server)
        self.session = SpaceSession(
            self._client,
            LocalMedia(devices, overlays=self.overlays, openers=self.camera_openers),
            director=self.director,
            frames=self.frames,
            on_state=self.on_state,
        )
        return self.session

    async def _drop_session(self) -> None:
        if self._speaker is not None:
            self._speaker.stop()
            self._speaker = None
        if self.session is not None:
            await self.session.close()
            self.session = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _start_speaker(self, session: SpaceSession) -> None:
        if not self.play_audio:
            return
        try:
            self._speaker = self._open_speaker(session, self.speaker_device)
        except DeviceError as exc:
            self._speaker = None
            self.notices.append(exc.message)
            log.warning("No sound output: %s", exc.message)
        else:
            session.speaker_changed(self._speaker)  # a speaker that fails later shows on the banner

    def _open_speaker(self, session: SpaceSession, device: int | str | None) -> SpeakerSink:
        try:
            speaker = self._speaker_factory(session.mixer.pull, device)
            speaker.start()
        except DeviceError as exc:
            if device is None:
                raise
            # The speaker picked in Settings is gone (unplugged since): play on the default one.
            log.warning("Speaker %s unavailable (%s); using the default", device, exc.message)
            speaker = self._speaker_factory(session.mixer.pull, None)
            speaker.start()
        return speaker

    # --- commands while in a Space ---

    def _call(self, action: Callable[[SpaceSession], Awaitable[Any]]) -> concurrent.futures.Future[Any]:
        async def run() -> Any:
            if self.session is None:
                raise SpacesError("You are not in a Space.")
            return await action(self.session)

        return self.submit(run)

    def set_muted(self, muted: bool) -> concurrent.futures.Future[Any]:
        return self._call(lambda s: s.set_muted(muted))

    def set_camera(self, source: CameraSource, on: bool) -> concurrent.futures.Future[Any]:
        return self._call(lambda s: s.set_camera(source, on))

    def set_device(self, slot: DeviceSlot, spec: str) -> concurrent.futures.Future[Any]:
        """Switch one of our devices while in a Space (the speaker also outside one).

        ``spec`` is what :class:`DeviceChoice` takes ("synthetic", an index, a
        path); for the speaker an output index or name, "" for the system default.
        """
        if slot is DeviceSlot.SPEAKER:

            async def speaker() -> None:
                self._switch_speaker(spec)

            return self.submit(speaker)
        return self._call(lambda s: s.switch_device(slot, spec))

    def _switch_speaker(self, spec: str) -> None:
        device: int | str | None = int(spec) if spec.isdigit() else (spec or None)
        self.speaker_device = device
        session = self.session
        if session is None or not self.play_audio:
            return  # used from the next Space on
        old = self._speaker
        old_worked = old is not None and old.error is None
        # Break before make: two streams pulling the one mix would each get half of it.
        if old is not None:
            old.stop()
        try:
            new = self._speaker_factory(session.mixer.pull, device)
            new.start()
        except DeviceError:
            if old is not None and old_worked:
                with contextlib.suppress(DeviceError):
                    old.start()  # back to what played before; the caller shows why
            raise
        self._speaker = new
        session.speaker_changed(new)

    def raise_hand(self, raised: bool) -> concurrent.futures.Future[Any]:
        return self._call(lambda s: s.api.raise_hand(raised))

    def react(self, emoji: str) -> concurrent.futures.Future[Any]:
        return self._call(lambda s: s.api.react(emoji))

    def request_to_speak(self, requested: bool = True) -> concurrent.futures.Future[Any]:
        return self._call(lambda s: s.api.request_to_speak() if requested else s.api.cancel_request())

    def answer_invite(self, accept: bool) -> concurrent.futures.Future[Any]:
        return self._call(lambda s: s.api.accept_invite() if accept else s.api.decline_invite())

    def set_role(self, participant_id: str, role: Role) -> concurrent.futures.Future[Any]:
        return self._call(lambda s: s.api.set_role(participant_id, role))

    def invite(self, participant_id: str) -> concurrent.futures.Future[Any]:
        return self._call(lambda s: s.api.invite(participant_id))

    def invite_backstage(self, participant_id: str) -> concurrent.futures.Future[Any]:
        return self._call(lambda s: s.api.invite(participant_id, backstage=True))

    def bring_on_stage(self, participant_id: str) -> concurrent.futures.Future[Any]:
        return self._call(lambda s: s.api.bring_on_stage(participant_id))

    def set_scene(self, kind: SceneKind, participant_id: str | None = None) -> concurrent.futures.Future[Any]:
        return self._call(lambda s: s.api.set_scene(kind, participant_id))

    def decline_request(self, participant_id: str) -> concurrent.futures.Future[Any]:
        return self._call(lambda s: s.api.decline_request(participant_id))

    def mute(self, participant_id: str) -> concurrent.futures.Future[Any]:
        return self._call(lambda s: s.api.mute(participant_id, True))

    def remove(self, participant_id: str, block_address: bool = False) -> concurrent.futures.Future[Any]:
        return self._call(lambda s: s.api.remove(participant_id, block_address))

    def set_access(
        self, *, locked: bool | None = None, approval_required: bool | None = None
    ) -> concurrent.futures.Future[Any]:
        return self._call(lambda s: s.api.set_access(locked=locked, approval_required=approval_required))

    def admit(self, participant_id: str) -> concurrent.futures.Future[Any]:
        return self._call(lambda s: s.api.admit(participant_id))

    def deny(self, participant_id: str) -> concurrent.futures.Future[Any]:
        return self._call(lambda s: s.api.deny(participant_id))

    def end_space(self) -> concurrent.futures.Future[Any]:
        return self._call(lambda s: s.api.end())

    def set_director(self, settings: StageDirectorSettings | None) -> concurrent.futures.Future[None]:
        """How eagerly the stage follows who talks, for the next Space and the current one (any thread:
        the settings change on the engine loop, where the stage director reads them)."""

        async def apply() -> None:
            self.director = settings
            if self.session is not None:
                self.session.director.settings = settings or StageDirectorSettings()

        return self.submit(apply)

    def set_overlays(
        self, source: CameraSource, layers: Sequence[OverlayLayer]
    ) -> concurrent.futures.Future[None]:
        wanted = tuple(layers)

        async def apply() -> None:
            self.overlays[source].set_layers(wanted)

        return self.submit(apply)

    def show_overlay(self, source: CameraSource, key: str, visible: bool) -> concurrent.futures.Future[bool]:
        async def show() -> bool:
            return self.overlays[source].set_visible(key, visible)

        return self.submit(show)

    def readiness(self) -> concurrent.futures.Future[list[Finding]]:
        """The green room's checks (camera, microphone, echo, network), in plain words."""
        return self._call(lambda s: s.readiness())

    def pin(self, participant_id: str | None) -> concurrent.futures.Future[Any]:
        async def pin(session: SpaceSession) -> None:
            session.pin(participant_id)

        return self._call(pin)

    def set_big_tiles(self, participant_ids: list[str] | None) -> concurrent.futures.Future[Any]:
        async def set_big(session: SpaceSession) -> None:
            session.set_big(participant_ids)

        return self._call(set_big)

    # --- shutdown ---

    def shutdown(self, timeout: float = SHUTDOWN_S) -> None:
        """Closes everything in order and joins the engine thread (caller's thread).

        Bounded by `timeout` in all: a window that closes must not wait on a server
        that is gone. What did not finish in time is logged and left to the process exit.
        """
        if not self._thread.is_alive():
            return
        deadline = time.monotonic() + timeout
        try:
            self.submit(self._drop_session).result(max(0.1, deadline - time.monotonic() - 0.5))
        except (concurrent.futures.TimeoutError, SpacesError, RuntimeError) as exc:
            log.warning("Engine shutdown was not clean (%s); still running:\n%s", exc, self._running())
        self.frames.clear()
        with contextlib.suppress(RuntimeError):  # the loop already closed
            self._loop.call_soon_threadsafe(self.heap.stop)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(max(0.1, deadline - time.monotonic()))
        if not self._thread.is_alive():
            self._loop.close()

    def _running(self) -> str:
        try:
            return describe(asyncio.all_tasks(self._loop))
        except RuntimeError:  # the loop's task set changed while we looked
            return "(could not list the tasks)"


# mypy holds the engine to the contract: a missing command or a drifted signature fails here.
_conforms: type[EnginePort] = Engine

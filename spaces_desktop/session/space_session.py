"""One participant in one Space: event stream, state, publishing, subscribing, the stage.

Everything here runs on one asyncio loop (the engine thread in the app, the main
thread in the bot). The media reconciler compares what should exist (a publisher
while we are on stage, a subscription to every stream but ours) with what does,
and rebuilds whatever is missing, broken, or older than the last media reset.
aiortc has no ICE restart, so recovering from a dropped network is a rebuild.
Each remote video is watched on its own (media/freeze.py): packets on other
streams keep the connection "alive" while a picture can be frozen.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import av
import numpy as np
from aiortc import MediaStreamTrack, RTCIceServer
from aiortc.mediastreams import MediaStreamError

from spaces_desktop.aio import cancel_and_wait
from spaces_desktop.devices.catalog import DeviceCatalog
from spaces_desktop.devices.convert import bgr_to_yuv420p
from spaces_desktop.devices.errors import DeviceError
from spaces_desktop.devices.speaker import SpeakerSink
from spaces_desktop.devices.watcher import DeviceChange, DeviceWatcher
from spaces_desktop.domain import CameraSource, Role, SpaceStatus, is_moderator
from spaces_desktop.domain.director import DirectorNote
from spaces_desktop.domain.state import Connection, DeviceSlot, SessionState, Stream, slot_camera
from spaces_desktop.errors import Conflict, SpacesError
from spaces_desktop.media.freeze import FREEZE_AFTER_S, FreezeAction, FreezeWatch
from spaces_desktop.media.mixer import AudioMixer
from spaces_desktop.media.quality import QualityMeter, ReceiverSample
from spaces_desktop.media.readiness import Finding, NetStats, assess
from spaces_desktop.media.stage_director import StageDirector, StageDirectorSettings, StageSwitch
from spaces_desktop.protocol import Event, EventType, Joined, StreamChoice, StreamView, SwitchChoice, Waiting
from spaces_desktop.session.frames import FrameBoard
from spaces_desktop.session.handover import Handover, stream_key
from spaces_desktop.session.local_media import LocalMedia
from spaces_desktop.session.reducer import (
    ConnectionChanged,
    DeviceProblemsChanged,
    DirectorExplained,
    LocalEvent,
    Pinned,
    QualityMeasured,
    RosterPage,
    StageChosen,
    VideoPaused,
    apply,
    from_snapshot,
)
from spaces_desktop.signaling.backoff import Backoff
from spaces_desktop.signaling.client import ParticipantClient, SpacesClient
from spaces_desktop.signaling.errors import BackendUnreachable, ServerUnavailable
from spaces_desktop.signaling.events import StreamState
from spaces_desktop.transport.peer import rtc_ice_servers
from spaces_desktop.transport.ports import PeerTransport, PublisherLink, SubscriberLink, Transport
from spaces_desktop.transport.uplink import UplinkMeter

log = logging.getLogger(__name__)

ROSTER_PAGE = 500
ROSTER_MAX_PAGES = 1000
"""Half a million participants: a bound on one pass, not a limit anyone meets."""
ROSTER_RETRY_S = 2.0
TERMINAL = (Connection.ENDED, Connection.REMOVED, Connection.LEFT, Connection.FAILED)
MEDIA_STALL_S = 3.0  # no packet on any subscribed stream for this long: rebuild the subscription
MEDIA_STALL_MAX_S = 12.0
MEDIA_RETRY = Backoff(attempts=None, first_delay=0.5, max_delay=5.0, fast_for=30.0)
"""Quick retries while the failure is fresh (a restarting server), slower ones later."""
MEDIA_RETRY_WORRYING_S = 10.0  # failing this long is worth a line in the report, not a passing race
HANDOVER_MAX_S = 5.0  # a replaced subscription plays at most this long after the new one is answered
HANDOVER_POLL_S = 0.02
LEAVE_TIMEOUT_S = 1.2
FREEZE_TICK_S = 0.25  # how often each video's freshness is checked (media/freeze.py)
DIRECTOR_TICK_S = 0.02
QUALITY_INTERVAL_S = 2.0
SELF_VIEW_INTERVAL_S = 1 / 15  # a mirror needs no more; it costs one conversion per frame
ADMISSION_RETRY_S = 1.0
ADMISSION_MAX_FAILURES = 20  # unreachable this many polls in a row (~20 s): the backend has let go of us
DEVICE_HEALTH_S = 0.2  # with the devices' own detection, a lost device shows within a second
DEVICE_SCAN_S = 1.0  # how often the device watcher looks for lost devices coming back
LARGE_HOLD_S = 0.3  # a big tile's small layer fills in when its large one paused this long
GONE_STREAM_CODES = ("no_such_stream", "stream_gone")  # a publisher left as we subscribed: just retry

StateListener = Callable[[SessionState], None]


@dataclass
class SessionReport:
    """What a headless participant prints at the end."""

    audio_frames: dict[str, int] = field(default_factory=dict)
    switches: list[tuple[float, StageSwitch]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    publishes: int = 0
    media_retries: int = 0
    subscriptions: int = 0
    rejoins: int = 0
    keyframe_requests: int = 0
    """Frozen videos we asked the SFU to refresh."""
    video_rebuilds: int = 0
    """Subscriptions rebuilt because a video stayed frozen."""
    layer_switches: int = 0
    """Big tiles that changed by switching a slot of the subscription (no renegotiation)."""
    sharp: list[tuple[float, str]] = field(default_factory=list)
    """(wall time, participant): a big tile first showed that participant's large layer."""
    notes: list[DirectorNote] = field(default_factory=list)
    """Every decision of the stage director, switches and holds, with its typed reason."""


class SpaceSession:
    def __init__(
        self,
        client: SpacesClient,
        media: LocalMedia,
        *,
        director: StageDirectorSettings | None = None,
        frames: FrameBoard | None = None,
        on_state: StateListener | None = None,
        transport: Transport | None = None,
        receive_video: bool = True,
    ) -> None:
        self.client = client
        self.media = media
        self.receive_video = receive_video
        """False: subscribe to everyone's audio only (a participant that shows no stage: a bot)."""
        self.transport = transport or PeerTransport()
        """Makes the publishing and subscribing connections (a fake one in unit tests)."""
        self.frames = frames or FrameBoard()
        self.director = StageDirector(director)
        self.state = SessionState()
        self.report = SessionReport()
        self._on_state = on_state
        # Levels are measured on the decoded audio before local volume, and drive the stage.
        self.mixer = AudioMixer(
            on_level=lambda pid, level: self.director.feed(pid, self._now(), level),
            far_end=media.echo.push_far_end if media.echo is not None else None,
        )
        self._api: ParticipantClient | None = None
        self.token: str | None = None
        self._ice_servers: list[RTCIceServer] = []
        """STUN/TURN servers from the join response (none: Janus's own addresses are enough)."""
        self._publisher: PublisherLink | None = None
        self._uplink = UplinkMeter()
        self._publisher_epoch = -1
        self._subscriber: SubscriberLink | None = None
        self._subscribed: frozenset[tuple[str, str]] = frozenset()
        self._subscriber_epoch = -1
        self._subscriber_generation = 0
        self._generations = 0
        self._handover = Handover()
        self._links: dict[int, SubscriberLink] = {}
        """Every live subscription by generation: a slot's stream is looked up per frame (it may switch)."""
        self._big_override: frozenset[str] | None = None
        self._big_now: frozenset[str] = frozenset()
        """Participants whose big tile takes the large layer of their main camera now."""
        self._layered_now: frozenset[str] = frozenset()
        """Participants we take the small layer of (their main camera sends two)."""
        self._slot_gate: dict[tuple[int, str], int] = {}
        """(generation, mid) of a switched slot → keyframes it had decoded before the switch."""
        self._large_at: dict[str, float] = {}
        self._sharp: set[str] = set()
        self._retiring: dict[SubscriberLink, asyncio.Task[None]] = {}
        self._media_dirty = asyncio.Event()
        self._server_back = asyncio.Event()
        self._roster_wanted = asyncio.Event()
        """Set when a moderator's `members` lacks participants: the roster loader pages them in."""
        """Set when the event stream opens: a waiting media retry need not wait any longer."""
        self._media_broken = False
        self._last_packet = time.monotonic()
        self._stall_limit = MEDIA_STALL_S
        self._freeze: FreezeWatch[tuple[str, CameraSource]] = FreezeWatch()
        self._video_frozen = False  # a video stayed frozen after a keyframe request: resubscribe
        self._heard_at: dict[str, float] = {}  # each participant's last decoded audio frame
        self._tasks: list[asyncio.Task[None]] = []
        self._consumers: set[asyncio.Task[None]] = set()
        self._closed = asyncio.Event()
        self._started_at = time.monotonic()

    # --- entering ---

    async def create(
        self, title: str, host_name: str, video_enabled: bool, client_id: str | None = None
    ) -> None:
        joined = await self.client.create_space(
            title, host_name, video_enabled=video_enabled, client_id=client_id
        )
        self._enter(joined)

    async def join(self, space_id: str, display_name: str, client_id: str | None = None) -> None:
        """Joins; when the host approves newcomers, waits (state WAITING) until let in or refused."""
        self._dispatch(ConnectionChanged(Connection.CONNECTING))
        outcome = await self.client.join_or_wait(space_id, display_name, client_id)
        if isinstance(outcome, Waiting):
            outcome = await self._wait_to_be_let_in(space_id, outcome)
        self._enter(outcome)

    async def resume(self, space_id: str, token: str) -> None:
        """Comes back to a Space with a token kept from before (a host whose app closed)."""
        self._dispatch(ConnectionChanged(Connection.CONNECTING))
        api = self.client.participant(space_id, token)
        snapshot = await api.snapshot()
        if snapshot.space.status is SpaceStatus.ENDED:
            raise Conflict("This Space has ended.", code="space_ended")
        me = next(p for p in snapshot.participants if p.id == snapshot.you)
        self._enter(Joined(token=token, participant=me, snapshot=snapshot))

    async def _wait_to_be_let_in(self, space_id: str, waiting: Waiting) -> Joined:
        self._api = api = self.client.participant(space_id, waiting.token)
        reason = f"You asked to join “{waiting.title}”. You'll be let in as soon as a host approves."
        self._dispatch(ConnectionChanged(Connection.WAITING, reason))
        failures = 0
        while not self._closed.is_set():
            try:
                admission = await api.admission()
            except (BackendUnreachable, ServerUnavailable):
                failures += 1
                if failures >= ADMISSION_MAX_FAILURES:
                    raise
                await asyncio.sleep(ADMISSION_RETRY_S)
                continue
            failures = 0
            if admission.status == "denied":
                raise SpacesError(admission.message, code="denied")
            if admission.status == "admitted" and not self._closed.is_set():
                snapshot = await api.snapshot()
                me = next(p for p in snapshot.participants if p.id == snapshot.you)
                return Joined(token=waiting.token, participant=me, snapshot=snapshot)
        raise SpacesError("You stopped waiting to join.", code="left")

    def _enter(self, joined: Joined) -> None:
        self._api = self.client.as_joined(joined)
        self.token = joined.token
        if joined.ice_servers:  # a reopened or resumed session keeps the ones it had
            self._ice_servers = rtc_ice_servers(joined.ice_servers)
        self._set_state(from_snapshot(joined.snapshot))
        loop = asyncio.get_running_loop()
        watcher = DeviceWatcher(
            self._devices_changed,
            scan=self.media.scan_devices,
            interval=DEVICE_SCAN_S,
            on_scan=self._devices_scanned,
        )
        self._tasks = [
            loop.create_task(self._read_events(), name="session-events"),
            loop.create_task(self._reconcile_media(), name="session-media"),
            loop.create_task(self._load_roster(), name="session-roster"),
            loop.create_task(self._direct_stage(), name="session-stage"),
            loop.create_task(self._show_self(), name="session-self-view"),
            loop.create_task(self._measure_quality(), name="session-quality"),
            loop.create_task(self._watch_video(), name="session-video-watch"),
            loop.create_task(self._watch_device_health(), name="session-device-health"),
            loop.create_task(watcher.run(), name="session-device-watcher"),
        ]
        self._media_dirty.set()

    @property
    def api(self) -> ParticipantClient:
        if self._api is None:
            raise SpacesError("Not in a Space yet.")
        return self._api

    async def wait_closed(self) -> None:
        await self._closed.wait()

    # --- commands (engine loop) ---

    async def set_muted(self, muted: bool) -> None:
        self.media.set_muted(muted)
        me = self.state.myself
        if me is not None and me.on_stage:
            await self.api.mute(me.id, muted)

    async def set_camera(self, source: CameraSource, on: bool) -> None:
        if on and not self.state.can_use_camera:
            raise SpacesError("The camera is for people on stage in a Space with video.")
        try:
            await self.media.turn_camera(source, on)
        except DeviceError as exc:
            self.report.errors.append(exc.message)
            raise
        finally:
            self._show_device_problems()
        await self.api.set_camera(on, source)

    async def switch_device(self, slot: DeviceSlot, spec: str) -> None:
        """Use another camera or microphone (or reopen the same one) without leaving the Space.

        The new device is swapped in under the published track, so others see
        or hear at most the moment it takes to deliver its first frame. Only a
        device the connection had no track for at all (none was set up when it
        was published) needs a new publishing connection.
        """
        if slot is DeviceSlot.SPEAKER:
            raise SpacesError("The speaker is switched by the engine.")
        try:
            if slot is DeviceSlot.MICROPHONE:
                await self.media.switch_microphone(spec)
                camera_on = None
            else:
                camera_on = await self.media.switch_camera(slot_camera(slot), spec)
        except DeviceError as exc:
            self.report.errors.append(exc.message)
            raise
        finally:
            self._show_device_problems()
        if not self.media.has_track(slot) and self._publisher is not None:
            self._publisher_epoch = -1  # the reconciler publishes again, now with this device
            self._media_dirty.set()
        me = self.state.myself
        if camera_on is not None and me is not None and self.state.can_use_camera:
            shown = me.second_camera_on if slot is DeviceSlot.SECOND_CAMERA else me.camera_on
            if shown != camera_on:
                await self.api.set_camera(camera_on, slot_camera(slot))

    async def readiness(self) -> list[Finding]:
        """The green room's checks of our camera, microphone, echo and network, in plain words."""
        space, me = self.state.space, self.state.myself
        camera: bool | None = None
        if space is not None and space.video_enabled:
            device = self.media.cameras.get(CameraSource.MAIN)
            camera = bool(self.media.camera_on[CameraSource.MAIN] and device is not None and device.latest())
        echo = self.media.echo
        echo_problem = echo.unavailable_reason if echo is not None and not echo.available else None
        net: NetStats | None = None
        pc = getattr(self._publisher, "pc", None)
        if pc is not None:
            sample = await self._uplink.measure(pc)
            net = NetStats(sample.rtt_ms, sample.loss, sample.uplink_kbps)
        return assess(
            camera=camera,
            mic=self.media.mic_meter.stats(),
            muted=bool(me and me.muted),
            echo_problem=echo_problem,
            net=net,
        )

    def pin(self, participant_id: str | None) -> None:
        self.director.pin(participant_id, self._now())
        self._dispatch(Pinned(participant_id))
        self._media_dirty.set()
        self._explain_stage()

    def set_big(self, participant_ids: Iterable[str] | None) -> None:
        """Whose tiles are shown big (they get the large layer); None follows the stage and the pin."""
        self._big_override = None if participant_ids is None else frozenset(participant_ids)
        self._media_dirty.set()

    async def leave(self) -> None:
        if self._api is not None and self.state.connection is Connection.WAITING:
            with contextlib.suppress(SpacesError, TimeoutError):
                await asyncio.wait_for(self.api.leave(), LEAVE_TIMEOUT_S)  # out of the lobby
            await self.close()
            return
        # Bounded: an app or bot told to quit must not wait on a server that is gone.
        with contextlib.suppress(SpacesError, TimeoutError):
            if self.state.myself is not None and self.state.myself.role is Role.HOST:
                await asyncio.wait_for(self.api.end(), LEAVE_TIMEOUT_S)
            else:
                await asyncio.wait_for(self.api.leave(), LEAVE_TIMEOUT_S)
        self._dispatch(ConnectionChanged(Connection.LEFT, "You left the Space."))
        await self.close()

    async def close(self) -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        await cancel_and_wait([*self._tasks, *self._consumers])
        await self._drop_publisher()
        await self._drop_subscriber()
        self.media.close()

    # --- our own devices ---

    async def _watch_device_health(self) -> None:
        """Notices a device that stopped by itself, and tells the person (and the server, for a camera)."""
        untold: set[DeviceSlot] = set()  # cameras the server still has to hear are off
        while not self._closed.is_set():
            await asyncio.sleep(DEVICE_HEALTH_S)
            lost = self.media.check_health()
            if lost:
                self._show_device_problems()
                # Only cameras have a state others see; a lost microphone or speaker is ours alone.
                untold.update(slot for slot in lost if slot in (DeviceSlot.CAMERA, DeviceSlot.SECOND_CAMERA))
            for slot in sorted(untold):
                if slot not in self.media.lost:
                    untold.discard(slot)  # turned on again or replaced meanwhile
                    continue
                # Others see the avatar instead of a frozen or black picture.
                try:
                    await self.api.set_camera(False, slot_camera(slot))
                    untold.discard(slot)
                    self.media.camera_told_off(slot)  # viewers show the avatar: no keep-alive needed
                except SpacesError as exc:
                    log.warning("Could not tell the server the camera stopped (will retry): %s", exc.message)
            if lost:
                await self.media.release_lost(lost)

    def speaker_changed(self, speaker: SpeakerSink | None) -> None:
        """The engine plays on another output now (or on none): watch it, and drop a lost one's banner."""
        self.media.use_speaker(speaker)
        self._show_device_problems()

    def _devices_changed(self, change: DeviceChange) -> None:
        for device in change.added:
            log.info("Device plugged in: %s", device.name)

    def _devices_scanned(self, catalog: DeviceCatalog) -> None:
        if self.media.devices_seen(catalog):
            self._show_device_problems()

    def _show_device_problems(self) -> None:
        problems = self.media.problems()
        if problems != self.state.device_problems:
            self._dispatch(DeviceProblemsChanged(problems))

    # --- state ---

    def _dispatch(self, event: Event | LocalEvent) -> None:
        self._set_state(apply(self.state, event))

    def _set_state(self, state: SessionState) -> None:
        previous = self.state
        self.state = state
        if (
            state.myself != previous.myself
            or state.streams != previous.streams
            or state.media_epoch != previous.media_epoch
            or state.connection != previous.connection
        ):
            self._media_dirty.set()
        if not state.roster_complete and state.myself is not None and is_moderator(state.myself.role):
            self._roster_wanted.set()
        for gone in set(previous.members) - set(state.members):
            self.director.remove(gone, self._now())
            self.frames.drop(gone)
            self.mixer.remove_participant(gone)
        if self._on_state is not None and state is not previous:
            self._on_state(state)

    async def _load_roster(self) -> None:
        """Pages every participant in for a host or co-host, who sees each listener; arrivals and
        departures meanwhile come from the event stream (the reducer merges both)."""
        while not self._closed.is_set():
            await self._roster_wanted.wait()
            self._roster_wanted.clear()
            cursor: str | None = None
            for _ in range(ROSTER_MAX_PAGES):
                try:
                    page = await self.api.participants(cursor, limit=ROSTER_PAGE)
                except SpacesError as exc:
                    log.warning("Could not load the participant list (will retry): %s", exc.message)
                    await asyncio.sleep(ROSTER_RETRY_S)
                    self._roster_wanted.set()
                    break
                self._dispatch(RosterPage(page))
                cursor = page.next_cursor
                if cursor is None:
                    break
            if self.state.roster_complete:
                self._roster_wanted.clear()  # set again by the pages of this very pass

    async def _read_events(self) -> None:
        def on_stream_state(state: StreamState, reason: str | None) -> None:
            if self.state.connection in TERMINAL:
                return
            if state is StreamState.OPEN:
                self._server_back.set()
            if state is StreamState.OPEN and not self._media_broken:
                self._dispatch(ConnectionChanged(Connection.LIVE))
            elif state is StreamState.RECONNECTING:
                self._dispatch(
                    ConnectionChanged(Connection.RECONNECTING, reason or "Reconnecting to the server…")
                )

        stream = self.api.events(last_event_id=self.state.last_event_id, on_state=on_stream_state)
        try:
            async for event in stream:
                if event.type == EventType.LAYERS_WANTED:
                    self._layers_wanted(event.data)
                self._dispatch(event)
                if self.state.connection in TERMINAL:
                    break
        except SpacesError as exc:
            if self.state.connection not in TERMINAL:
                self.report.errors.append(exc.message)
                self._dispatch(ConnectionChanged(Connection.FAILED, exc.message))
        finally:
            with contextlib.suppress(Exception):
                await stream.aclose()
        if self.state.connection in TERMINAL:
            self._media_dirty.set()

    # --- media ---

    def _layers_wanted(self, data: dict[str, object]) -> None:
        """The backend says which of our main camera's layers someone takes: encode only those."""
        main = data.get("main")
        if isinstance(main, dict):
            self.media.set_layers(bool(main.get("large", True)), bool(main.get("small", True)))

    def _big_ids(self) -> frozenset[str]:
        if self._big_override is not None:
            return self._big_override
        big = {p for p in (self.state.stage, self.state.pinned) if p and p != self.state.me}
        if not big:
            # Nobody on stage yet: the layout shows someone big anyway, and a slot ready
            # for the large layer makes the first real switch a `switch`, not a renegotiation.
            first = next(
                (
                    s.participant_id
                    for s in self.state.streams
                    if s.layer == "small" and s.participant_id != self.state.me
                ),
                None,
            )
            big = {first} if first else set()
        return frozenset(big)

    def _should_publish(self) -> bool:
        me, space = self.state.myself, self.state.space
        return bool(
            me
            and me.on_stage
            and space
            and space.status is SpaceStatus.LIVE
            and self.state.connection not in TERMINAL
        )

    def _wanted_streams(self) -> frozenset[tuple[str, str]]:
        """Every stream but ours, with the main camera's large layer only for big tiles (small for all)."""
        if self.state.connection in TERMINAL:
            return frozenset()
        streams = [
            s
            for s in self.state.streams
            if s.participant_id != self.state.me and (self.receive_video or s.kind == "audio")
        ]
        layered = frozenset(s.participant_id for s in streams if s.layer == "small")
        big = self._big_ids()
        self._big_now, self._layered_now = big, layered
        self._sharp &= big
        return frozenset(
            (s.participant_id, s.mid)
            for s in streams
            if not (_is_large_main(s) and s.participant_id in layered and s.participant_id not in big)
        )

    async def _reconcile_media(self) -> None:
        failures = 0
        failing_since = 0.0
        while not self._closed.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._media_dirty.wait(), 0.5)
            self._media_dirty.clear()
            try:
                await self._reconcile_once()
                failures = 0
            except (SpacesError, OSError, ValueError) as exc:
                now = time.monotonic()
                if not failures and isinstance(exc, SpacesError) and exc.code in GONE_STREAM_CODES:
                    # A publisher left while we subscribed: the streams event follows; try again
                    # at once, quietly (a second failure in a row is handled as any other).
                    failures, failing_since = 1, now
                    self._media_dirty.set()
                    continue
                message = getattr(exc, "message", str(exc))
                failing_since = failing_since if failures else now
                delay = MEDIA_RETRY.wait(failures, now - failing_since)
                failures += 1
                log.warning("Media setup failed (%s); retrying in %.1f s", message, delay)
                self.report.media_retries += 1
                if now - failing_since >= MEDIA_RETRY_WORRYING_S:
                    self.report.errors.append(f"media: {message}")
                self._mark_broken(f"Reconnecting media: {message}")
                # The event stream coming back means the server is back: retry at once.
                self._server_back.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._server_back.wait(), delay)
                self._media_dirty.set()

    async def _reconcile_once(self) -> None:
        if self.state.connection in TERMINAL:
            await self._drop_publisher()
            await self._drop_subscriber()
            return
        epoch = self.state.media_epoch
        publisher = self._publisher
        if self._should_publish():
            if publisher is None or publisher.state in ("failed", "closed") or self._publisher_epoch != epoch:
                await self._publish(epoch)
        elif publisher is not None:
            await self._drop_publisher()
            with contextlib.suppress(SpacesError):
                await self.api.unpublish()

        wanted = self._wanted_streams()
        subscriber = self._subscriber
        stalled = bool(
            subscriber is not None
            and self._subscribed
            and time.monotonic() - self._last_packet > self._stall_limit
        )
        rebuild = (
            subscriber is None
            or subscriber.state in ("failed", "closed")
            or self._subscriber_epoch != epoch
            or stalled
            or self._video_frozen
        )
        if not wanted:
            await self._drop_subscriber()
        elif (
            rebuild
            or subscriber is None
            or (wanted != self._subscribed and not await self._switch_large(subscriber, wanted))
        ):
            if stalled:
                # Silence may be the publishers' network, not ours: rebuild quietly, and back
                # off so a speaker who dropped out does not make every listener churn.
                log.info("No media for %.0f s; subscribing again", self._stall_limit)
                self._stall_limit = min(self._stall_limit * 2, MEDIA_STALL_MAX_S)
            await self._subscribe(wanted, epoch)
        if self._media_broken and (not wanted or time.monotonic() - self._last_packet < 1.0):
            self._media_broken = False
            if self.state.connection is Connection.RECONNECTING:
                self._dispatch(ConnectionChanged(Connection.LIVE))

    def _mark_broken(self, reason: str) -> None:
        if not self._media_broken:
            self.report.rejoins += 1
        self._media_broken = True
        if self.state.connection not in TERMINAL:
            self._dispatch(ConnectionChanged(Connection.RECONNECTING, reason))

    async def _publish(self, epoch: int) -> None:
        await self._drop_publisher()
        space = self.state.space
        tracks = self.media.tracks(bool(space and space.video_enabled))
        if tracks.audio is None and tracks.camera is None and tracks.second_camera is None:
            return
        publisher = self.transport.publisher(tracks, lambda _: self._media_dirty.set(), self._ice_servers)
        self._publisher = publisher
        try:
            await publisher.connect(self.api.publish)
        except BaseException:
            # Not left half set up: the next try must publish again, not take it for live.
            await self._drop_publisher()
            raise
        self._publisher_epoch = epoch
        self.report.publishes += 1

    async def _subscribe(self, wanted: frozenset[tuple[str, str]], epoch: int) -> None:
        # Make before break: the old connection keeps playing until the new one delivers
        # the streams they share, so a change of publishers blanks no tile.
        old, old_generation = self._subscriber, self._subscriber_generation
        self._generations += 1
        generation = self._generations
        subscriber = self.transport.subscriber(
            lambda stream, track: self._on_track(stream, track, generation),
            lambda _: self._media_dirty.set(),
            self._ice_servers,
        )
        self._links[generation] = subscriber
        choices = [StreamChoice(participant_id=pid, mid=mid) for pid, mid in sorted(wanted)]
        try:
            await subscriber.connect(lambda: self.api.subscribe(choices), self.api.subscribe_answer)
        except BaseException:
            self._links.pop(generation, None)
            await subscriber.close()
            self._handover.forget(generation)
            raise
        self._subscriber = subscriber
        self._subscriber_generation = generation
        # Offer mids are the subscription's own; what it covers is what we asked for.
        self._subscribed = wanted
        self._subscriber_epoch = epoch
        self._last_packet = time.monotonic()
        self._video_frozen = False
        self._freeze.restarted(time.monotonic())
        self.report.subscriptions += 1
        if old is not None:
            task = asyncio.get_running_loop().create_task(
                self._retire(old, old_generation), name="session-retire-subscription"
            )
            self._retiring[old] = task

    async def _retire(self, old: SubscriberLink, generation: int) -> None:
        """Closes a replaced subscription once the current one plays what they share."""
        deadline = time.monotonic() + HANDOVER_MAX_S
        try:
            while time.monotonic() < deadline:
                current = self._subscriber
                if current is None or self._handover.taken_over(
                    generation, self._subscriber_generation, {stream_key(s) for s in current.streams.values()}
                ):
                    break
                await asyncio.sleep(HANDOVER_POLL_S)
        finally:
            self._retiring.pop(old, None)
            self._handover.forget(generation)
            self._forget_link(generation)
            await old.close()

    def _forget_link(self, generation: int) -> None:
        self._links.pop(generation, None)
        for slot in [slot for slot in self._slot_gate if slot[0] == generation]:
            del self._slot_gate[slot]

    async def _switch_large(self, subscriber: SubscriberLink, wanted: frozenset[tuple[str, str]]) -> bool:
        """Moves large-layer slots to the new big tiles without renegotiating; False if that cannot do.

        Only the big tiles changed (as many large layers as before, the rest the
        same): each slot that carried a large layer no longer wanted is switched to
        a newly wanted one. Until the new source's first keyframe decodes, the slot
        shows nothing and the tile plays its small layer, so it never goes blank or
        shows the previous person.
        """
        removed, added = sorted(self._subscribed - wanted), sorted(wanted - self._subscribed)
        by_key = {(s.participant_id, s.mid): s for s in self.state.streams}
        if (
            not removed
            or len(removed) != len(added)
            or not all(k in by_key and _is_large_main(by_key[k]) for k in [*removed, *added])
        ):
            return False
        generation = self._subscriber_generation
        changes = []
        for (old_pid, _), (new_pid, new_mid) in zip(removed, added, strict=True):
            slot = next(
                (
                    m
                    for m, v in subscriber.streams.items()
                    if _is_large_main(v) and v.participant_id == old_pid
                ),
                None,
            )
            if slot is None:
                return False
            changes.append(SwitchChoice(mid=slot, participant_id=new_pid, source_mid=new_mid))
        for change in changes:
            mark = subscriber.keyframe_mark(change.mid)
            self._slot_gate[(generation, change.mid)] = mark[0] if mark is not None else -1
        try:
            views = await self.api.switch_subscription(changes)
        except SpacesError as exc:
            log.info("Could not switch the big tile's stream (%s); subscribing again", exc.message)
            for change in changes:
                self._slot_gate.pop((generation, change.mid), None)
            return False
        for view in views:
            subscriber.streams[view.mid] = view
            subscriber.request_keyframe(view.mid)  # deltas of the new source wait for it
        self._subscribed = wanted
        self.report.layer_switches += 1
        return True

    def _slot_open(self, generation: int, mid: str, link: SubscriberLink | None, pts: int | None) -> bool:
        """False for frames of a switched slot before its new source's first keyframe."""
        gate = self._slot_gate.get((generation, mid))
        if gate is None:
            return True
        mark = link.keyframe_mark(mid) if link is not None else None
        if mark is None or gate < 0:
            self._slot_gate.pop((generation, mid), None)  # no guard: nothing to wait for
            return True
        count, keyframe_pts = mark
        if count <= gate or keyframe_pts is None or pts is None or pts < keyframe_pts:
            return False
        del self._slot_gate[(generation, mid)]
        return True

    def _layer_shows(self, view: StreamView, now: float) -> bool:
        """Whether this frame goes on its tile: a big tile's large layer, else (meanwhile) the small one."""
        if not _is_main_video(view):
            return True
        pid = view.participant_id
        if pid not in self._layered_now:
            return True  # one layer only: it is the picture
        if view.layer == "large":
            if pid not in self._big_now:
                return False  # the slot is being switched away: the small layer shows already
            self._large_at[pid] = now
            if pid not in self._sharp:
                self._sharp.add(pid)
                self.report.sharp.append((time.time(), pid))
            return True
        return not (pid in self._big_now and now - self._large_at.get(pid, -LARGE_HOLD_S) < LARGE_HOLD_S)

    async def _drop_publisher(self) -> None:
        publisher, self._publisher = self._publisher, None
        if publisher is not None:
            await publisher.close()

    async def _drop_subscriber(self) -> None:
        subscriber, self._subscriber = self._subscriber, None
        self._subscribed = frozenset()
        self._links.pop(self._subscriber_generation, None)
        retiring = list(self._retiring.items())
        for old, task in retiring:
            task.cancel()
            await old.close()
        await cancel_and_wait(task for _, task in retiring)
        if subscriber is not None:
            await subscriber.close()

    def _media_flowing(self) -> None:
        self._last_packet = time.monotonic()
        self._stall_limit = MEDIA_STALL_S
        if self._media_broken:
            self._media_dirty.set()  # the reconciler clears the reconnecting banner

    def _on_track(self, stream: StreamView, track: MediaStreamTrack, generation: int) -> None:
        consume = (
            self._consume_audio(stream, track, generation)
            if stream.kind == "audio"
            else self._consume_video(stream, track, generation)
        )
        task = asyncio.get_running_loop().create_task(consume)
        self._consumers.add(task)
        task.add_done_callback(self._consumers.discard)

    async def _consume_video(self, stream: StreamView, track: MediaStreamTrack, generation: int) -> None:
        link = self._links.get(generation)
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                self._media_flowing()
                # A slot may have switched to another participant's stream since it opened.
                view = link.streams.get(stream.mid, stream) if link is not None else stream
                if not self._slot_open(generation, view.mid, link, getattr(frame, "pts", None)):
                    continue
                if not self._handover.accept(generation, stream_key(view)):
                    continue
                now = time.monotonic()
                if self._layer_shows(view, now):
                    key = (view.participant_id, view.source or CameraSource.MAIN)
                    self._freeze.frame(key, now)
                    self.frames.put(key, frame)  # type: ignore[arg-type]

    async def _consume_audio(self, stream: StreamView, track: MediaStreamTrack, generation: int) -> None:
        pid = stream.participant_id
        handover = stream_key(stream)
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                self._media_flowing()
                if not self._handover.accept(generation, handover):
                    continue
                self.report.audio_frames[pid] = self.report.audio_frames.get(pid, 0) + 1
                self._heard_at[pid] = time.monotonic()
                self.mixer.push(pid, frame)  # type: ignore[arg-type]

    async def _measure_quality(self) -> None:
        """Samples the subscription's receivers and rates each remote participant's network."""
        meter = QualityMeter()
        sampled_at = time.monotonic()
        while not self._closed.is_set():
            await asyncio.sleep(QUALITY_INTERVAL_S)
            subscriber = self._subscriber
            if subscriber is None:
                continue
            samples = []
            for sample in (await subscriber.stats()).inbound:
                stream = subscriber.streams.get(sample.mid)
                if stream is not None:
                    samples.append(
                        ReceiverSample(
                            stream.participant_id,
                            stream.mid,
                            sample.packets_received,
                            sample.packets_lost,
                            sample.bytes_received,
                        )
                    )
            now = time.monotonic()
            measured = meter.measure(samples, now - sampled_at, await self._round_trip_ms())
            sampled_at = now
            verdicts = {pid: m.quality.value for pid, m in measured.items()}
            network = {pid: m.network for pid, m in measured.items()}
            if verdicts != dict(self.state.quality) or network != dict(self.state.network):
                self._dispatch(QualityMeasured(verdicts, network))

    async def _round_trip_ms(self) -> int | None:
        """Our round trip to the SFU, from the publisher's receiver reports (None when not publishing)."""
        publisher = self._publisher
        if publisher is None:
            return None
        seconds = (await publisher.stats()).round_trip_s
        return round(seconds * 1000) if seconds is not None else None

    async def _watch_video(self) -> None:
        """Per-track freeze detection: audio flowing says nothing about a frozen picture."""
        while not self._closed.is_set():
            await asyncio.sleep(FREEZE_TICK_S)
            now = time.monotonic()
            subscriber = self._subscriber
            expected: dict[tuple[str, CameraSource], str] = {}
            if subscriber is not None and self.state.connection not in TERMINAL:
                for mid, stream in subscriber.streams.items():
                    key = (stream.participant_id, stream.source or CameraSource.MAIN)
                    if stream.kind == "video" and self._camera_says_on(*key):
                        expected[key] = mid
            self._freeze.expect(expected, now)
            for key, action in self._freeze.tick(now):
                if action is FreezeAction.KEYFRAME and subscriber is not None:
                    log.info("Video of %s frozen; asking for a keyframe", key[0])
                    self.report.keyframe_requests += 1
                    subscriber.request_keyframe(expected[key])
                elif action is FreezeAction.REBUILD:
                    if self._publisher_silent(key[0], subscriber, now):
                        # Their voice stopped too: their network, not our subscription.
                        continue
                    log.info("Video of %s still frozen; subscribing again", key[0])
                    self.report.video_rebuilds += 1
                    self._video_frozen = True
                    self._media_dirty.set()
            paused = self._freeze.paused(now)
            if paused != self.state.paused_video:
                self._dispatch(VideoPaused(paused))

    def _publisher_silent(self, participant_id: str, subscriber: SubscriberLink | None, now: float) -> bool:
        """True if we subscribe to their audio and it stopped as well."""
        if subscriber is None or not any(
            s.participant_id == participant_id and s.kind == "audio" for s in subscriber.streams.values()
        ):
            return False
        return now - self._heard_at.get(participant_id, 0.0) > FREEZE_AFTER_S

    def _camera_says_on(self, participant_id: str, source: CameraSource) -> bool:
        member = self.state.members.get(participant_id)
        if member is None:
            return False
        return member.second_camera_on if source is CameraSource.SECOND else member.camera_on

    async def _show_self(self) -> None:
        """Our own cameras on our own tiles: the SFU never sends us back what we publish.

        The picture comes straight from the capture (never encoded and decoded again), converted
        once to yuv420p here (~0.9 ms at 720p, 15 times a second; OpenCV releases the GIL). Doing it
        in the executor instead measured 4-17 MB more resident memory (one more thread and its arena).
        """
        shown: dict[CameraSource, int] = {}
        while not self._closed.is_set():
            await asyncio.sleep(SELF_VIEW_INTERVAL_S)
            me = self.state.me
            for source, device in self.media.cameras.items():
                if me is None or device is None or not self.media.camera_on[source]:
                    continue
                frame = device.latest()
                if frame is None or shown.get(source) == frame.index:
                    continue
                shown[source] = frame.index
                picture = _self_view_picture(frame.image)
                self.frames.put((me, source), picture)

    # --- the stage ---

    def _now(self) -> float:
        return time.monotonic() - self._started_at

    async def _direct_stage(self) -> None:
        while not self._closed.is_set():
            await asyncio.sleep(DIRECTOR_TICK_S)
            switch = self.director.tick(self._now())
            if switch is not None:
                log.info("Stage: %s → %s (%s)", switch.from_id, switch.to_id, switch.reason)
                self.report.switches.append((time.time(), switch))
                self._dispatch(StageChosen(switch.to_id))
                self._media_dirty.set()  # the big tile takes the new speaker's large layer
            self._explain_stage()

    def _explain_stage(self) -> None:
        """The director's notes (switches and holds) into the state, for the host's director panel."""
        for note in self.director.drain_notes():
            self.report.notes.append(note)
            self._dispatch(DirectorExplained(note))


def _is_main_video(stream: StreamView | Stream) -> bool:
    return stream.kind == "video" and (stream.source or CameraSource.MAIN) is CameraSource.MAIN


def _is_large_main(stream: StreamView | Stream) -> bool:
    return _is_main_video(stream) and stream.layer == "large"


def _self_view_picture(image: np.ndarray) -> av.VideoFrame:
    """A captured BGR picture as the yuv420p frame the stage converts."""
    return av.VideoFrame.from_ndarray(bgr_to_yuv420p(image), format="yuv420p")

"""The participant's own microphone and cameras, and the tracks published from them.

Devices live as long as the session (a reconnect builds new tracks on the same
devices); turning a camera off stops the device, so its light goes off and
another app may use it.

A device that stops by itself (unplugged, taken by another app) is *lost*:
:meth:`LocalMedia.check_health` notices it, turns that camera off in its
track, and remembers it until the device watcher sees it again (*back*) or the
person picks another one; the speaker the engine plays on (`use_speaker`) is
watched the same way. Switching devices swaps the source under the
existing track, new device first, so the published stream never renegotiates.
Everything here runs on the engine loop, except :meth:`LocalMedia.scan_devices`
(a worker thread).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from spaces_desktop.devices.camera import CameraDevice
from spaces_desktop.devices.catalog import (
    AudioCatalog,
    DeviceCatalog,
    DeviceInfo,
    list_audio_devices,
    list_cameras,
)
from spaces_desktop.devices.errors import DeviceError
from spaces_desktop.devices.microphone import MicrophoneSource, SoundDeviceMicrophone
from spaces_desktop.devices.opencv_camera import OpenCvCamera
from spaces_desktop.devices.speaker import SpeakerSink
from spaces_desktop.devices.synthetic_camera import SyntheticCamera
from spaces_desktop.devices.synthetic_microphone import Schedule, SyntheticMicrophone
from spaces_desktop.domain import CameraSource
from spaces_desktop.domain.state import DeviceProblem, DeviceSlot, DeviceStatus, camera_slot, slot_camera
from spaces_desktop.media.echo import EchoCanceller, ProcessedMicrophone, create_echo_canceller
from spaces_desktop.media.overlays import Compositor
from spaces_desktop.media.readiness import MicMeter
from spaces_desktop.media.tracks import CameraVideoTrack, MicrophoneAudioTrack
from spaces_desktop.transport.publisher import PublishTracks

log = logging.getLogger(__name__)

SYNTHETIC = "synthetic"
NONE = "none"
SMALL_LAYER_WIDTH = 320
SMALL_LAYER_FPS = 15.0


def small_layer_size(width: int, height: int) -> tuple[int, int] | None:
    """The small layer's size for a ``width``×``height`` camera (same aspect, even); None if it is small."""
    if width <= SMALL_LAYER_WIDTH:
        return None
    return SMALL_LAYER_WIDTH, max(2, round(height * SMALL_LAYER_WIDTH / width / 2) * 2)


@dataclass(frozen=True)
class DeviceChoice:
    """Which devices to use: "synthetic", "none", a camera index or path, a WAV path or a microphone name."""

    camera: str = SYNTHETIC
    second_camera: str | None = None
    microphone: str = SYNTHETIC
    speak_schedule: Schedule | None = None
    """Windows (seconds since start) in which a synthetic or WAV microphone talks."""
    width: int = 640
    height: int = 360
    fps: float = 30.0
    label: str = ""
    """Name drawn into the synthetic camera's picture."""
    small_layer: bool = True
    """Also publish a small layer of the main camera (thumbnails take it instead of the full picture)."""


CameraOpener = Callable[[str, DeviceChoice, str], CameraDevice]
"""Opens a camera for a spec such as "screen:0" (spec, choice, label); raises DeviceError when it cannot."""


def open_camera(
    spec: str, choice: DeviceChoice, label: str, openers: Mapping[str, CameraOpener] | None = None
) -> CameraDevice | None:
    """The camera a spec names. ``openers`` maps a scheme ("screen" in "screen:0") to a factory the
    GUI injects for sources only it can open, such as a screen or window capture."""
    if spec == NONE:
        return None
    scheme, colon, _ = spec.partition(":")
    if colon and openers and scheme in openers:
        return openers[scheme](spec, choice, label)
    if spec == SYNTHETIC:
        return SyntheticCamera(label, width=choice.width, height=choice.height, fps=choice.fps)
    device: int | str = int(spec) if spec.isdigit() else spec
    return OpenCvCamera(device, width=choice.width, height=choice.height, fps=choice.fps)


def open_microphone(choice: DeviceChoice, echo: EchoCanceller | None) -> MicrophoneSource | None:
    spec = choice.microphone
    if spec == NONE:
        return None
    if spec == SYNTHETIC:
        return SyntheticMicrophone.from_tone(220.0, level_dbfs=-30.0, schedule=choice.speak_schedule)
    if _is_audio_file(spec):
        return SyntheticMicrophone.from_file(spec, loop=False, schedule=choice.speak_schedule)
    device = SoundDeviceMicrophone(int(spec) if spec.isdigit() else spec)
    # A real microphone hears the speakers: cancel their echo and suppress noise.
    return ProcessedMicrophone(device, echo) if echo is not None else device


def _is_audio_file(spec: str) -> bool:
    return spec.lower().endswith((".wav", ".ogg", ".flac", ".mp3"))


@dataclass
class LostDevice:
    slot: DeviceSlot
    device: object
    error: DeviceError
    was_on: bool
    """Whether the camera was on when it went (switching to another one turns that on)."""
    seen_gone: bool = False
    """A scan since the loss did not find it: it was unplugged, not just taken by another app."""
    back: bool = False
    told: bool = False
    """A camera the server knows is off: its track sends nothing, not even the black keep-alive."""


def _inner(device: object) -> object:
    """The device itself, under an echo-cancelling wrapper."""
    return getattr(device, "source", device)


def synthetic_key(device: object) -> str:
    """How a synthetic device shows in the catalog the device watcher scans."""
    return f"synthetic:{id(device)}"


def is_present(device: object, catalog: DeviceCatalog) -> bool:
    """Whether ``device`` appears in ``catalog`` (a lost device that is there again is back)."""
    device = _inner(device)
    if isinstance(device, SyntheticCamera | SyntheticMicrophone):
        return any(d.key == synthetic_key(device) for d in catalog.all)
    if isinstance(device, OpenCvCamera):
        wanted = device.device
        return any(c.index == wanted or c.path == wanted for c in catalog.cameras)
    if isinstance(device, SoundDeviceMicrophone):
        wanted_mic = device.device
        if wanted_mic is None:  # the system default: any microphone will do
            return bool(catalog.audio.microphones)
        return any(m.index == wanted_mic or m.name == wanted_mic for m in catalog.audio.microphones)
    if isinstance(device, SpeakerSink):
        wanted_out = device.device
        if wanted_out is None:  # the system default: any output will do
            return bool(catalog.audio.speakers)
        return any(s.index == wanted_out or s.name == wanted_out for s in catalog.audio.speakers)
    return False


class LocalMedia:
    """Owns the devices; runs on the engine loop (device threads are the devices' own)."""

    def __init__(
        self,
        choice: DeviceChoice,
        *,
        overlays: Mapping[CameraSource, Compositor] | None = None,
        openers: Mapping[str, CameraOpener] | None = None,
    ) -> None:
        self.choice = choice
        self.overlays: dict[CameraSource, Compositor] = dict(overlays or {})
        """Per camera, what is blended into its pictures (shared with the engine, kept across Spaces)."""
        self.openers = dict(openers or {})
        label = choice.label
        self.cameras: dict[CameraSource, CameraDevice | None] = {
            CameraSource.MAIN: open_camera(choice.camera, choice, label, self.openers),
            CameraSource.SECOND: open_camera(choice.second_camera, choice, f"{label} · product", self.openers)
            if choice.second_camera
            else None,
        }
        real_microphone = choice.microphone not in (NONE, SYNTHETIC) and not _is_audio_file(choice.microphone)
        self.echo: EchoCanceller | None = create_echo_canceller() if real_microphone else None
        self.microphone = open_microphone(choice, self.echo)
        self.camera_on: dict[CameraSource, bool] = dict.fromkeys(CameraSource, False)
        self._camera_turning = asyncio.Lock()
        """One camera change at a time: a quick on-off must not leave the device and the flag apart."""
        self.muted = False
        self._mic_started = False
        self._video_tracks: dict[CameraSource, CameraVideoTrack] = {}
        self._small_track: CameraVideoTrack | None = None
        self._audio_track: MicrophoneAudioTrack | None = None
        self.mic_meter = MicMeter()
        """Levels of what the microphone sent lately, for the green room's checks."""
        self.errors: list[str] = []
        self.lost: dict[DeviceSlot, LostDevice] = {}
        self.speaker: SpeakerSink | None = None
        """The output playing the Space now; the engine owns it and hands it over (`use_speaker`)."""

    def has_camera(self, source: CameraSource) -> bool:
        return self.cameras.get(source) is not None

    def has_track(self, slot: DeviceSlot) -> bool:
        """Whether the current publishing connection carries a track for ``slot``."""
        if slot is DeviceSlot.MICROPHONE:
            return self._audio_track is not None
        return slot_camera(slot) in self._video_tracks

    # --- lost and found -------------------------------------------------------------------------

    def check_health(self) -> list[DeviceSlot]:
        """Notice devices that stopped by themselves; returns the newly lost ones.

        A lost camera is switched off in its track (subscribers get the
        camera-off stream, not a frozen or black "camera on"); the track of
        a lost microphone sends silence. :meth:`release_lost` then closes
        what is left of them.
        """
        newly: list[DeviceSlot] = []
        for source, device in self.cameras.items():
            slot = camera_slot(source)
            if device is None or slot in self.lost or not self.camera_on[source]:
                continue
            error = device.error
            if error is None or device.running:
                continue
            self.lost[slot] = LostDevice(slot, device, error, was_on=True)
            self.camera_on[source] = False
            for track in self._tracks_of(source):
                track.camera_on = False
            newly.append(slot)
        mic = self.microphone
        if mic is not None and self._mic_started and DeviceSlot.MICROPHONE not in self.lost:
            error = mic.error
            if error is not None:
                self.lost[DeviceSlot.MICROPHONE] = LostDevice(DeviceSlot.MICROPHONE, mic, error, was_on=True)
                self._mic_started = False
                newly.append(DeviceSlot.MICROPHONE)
        speaker = self.speaker
        if speaker is not None and DeviceSlot.SPEAKER not in self.lost:
            error = speaker.error
            if error is not None:
                self.lost[DeviceSlot.SPEAKER] = LostDevice(DeviceSlot.SPEAKER, speaker, error, was_on=True)
                newly.append(DeviceSlot.SPEAKER)
        for slot in newly:
            log.warning("%s lost: %s", slot, self.lost[slot].error.message)
        return newly

    def camera_told_off(self, slot: DeviceSlot) -> None:
        """The server knows this lost camera is off (viewers show the avatar): stop sending its video."""
        lost = self.lost.get(slot)
        if lost is None:
            return
        lost.told = True
        for track in self._tracks_of(slot_camera(slot)):  # the small layer of the main camera too
            track.keep_alive = False

    def use_speaker(self, speaker: SpeakerSink | None) -> None:
        """The engine opened another output (or none): a lost one is no longer a problem."""
        self.speaker = speaker
        lost = self.lost.get(DeviceSlot.SPEAKER)
        if lost is not None and lost.device is not speaker:
            del self.lost[DeviceSlot.SPEAKER]

    async def release_lost(self, slots: list[DeviceSlot]) -> None:
        """Close what is left of lost devices, off the loop: a vanished sound card can block a while."""
        loop = asyncio.get_running_loop()
        for slot in slots:
            lost = self.lost.get(slot)
            stop = getattr(lost.device if lost else None, "stop", None)
            if callable(stop):
                await loop.run_in_executor(None, stop)

    def scan_devices(self) -> DeviceCatalog:
        """What is plugged in now, for the device watcher (blocking: a worker thread).

        Synthetic devices are listed while plugged in. Real cameras are listed
        on Linux only (elsewhere listing means opening them); audio devices only
        when a real microphone is in use, and PortAudio restarts to see new ones
        only while none of our streams is open.
        """
        # Snapshots: the loop thread may change these dicts while this thread scans.
        lost_devices = [lost.device for lost in tuple(self.lost.values())]
        devices = [*tuple(self.cameras.values()), self.microphone, *lost_devices]
        inner = [_inner(d) for d in devices if d is not None]
        synthetic_cameras = tuple(
            DeviceInfo("camera", synthetic_key(d), d.name, -1)
            for d in {id(d): d for d in inner if isinstance(d, SyntheticCamera)}.values()
            if d.plugged_in
        )
        synthetic_mics = tuple(
            DeviceInfo("microphone", synthetic_key(d), d.name, -1)
            for d in {id(d): d for d in inner if isinstance(d, SyntheticMicrophone)}.values()
            if d.plugged_in
        )
        cameras: tuple[DeviceInfo, ...] = ()
        if sys.platform.startswith("linux") and any(isinstance(d, OpenCvCamera) for d in inner):
            cameras = list_cameras()
        audio = (
            list_audio_devices(rescan=True)
            if any(isinstance(d, SoundDeviceMicrophone | SpeakerSink) for d in inner)
            else AudioCatalog()
        )
        return DeviceCatalog(
            cameras=cameras + synthetic_cameras,
            audio=replace(audio, microphones=audio.microphones + synthetic_mics),
        )

    def devices_seen(self, catalog: DeviceCatalog) -> bool:
        """Mark lost devices plugged in again as back (after every scan); True when any changed.

        Back means gone from a scan and then present again: a camera another
        app took never left the list, so it is not offered back (the person
        can pick it again from the menu once the other app lets go).
        """
        changed = False
        for lost in self.lost.values():
            if not is_present(lost.device, catalog):
                lost.seen_gone = True
                back = False
            else:
                back = lost.seen_gone
            if back != lost.back:
                lost.back = back
                changed = True
        return changed

    def problems(self) -> tuple[DeviceProblem, ...]:
        return tuple(
            DeviceProblem(
                lost.slot,
                DeviceStatus.BACK if lost.back else DeviceStatus.LOST,
                getattr(lost.device, "name", ""),
                lost.error.message,
            )
            for lost in self.lost.values()
        )

    def tracks(self, video_enabled: bool) -> PublishTracks:
        """Fresh tracks for a new publishing connection, on the same devices."""
        self._stop_tracks()
        if self.microphone is not None and not self._mic_started:
            try:
                self.microphone.start()
                self._mic_started = True
                self.lost.pop(DeviceSlot.MICROPHONE, None)
            except DeviceError as exc:
                self.errors.append(exc.message)
                log.warning("Microphone unavailable: %s", exc.message)
        audio = (
            MicrophoneAudioTrack(self.microphone, muted=self.muted, tap=self.mic_meter.observe)
            if self._mic_started and self.microphone
            else None
        )
        self._audio_track = audio
        videos: dict[CameraSource, CameraVideoTrack] = {}
        if video_enabled:
            for source, device in self.cameras.items():
                if device is not None:
                    videos[source] = track = CameraVideoTrack(
                        device, camera_on=self.camera_on[source], overlays=self.overlays.get(source)
                    )
                    lost = self.lost.get(camera_slot(source))
                    track.keep_alive = not (lost is not None and lost.told)
        self._video_tracks = videos
        self._small_track = None
        main = self.cameras.get(CameraSource.MAIN)
        size = small_layer_size(main.width, main.height) if main is not None else None
        if video_enabled and main is not None and self.choice.small_layer and size is not None:
            self._small_track = CameraVideoTrack(
                main,
                size=size,
                max_fps=SMALL_LAYER_FPS,
                camera_on=self.camera_on[CameraSource.MAIN],
                overlays=self.overlays.get(CameraSource.MAIN),
                small=True,
            )
            lost = self.lost.get(DeviceSlot.CAMERA)
            self._small_track.keep_alive = not (lost is not None and lost.told)
        return PublishTracks(
            audio, videos.get(CameraSource.MAIN), videos.get(CameraSource.SECOND), self._small_track
        )

    def set_layers(self, large: bool, small: bool) -> None:
        """Encode only the main camera's layers someone takes (the backend's `layers_wanted`)."""
        track = self._video_tracks.get(CameraSource.MAIN)
        if track is not None and self._small_track is not None:
            track.wanted = large
            self._small_track.wanted = small

    def _tracks_of(self, source: CameraSource) -> list[CameraVideoTrack]:
        tracks = [self._video_tracks[source]] if source in self._video_tracks else []
        if source is CameraSource.MAIN and self._small_track is not None:
            tracks.append(self._small_track)
        return tracks

    def set_muted(self, muted: bool) -> None:
        self.muted = muted
        if self._audio_track is not None:
            self._audio_track.muted = muted

    def set_camera(self, source: CameraSource, on: bool) -> None:
        """Starts or stops the device; raises DeviceError when it cannot open.

        Blocks until the camera's first picture: on an event loop use :meth:`turn_camera`.
        """
        device = self._camera_device(source)
        if on and not device.running:
            device.start()
        elif not on and device.running:
            device.stop()
        self._camera_set(source, on)

    async def turn_camera(self, source: CameraSource, on: bool) -> None:
        """:meth:`set_camera` without holding up the loop.

        Opening a camera waits for its first picture (a webcam takes up to a
        second): on the engine loop that wait would stop every remote video and
        sound, so the device starts and stops on a worker thread.
        """
        device = self._camera_device(source)
        loop = asyncio.get_running_loop()
        async with self._camera_turning:
            if on and not device.running:
                await loop.run_in_executor(None, device.start)
            elif not on and device.running:
                await loop.run_in_executor(None, device.stop)
            self._camera_set(source, on)

    def _camera_device(self, source: CameraSource) -> CameraDevice:
        device = self.cameras.get(source)
        if device is None:
            raise DeviceError(f"No {'second ' if source is CameraSource.SECOND else ''}camera is set up.")
        return device

    def _camera_set(self, source: CameraSource, on: bool) -> None:
        # Turned on again (it is back), or off on purpose: either way it is no longer a problem.
        self.lost.pop(camera_slot(source), None)
        self.camera_on[source] = on
        for track in self._tracks_of(source):
            track.camera_on = on
            track.keep_alive = True

    # --- switching devices --------------------------------------------------------------------

    async def switch_camera(self, source: CameraSource, spec: str) -> bool:
        """Use the camera ``spec`` for ``source`` from now on; returns whether it is on.

        Make before break: the new camera is started (when the old one was on,
        or was lost while on) and already delivering when the track switches
        to it, and only then is the old one closed. A new camera that fails to
        open raises DeviceError and changes nothing.
        """
        if spec == NONE:
            raise DeviceError("Pick a camera to switch to, or turn the camera off.")
        slot = camera_slot(source)
        lost = self.lost.get(slot)
        want_on = self.camera_on[source] or (lost is not None and lost.was_on)
        label = self.choice.label if source is CameraSource.MAIN else f"{self.choice.label} · product"
        new = open_camera(spec, self.choice, label, self.openers)
        assert new is not None
        loop = asyncio.get_running_loop()
        if want_on:
            await loop.run_in_executor(None, new.start)
        old = self.cameras.get(source)
        self.cameras[source] = new
        self.lost.pop(slot, None)
        self.camera_on[source] = want_on
        for track in self._tracks_of(source):
            track.replace_source(new)
            track.camera_on = want_on
            track.keep_alive = True
        if source is CameraSource.SECOND:
            self.choice = replace(self.choice, second_camera=spec)
        else:
            self.choice = replace(self.choice, camera=spec)
        if old is not None and old.running:
            await loop.run_in_executor(None, old.stop)
        return want_on

    async def switch_microphone(self, spec: str) -> None:
        """Use the microphone ``spec`` from now on (the same one again reopens it), make before break."""
        if spec == NONE:
            raise DeviceError("Pick a microphone to switch to, or mute yourself.")
        new = open_microphone(replace(self.choice, microphone=spec), self.echo)
        assert new is not None
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, new.start)
        old, started = self.microphone, self._mic_started
        self.microphone = new
        self._mic_started = True
        self.lost.pop(DeviceSlot.MICROPHONE, None)
        if self._audio_track is not None:
            self._audio_track.source = new
        self.choice = replace(self.choice, microphone=spec)
        if old is not None and old is not new and started:
            await loop.run_in_executor(None, old.stop)

    def _stop_tracks(self) -> None:
        for track in self._video_tracks.values():
            track.stop()
        if self._small_track is not None:
            self._small_track.stop()
        if self._audio_track is not None:
            self._audio_track.stop()

    def close(self) -> None:
        self._stop_tracks()
        for device in self.cameras.values():
            if device is not None and device.running:
                device.stop()
        if self.microphone is not None and self._mic_started:
            stop = getattr(self.microphone, "stop", None)
            if callable(stop):
                stop()

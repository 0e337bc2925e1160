"""The participant's own microphone and cameras, and the tracks published from them.

Devices live as long as the session (a reconnect builds new tracks on the same
devices); turning a camera off stops the device, so its light goes off and
another app may use it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from spaces_desktop.devices.camera import CameraSource as CameraDevice
from spaces_desktop.devices.errors import DeviceError
from spaces_desktop.devices.microphone import MicrophoneSource, SoundDeviceMicrophone
from spaces_desktop.devices.opencv_camera import OpenCvCamera
from spaces_desktop.devices.synthetic_camera import SyntheticCamera
from spaces_desktop.devices.synthetic_microphone import Schedule, SyntheticMicrophone
from spaces_desktop.domain import CameraSource
from spaces_desktop.media.echo import EchoCanceller, ProcessedMicrophone, create_echo_canceller
from spaces_desktop.media.tracks import CameraVideoTrack, MicrophoneAudioTrack
from spaces_desktop.transport.publisher import PublishTracks

log = logging.getLogger(__name__)

SYNTHETIC = "synthetic"
NONE = "none"


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


def open_camera(spec: str, choice: DeviceChoice, label: str) -> CameraDevice | None:
    if spec == NONE:
        return None
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


class LocalMedia:
    """Owns the devices; runs on the engine loop (device threads are the devices' own)."""

    def __init__(self, choice: DeviceChoice) -> None:
        self.choice = choice
        label = choice.label
        self.cameras: dict[CameraSource, CameraDevice | None] = {
            CameraSource.MAIN: open_camera(choice.camera, choice, label),
            CameraSource.SECOND: open_camera(choice.second_camera, choice, f"{label} · product")
            if choice.second_camera
            else None,
        }
        real_microphone = choice.microphone not in (NONE, SYNTHETIC) and not _is_audio_file(choice.microphone)
        self.echo: EchoCanceller | None = create_echo_canceller() if real_microphone else None
        self.microphone = open_microphone(choice, self.echo)
        self.camera_on: dict[CameraSource, bool] = dict.fromkeys(CameraSource, False)
        self.muted = False
        self._mic_started = False
        self._video_tracks: dict[CameraSource, CameraVideoTrack] = {}
        self._audio_track: MicrophoneAudioTrack | None = None
        self.errors: list[str] = []

    def has_camera(self, source: CameraSource) -> bool:
        return self.cameras.get(source) is not None

    def tracks(self, video_enabled: bool) -> PublishTracks:
        """Fresh tracks for a new publishing connection, on the same devices."""
        self._stop_tracks()
        if self.microphone is not None and not self._mic_started:
            try:
                self.microphone.start()
                self._mic_started = True
            except DeviceError as exc:
                self.errors.append(exc.message)
                log.warning("Microphone unavailable: %s", exc.message)
        audio = (
            MicrophoneAudioTrack(self.microphone, muted=self.muted)
            if self._mic_started and self.microphone
            else None
        )
        self._audio_track = audio
        videos: dict[CameraSource, CameraVideoTrack] = {}
        if video_enabled:
            for source, device in self.cameras.items():
                if device is not None:
                    videos[source] = CameraVideoTrack(device, camera_on=self.camera_on[source])
        self._video_tracks = videos
        return PublishTracks(audio, videos.get(CameraSource.MAIN), videos.get(CameraSource.SECOND))

    def set_muted(self, muted: bool) -> None:
        self.muted = muted
        if self._audio_track is not None:
            self._audio_track.muted = muted

    def set_camera(self, source: CameraSource, on: bool) -> None:
        """Starts or stops the device; raises DeviceError when it cannot open."""
        device = self.cameras.get(source)
        if device is None:
            raise DeviceError(f"No {'second ' if source is CameraSource.SECOND else ''}camera is set up.")
        if on and not device.running:
            device.start()
        elif not on and device.running:
            device.stop()
        self.camera_on[source] = on
        track = self._video_tracks.get(source)
        if track is not None:
            track.camera_on = on

    def _stop_tracks(self) -> None:
        for track in self._video_tracks.values():
            track.stop()
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

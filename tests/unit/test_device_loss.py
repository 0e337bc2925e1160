"""Losing a camera or microphone mid-Space, getting it back, and switching devices under a live track.

Real cameras and PortAudio cannot be unplugged here: OpenCV captures and
PortAudio streams are fakes; the synthetic devices are the real product ones.
"""

from __future__ import annotations

import asyncio
import threading
import time
from types import SimpleNamespace
from typing import Any, ClassVar

import numpy as np
import pytest

from spaces_desktop.devices.errors import (
    CameraBusy,
    CameraMissing,
    DeviceError,
    MicrophoneMissing,
    SpeakerMissing,
)
from spaces_desktop.devices.microphone import SoundDeviceMicrophone
from spaces_desktop.devices.opencv_camera import OpenCvCamera
from spaces_desktop.devices.synthetic_camera import SyntheticCamera
from spaces_desktop.devices.synthetic_microphone import SyntheticMicrophone
from spaces_desktop.domain import CameraSource
from spaces_desktop.domain.state import DeviceSlot, DeviceStatus
from spaces_desktop.media.tracks import CameraVideoTrack
from spaces_desktop.session.engine import Engine
from spaces_desktop.session.local_media import NONE, DeviceChoice, LocalMedia


class FlakyCapture:
    """A cv2.VideoCapture stand-in that delivers until ``broken`` is set, then fails every read."""

    def __init__(self) -> None:
        self.broken = threading.Event()

    def isOpened(self) -> bool:
        return True

    def read(self) -> tuple[bool, Any]:
        time.sleep(0.005)
        if self.broken.is_set():
            return False, None
        return True, np.zeros((24, 32, 3), np.uint8)

    def set(self, prop: int, value: float) -> bool:
        return True

    def get(self, prop: int) -> float:
        return 0.0

    def release(self) -> None:
        pass


def wait_for_error(device: Any, timeout: float = 3.0) -> tuple[DeviceError | None, float]:
    started = time.monotonic()
    while device.error is None and time.monotonic() - started < timeout:
        time.sleep(0.005)
    return device.error, time.monotonic() - started


def test_unplugged_webcam_is_missing_within_a_second_with_default_settings() -> None:
    capture, present = FlakyCapture(), [True]
    camera = OpenCvCamera(0, capture_factory=lambda d: capture, device_exists=lambda d: present[0])
    camera.start()
    try:
        present[0] = False
        capture.broken.set()
        error, took = wait_for_error(camera)
        assert isinstance(error, CameraMissing) and "unplugged" in error.message
        assert took < 1.0
    finally:
        camera.stop()


def test_webcam_taken_by_another_app_is_busy_within_a_second() -> None:
    capture = FlakyCapture()
    camera = OpenCvCamera(0, capture_factory=lambda d: capture, device_exists=lambda d: True)
    camera.start()
    try:
        capture.broken.set()
        error, took = wait_for_error(camera)
        assert isinstance(error, CameraBusy)
        assert took < 1.0
    finally:
        camera.stop()


def test_synthetic_camera_fails_like_an_unplugged_webcam_and_can_be_restored() -> None:
    camera = SyntheticCamera("A", width=128, height=72, fps=30, frame_id=False)
    errors: list[DeviceError] = []
    camera.subscribe(lambda frame: None, errors.append)
    camera.start()
    camera.fail_now()
    error, took = wait_for_error(camera)
    assert isinstance(error, CameraMissing) and took < 0.5
    assert errors == [error] and not camera.running and not camera.plugged_in
    camera.stop()
    try:
        camera.start()
        raise AssertionError("an unplugged camera started")
    except CameraMissing:
        pass
    camera.restore()
    camera.start()
    assert camera.running and camera.error is None
    camera.stop()


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class FakeInputStream:
    def __init__(self, **kwargs: Any) -> None:
        self.callback = kwargs["callback"]
        self.active = False

    def start(self) -> None:
        self.active = True

    def stop(self) -> None:
        self.active = False

    def close(self) -> None:
        pass


class FakeBackend:
    def __init__(self) -> None:
        self.streams: list[FakeInputStream] = []

    def InputStream(self, **kwargs: Any) -> FakeInputStream:
        self.streams.append(FakeInputStream(**kwargs))
        return self.streams[-1]


def feed(stream: FakeInputStream) -> None:
    stream.callback(np.zeros((960, 1), np.int16), 960, None, None)


def test_microphone_that_stops_calling_back_is_lost_after_the_stall_timeout() -> None:
    clock, backend = FakeClock(), FakeBackend()
    mic = SoundDeviceMicrophone(3, backend_loader=lambda: backend, clock=clock)  # type: ignore[arg-type,return-value]
    mic.start()
    for _ in range(10):
        clock.now += 0.02
        feed(backend.streams[0])
    clock.now += 0.7
    assert mic.error is None and mic.running
    clock.now += 0.2  # 0.9 s without a callback
    assert isinstance(mic.error, MicrophoneMissing)
    assert not mic.running
    mic.stop()


def test_microphone_whose_stream_went_inactive_is_lost() -> None:
    backend = FakeBackend()
    mic = SoundDeviceMicrophone(3, backend_loader=lambda: backend)  # type: ignore[arg-type,return-value]
    mic.start()
    feed(backend.streams[0])
    backend.streams[0].active = False  # PortAudio stopped it: the device went away
    assert isinstance(mic.error, MicrophoneMissing)
    mic.stop()
    assert mic.error is not None  # stays reported until it is opened again


def test_synthetic_microphone_fault_hook() -> None:
    mic = SyntheticMicrophone.from_tone(220.0)
    mic.start()
    assert mic.read() is not None
    mic.fail_now()
    assert isinstance(mic.error, MicrophoneMissing) and mic.read() is None and not mic.plugged_in
    mic.restore()
    assert mic.error is None
    mic.start()
    assert mic.read() is not None
    mic.stop()


def small_choice(**fields: Any) -> DeviceChoice:
    return DeviceChoice(width=128, height=72, fps=30, label="Me", **fields)


async def test_local_media_turns_a_lost_camera_off_and_offers_it_back() -> None:
    media = LocalMedia(small_choice(microphone=NONE))
    tracks = media.tracks(video_enabled=True)
    media.set_camera(CameraSource.MAIN, True)
    camera = media.cameras[CameraSource.MAIN]
    assert isinstance(camera, SyntheticCamera) and isinstance(tracks.camera, CameraVideoTrack)
    baseline = media.scan_devices()
    assert media.check_health() == []
    camera.fail_now()
    deadline = time.monotonic() + 2
    lost: list[DeviceSlot] = []
    while not lost and time.monotonic() < deadline:
        time.sleep(0.02)
        lost = media.check_health()
    assert lost == [DeviceSlot.CAMERA]
    await media.release_lost(lost)
    assert not media.camera_on[CameraSource.MAIN] and not tracks.camera.camera_on
    [problem] = media.problems()
    assert problem.status is DeviceStatus.LOST and "unplugged" in problem.detail
    assert media.check_health() == []  # reported once
    assert tracks.camera.keep_alive  # black goes on until the server knows the camera is off
    media.camera_told_off(DeviceSlot.CAMERA)
    assert not tracks.camera.keep_alive
    republished = media.tracks(video_enabled=True).camera  # a reconnect while it is still lost
    assert republished is not None and not republished.keep_alive and not republished.camera_on
    tracks = media.tracks(video_enabled=True)
    assert isinstance(tracks.camera, CameraVideoTrack)
    assert not media.devices_seen(baseline)  # still listed: maybe only taken by another app
    gone = media.scan_devices()
    assert len(gone.cameras) == len(baseline.cameras) - 1
    assert not media.devices_seen(gone)
    camera.restore()
    assert media.devices_seen(media.scan_devices())
    assert media.problems()[0].status is DeviceStatus.BACK
    media.set_camera(CameraSource.MAIN, True)
    assert media.problems() == () and camera.running
    assert tracks.camera.camera_on and tracks.camera.keep_alive
    assert media.tracks(video_enabled=True).camera.keep_alive  # type: ignore[union-attr]
    media.close()


async def test_switching_cameras_swaps_the_source_under_the_same_track() -> None:
    media = LocalMedia(small_choice(microphone=NONE))
    tracks = media.tracks(video_enabled=True)
    media.set_camera(CameraSource.MAIN, True)
    track = tracks.camera
    assert isinstance(track, CameraVideoTrack)
    old = media.cameras[CameraSource.MAIN]
    assert old is not None
    await track.recv()
    on = await media.switch_camera(CameraSource.MAIN, "synthetic")
    new = media.cameras[CameraSource.MAIN]
    assert on and new is not old and track.source is new
    assert new is not None and new.running and not old.running
    # The very next pictures come from the new camera.
    from_new: list[object] = []
    new.subscribe(from_new.append)
    latest = new.latest()
    if latest is not None:
        from_new.append(latest)
    sent_before = track.frames_sent
    for _ in range(3):
        await track.recv()
        # The capture thread tells listeners just after it publishes: give it a moment.
        deadline = time.monotonic() + 1.0
        while not any(f is track._last_frame for f in from_new) and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        assert any(frame is track._last_frame for frame in from_new)
    assert track.frames_sent == sent_before + 3
    assert media.choice.camera == "synthetic"
    track.stop()
    media.close()


async def test_switching_to_another_camera_after_a_loss_turns_it_on() -> None:
    media = LocalMedia(small_choice(microphone=NONE))
    media.tracks(video_enabled=True)
    media.set_camera(CameraSource.MAIN, True)
    camera = media.cameras[CameraSource.MAIN]
    assert isinstance(camera, SyntheticCamera)
    camera.fail_now()
    deadline = time.monotonic() + 2
    while not media.check_health() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert media.problems()
    assert await media.switch_camera(CameraSource.MAIN, "synthetic")
    assert media.problems() == () and media.camera_on[CameraSource.MAIN]
    media.close()


async def test_switching_microphones_keeps_the_audio_track() -> None:
    media = LocalMedia(small_choice())
    tracks = media.tracks(video_enabled=False)
    old = media.microphone
    await media.switch_microphone("synthetic")
    assert tracks.audio is not None and tracks.audio.source is media.microphone  # type: ignore[attr-defined]
    assert media.microphone is not old and old is not None and not old.running
    frame = await tracks.audio.recv()
    assert frame.samples == 960
    tracks.audio.stop()
    media.close()


class FakeSpeaker:
    """Stands in for SpeakerSink: records opening and closing; ``broken`` devices fail to open."""

    broken: ClassVar[set[object]] = set()
    log: ClassVar[list[str]] = []

    def __init__(self, pull: Any, device: int | str | None) -> None:
        self.device = device
        self.error: DeviceError | None = None

    def start(self) -> None:
        if self.device in FakeSpeaker.broken:
            raise SpeakerMissing(f"The speaker “{self.device}” could not be opened.")
        FakeSpeaker.log.append(f"start {self.device}")

    def stop(self) -> None:
        FakeSpeaker.log.append(f"stop {self.device}")


def fake_session() -> Any:
    """What the engine needs of a SpaceSession for its speaker: the mix, and whom to tell."""
    handed: list[object] = []
    return SimpleNamespace(
        mixer=SimpleNamespace(pull=lambda n: np.zeros(n, np.int16)),
        speaker_changed=handed.append,
        handed=handed,
    )


def test_switching_the_speaker_reopens_the_output_stream_and_falls_back() -> None:
    FakeSpeaker.broken, FakeSpeaker.log = {9}, []
    engine = Engine(lambda state: None, speaker_factory=FakeSpeaker)  # type: ignore[arg-type]
    try:
        engine.set_device(DeviceSlot.SPEAKER, "4").result(5)  # not in a Space: remembered for the next
        assert engine.speaker_device == 4 and FakeSpeaker.log == []
        session = fake_session()
        engine.session = session  # type: ignore[assignment]
        engine._start_speaker(session)  # type: ignore[arg-type]
        assert FakeSpeaker.log == ["start 4"]
        engine.set_device(DeviceSlot.SPEAKER, "6").result(5)
        assert FakeSpeaker.log == ["start 4", "stop 4", "start 6"]
        with pytest.raises(SpeakerMissing):
            engine.set_device(DeviceSlot.SPEAKER, "9").result(5)
        assert FakeSpeaker.log[-2:] == ["stop 6", "start 6"]  # the one that worked plays on
        engine.set_device(DeviceSlot.SPEAKER, "").result(5)
        assert engine.speaker_device is None and FakeSpeaker.log[-1] == "start None"
    finally:
        engine.session = None
        engine.shutdown()


def test_a_saved_speaker_that_is_gone_falls_back_to_the_default() -> None:
    FakeSpeaker.broken, FakeSpeaker.log = {7}, []
    engine = Engine(lambda state: None, speaker_factory=FakeSpeaker, speaker_device=7)  # type: ignore[arg-type]
    try:
        session = fake_session()
        engine._start_speaker(session)  # type: ignore[arg-type]
        assert FakeSpeaker.log == ["start None"] and engine.notices == []
    finally:
        engine.shutdown()


def test_device_watcher_hands_every_scan_to_on_scan() -> None:
    from spaces_desktop.devices.catalog import DeviceCatalog, DeviceInfo
    from spaces_desktop.devices.watcher import DeviceWatcher

    camera = DeviceInfo("camera", "/dev/video0", "Webcam", 0, "/dev/video0")
    catalogs = [DeviceCatalog(cameras=(camera,)), DeviceCatalog(cameras=(camera,)), DeviceCatalog()]
    scanned: list[DeviceCatalog] = []
    changes: list[object] = []
    watcher = DeviceWatcher(changes.append, scan=lambda: catalogs.pop(0), on_scan=scanned.append)
    for _ in range(3):
        watcher.poll()
    assert len(scanned) == 3  # unchanged scans too
    assert len(changes) == 1  # only the camera going away is a change


def test_a_lost_speaker_is_not_reopened_when_switching_fails_and_a_working_one_is_handed_over() -> None:
    FakeSpeaker.broken, FakeSpeaker.log = {9}, []
    engine = Engine(lambda state: None, speaker_factory=FakeSpeaker, speaker_device=4)  # type: ignore[arg-type]
    try:
        session = fake_session()
        engine.session = session
        engine._start_speaker(session)
        [playing] = session.handed
        assert isinstance(playing, FakeSpeaker) and playing.device == 4
        playing.error = SpeakerMissing("The speaker “4” stopped (unplugged?).")
        with pytest.raises(SpeakerMissing):
            engine.set_device(DeviceSlot.SPEAKER, "9").result(5)
        assert FakeSpeaker.log == ["start 4", "stop 4"]  # the dead one is not opened again
        engine.set_device(DeviceSlot.SPEAKER, "6").result(5)
        assert FakeSpeaker.log[-1] == "start 6"
        assert [getattr(s, "device", None) for s in session.handed] == [4, 6]
    finally:
        engine.session = None
        engine.shutdown()


class FakeOutput:
    """A PortAudio output stream stand-in: the test plays blocks, or pulls the plug."""

    def __init__(self, **kwargs: Any) -> None:
        self.callback = kwargs["callback"]
        self.finished = kwargs["finished_callback"]
        self.active = False

    def start(self) -> None:
        self.active = True

    def stop(self) -> None:
        self.active = False

    def close(self) -> None:
        pass

    def play(self, blocks: int = 1) -> None:
        for _ in range(blocks):
            self.callback(np.zeros((480, 1), np.int16), 480, None, None)


class FakeOutputs:
    def __init__(self) -> None:
        self.streams: list[FakeOutput] = []

    def OutputStream(self, **kwargs: Any) -> FakeOutput:
        self.streams.append(FakeOutput(**kwargs))
        return self.streams[-1]


def test_a_speaker_that_stops_is_lost_offered_back_and_replaced() -> None:
    from spaces_desktop.devices.catalog import AudioCatalog, DeviceCatalog, DeviceInfo
    from spaces_desktop.devices.speaker import SpeakerSink

    backend, now = FakeOutputs(), [0.0]
    speaker = SpeakerSink(
        lambda n: np.zeros(n, np.int16),
        3,
        name="Headphones",
        backend_loader=lambda: backend,  # type: ignore[arg-type,return-value]
        clock=lambda: now[0],
    )
    speaker.start()
    media = LocalMedia(DeviceChoice(camera=NONE, microphone=NONE))
    media.use_speaker(speaker)
    backend.streams[0].play(10)
    now[0] = 0.5
    assert media.check_health() == [] and media.problems() == ()

    now[0] = 1.5  # no callback for a second: the device went away under a stream PortAudio keeps open
    assert media.check_health() == [DeviceSlot.SPEAKER]
    [problem] = media.problems()
    assert (problem.slot, problem.status) == (DeviceSlot.SPEAKER, DeviceStatus.LOST)
    assert problem.device_name == "Headphones" and "stopped" in problem.detail
    assert media.check_health() == []  # told once

    def catalog(*speakers: DeviceInfo) -> DeviceCatalog:
        return DeviceCatalog(cameras=(), audio=AudioCatalog(speakers=speakers))

    headphones = DeviceInfo("speaker", "alsa:3", "Headphones", 3)
    assert not media.devices_seen(catalog(headphones))  # still listed: not unplugged, nothing to offer
    assert media.devices_seen(catalog()) is False and media.lost[DeviceSlot.SPEAKER].seen_gone
    assert media.devices_seen(catalog(headphones))
    assert [p.status for p in media.problems()] == [DeviceStatus.BACK]

    replacement = SpeakerSink(lambda n: np.zeros(n, np.int16), backend_loader=lambda: backend)  # type: ignore[arg-type,return-value]
    media.use_speaker(replacement)
    assert media.problems() == ()
    media.close()
    speaker.stop()  # the engine closes the output it replaced; PortAudio counts open streams


def test_a_speaker_stream_portaudio_ended_by_itself_is_missing() -> None:
    from spaces_desktop.devices.speaker import SpeakerSink

    backend = FakeOutputs()
    speaker = SpeakerSink(lambda n: np.zeros(n, np.int16), backend_loader=lambda: backend)  # type: ignore[arg-type,return-value]
    speaker.start()
    backend.streams[0].play()
    assert speaker.error is None and speaker.running
    backend.streams[0].finished()
    assert isinstance(speaker.error, SpeakerMissing) and not speaker.running
    speaker.stop()


class SlowToOpenCamera(SyntheticCamera):
    """Opens like a webcam does: a noticeable wait before the first picture."""

    OPEN_S = 0.4

    def _open(self) -> None:
        time.sleep(self.OPEN_S)
        super()._open()


async def test_turning_a_camera_on_leaves_the_engine_loop_free_meanwhile() -> None:
    media = LocalMedia(small_choice(microphone=NONE))
    tracks = media.tracks(video_enabled=True)
    camera = SlowToOpenCamera(width=128, height=72, fps=30)
    media.cameras[CameraSource.MAIN] = camera
    assert isinstance(tracks.camera, CameraVideoTrack)
    tracks.camera.replace_source(camera)
    ticks: list[float] = []

    async def tick() -> None:
        for _ in range(200):  # bounded: 2 s at most
            ticks.append(time.monotonic())
            await asyncio.sleep(0.01)

    ticker = asyncio.create_task(tick())
    try:
        started = time.monotonic()
        await media.turn_camera(CameraSource.MAIN, True)
        took = time.monotonic() - started
        assert took >= SlowToOpenCamera.OPEN_S  # it did wait for the first picture...
        during = [t for t in ticks if started <= t <= started + took]
        # ...while the loop went on (decoding, sending): it kept ticking (a blocked loop ticks 0 times).
        assert len(during) >= 5, during
        assert camera.running and media.camera_on[CameraSource.MAIN] and tracks.camera.camera_on
        await media.turn_camera(CameraSource.MAIN, False)
        assert not camera.running and not media.camera_on[CameraSource.MAIN] and not tracks.camera.camera_on
    finally:
        ticker.cancel()
        media.close()

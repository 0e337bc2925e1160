"""A camera lost, found and switched during a Space: real engines, real aiortc, real Janus.

The host's engine runs the synthetic camera and unplugs it with its fault
hook; a listener's engine in the same process watches what the server says
and what video arrives.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import av
import httpx
import numpy as np
import pytest

from spaces_desktop.devices.frame_id import read_frame_id
from spaces_desktop.devices.speaker import PullAudio, SpeakerSink
from spaces_desktop.devices.synthetic_camera import SyntheticCamera
from spaces_desktop.devices.synthetic_microphone import SyntheticMicrophone
from spaces_desktop.domain import CameraSource
from spaces_desktop.domain.state import Connection, DeviceSlot, DeviceStatus, SessionState
from spaces_desktop.session.engine import Engine
from spaces_desktop.session.frames import FrameBoard, TileKey
from spaces_desktop.session.local_media import NONE, DeviceChoice
from spaces_desktop.session.space_session import DEVICE_SCAN_S
from tests.support.backend import Backend
from tests.support.bots import BotProcess


@dataclass
class Watched:
    """An engine with its states and the arrival time of every remote video frame."""

    engine: Engine
    states: list[SessionState] = field(default_factory=list)
    arrivals: dict[TileKey, list[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def state(self) -> SessionState:
        with self.lock:
            return self.states[-1] if self.states else SessionState()

    def wait(self, what: str, predicate: Callable[[SessionState], bool], timeout: float = 15.0) -> float:
        """Seconds until ``predicate`` held for the newest state."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if predicate(self.state):
                return time.monotonic() - started
            time.sleep(0.02)
        raise AssertionError(f"timed out waiting for {what}; last state: {self.state}")

    def frames_since(self, key: TileKey, since: float) -> list[float]:
        with self.lock:
            return [t for t in self.arrivals.get(key, []) if t >= since]


def watched_engine() -> Watched:
    frames = FrameBoard()
    holder: list[Watched] = []

    def on_state(state: SessionState) -> None:
        with holder[0].lock:
            holder[0].states.append(state)

    def on_frame(key: TileKey) -> None:  # engine thread
        with holder[0].lock:
            holder[0].arrivals.setdefault(key, []).append(time.monotonic())

    frames.on_frame = on_frame
    holder.append(Watched(Engine(on_state, frames, play_audio=False)))
    return holder[0]


@pytest.fixture
def host_and_listener(backend: Backend) -> Iterator[tuple[Watched, Watched]]:
    host, listener = watched_engine(), watched_engine()
    try:
        choice = DeviceChoice(camera="synthetic", microphone="synthetic", label="Host")
        host.engine.create_space(backend.url, "Devices", "Host", True, choice).result(15)
        host.engine.set_camera(CameraSource.MAIN, True).result(15)
        link = host.state.space.share_link if host.state.space else ""
        listener.engine.join(link, "Listener", DeviceChoice(camera=NONE, microphone=NONE)).result(15)
        yield host, listener
    finally:
        for side in (listener, host):
            try:
                side.engine.leave().result(10)
            finally:
                side.engine.shutdown()


def host_camera(host: Watched) -> SyntheticCamera:
    session = host.engine.session
    assert session is not None
    camera = session.media.cameras[CameraSource.MAIN]
    assert isinstance(camera, SyntheticCamera)
    return camera


def server_says_camera_on(backend: Backend, host: Watched) -> bool:
    session = host.engine.session
    assert session is not None and host.state.space is not None and host.state.me is not None
    response = httpx.get(
        f"{backend.url}/spaces/{host.state.space.id}",
        headers={"Authorization": f"Bearer {session.token}"},
        timeout=10,
        trust_env=False,
    )
    response.raise_for_status()
    [me] = [p for p in response.json()["participants"] if p["id"] == host.state.me]
    return bool(me["camera_on"])


def wait_for_video(listener: Watched, key: TileKey, count: int = 15, timeout: float = 20.0) -> None:
    started = time.monotonic()
    while len(listener.frames_since(key, started)) < count and time.monotonic() - started < timeout:
        time.sleep(0.05)
    assert len(listener.frames_since(key, started)) >= count, f"no video from {key}"


def test_lost_camera_turns_off_for_everyone_and_comes_back(
    backend: Backend, host_and_listener: tuple[Watched, Watched]
) -> None:
    host, listener = host_and_listener
    host_id = host.state.me
    assert host_id is not None
    key = (host_id, CameraSource.MAIN)
    wait_for_video(listener, key)
    assert server_says_camera_on(backend, host)

    camera = host_camera(host)
    camera.fail_now()
    lost_after = host.wait(
        "the host's camera problem",
        lambda s: any(
            p.slot is DeviceSlot.CAMERA and p.status is DeviceStatus.LOST for p in s.device_problems
        ),
        timeout=5,
    )
    seen_after = listener.wait(
        "the listener to see the host's camera off",
        lambda s: (m := s.members.get(host_id)) is not None and not m.camera_on,
        timeout=5,
    )
    print(
        f"camera lost: the host knew after {lost_after * 1000:.0f} ms, "
        f"the listener saw it off {seen_after * 1000:.0f} ms later"
    )
    assert lost_after < 1.0, f"the loss showed after {lost_after:.2f} s"
    assert seen_after < 2.0, f"the listener saw camera off after {seen_after:.2f} s"
    assert not server_says_camera_on(backend, host)
    assert host.state.connection is Connection.LIVE
    # The server knows: no more black keep-alive, no video at all from the lost camera.
    time.sleep(0.5)
    quiet_from = time.monotonic()
    time.sleep(2.5 * DEVICE_SCAN_S)  # the device watcher sees it gone before it is plugged back in
    assert listener.frames_since(key, quiet_from) == [], "a lost camera still sends video"
    camera.restore()
    host.wait(
        "the camera to be offered back",
        lambda s: any(
            p.slot is DeviceSlot.CAMERA and p.status is DeviceStatus.BACK for p in s.device_problems
        ),
        timeout=5,
    )
    host.engine.set_camera(CameraSource.MAIN, True).result(10)
    listener.wait(
        "the listener to see the host's camera on again",
        lambda s: (m := s.members.get(host_id)) is not None and m.camera_on,
        timeout=5,
    )
    assert host.state.device_problems == ()
    assert server_says_camera_on(backend, host)
    wait_for_video(listener, key)


def test_switching_cameras_mid_space_leaves_no_visible_gap(
    host_and_listener: tuple[Watched, Watched],
) -> None:
    host, listener = host_and_listener
    host_id = host.state.me
    assert host_id is not None
    key = (host_id, CameraSource.MAIN)
    wait_for_video(listener, key, count=30)
    first = host_camera(host)

    window_start = time.monotonic()
    time.sleep(1.0)
    host.engine.set_device(DeviceSlot.CAMERA, "synthetic").result(10)
    switched_at = time.monotonic()
    second = host_camera(host)
    assert second is not first and not first.running and second.running
    time.sleep(2.0)

    arrivals = listener.frames_since(key, window_start)
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    longest = max(gaps)
    print(
        f"camera switch: {len(arrivals)} frames in {time.monotonic() - window_start:.1f} s, "
        f"longest gap {longest * 1000:.0f} ms"
    )
    assert arrivals and arrivals[-1] > switched_at + 1.0, "video stopped after the switch"
    assert longest <= 0.5, f"the listener's video stopped for {longest:.2f} s"
    # The pictures now come from the new camera: its frame ids started again from 0.
    latest = listener.engine.frames.latest(key)
    assert latest is not None
    frame_id = read_frame_id(latest[1])
    assert frame_id is not None and frame_id < second.frames_rendered + 5
    assert first.frames_rendered > frame_id
    me = host.state.myself
    assert me is not None and me.camera_on


def record_heard_audio(listener: Watched, speaker_id: str) -> list[tuple[float, bool]]:
    """(arrival, carries sound) for every audio frame the listener decodes from ``speaker_id``."""
    session = listener.engine.session
    assert session is not None
    heard: list[tuple[float, bool]] = []
    push = session.mixer.push

    def listen(participant_id: str, frame: av.AudioFrame, arrival: float | None = None) -> None:
        if participant_id == speaker_id:
            loud = bool(np.abs(frame.to_ndarray().astype(np.int32)).max() > 100)
            heard.append((time.monotonic(), loud))
        push(participant_id, frame, arrival)

    session.mixer.push = listen  # type: ignore[method-assign]
    return heard


def longest_silence(heard: list[tuple[float, bool]], since: float) -> float:
    loud = [t for t, sound in heard if sound and t >= since]
    return max((b - a for a, b in itertools.pairwise(loud)), default=float("inf"))


def test_microphone_lost_offered_back_and_switched_without_a_gap(
    host_and_listener: tuple[Watched, Watched],
) -> None:
    host, listener = host_and_listener
    host_id = host.state.me
    assert host_id is not None
    heard = record_heard_audio(listener, host_id)
    started = time.monotonic()
    while sum(1 for t, loud in heard if loud) < 50 and time.monotonic() - started < 20:
        time.sleep(0.05)
    assert sum(1 for t, loud in heard if loud) >= 50, "the listener never heard the host"

    # A clean switch: the listener keeps hearing the host.
    window_start = time.monotonic()
    time.sleep(1.0)
    host.engine.set_device(DeviceSlot.MICROPHONE, "synthetic").result(10)
    switched_at = time.monotonic()
    time.sleep(2.0)
    gap = longest_silence(heard, window_start)
    print(f"microphone switch: longest silence {gap * 1000:.0f} ms")
    assert gap <= 0.5, f"the listener heard nothing for {gap:.2f} s"
    assert any(loud and t > switched_at + 1.5 for t, loud in heard)

    # Unplugged: the host is told within a second; plugged back in: offered, and reopened.
    session = host.engine.session
    assert session is not None
    mic = session.media.microphone
    assert isinstance(mic, SyntheticMicrophone)
    mic.fail_now()
    lost_after = host.wait(
        "the host's microphone problem",
        lambda s: any(
            p.slot is DeviceSlot.MICROPHONE and p.status is DeviceStatus.LOST for p in s.device_problems
        ),
        timeout=5,
    )
    assert lost_after < 1.0, f"the loss showed after {lost_after:.2f} s"
    time.sleep(2.5 * DEVICE_SCAN_S)
    mic.restore()
    host.wait(
        "the microphone to be offered back",
        lambda s: any(
            p.slot is DeviceSlot.MICROPHONE and p.status is DeviceStatus.BACK for p in s.device_problems
        ),
        timeout=5,
    )
    host.engine.set_device(DeviceSlot.MICROPHONE, "synthetic").result(10)
    assert host.state.device_problems == ()
    back_at = time.monotonic()
    while not any(loud and t > back_at + 0.5 for t, loud in heard) and time.monotonic() - back_at < 10:
        time.sleep(0.05)
    assert any(loud and t > back_at + 0.5 for t, loud in heard), "the listener does not hear the host again"


def test_speaker_bot_whose_camera_is_unplugged_turns_it_back_on(backend: Backend, tmp_path: Path) -> None:
    host = BotProcess(
        [
            "--server",
            backend.url,
            "--create",
            "Unplugged",
            "--video",
            "--unplug-camera",
            "10-16",
            "--duration",
            "30",
        ],
        tmp_path,
        "Host",
    )
    listener = watched_engine()
    try:
        joined = host.wait_event("joined")
        listener.engine.join(
            joined["share_link"], "Listener", DeviceChoice(camera=NONE, microphone=NONE)
        ).result(15)
        host_id = joined["participant_id"]

        def camera_on(state: SessionState) -> bool | None:
            member = state.members.get(host_id)
            return None if member is None else member.camera_on

        listener.wait("the bot's camera on", lambda s: camera_on(s) is True, timeout=15)
        host.wait_event("camera_unplugged", timeout=20)
        off_after = listener.wait("the bot's camera off", lambda s: camera_on(s) is False, timeout=5)
        assert off_after < 2.0, f"the listener saw camera off after {off_after:.2f} s"
        host.wait_event("devices", timeout=5, problems=[{"device": "camera", "status": "lost"}])
        host.wait_event("camera_plugged_in", timeout=20)
        host.wait_event("devices", timeout=5, problems=[{"device": "camera", "status": "back"}])
        listener.wait("the bot's camera on again", lambda s: camera_on(s) is True, timeout=5)
        wait_for_video(listener, (host_id, CameraSource.MAIN))
        summary = host.summary()
        assert summary["errors"] == [], summary["errors"]
    finally:
        host.stop()
        try:
            listener.engine.leave().result(10)
        finally:
            listener.engine.shutdown()


class PlayingOutput:
    """A PortAudio output stream stand-in with PortAudio's own thread: it pulls a 10 ms block
    every 10 ms and remembers when it last played sound, until it is unplugged (it then
    simply stops calling back, as an output does when its device vanishes under it)."""

    def __init__(self, **kwargs: object) -> None:
        self.callback = kwargs["callback"]
        self.blocksize = int(kwargs["blocksize"])  # type: ignore[call-overload]
        self.loud_at: list[float] = []
        self.unplugged = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fake-portaudio", daemon=True)

    @property
    def active(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)

    def close(self) -> None:
        pass

    def _run(self) -> None:
        block = np.zeros((self.blocksize, 1), np.int16)
        for _ in range(100_000):  # bounded: 1000 s at most
            if self._stop.wait(0.01):
                return
            if self.unplugged.is_set():
                continue
            self.callback(block, self.blocksize, None, None)  # type: ignore[operator]
            if np.abs(block.astype(np.int32)).max() > 100:
                self.loud_at.append(time.monotonic())


class Outputs:
    def __init__(self) -> None:
        self.opened: dict[object, PlayingOutput] = {}

    def OutputStream(self, **kwargs: object) -> PlayingOutput:
        self.opened[kwargs["device"]] = stream = PlayingOutput(**kwargs)
        return stream


def test_lost_speaker_is_shown_and_another_one_plays_the_space(
    host_and_listener: tuple[Watched, Watched],
) -> None:
    host, _ = host_and_listener
    outputs = Outputs()
    frames = FrameBoard()
    states: list[SessionState] = []
    lock = threading.Lock()

    def on_state(state: SessionState) -> None:
        with lock:
            states.append(state)

    def speaker(pull: PullAudio, device: int | str | None) -> SpeakerSink:
        return SpeakerSink(pull, device, backend_loader=lambda: outputs)  # type: ignore[arg-type,return-value]

    ear = Watched(Engine(on_state, frames, speaker_factory=speaker, speaker_device=1), states, lock=lock)
    try:
        link = host.state.space.share_link if host.state.space else ""
        ear.engine.join(link, "Ear", DeviceChoice(camera=NONE, microphone=NONE)).result(15)

        def plays(device: object, since: float, timeout: float = 15.0) -> bool:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                stream = outputs.opened.get(device)
                if stream is not None and any(t > since for t in stream.loud_at):
                    return True
                time.sleep(0.05)
            return False

        assert plays(1, 0.0), "the speaker never played the host"
        outputs.opened[1].unplugged.set()
        lost_after = ear.wait(
            "the speaker problem",
            lambda s: any(
                p.slot is DeviceSlot.SPEAKER and p.status is DeviceStatus.LOST for p in s.device_problems
            ),
            timeout=5,
        )
        assert lost_after < 1.5, f"the loss showed after {lost_after:.2f} s"
        assert ear.state.connection is Connection.LIVE  # nothing else broke

        switched_at = time.monotonic()
        ear.engine.set_device(DeviceSlot.SPEAKER, "2").result(10)
        ear.wait("the banner to go", lambda s: s.device_problems == (), timeout=5)
        assert plays(2, switched_at), "the other speaker does not play the Space"
    finally:
        try:
            ear.engine.leave().result(10)
        finally:
            ear.engine.shutdown()

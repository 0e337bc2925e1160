"""aiortc tracks: timing, camera off, mute, and pre-encoded VP8 replay (no network)."""

from __future__ import annotations

import asyncio
import fractions
import itertools
import threading
import time
from collections.abc import Callable

import av
import numpy as np
import pytest
from aiortc import RTCRtpSender
from aiortc.codecs.opus import OpusEncoder
from aiortc.codecs.vpx import Vp8Decoder, Vp8Encoder, vp8_depayload
from aiortc.jitterbuffer import JitterFrame
from aiortc.mediastreams import MediaStreamError

from spaces_desktop.bench.clips import (
    EncodedClip,
    PreEncodedVideoTrack,
    encode_clip,
    forward_keyframe_requests,
)
from spaces_desktop.devices.audio_backend import FRAME_SAMPLES, SAMPLE_RATE
from spaces_desktop.devices.camera import CameraFrame, ErrorListener, FrameListener
from spaces_desktop.devices.errors import DeviceError
from spaces_desktop.devices.frame_id import read_frame_id
from spaces_desktop.devices.synthetic_camera import SyntheticCamera, SyntheticPattern
from spaces_desktop.devices.synthetic_microphone import SyntheticMicrophone
from spaces_desktop.media.tracks import CameraVideoTrack, MicrophoneAudioTrack

NINETY_KHZ = fractions.Fraction(1, 90_000)


class FakeCamera:
    """A CameraSource the test feeds by hand; ``push`` runs listeners like a capture thread would."""

    def __init__(self, width: int = 64, height: int = 48, fps: float = 30.0) -> None:
        self.name = "Fake camera"
        self.width, self.height, self.fps = width, height, fps
        self.running = True
        self.error: DeviceError | None = None
        self._latest: CameraFrame | None = None
        self._index = 0
        self.listeners: list[FrameListener] = []

    def start(self) -> None:
        self.running = True

    def stop(self) -> None:
        self.running = False

    def latest(self) -> CameraFrame | None:
        return self._latest

    def subscribe(self, on_frame: FrameListener, on_error: ErrorListener | None = None) -> Callable[[], None]:
        self.listeners.append(on_frame)
        return lambda: self.listeners.remove(on_frame)

    def push(self, value: int = 128) -> CameraFrame:
        image = np.full((self.height, self.width, 3), value, dtype=np.uint8)
        frame = CameraFrame(image=image, index=self._index, timestamp=time.monotonic())
        self._index += 1
        self._latest = frame
        for listener in list(self.listeners):
            listener(frame)
        return frame

    def push_from_thread(self, value: int = 128, delay: float = 0.0) -> None:
        def run() -> None:
            time.sleep(delay)
            self.push(value)

        threading.Thread(target=run, name="camera-fake", daemon=True).start()


def pts_of(frame: av.VideoFrame) -> int:
    assert frame.pts is not None
    return frame.pts


def luma(frame: av.VideoFrame) -> np.ndarray:
    y: np.ndarray = frame.to_ndarray(format="yuv420p")[: frame.height]
    return y


# --- camera track --------------------------------------------------------------------------------


async def test_camera_track_sends_camera_frames_with_90khz_pts_at_the_camera_rate() -> None:
    camera = SyntheticCamera("Alice", width=640, height=360, fps=30)
    camera.start()
    track = CameraVideoTrack(camera)
    try:
        started = time.monotonic()
        frames = [await track.recv() for _ in range(16)]
        elapsed = time.monotonic() - started
    finally:
        track.stop()
        camera.stop()

    assert all(f.time_base == NINETY_KHZ for f in frames)
    pts = [pts_of(f) for f in frames]
    assert pts[0] == 0
    assert all(b > a for a, b in itertools.pairwise(pts))
    assert abs(float(np.median(np.diff(pts))) - 3000) < 600
    assert 0.35 < elapsed < 1.2, elapsed
    ids = [read_frame_id(f) for f in frames]
    assert None not in ids
    assert ids == sorted(ids)  # type: ignore[type-var]
    assert (frames[0].width, frames[0].height, frames[0].format.name) == (640, 360, "yuv420p")
    assert track.frames_sent == 16 and track.black_frames_sent == 0


async def test_camera_track_sends_only_the_newest_frame() -> None:
    camera = FakeCamera()
    track = CameraVideoTrack(camera)
    camera.push(10)
    first = await track.recv()
    for value in (20, 30, 40):
        camera.push(value)
    newest = await track.recv()
    assert int(luma(first).mean()) != int(luma(newest).mean())
    assert abs(float(newest.to_ndarray(format="bgr24").mean()) - 40) < 3
    track.stop()


async def test_camera_track_wakes_when_the_capture_thread_delivers() -> None:
    camera = FakeCamera()
    track = CameraVideoTrack(camera)
    camera.push()
    await track.recv()
    camera.push_from_thread(delay=0.05)
    started = time.monotonic()
    frame = await track.recv()
    waited = time.monotonic() - started
    assert 0.03 < waited < 0.3
    assert pts_of(frame) > 0
    track.stop()


async def test_camera_off_sends_black_once_a_second_and_comes_back_on_at_once() -> None:
    camera = FakeCamera(width=64, height=48)
    track = CameraVideoTrack(camera, off_interval=0.1)
    camera.push(200)
    on = await track.recv()

    track.camera_on = False
    started = time.monotonic()
    black = [await track.recv() for _ in range(3)]
    elapsed = time.monotonic() - started
    for frame in black:
        assert (frame.width, frame.height) == (64, 48)  # same size: the encoder is not rebuilt
        assert int(luma(frame).max()) == 16
    assert 0.15 < elapsed < 0.8, elapsed  # first at once, then every off_interval
    pts = [pts_of(on)] + [pts_of(f) for f in black]
    assert all(b > a for a, b in itertools.pairwise(pts))
    assert track.black_frames_sent == 3

    # Switch back on from another thread while recv is waiting out a long off interval.
    track.off_interval = 5.0
    waiting = asyncio.ensure_future(track.recv())
    await asyncio.sleep(0.02)
    threading.Thread(target=lambda: setattr(track, "camera_on", True)).start()
    camera.push_from_thread(value=200, delay=0.01)
    back = await asyncio.wait_for(waiting, 2.0)  # far less than the 5 s off interval
    assert int(luma(back).mean()) > 100
    assert pts_of(back) > pts[-1]
    track.stop()


async def test_without_keep_alive_a_camera_that_is_off_sends_nothing_until_it_is_on() -> None:
    camera = FakeCamera(width=64, height=48)
    track = CameraVideoTrack(camera, off_interval=0.05)
    camera.push(200)
    await track.recv()
    track.camera_on = False
    await track.recv()  # the black keep-alive, while the server does not know yet

    track.keep_alive = False  # a lost camera the server knows is off
    waiting = asyncio.ensure_future(track.recv())
    await asyncio.sleep(0.5)  # ten keep-alive intervals
    assert not waiting.done() and track.black_frames_sent == 1

    threading.Thread(target=lambda: setattr(track, "camera_on", True)).start()
    camera.push_from_thread(value=200, delay=0.01)
    back = await asyncio.wait_for(waiting, 2.0)
    assert int(luma(back).mean()) > 100 and track.black_frames_sent == 1

    track.camera_on = False
    track.keep_alive = True  # turned off on purpose later: the keep-alive is back
    await asyncio.wait_for(track.recv(), 1.0)
    assert track.black_frames_sent == 2

    track.keep_alive = False
    waiting = asyncio.ensure_future(track.recv())
    await asyncio.sleep(0.05)
    track.stop()  # a held recv still ends with the track
    with pytest.raises(MediaStreamError):
        await asyncio.wait_for(waiting, 1.0)


async def test_camera_that_never_started_sends_black_to_keep_the_stream_alive() -> None:
    camera = FakeCamera(width=32, height=24)
    camera.running = False
    track = CameraVideoTrack(camera, stall_resend=0.05)
    frame = await asyncio.wait_for(track.recv(), 1)
    assert (frame.width, frame.height) == (32, 24)
    assert int(luma(frame).max()) == 16
    track.stop()


async def test_stalled_camera_resends_its_last_picture_with_new_pts() -> None:
    camera = FakeCamera()
    track = CameraVideoTrack(camera, stall_resend=0.05)
    camera.push(90)
    first = await track.recv()
    again = await asyncio.wait_for(track.recv(), 1)
    assert pts_of(again) > pts_of(first)
    assert np.array_equal(luma(first), luma(again))
    camera.running = False  # the camera died: black instead
    black = await asyncio.wait_for(track.recv(), 1)
    assert int(luma(black).max()) == 16
    track.stop()


async def test_camera_track_can_scale_and_cap_the_rate() -> None:
    camera = SyntheticCamera(width=640, height=360, fps=60, frame_id=False)
    camera.start()
    track = CameraVideoTrack(camera, size=(320, 180), max_fps=15)
    try:
        started = time.monotonic()
        frames = [await track.recv() for _ in range(6)]
        elapsed = time.monotonic() - started
    finally:
        track.stop()
        camera.stop()
    assert all((f.width, f.height) == (320, 180) for f in frames)
    assert 0.28 < elapsed < 1.0, elapsed  # five gaps of 1/15 s


async def test_stopped_camera_track_ends_and_lets_go_of_the_camera() -> None:
    camera = FakeCamera()
    track = CameraVideoTrack(camera)
    camera.push()
    await track.recv()
    assert len(camera.listeners) == 1
    track.stop()
    assert camera.listeners == []
    with pytest.raises(MediaStreamError):
        await track.recv()
    assert camera.running  # the track never stops the camera it was given


# --- microphone track ----------------------------------------------------------------------------


class SilentSource:
    name = "Silent"
    running = True
    error = None

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def read(self) -> np.ndarray | None:
        return None


async def test_microphone_track_paces_20ms_frames_with_48k_pts() -> None:
    mic = SyntheticMicrophone.from_tone(440.0)
    mic.start()
    track = MicrophoneAudioTrack(mic)
    started = time.monotonic()
    frames = [await track.recv() for _ in range(26)]
    elapsed = time.monotonic() - started
    assert [f.pts for f in frames] == [i * FRAME_SAMPLES for i in range(26)]
    for frame in frames:
        assert frame.samples == FRAME_SAMPLES
        assert frame.sample_rate == SAMPLE_RATE
        assert frame.time_base == fractions.Fraction(1, SAMPLE_RATE)
        assert (frame.format.name, frame.layout.name) == ("s16", "mono")
    assert 0.45 < elapsed < 1.0, elapsed  # 25 intervals of 20 ms
    assert np.abs(frames[3].to_ndarray()).max() > 1000
    track.stop()


async def test_mute_sends_silence_but_keeps_reading_the_microphone() -> None:
    mic = SyntheticMicrophone.from_tone(440.0)
    mic.start()
    tapped: list[np.ndarray] = []
    track = MicrophoneAudioTrack(mic, muted=True, tap=tapped.append)
    muted = [await track.recv() for _ in range(3)]
    assert all(not f.to_ndarray().any() for f in muted)
    assert len(tapped) == 3 and np.abs(tapped[-1]).max() > 1000  # the level meter still hears it
    track.muted = False
    live = await track.recv()
    assert np.abs(live.to_ndarray()).max() > 1000
    assert live.pts == 3 * FRAME_SAMPLES  # no gap: muting changes content, not timing
    track.stop()


async def test_missing_microphone_audio_is_sent_as_silence() -> None:
    track = MicrophoneAudioTrack(SilentSource())
    frames = [await track.recv() for _ in range(2)]
    assert all(f.samples == FRAME_SAMPLES and not f.to_ndarray().any() for f in frames)
    assert track.underruns == 2
    track.stop()
    with pytest.raises(MediaStreamError):
        await track.recv()


async def test_microphone_track_does_not_burst_after_the_loop_stalls() -> None:
    fake_now = [1000.0]
    track = MicrophoneAudioTrack(SilentSource(), clock=lambda: fake_now[0])
    await track.recv()
    fake_now[0] += 1.0  # the loop was blocked for a second
    started = time.monotonic()
    await track.recv()  # late: goes out at once and restarts the pacing
    assert time.monotonic() - started < 0.015
    await track.recv()  # next one is paced again rather than sent immediately
    assert time.monotonic() - started > 0.015
    track.stop()


async def test_microphone_frames_encode_with_aiortc_opus() -> None:
    mic = SyntheticMicrophone.from_tone(300.0)
    mic.start()
    track = MicrophoneAudioTrack(mic)
    encoder = OpusEncoder()
    payloads = []
    for _ in range(3):
        encoded, _timestamp = encoder.encode(await track.recv())
        payloads.extend(encoded)
    assert payloads and all(len(p) > 10 for p in payloads)
    track.stop()


# --- pre-encoded video ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clip() -> EncodedClip:
    return encode_clip(width=640, height=360, fps=30, seconds=1.0, keyframe_interval=10, bitrate=600_000)


def never_wait() -> Callable[[], float]:
    ticks = itertools.count(step=100.0)
    return lambda: float(next(ticks))


def test_clip_has_a_keyframe_every_interval(clip: EncodedClip) -> None:
    assert len(clip.frames) == 30
    assert clip.keyframes == (0, 10, 20)
    assert clip.next_keyframe(11) == 20
    assert clip.next_keyframe(21) == 0
    assert clip.encode_seconds > 0


async def test_pre_encoded_track_loops_with_increasing_pts(clip: EncodedClip) -> None:
    track = PreEncodedVideoTrack(clip, clock=never_wait())
    packets = [await track.recv() for _ in range(75)]
    assert [p.pts for p in packets] == [i * 3000 for i in range(75)]
    assert all(p.time_base == NINETY_KHZ for p in packets)
    assert bytes(packets[30]) == bytes(packets[0]) and bytes(packets[61]) == bytes(packets[1])
    track.stop()
    with pytest.raises(MediaStreamError):
        await track.recv()


async def test_pre_encoded_track_is_paced_at_the_clip_rate(clip: EncodedClip) -> None:
    track = PreEncodedVideoTrack(clip)
    started = time.monotonic()
    for _ in range(10):
        await track.recv()
    assert 0.25 < time.monotonic() - started < 0.8
    track.stop()


async def test_keyframe_request_jumps_to_the_next_keyframe(clip: EncodedClip) -> None:
    track = PreEncodedVideoTrack(clip, clock=never_wait())
    for _ in range(3):
        await track.recv()
    track.request_keyframe()
    jumped = await track.recv()
    assert bytes(jumped) == clip.frames[10]
    assert jumped.pts == 3 * 3000  # time goes on as usual
    assert track.keyframe_jumps == 1
    # Already at a keyframe: nothing to skip.
    for _ in range(9):
        await track.recv()
    track.request_keyframe()
    assert bytes(await track.recv()) == clip.frames[20]
    assert track.keyframe_jumps == 1


async def test_pre_encoded_packets_go_through_aiortc_packetization_and_decode(clip: EncodedClip) -> None:
    track = PreEncodedVideoTrack(clip, clock=never_wait())
    encoder, decoder = Vp8Encoder(), Vp8Decoder()
    ids: list[int | None] = []
    timestamps = []
    for step in range(45):
        if step == 35:
            track.request_keyframe()
        payloads, timestamp = encoder.pack(await track.recv())
        timestamps.append(timestamp)
        data = b"".join(vp8_depayload(p) for p in payloads)
        for frame in decoder.decode(JitterFrame(data=data, timestamp=timestamp)):
            ids.append(read_frame_id(frame))
    assert timestamps == [i * 3000 for i in range(45)]
    # The clip's pattern carries its own frame numbers: 0..29, again 0..4, then the jump to keyframe 10.
    assert ids == [*range(30), *range(5), *range(10, 20)]


def test_keyframe_requests_from_the_sender_reach_the_track(clip: EncodedClip) -> None:
    assert callable(getattr(RTCRtpSender, "_send_keyframe", None)), "aiortc dropped the PLI hook"

    class Sender:
        def __init__(self) -> None:
            self.forced = 0

        def _send_keyframe(self) -> None:
            self.forced += 1

    sender = Sender()
    track = PreEncodedVideoTrack(clip)
    assert forward_keyframe_requests(sender, track)  # type: ignore[arg-type]
    sender._send_keyframe()
    assert sender.forced == 1
    assert track._keyframe_requested
    assert not forward_keyframe_requests(object(), track)  # type: ignore[arg-type]


async def test_stopping_the_track_ends_a_waiting_recv() -> None:
    camera = FakeCamera()
    track = CameraVideoTrack(camera, stall_resend=5.0)
    waiting = asyncio.ensure_future(track.recv())
    await asyncio.sleep(0.02)
    track.stop()
    with pytest.raises(MediaStreamError):
        await asyncio.wait_for(waiting, 1.0)


def test_encode_clip_uses_the_given_pattern() -> None:
    pattern = SyntheticPattern(320, 180, label="Load bot", frame_id=False)
    small = encode_clip(width=320, height=180, fps=15, seconds=0.4, keyframe_interval=3, pattern=pattern)
    assert len(small.frames) == 6
    assert small.keyframes == (0, 3)

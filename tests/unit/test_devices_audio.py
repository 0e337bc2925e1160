"""PortAudio microphone and speaker against a fake sounddevice; the synthetic microphone."""

from __future__ import annotations

import math
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from spaces_desktop.devices.audio_backend import FRAME_SAMPLES, SAMPLE_RATE, SoundDeviceModule
from spaces_desktop.devices.errors import AudioBackendMissing, MicrophoneMissing, SpeakerMissing
from spaces_desktop.devices.microphone import FrameQueue, MicrophoneSource, SoundDeviceMicrophone
from spaces_desktop.devices.speaker import SpeakerSink, fill_output
from spaces_desktop.devices.synthetic_microphone import (
    SyntheticMicrophone,
    load_audio,
    parse_schedule,
    tone,
)


class FakeStream:
    """Records how it was opened; the test drives its callback as PortAudio's thread would."""

    def __init__(self, fail: Exception | None = None, **kwargs: Any) -> None:
        if fail is not None:
            raise fail
        self.kwargs = kwargs
        self.callback: Callable[..., None] = kwargs["callback"]
        self.finished: Callable[[], None] = kwargs["finished_callback"]
        self.started = False
        self.closed = False

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.started = False
        self.finished()

    def close(self) -> None:
        self.closed = True


class FakeSoundDevice:
    def __init__(self, fail: Exception | None = None) -> None:
        self.streams: list[FakeStream] = []
        self.fail = fail
        self.default = None

    def InputStream(self, **kwargs: Any) -> FakeStream:
        stream = FakeStream(self.fail, **kwargs)
        self.streams.append(stream)
        return stream

    OutputStream = InputStream

    def query_devices(self, device: int | str | None = None, kind: str | None = None) -> Any:
        return []

    def query_hostapis(self, index: int | None = None) -> Any:
        return []


class Status:
    def __init__(self, **flags: bool) -> None:
        self.__dict__.update(flags)

    def __bool__(self) -> bool:
        return any(self.__dict__.values())


def missing_backend() -> SoundDeviceModule:
    raise AudioBackendMissing("Audio is unavailable: the PortAudio library was not found.")


# --- frame queue ---------------------------------------------------------------------------------


def test_frame_queue_cuts_odd_blocks_into_frames() -> None:
    queue = FrameQueue(max_frames=10)
    samples = np.arange(3 * FRAME_SAMPLES, dtype=np.int16)
    queue.push(samples[:500])
    queue.push(samples[500:2000])
    queue.push(samples[2000:])
    frames = [queue.pop() for _ in range(3)]
    assert queue.pop() is None
    assert np.array_equal(np.concatenate([f for f in frames if f is not None]), samples)


def test_frame_queue_drops_oldest_when_full() -> None:
    queue = FrameQueue(max_frames=2)
    for value in (1, 2, 3):
        queue.push(np.full(FRAME_SAMPLES, value, np.int16))
    assert queue.dropped == 1
    first, second = queue.pop(), queue.pop()
    assert first is not None and second is not None
    assert (first[0], second[0]) == (2, 3)


# --- microphone ----------------------------------------------------------------------------------


def test_microphone_opens_low_latency_48k_mono_and_queues_frames() -> None:
    backend = FakeSoundDevice()
    mic = SoundDeviceMicrophone(3, backend_loader=lambda: backend)
    assert isinstance(mic, MicrophoneSource)
    assert mic.read() is None
    mic.start()
    stream = backend.streams[0]
    assert stream.started
    assert stream.kwargs["samplerate"] == SAMPLE_RATE
    assert stream.kwargs["channels"] == 1
    assert stream.kwargs["dtype"] == "int16"
    assert stream.kwargs["blocksize"] == FRAME_SAMPLES
    assert stream.kwargs["latency"] == "low"
    assert stream.kwargs["device"] == 3

    block = np.arange(FRAME_SAMPLES, dtype=np.int16).reshape(-1, 1)
    stream.callback(block, FRAME_SAMPLES, None, Status(input_overflow=True))
    frame = mic.read()
    assert frame is not None and frame.shape == (FRAME_SAMPLES,) and frame.dtype == np.int16
    assert np.array_equal(frame, block[:, 0])
    block[:] = 0  # PortAudio reuses its buffer: the queued frame must be a copy
    assert frame[5] == 5
    assert mic.overflows == 1
    assert mic.running

    mic.stop()
    assert stream.closed
    assert mic.error is None  # stopping on purpose is not an error
    assert not mic.running


def test_microphone_keeps_only_the_most_recent_audio() -> None:
    backend = FakeSoundDevice()
    mic = SoundDeviceMicrophone(backend_loader=lambda: backend, max_frames=3, max_latency_frames=2)
    mic.start()
    for value in range(10):
        backend.streams[0].callback(np.full((FRAME_SAMPLES, 1), value, np.int16), FRAME_SAMPLES, None, None)
    values = []
    while (frame := mic.read()) is not None:
        values.append(int(frame[0]))
    # The queue held 7, 8, 9; reading skips to the newest two so the delay stays at 40 ms at most.
    assert values == [8, 9]
    assert mic.dropped_frames == 8
    mic.stop()


def test_microphone_delay_stays_bounded_when_the_reader_starts_late() -> None:
    backend = FakeSoundDevice()
    mic = SoundDeviceMicrophone(backend_loader=lambda: backend)
    mic.start()
    callback = backend.streams[0].callback
    for value in range(5):  # 100 ms captured before anyone reads
        callback(np.full((FRAME_SAMPLES, 1), value, np.int16), FRAME_SAMPLES, None, None)
    for value in range(5, 10):  # then one frame out, one frame in: two frames behind, not five
        first = mic.read()
        assert first is not None and int(first[0]) == value - 2
        callback(np.full((FRAME_SAMPLES, 1), value, np.int16), FRAME_SAMPLES, None, None)
    mic.stop()


def test_microphone_that_vanishes_reports_an_error() -> None:
    backend = FakeSoundDevice()
    mic = SoundDeviceMicrophone(backend_loader=lambda: backend)
    mic.start()
    backend.streams[0].finished()  # PortAudio ended the stream by itself
    assert isinstance(mic.error, MicrophoneMissing)
    assert not mic.running
    mic.stop()


def test_microphone_that_cannot_open_is_missing() -> None:
    backend = FakeSoundDevice(fail=ValueError("No input device matching 'USB'"))
    mic = SoundDeviceMicrophone("USB", backend_loader=lambda: backend)
    with pytest.raises(MicrophoneMissing) as caught:
        mic.start()
    assert "No input device matching" in caught.value.message


def test_microphone_without_portaudio_says_how_to_get_it() -> None:
    mic = SoundDeviceMicrophone(backend_loader=missing_backend)
    with pytest.raises(AudioBackendMissing) as caught:
        mic.start()
    assert "libportaudio2" in str(caught.value)


def test_real_portaudio_without_devices_fails_clearly() -> None:
    # This machine has PortAudio but no sound card; opening the default microphone must say so.
    mic = SoundDeviceMicrophone()
    try:
        mic.start()
    except (MicrophoneMissing, AudioBackendMissing):
        return
    mic.stop()  # a machine with a microphone: fine too


# --- speaker -------------------------------------------------------------------------------------


def test_speaker_pulls_from_the_mixer_in_the_callback() -> None:
    backend = FakeSoundDevice()
    asked: list[int] = []

    def pull(count: int) -> np.ndarray:
        asked.append(count)
        return np.full(count, 1000, np.int16)

    speaker = SpeakerSink(pull, channels=2, backend_loader=lambda: backend)
    speaker.start()
    stream = backend.streams[0]
    assert stream.kwargs["samplerate"] == SAMPLE_RATE and stream.kwargs["channels"] == 2
    out = np.full((480, 2), 7, np.int16)
    stream.callback(out, 480, None, Status(output_underflow=True))
    assert asked == [480]
    assert (out == 1000).all()
    assert speaker.underflows == 1
    speaker.stop()
    assert stream.closed and speaker.error is None


def test_speaker_plays_silence_when_the_mixer_fails_or_runs_short() -> None:
    backend = FakeSoundDevice()
    answers: list[Any] = [np.full(100, 5, np.int16), RuntimeError("mixer bug")]

    def pull(count: int) -> np.ndarray:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    speaker = SpeakerSink(pull, backend_loader=lambda: backend)
    speaker.start()
    out = np.full((480, 1), 7, np.int16)
    backend.streams[0].callback(out, 480, None, None)
    assert (out[:100] == 5).all() and (out[100:] == 0).all()
    backend.streams[0].callback(out, 480, None, None)
    assert (out == 0).all()
    speaker.stop()


def test_speaker_errors() -> None:
    with pytest.raises(SpeakerMissing):
        SpeakerSink(
            lambda n: np.zeros(n, np.int16), backend_loader=lambda: FakeSoundDevice(OSError("x"))
        ).start()
    with pytest.raises(AudioBackendMissing):
        SpeakerSink(lambda n: np.zeros(n, np.int16), backend_loader=missing_backend).start()


def test_fill_output_accepts_float_and_clips() -> None:
    out = np.zeros((4, 1), np.int16)
    fill_output(out, 4, np.array([0.5, -2.0, 2.0, 0.0]))
    assert out[:, 0].tolist() == [16383, -32767, 32767, 0]


# --- synthetic microphone ------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def write_wav(path: Path, rate: int, channels: int, seconds: float, frequency: float) -> None:
    count = int(rate * seconds)
    t = np.arange(count) / rate
    mono = (0.5 * 32767 * np.sin(2 * math.pi * frequency * t)).astype(np.int16)
    data = np.repeat(mono[:, None], channels, axis=1)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(data.tobytes())


def read_frames(mic: SyntheticMicrophone, count: int) -> list[np.ndarray]:
    frames = []
    for _ in range(count):
        frame = mic.read()
        assert frame is not None
        frames.append(frame)
    return frames


def dominant_frequency(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
    return float(np.argmax(spectrum) * SAMPLE_RATE / samples.size)


@pytest.mark.parametrize(("rate", "channels"), [(44_100, 2), (8_000, 1), (48_000, 1)])
def test_wav_files_are_resampled_to_48k_mono(tmp_path: Path, rate: int, channels: int) -> None:
    path = tmp_path / "speech.wav"
    write_wav(path, rate, channels, seconds=1.0, frequency=440.0)
    samples = load_audio(path)
    assert samples.dtype == np.int16 and samples.ndim == 1
    assert abs(samples.size - SAMPLE_RATE) < 2 * FRAME_SAMPLES
    assert abs(dominant_frequency(samples) - 440.0) < 3.0
    assert 0.3 * 32767 < np.abs(samples).max() < 0.6 * 32767


def test_unreadable_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "not-audio.wav"
    bad.write_text("hello")
    with pytest.raises(MicrophoneMissing):
        load_audio(bad)
    with pytest.raises(MicrophoneMissing):
        load_audio(tmp_path / "missing.wav")


def test_tone_level_and_frequency() -> None:
    samples = tone(1000.0, level_dbfs=-6.0)
    assert samples.size == SAMPLE_RATE
    assert abs(dominant_frequency(samples) - 1000.0) < 1.0
    assert abs(int(np.abs(samples).max()) - round(32767 * 10 ** (-6 / 20))) < 3


def test_file_microphone_plays_the_clip_in_20ms_frames_and_loops(tmp_path: Path) -> None:
    path = tmp_path / "clip.wav"
    write_wav(path, 16_000, 1, seconds=0.05, frequency=300.0)
    mic = SyntheticMicrophone.from_file(path, clock=FakeClock())
    assert isinstance(mic, MicrophoneSource)
    assert mic.name == "clip.wav"
    assert mic.read() is None  # not started
    mic.start()
    clip = load_audio(path)
    frames = read_frames(mic, 6)
    played = np.concatenate(frames)
    assert all(f.shape == (FRAME_SAMPLES,) for f in frames)
    expected = np.tile(clip, played.size // clip.size + 1)[: played.size]
    assert np.array_equal(played, expected)
    assert not mic.finished


def test_once_plays_then_goes_silent() -> None:
    clip = np.arange(1, FRAME_SAMPLES * 2 + 101, dtype=np.int16)
    mic = SyntheticMicrophone(clip, loop=False, clock=FakeClock())
    mic.start()
    first, second, third, fourth = read_frames(mic, 4)
    assert first[0] == 1 and second[-1] == FRAME_SAMPLES * 2
    assert third[:100].tolist() == list(range(FRAME_SAMPLES * 2 + 1, FRAME_SAMPLES * 2 + 101))
    assert not third[100:].any()
    assert mic.finished and not mic.speaking
    assert not fourth.any()


def test_start_offset_skips_into_the_clip() -> None:
    clip = np.arange(SAMPLE_RATE, dtype=np.int16)
    mic = SyntheticMicrophone(clip, start_offset=0.5, clock=FakeClock())
    mic.start()
    frame = mic.read()
    assert frame is not None and frame[0] == SAMPLE_RATE // 2


def test_schedule_talks_only_inside_windows_and_resumes_the_clip() -> None:
    clock = FakeClock()
    clip = np.arange(1, 10 * FRAME_SAMPLES, dtype=np.int16)
    mic = SyntheticMicrophone(clip, schedule=[(1.0, 1.04), (2.0, 3.0)], clock=clock)
    mic.start()

    def frame_at(elapsed: float) -> np.ndarray:
        clock.now = 100.0 + elapsed
        frame = mic.read()
        assert frame is not None
        return frame

    assert not frame_at(0.5).any() and not mic.speaking
    talking = frame_at(1.0)
    assert talking[0] == 1
    clock.now = 101.02
    assert mic.speaking
    assert frame_at(1.02)[0] == FRAME_SAMPLES + 1
    assert not frame_at(1.5).any()
    # The clip carries on where it paused.
    assert frame_at(2.0)[0] == 2 * FRAME_SAMPLES + 1
    assert not frame_at(3.0).any()
    mic.stop()
    assert mic.read() is None


def test_tone_microphone() -> None:
    mic = SyntheticMicrophone.from_tone(440.0, level_dbfs=-20.0, clock=FakeClock())
    mic.start()
    frames = np.concatenate(read_frames(mic, 50))
    assert abs(dominant_frequency(frames) - 440.0) < 2.0
    assert mic.speaking


def test_parse_schedule() -> None:
    assert parse_schedule("20-30.5, 0-10") == [(0.0, 10.0), (20.0, 30.5)]
    assert parse_schedule("") == []
    for bad in ("5", "10-5", "-1-3", "a-b"):
        with pytest.raises(ValueError):
            parse_schedule(bad)


def test_synthetic_microphone_keeps_time_when_the_reader_falls_behind() -> None:
    now = [0.0]
    samples = (np.arange(48000 * 4) % 30000).astype(np.int16)  # a ramp: each sample tells its position
    mic = SyntheticMicrophone(samples, loop=False, clock=lambda: now[0])
    mic.start()
    first = mic.read()
    assert first is not None and first[0] == 0
    now[0] = 1.0  # the reader stalled for a second
    late = mic.read()
    assert late is not None
    # It plays what is due now (about 1 s in), not the next 20 ms after the stall.
    assert abs(int(late[0]) - (48000 - 960) % 30000) <= 960

"""Echo cancellation: the seam, the pass-through fallback, and WebRTC processing measured on real speech."""

from __future__ import annotations

import logging
import os
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from spaces_desktop.devices.audio_backend import FRAME_SAMPLES, SAMPLE_RATE
from spaces_desktop.devices.errors import DeviceError
from spaces_desktop.media import echo
from spaces_desktop.media.echo import (
    BLOCK_SAMPLES,
    EchoSettings,
    FarEndQueue,
    PassThroughEchoCanceller,
    ProcessedMicrophone,
    WebRtcEchoCanceller,
    create_echo_canceller,
)
from spaces_desktop.media.mixer import AudioMixer

_PROCESSOR, _WHY_NOT = echo.load_processor_class()
needs_apm = pytest.mark.skipif(
    _PROCESSOR is None,
    reason=f"WebRTC audio processing not importable: {_WHY_NOT} (pip install aec-audio-processing)",
)


def _conversation_dir() -> Path:
    env = os.environ.get("SPACES_MEDIA_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[3] / "shared" / "media" / "conversation-a"


CONVERSATION = _conversation_dir()
needs_conversation = pytest.mark.skipif(
    not (CONVERSATION / "alice.wav").is_file(),
    reason=f"test conversation not found at {CONVERSATION} (set SPACES_MEDIA_DIR)",
)


# --- the fallback ----------------------------------------------------------------------------------


def test_missing_package_gives_the_pass_through_and_warns_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(echo, "_MODULE", "spaces_desktop_no_such_audio_module")
    monkeypatch.setattr(echo, "_warned_unavailable", False)
    with caplog.at_level(logging.WARNING, logger="spaces_desktop.media.echo"):
        first = create_echo_canceller()
        second = create_echo_canceller()
    assert isinstance(first, PassThroughEchoCanceller) and isinstance(second, PassThroughEchoCanceller)
    assert not first.available
    assert first.unavailable_reason is not None and "aec-audio-processing" in first.unavailable_reason
    assert len([r for r in caplog.records if "unavailable" in r.getMessage()]) == 1
    near = np.arange(960, dtype=np.int16)
    first.push_far_end(near)
    np.testing.assert_array_equal(first.process(near), near)


def test_a_processor_that_fails_to_start_gives_the_pass_through(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken:
        def __init__(self, **kwargs: Any) -> None:
            raise RuntimeError("no SIMD support")

    monkeypatch.setattr(echo, "load_processor_class", lambda: (Broken, None))
    canceller = create_echo_canceller()
    assert not canceller.available
    assert "no SIMD support" in (canceller.unavailable_reason or "")


# --- the far-end queue and the wrapper, with a fake processor -------------------------------------


def test_far_end_queue_wraps_keeps_whole_blocks_and_drops_oldest() -> None:
    queue = FarEndQueue(capacity=1000)
    queue.write(np.arange(700, dtype=np.int16))
    first = queue.read_blocks(480)
    np.testing.assert_array_equal(first, np.arange(480))
    queue.write(np.arange(700, 1400, dtype=np.int16))  # wraps around the ring
    second = queue.read_blocks(480)  # 920 waiting: one whole block
    np.testing.assert_array_equal(second, np.arange(480, 960))
    assert queue.pending == 440
    queue.write(np.zeros(3000, dtype=np.int16))
    assert queue.pending == 1000
    assert queue.dropped > 0


class FakeProcessor:
    """Stands in for ``aec_audio_processing.AudioProcessor``: records calls, halves the near end."""

    def __init__(self, **options: Any) -> None:
        self.options = options
        self.calls: list[tuple[str, Any]] = []

    def set_stream_format(self, *args: int) -> None:
        self.calls.append(("format", args))

    def set_reverse_stream_format(self, *args: int) -> None:
        self.calls.append(("reverse-format", args))

    def set_stream_delay(self, delay_ms: int) -> None:
        self.calls.append(("delay", delay_ms))

    def process_reverse_stream(self, data: bytes) -> bytes:
        self.calls.append(("far", len(data)))
        return data

    def process_stream(self, data: bytes) -> bytes:
        self.calls.append(("near", len(data)))
        return (np.frombuffer(data, dtype=np.int16) // 2).tobytes()


def test_far_end_is_fed_before_each_near_block_in_10ms_blocks() -> None:
    canceller = WebRtcEchoCanceller(EchoSettings(delay_ms=55), FakeProcessor)
    apm = canceller._apm
    assert apm.options["enable_aec"] and apm.options["enable_ns"] and not apm.options["enable_vad"]
    canceller.push_far_end(np.zeros(480, dtype=np.int16))
    canceller.push_far_end(np.zeros(700, dtype=np.int16))  # 1180: two whole blocks, 220 wait
    out = canceller.process(np.full(FRAME_SAMPLES, 1000, dtype=np.int16))
    assert (out == 500).all()
    steps = [name for name, _ in apm.calls if name in ("far", "near", "delay")]
    assert steps == ["far", "far", "delay", "near", "delay", "near"]
    assert ("delay", 55) in apm.calls
    canceller.set_delay_ms(70)
    canceller.push_far_end(np.zeros(260, dtype=np.int16))  # completes the third block
    canceller.process(np.zeros(BLOCK_SAMPLES, dtype=np.int16))
    assert apm.calls[-3:] == [("far", 960), ("delay", 70), ("near", 960)]
    with pytest.raises(ValueError):
        canceller.process(np.zeros(100, dtype=np.int16))


class FakeMicrophone:
    name = "Fake microphone"
    running = True
    error: DeviceError | None = None

    def __init__(self, frames: list[np.ndarray]) -> None:
        self.frames = frames

    def start(self) -> None:
        self.running = True

    def stop(self) -> None:
        self.running = False

    def read(self) -> np.ndarray | None:
        return self.frames.pop(0) if self.frames else None


def test_processed_microphone_cleans_each_frame() -> None:
    source = FakeMicrophone([np.full(FRAME_SAMPLES, 800, dtype=np.int16)])
    mic = ProcessedMicrophone(source, WebRtcEchoCanceller(EchoSettings(), FakeProcessor))
    assert mic.name == "Fake microphone" and mic.running and mic.error is None
    frame = mic.read()
    assert frame is not None and (frame == 400).all()
    assert mic.read() is None
    mic.stop()
    assert not source.running


# --- WebRTC processing on real speech --------------------------------------------------------------

SECONDS = 24
CONVERGED = 3.0  # seconds given to the canceller to learn the echo path
ECHO_DELAY_MS = 40


def load(name: str, seconds: int = SECONDS) -> np.ndarray:
    with wave.open(str(CONVERSATION / f"{name}.wav")) as w:
        assert w.getframerate() == SAMPLE_RATE and w.getnchannels() == 1 and w.getsampwidth() == 2
        return np.frombuffer(w.readframes(SAMPLE_RATE * seconds), dtype=np.int16)


def echo_path(played: np.ndarray) -> np.ndarray:
    """A laptop-like echo: 40 ms late, about 3 dB down, muffled, with one weak reflection."""
    delay = ECHO_DELAY_MS * SAMPLE_RATE // 1000
    response = np.zeros(delay + 600, dtype=np.float64)
    response[delay : delay + 8] = [0.07, 0.175, 0.21, 0.14, 0.07, 0.035, 0.021, 0.014]
    response[delay + 480] = -0.07
    return np.convolve(played.astype(np.float64), response)[: played.size]


def frame_levels(x: np.ndarray) -> np.ndarray:
    """dBov of each 20 ms frame."""
    frames = np.asarray(x, dtype=np.float64)[: x.size // FRAME_SAMPLES * FRAME_SAMPLES]
    power = np.mean(frames.reshape(-1, FRAME_SAMPLES) ** 2, axis=1) / 32768.0**2
    return 10 * np.log10(power + 1e-13)


def run_call(far: np.ndarray, near: np.ndarray, *, settings: EchoSettings) -> tuple[np.ndarray, ...]:
    """Far end through the mixer to the 'speaker', echo plus near end into the microphone, cleaned.

    Returns (played, microphone, echo, cleaned, seconds per 20 ms of processing). The mixer
    is run twice with the same input (it is deterministic) so the echo can be computed
    from what was played before the microphone signal is processed.
    """

    def play(mixer: AudioMixer) -> np.ndarray:
        out = []
        for i in range(far.size // FRAME_SAMPLES):
            frame = far[i * FRAME_SAMPLES : (i + 1) * FRAME_SAMPLES]
            mixer.push_samples("far", frame, arrival=i * 0.02, media_time=i * 0.02)
            out += [mixer.pull(BLOCK_SAMPLES), mixer.pull(BLOCK_SAMPLES)]
        return np.concatenate(out)

    played = play(AudioMixer())
    echo_signal = echo_path(played)
    microphone = np.clip(echo_signal + near[: played.size], -32768, 32767).astype(np.int16)

    canceller = create_echo_canceller(settings)
    assert canceller.available
    mixer = AudioMixer(far_end=canceller.push_far_end)
    cleaned = []
    spent = 0.0
    for i in range(far.size // FRAME_SAMPLES):
        frame = far[i * FRAME_SAMPLES : (i + 1) * FRAME_SAMPLES]
        mixer.push_samples("far", frame, arrival=i * 0.02, media_time=i * 0.02)
        mixer.pull(BLOCK_SAMPLES)
        mixer.pull(BLOCK_SAMPLES)
        started = time.perf_counter()
        cleaned.append(canceller.process(microphone[i * FRAME_SAMPLES : (i + 1) * FRAME_SAMPLES]))
        spent += time.perf_counter() - started
    return played, microphone, echo_signal, np.concatenate(cleaned), np.array(spent / len(cleaned))


SETTINGS = EchoSettings(delay_ms=ECHO_DELAY_MS, noise_suppression_level=1, auto_gain_control=False)


@needs_apm
@needs_conversation
def test_echo_alone_is_removed() -> None:
    far = load("alice")
    silence = np.zeros_like(far)
    _, _, echo_signal, cleaned, cost = run_call(far, silence, settings=SETTINGS)
    assert create_echo_canceller(SETTINGS).unavailable_reason is None
    skip = int(CONVERGED * SAMPLE_RATE)
    active = frame_levels(far)[int(CONVERGED * 50) :] > -45.0
    echo_frames = echo_signal[skip:].reshape(-1, FRAME_SAMPLES)[active[: (far.size - skip) // FRAME_SAMPLES]]
    out_frames = cleaned[skip:].reshape(-1, FRAME_SAMPLES)[active[: (far.size - skip) // FRAME_SAMPLES]]
    erle = 10 * np.log10(
        np.sum(echo_frames.astype(np.float64) ** 2) / (np.sum(out_frames.astype(np.float64) ** 2) + 1.0)
    )
    print(f"ERLE with far end only: {erle:.1f} dB; processing {float(cost) * 1e6:.0f} us per 20 ms")
    assert erle >= 25.0


@needs_apm
@needs_conversation
def test_near_end_survives_double_talk() -> None:
    far = load("alice")
    # Carol from 45 s on talks over Alice's first seconds: over 3 s of double talk after convergence.
    near = np.roll(load("carol", 50), -45 * SAMPLE_RATE)[: far.size]
    _, _, _, cleaned, _ = run_call(far, near, settings=SETTINGS)
    _, _, _, near_only, _ = run_call(np.zeros_like(far), near, settings=SETTINGS)
    start = int(CONVERGED * 50)
    far_levels, near_levels = frame_levels(far)[start:], frame_levels(near)[start:]
    both = (far_levels > -45.0) & (near_levels > -45.0)
    assert both.sum() > 150, "the test signals should overlap"
    out_levels = frame_levels(cleaned)[start:]
    alone_levels = frame_levels(near_only)[start:]
    double_talk_db = float(np.median(out_levels[both] - near_levels[both]))
    alone_db = float(np.median(alone_levels[both] - near_levels[both]))
    print(
        f"near end in double talk: {double_talk_db:+.1f} dB (median over {int(both.sum())} frames); "
        f"same frames with no far end: {alone_db:+.1f} dB"
    )
    assert alone_db > -3.0  # processing alone keeps the voice
    assert double_talk_db > -10.0  # the voice is turned down, not removed, while both talk

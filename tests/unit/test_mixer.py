"""Remote-audio mixer: jitter buffers, delay, overflow, volume, limiting, threads, consume()."""

from __future__ import annotations

import asyncio
import fractions
import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import av
import numpy as np
import pytest
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from spaces_desktop.devices.audio_backend import FRAME_SAMPLES, SAMPLE_RATE
from spaces_desktop.media.levels import level_dbov
from spaces_desktop.media.mixer import AudioMixer, consume
from spaces_desktop.media.playout import PlayoutBuffer, PlayoutSettings

BLOCK = 480  # what SpeakerSink asks for: 10 ms
FRAME = FRAME_SAMPLES / SAMPLE_RATE


def tone(frequency: float, amplitude: float, frames: int, phase: int = 0) -> list[np.ndarray]:
    """``frames`` consecutive 20 ms frames of a sine (continuous across frames)."""
    t = (np.arange(frames * FRAME_SAMPLES) + phase) / SAMPLE_RATE
    wave = (amplitude * 32767 * np.sin(2 * np.pi * frequency * t)).astype(np.int16)
    return list(wave.reshape(frames, FRAME_SAMPLES))


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.asarray(x, dtype=np.float64) ** 2)))


@dataclass
class Run:
    levels_ms: list[float]
    """Buffer level just before each pull (the delay audio waiting there will have)."""
    targets_ms: list[float]
    underruns_after_warmup: int
    output: np.ndarray


def simulate(
    arrivals: Sequence[float],
    *,
    seconds: float,
    warmup: float = 2.0,
    mixer: AudioMixer | None = None,
    frames: Sequence[np.ndarray] | None = None,
) -> Run:
    """Play one speaker whose frame ``i`` (media time ``i*20 ms``) arrives at ``arrivals[i]``.

    Virtual time: the speaker pulls 10 ms every 10 ms; frames due by each pull
    are pushed first. Levels are recorded after ``warmup``.
    """
    mixer = mixer or AudioMixer()
    frames = frames or tone(300.0, 0.3, len(arrivals))
    pid = "alice"
    mixer.add_participant(pid)
    levels: list[float] = []
    targets: list[float] = []
    underruns_at_warmup: int | None = None
    outputs = []
    next_frame = 0
    for k in range(round(seconds * 100)):
        now = 0.005 + k * 0.01
        while next_frame < len(arrivals) and arrivals[next_frame] <= now:
            mixer.push_samples(
                pid, frames[next_frame], arrival=arrivals[next_frame], media_time=next_frame * FRAME
            )
            next_frame += 1
        stats = mixer.stats()[pid]
        if now >= warmup:
            if underruns_at_warmup is None:
                underruns_at_warmup = stats.underruns
            levels.append(stats.delay_ms)
            targets.append(stats.target_ms)
        outputs.append(mixer.pull(BLOCK))
    underruns = mixer.stats()[pid].underruns - (underruns_at_warmup or 0)
    return Run(levels, targets, underruns, np.concatenate(outputs))


def monotonic(times: Sequence[float]) -> list[float]:
    out: list[float] = []
    for t in times:
        out.append(max(t, out[-1]) if out else t)
    return out


# --- jitter buffer ---------------------------------------------------------------------------------


def test_steady_arrival_plays_with_little_delay() -> None:
    rng = random.Random(1)
    arrivals = monotonic([0.001 + i * FRAME + rng.uniform(0, 0.002) for i in range(300)])
    run = simulate(arrivals, seconds=5.9)
    assert run.underruns_after_warmup == 0
    assert max(run.targets_ms) <= 30.0
    assert float(np.mean(run.levels_ms)) <= 25.0
    assert max(run.levels_ms) <= 40.0


@pytest.mark.parametrize(
    "pattern",
    ["uniform-30ms", "pairs", "triples"],
)
def test_bursty_arrival_adapts_target_without_underruns(pattern: str) -> None:
    rng = random.Random(7)
    count = 500  # 10 s
    if pattern == "uniform-30ms":
        raw = [0.001 + i * FRAME + rng.uniform(0, 0.030) for i in range(count)]
    elif pattern == "pairs":  # two frames at once every 40 ms
        raw = [0.001 + (i // 2 + 1) * 2 * FRAME for i in range(count)]
    else:  # three at once every 60 ms
        raw = [0.001 + (i // 3 + 1) * 3 * FRAME for i in range(count)]
    run = simulate(monotonic(raw), seconds=9.9)
    assert run.underruns_after_warmup == 0, pattern
    assert max(run.targets_ms) <= 60.0
    assert float(np.mean(run.levels_ms)) <= 60.0
    assert float(np.percentile(run.levels_ms, 95)) <= 60.0
    assert max(run.levels_ms) <= 80.0


def test_jitter_beyond_the_cap_keeps_target_at_60_ms() -> None:
    # Five frames at once every 100 ms: the buffer may not grow to cover it.
    arrivals = [0.001 + (i // 5 + 1) * 5 * FRAME for i in range(300)]
    run = simulate(arrivals, seconds=5.9)
    assert max(run.targets_ms) == pytest.approx(60.0)
    assert max(run.levels_ms) <= 80.0


def test_standing_delay_after_a_stall_is_trimmed() -> None:
    # Regular arrival, then a 120 ms stall delivering six frames at once, then regular again.
    arrivals = [0.001 + i * FRAME for i in range(300)]
    for i in range(100, 106):
        arrivals[i] = 0.001 + 106 * FRAME
    run = simulate(arrivals, seconds=5.9, warmup=0.0)
    # Seconds after the stall (and after the jitter window forgot it) the level is back down.
    tail = run.levels_ms[-100:]
    assert max(tail) <= 40.0
    assert float(np.mean(tail)) <= 25.0


def test_overflow_drops_the_oldest_audio() -> None:
    buffer = PlayoutBuffer(PlayoutSettings(max_delay_ms=80.0))
    # Ten frames at once: 200 ms, each frame a constant equal to its index.
    for i in range(10):
        buffer.write(np.full(FRAME_SAMPLES, i * 100, dtype=np.int16), arrival=0.0, media_time=i * FRAME)
    assert buffer.delay_ms == pytest.approx(80.0)
    assert buffer.dropped_samples == 6 * FRAME_SAMPLES
    mix = np.zeros(4 * FRAME_SAMPLES, dtype=np.float32)
    scratch = np.zeros_like(mix)
    buffer.mix_into(mix, scratch, 4 * FRAME_SAMPLES, 1.0)
    # What is left is the newest 80 ms: frames 6..9 (the first samples fade in/crossfade).
    assert mix[FRAME_SAMPLES // 2] == 600
    assert mix[-1] == 900


def test_underrun_plays_silence_then_reprimes_at_target() -> None:
    mixer = AudioMixer()
    frames = tone(440.0, 0.5, 10)
    mixer.push_samples("bob", frames[0], arrival=0.0, media_time=0.0)
    assert rms(mixer.pull(BLOCK)) > 1000
    assert rms(mixer.pull(BLOCK)) > 1000
    silent = mixer.pull(BLOCK)  # nothing left: concealment
    assert not silent.any()
    stats = mixer.stats()["bob"]
    assert stats.underruns == 1
    assert stats.concealed_ms == pytest.approx(10.0)
    # The next frame arrives 40 ms late: the target becomes 20 + 40 ms, so playout
    # resumes only once three frames are waiting.
    mixer.push_samples("bob", frames[1], arrival=0.060, media_time=FRAME)
    assert mixer.stats()["bob"].target_ms == pytest.approx(60.0)
    assert not mixer.pull(BLOCK).any()
    mixer.push_samples("bob", frames[2], arrival=0.061, media_time=2 * FRAME)
    assert not mixer.pull(BLOCK).any()
    mixer.push_samples("bob", frames[3], arrival=0.062, media_time=3 * FRAME)
    assert rms(mixer.pull(BLOCK)) > 1000
    assert mixer.stats()["bob"].underruns == 1


# --- gains and limiting ----------------------------------------------------------------------------


def fill(mixer: AudioMixer, pid: str, frames: list[np.ndarray]) -> None:
    """Push a few frames at once (at most 80 ms, the buffer's cap)."""
    for i, frame in enumerate(frames):
        mixer.push_samples(pid, frame, arrival=0.0, media_time=i * FRAME)


def play(mixer: AudioMixer, streams: dict[str, list[np.ndarray]]) -> np.ndarray:
    """Real-time-like playout: each speaker's next frame arrives every 20 ms, pulls every 10 ms."""
    outputs = []
    frames = len(next(iter(streams.values())))
    for i in range(frames):
        for pid, stream in streams.items():
            mixer.push_samples(pid, stream[i], arrival=i * FRAME, media_time=i * FRAME)
        outputs += [mixer.pull(BLOCK), mixer.pull(BLOCK)]
    return np.concatenate(outputs)


def test_volume_mute_and_master_volume() -> None:
    mixer = AudioMixer()
    reference = AudioMixer()
    fill(reference, "a", tone(500.0, 0.2, 3))
    full = rms(reference.pull(2 * BLOCK)[BLOCK:])

    fill(mixer, "a", tone(500.0, 0.2, 3))
    mixer.set_volume("a", 0.5)
    assert rms(mixer.pull(2 * BLOCK)[BLOCK:]) == pytest.approx(full * 0.5, rel=0.02)

    mixer.set_volume("a", 1.0)
    mixer.master_volume = 2.0
    assert rms(mixer.pull(BLOCK)) == pytest.approx(full * 2.0, rel=0.02)

    mixer.set_volume("a", 5.0)  # clamped to 2
    assert mixer.stats()["a"].volume == 2.0
    mixer.set_muted("a", True)
    assert not mixer.pull(BLOCK).any()
    # A muted speaker's level is still reported (the stage still sees them talk).
    assert mixer.levels()["a"] > -20.0
    with pytest.raises(ValueError):
        mixer.set_volume("a", float("nan"))


def test_muted_speaker_keeps_draining_so_unmute_is_current() -> None:
    mixer = AudioMixer()
    fill(mixer, "a", [np.full(FRAME_SAMPLES, 1000, dtype=np.int16)] * 2)
    mixer.set_muted("a", True)
    mixer.pull(2 * BLOCK)
    assert mixer.delays_ms()["a"] == pytest.approx(20.0)
    mixer.set_muted("a", False)
    fill(mixer, "a", [np.full(FRAME_SAMPLES, 2000, dtype=np.int16)])
    out = mixer.pull(4 * BLOCK)
    assert out[BLOCK] == 1000 and out[-1] == 2000


def test_ten_loud_speakers_never_clip() -> None:
    mixer = AudioMixer()
    out = play(mixer, {f"p{k}": tone(180.0 + 37.0 * k, 0.95, 100, phase=k * 101) for k in range(10)})
    assert int(np.max(np.abs(out.astype(np.int32)))) < 32767
    assert level_dbov(out) > -12.0  # limited, not silenced
    assert mixer.limited_blocks > 0
    # No hard clipping: never two full-scale-ish samples in a row at the same sign.
    near_full = np.abs(out.astype(np.int32)) > 32000
    assert not np.any(near_full[1:] & near_full[:-1])


def test_a_single_quiet_speaker_passes_unchanged() -> None:
    mixer = AudioMixer()
    frames = tone(700.0, 0.25, 50)
    out = play(mixer, {"a": frames})
    source = np.concatenate(frames)
    # Same samples apart from the 2 ms fade-in at the start.
    np.testing.assert_array_equal(out[200:], source[200:])
    assert mixer.limited_blocks == 0


def test_far_end_hook_gets_exactly_what_was_played() -> None:
    played: list[np.ndarray] = []
    mixer = AudioMixer(far_end=lambda block: played.append(block.copy()))
    fill(mixer, "a", tone(300.0, 0.3, 4))
    outs = [mixer.pull(BLOCK) for _ in range(6)]
    assert len(played) == 6
    for out, far in zip(outs, played, strict=True):
        np.testing.assert_array_equal(out, far)


def test_levels_reported_per_frame_through_the_callback() -> None:
    seen: list[tuple[str, float]] = []
    mixer = AudioMixer(on_level=lambda pid, level: seen.append((pid, level)))
    fill(mixer, "a", tone(300.0, 0.5, 2))
    fill(mixer, "b", [np.zeros(FRAME_SAMPLES, dtype=np.int16)])
    assert [pid for pid, _ in seen] == ["a", "a", "b"]
    assert seen[0][1] == pytest.approx(level_dbov(tone(300.0, 0.5, 1)[0]))
    assert mixer.levels()["b"] == -127.0


# --- threads and cost ------------------------------------------------------------------------------


async def test_pull_thread_while_the_loop_pushes() -> None:
    mixer = AudioMixer()
    speakers = [f"p{k}" for k in range(10)]
    stop = threading.Event()
    pulled: list[int] = []
    errors: list[BaseException] = []

    def speaker_thread() -> None:
        try:
            while not stop.is_set():
                pulled.append(int(np.abs(mixer.pull(BLOCK).astype(np.int32)).max()))
                time.sleep(0.01)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=speaker_thread, name="fake-portaudio")
    thread.start()
    try:
        frames = {pid: tone(200.0 + 50 * k, 0.1, 60) for k, pid in enumerate(speakers)}
        for i in range(60):
            for pid in speakers:
                mixer.push_samples(pid, frames[pid][i])
            if i == 30:
                mixer.remove_participant("p3")
                mixer.set_volume("p4", 0.5)
            await asyncio.sleep(0.02)
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not errors
    assert len(pulled) > 50
    assert max(pulled) > 1000


def test_pull_cost_with_ten_speakers() -> None:
    mixer = AudioMixer()
    rounds = 2000
    streams = {f"p{k}": tone(150.0 + 40 * k, 0.3, rounds // 2 + 3) for k in range(10)}
    for pid, stream in streams.items():
        fill(mixer, pid, stream[:3])
    durations = []
    for i in range(rounds):
        if i % 2 == 0:  # keep every buffer fed: one 20 ms frame per two pulls
            frame = i // 2 + 3
            for pid, stream in streams.items():
                mixer.push_samples(pid, stream[frame], arrival=i * 0.01, media_time=frame * FRAME)
        started = time.perf_counter()
        mixer.pull(BLOCK)
        durations.append(time.perf_counter() - started)
    per_20ms_us = 2 * float(np.median(durations)) * 1e6
    p99_us = float(np.percentile(durations, 99)) * 1e6
    print(f"pull with 10 speakers: {per_20ms_us:.0f} us per 20 ms (median), p99 one call {p99_us:.0f} us")
    assert all(s.underruns == 0 for s in mixer.stats().values())
    assert per_20ms_us < 2000.0


# --- consume() with a real aiortc track ------------------------------------------------------------


class ToneTrack(MediaStreamTrack):
    """A remote-like audio track: ``count`` frames of a tone, then it ends.

    Frames are shaped like the Opus decoder's (s16, stereo, 48 kHz) unless told otherwise.
    """

    kind = "audio"

    def __init__(self, count: int, *, rate: int = SAMPLE_RATE, layout: str = "stereo", fmt: str = "s16"):
        super().__init__()
        self.count = count
        self.rate = rate
        self.layout = layout
        self.fmt = fmt
        self.sent = 0

    async def recv(self) -> av.AudioFrame:
        if self.sent >= self.count:
            self.stop()
            raise MediaStreamError
        n = self.rate // 50
        t = (np.arange(n) + self.sent * n) / self.rate
        wave = 0.4 * np.sin(2 * np.pi * 440.0 * t)
        channels = 2 if self.layout == "stereo" else 1
        if self.fmt == "s16":
            data = np.repeat((wave * 32767).astype(np.int16), channels).reshape(1, -1)
        else:  # planar float
            data = np.tile(wave.astype(np.float32), (channels, 1))
        frame = av.AudioFrame.from_ndarray(data, format=self.fmt, layout=self.layout)
        frame.sample_rate = self.rate
        frame.pts = self.sent * n
        frame.time_base = fractions.Fraction(1, self.rate)
        self.sent += 1
        await asyncio.sleep(0)
        return frame


async def test_consume_feeds_the_mixer_until_the_track_ends() -> None:
    levels: list[float] = []
    mixer = AudioMixer(on_level=lambda pid, level: levels.append(level))
    track = ToneTrack(5)
    task = asyncio.ensure_future(consume(track, "carol", mixer, remove_when_done=False))
    assert await asyncio.wait_for(task, 5) == 5
    assert len(levels) == 5
    assert levels[-1] == pytest.approx(20 * np.log10(0.4 / np.sqrt(2)), abs=0.2)
    assert mixer.delays_ms()["carol"] == pytest.approx(80.0)  # capped: 100 ms pushed at once
    out = mixer.pull(BLOCK * 4)
    assert rms(out[200:]) == pytest.approx(0.4 * 32767 / np.sqrt(2), rel=0.02)


@pytest.mark.parametrize(("rate", "layout", "fmt"), [(16_000, "mono", "fltp"), (44_100, "stereo", "fltp")])
async def test_consume_converts_other_rates_and_formats(rate: int, layout: str, fmt: str) -> None:
    mixer = AudioMixer()
    track = ToneTrack(3, rate=rate, layout=layout, fmt=fmt)
    await consume(track, "dave", mixer, remove_when_done=False)
    delay = mixer.delays_ms()["dave"]
    assert 40.0 <= delay <= 60.0  # about 60 ms of audio (the resampler may hold a few samples back)
    out = mixer.pull(BLOCK * 2)
    # A 440 Hz tone at the right pitch: the strongest FFT bin is 440 Hz.
    spectrum = np.abs(np.fft.rfft(out[200:].astype(np.float64)))
    peak_hz = np.argmax(spectrum) * SAMPLE_RATE / (out.size - 200)
    assert peak_hz == pytest.approx(440.0, abs=20.0)


async def test_consume_removes_the_speaker_when_the_track_ends() -> None:
    mixer = AudioMixer()
    await consume(ToneTrack(2), "erin", mixer)
    assert mixer.participants() == []


async def test_consume_stops_when_cancelled() -> None:
    mixer = AudioMixer()
    track = ToneTrack(10_000)
    task = asyncio.ensure_future(consume(track, "frank", mixer))
    await asyncio.sleep(0.01)
    assert mixer.participants() == ["frank"]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert mixer.participants() == []

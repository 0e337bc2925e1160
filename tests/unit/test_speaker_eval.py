"""Evaluator on hand-made cases, and the stage director on the recorded test conversation."""

from __future__ import annotations

import json
import math
import os
import wave
from pathlib import Path

import numpy as np
import pytest

from spaces_desktop.bench.speaker_eval import (
    Segment,
    Wav,
    evaluate,
    evaluate_conversation,
    load_conversation,
    run_director,
)
from spaces_desktop.media.levels import level_dbov
from spaces_desktop.media.stage_director import StageDirector, StageSwitch

# -- hand-made cases ---------------------------------------------------------------------------

SEGMENTS = [
    Segment("alice", 1.0, 5.0, "turn"),
    Segment("bob", 3.0, 3.8, "backchannel"),
    Segment("carol", 6.0, 9.0, "turn"),
    Segment("alice", 10.0, 12.0, "turn"),
    Segment("alice", 12.5, 14.0, "turn"),
]


def sw(t: float, frm: str | None, to: str | None) -> StageSwitch:
    return StageSwitch(t, frm, to, "test")


def test_perfect_run() -> None:
    result = evaluate(
        [sw(1.2, None, "alice"), sw(6.3, "alice", "carol"), sw(10.1, "carol", "alice")], SEGMENTS
    )
    assert result.turns == 4
    assert result.turns_already_on_stage == 1  # alice continues at 12.5
    assert result.latencies_ms == pytest.approx([200.0, 300.0, 100.0])
    assert result.switch_p50_ms == pytest.approx(200.0)
    assert result.switch_p95_ms == pytest.approx(290.0)
    assert result.false_switches == 0
    assert result.missed_turns == 0


def test_switch_to_backchannel_and_before_first_turn_are_false() -> None:
    switches = [
        sw(0.5, None, "bob"),  # nobody has a turn yet
        sw(1.2, "bob", "alice"),
        sw(3.3, "alice", "bob"),  # backchannel
        sw(4.0, "bob", "alice"),  # back to the floor holder: fine
        sw(6.3, "alice", "carol"),
        sw(10.1, "carol", "alice"),
    ]
    result = evaluate(switches, SEGMENTS)
    assert result.false_switches == 2
    assert [s.time_s for s in result.false_switch_list] == [0.5, 3.3]
    assert result.missed_turns == 0


def test_missed_and_late_turns() -> None:
    # Alice's 10.0 turn is reached only at 12.2, after it ended: missed, but the late switch is not false.
    result = evaluate(
        [sw(1.2, None, "alice"), sw(6.3, "alice", "carol"), sw(12.2, "carol", "alice")], SEGMENTS
    )
    assert result.missed_turns == 1
    assert [r.segment.start for r in result.per_turn if r.missed] == [10.0]
    assert result.false_switches == 0
    assert result.latencies_ms == pytest.approx([200.0, 300.0])
    assert result.turns_already_on_stage == 1


def test_never_shown_turn_is_missed() -> None:
    result = evaluate([sw(1.2, None, "alice")], SEGMENTS)
    assert [r.segment.start for r in result.per_turn if r.missed] == [6.0]
    assert result.turns_already_on_stage == 2


def test_stage_emptied_is_not_a_false_switch() -> None:
    # The stage empties at 9.5 (alice left); she comes back and starts a turn at 10.0.
    result = evaluate([sw(1.2, None, "alice"), sw(9.5, "alice", None), sw(10.4, None, "alice")], SEGMENTS)
    assert result.false_switches == 0
    assert result.missed_turns == 1  # carol was never shown
    assert result.latencies_ms == pytest.approx([200.0, 400.0])
    assert result.turns_already_on_stage == 1


def test_no_switches_at_all() -> None:
    result = evaluate([], SEGMENTS)
    assert result.missed_turns == 4
    assert math.isnan(result.switch_p50_ms) and math.isnan(result.switch_p95_ms)
    assert result.summary()["missed_turns"] == 4


# -- replay of generated WAVs ------------------------------------------------------------------

RATE = 16000


def _vowel(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Harmonic bursts of 250 ms with short gaps, like syllables."""
    t = np.arange(round(seconds * RATE)) / RATE
    tone = sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 12))
    envelope = ((t % 0.3) < 0.25).astype(float)
    return 0.2 * tone / np.max(np.abs(tone)) * envelope + rng.standard_normal(t.size) * 3e-4


def _write_wav(path: Path, x: np.ndarray) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(np.clip(np.round(x * 32767), -32768, 32767).astype("<i2").tobytes())


def test_load_and_replay_generated_conversation(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    total = 8.0
    tracks = {name: rng.standard_normal(round(total * RATE)) * 3e-4 for name in ("ann", "ben")}
    truth = [
        Segment("ann", 0.5, 3.5, "turn"),
        Segment("ben", 2.0, 2.6, "backchannel"),
        Segment("ben", 4.5, 7.5, "turn"),
    ]
    for seg in truth:
        a, b = round(seg.start * RATE), round(seg.end * RATE)
        tracks[seg.speaker][a:b] = _vowel((b - a) / RATE, rng)
    segments = [{"speaker": s.speaker, "start": s.start, "end": s.end, "kind": s.kind} for s in truth]
    for name, x in tracks.items():
        _write_wav(tmp_path / f"{name}.wav", x)
    (tmp_path / "truth.json").write_text(json.dumps({"speakers": ["ann", "ben"], "segments": segments}))

    wavs, segs = load_conversation(tmp_path)
    assert set(wavs) == {"ann", "ben"}
    assert wavs["ann"].sample_rate == RATE and wavs["ann"].samples.dtype == np.int16
    assert [s.kind for s in segs] == ["turn", "backchannel", "turn"]

    result = evaluate(run_director(wavs), segs)
    assert result.turns == 2
    assert result.false_switches == 0 and result.missed_turns == 0
    assert result.switch_p95_ms <= 300
    assert evaluate_conversation(tmp_path).summary() == result.summary()


def test_replay_rejects_mixed_rates() -> None:
    with pytest.raises(ValueError):
        run_director({"a": Wav(np.zeros(960, np.int16), 48000), "b": Wav(np.zeros(320, np.int16), 16000)})


# -- the recorded conversation -----------------------------------------------------------------


def _conversation_dir() -> Path:
    env = os.environ.get("SPACES_MEDIA_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[3] / "shared" / "media" / "conversation-a"


CONVERSATION = _conversation_dir()
needs_conversation = pytest.mark.skipif(
    not (CONVERSATION / "truth.json").is_file(),
    reason=f"test conversation not found at {CONVERSATION} (set SPACES_MEDIA_DIR)",
)


def _assert_targets(result_summary: dict[str, object]) -> None:
    assert result_summary["false_switches"] == 0
    assert result_summary["missed_turns"] == 0
    p50 = result_summary["switch_p50_ms"]
    p95 = result_summary["switch_p95_ms"]
    assert isinstance(p50, float) and isinstance(p95, float)
    assert p50 <= 400.0
    assert p95 <= 700.0


def _scaled(w: Wav, gain_db: float) -> Wav:
    x = np.round(w.samples.astype(np.float64) * 10 ** (gain_db / 20))
    return Wav(np.clip(x, -32768, 32767).astype(np.int16), w.sample_rate)


@needs_conversation
@pytest.mark.parametrize("use_flatness", [True, False], ids=["level+flatness", "level-only"])
def test_conversation_a_meets_targets(use_flatness: bool) -> None:
    result = evaluate_conversation(CONVERSATION, use_flatness=use_flatness)
    assert result.turns == 10
    _assert_targets(result.summary())


@needs_conversation
@pytest.mark.parametrize("speaker", ["alice", "bob", "carol"])
def test_conversation_a_with_one_speaker_6db_quieter(speaker: str) -> None:
    wavs, segments = load_conversation(CONVERSATION)
    wavs[speaker] = _scaled(wavs[speaker], -6.0)
    _assert_targets(evaluate(run_director(wavs), segments).summary())


@needs_conversation
def test_conversation_a_with_coughs_from_listeners() -> None:
    """A loud 60 ms broadband burst from every non-speaker in the middle of every turn."""
    wavs, segments = load_conversation(CONVERSATION)
    clean = evaluate(run_director(wavs), segments)
    rng = np.random.default_rng(11)
    coughs = 0
    for turn in (s for s in segments if s.kind == "turn"):
        mid = (turn.start + turn.end) / 2
        for name, w in wavs.items():
            if name == turn.speaker or any(s.speaker == name and s.start <= mid <= s.end for s in segments):
                continue
            a = round(mid * w.sample_rate)
            n = round(0.06 * w.sample_rate)
            burst = rng.standard_normal(n) * 0.3 * 32767
            samples = w.samples.copy()
            samples[a : a + n] = np.clip(samples[a : a + n] + burst, -32768, 32767).astype(np.int16)
            wavs[name] = Wav(samples, w.sample_rate)
            coughs += 1
    assert coughs >= 10
    for use_flatness in (True, False):
        result = evaluate(run_director(wavs, use_flatness=use_flatness), segments)
        _assert_targets(result.summary())
        assert result.latencies_ms == pytest.approx(clean.latencies_ms, abs=80.0)


@needs_conversation
def test_conversation_a_with_jittered_arrival() -> None:
    """Levels stamped with their arrival time through a jitter buffer (0-80 ms late, in order)."""
    wavs, segments = load_conversation(CONVERSATION)
    rng = np.random.default_rng(2)
    events: list[tuple[float, str, float]] = []
    for name, w in wavs.items():
        frame = w.sample_rate // 50
        arrival = 0.0
        for k in range(len(w.samples) // frame):
            arrival = max(arrival, (k + 1) * 0.02 + rng.uniform(0.0, 0.08))
            events.append((arrival, name, level_dbov(w.samples[k * frame : (k + 1) * frame])))
    events.sort()
    director = StageDirector()
    next_tick = 0.02
    for t, name, level in events:
        while next_tick <= t:
            director.tick(next_tick)
            next_tick += 0.02
        director.feed(name, t, level)
    _assert_targets(evaluate(director.switches, segments).summary())

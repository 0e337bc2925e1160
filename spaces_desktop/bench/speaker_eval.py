"""Offline evaluation of the stage director against an annotated conversation.

A conversation folder holds one aligned mono WAV per speaker and a
``truth.json`` with segments ``{speaker, start, end, kind}`` where ``kind`` is
``turn`` or ``backchannel``. The rule: the stage should show the speaker of the
latest turn that has started; backchannels must not move it.

Metrics (``evaluate``):

- ``turns``: number of turn segments.
- Switch latency of a turn: time from its start until the stage first shows its
  speaker. A turn whose speaker is already on stage when it starts (the same
  person continuing after a pause) needs no switch and is left out of the
  latency statistics, so they measure real switches only; it is counted in
  ``turns_already_on_stage``.
- ``switch_p50_ms`` / ``switch_p95_ms``: percentiles (linear interpolation) of
  those latencies, over turns that were not missed; NaN when there are none.
- ``false_switches``: switches to someone other than the speaker of the latest
  turn started at that moment; any switch before the first turn is false. A
  switch to nobody (the stage emptied because someone left) is not counted.
- ``missed_turns``: turns whose speaker was never on stage between the turn's
  start and end.

``run_director`` replays WAVs through a ``StageDirector`` in 20 ms frames, the
way the app feeds decoded audio, with each frame timestamped at its end.
"""

from __future__ import annotations

import json
import math
import wave
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from spaces_desktop.media.levels import level_dbov, spectral_flatness
from spaces_desktop.media.stage_director import StageDirector, StageDirectorSettings, StageSwitch

TURN = "turn"
BACKCHANNEL = "backchannel"


@dataclass(frozen=True, slots=True)
class Segment:
    """One annotated stretch of speech."""

    speaker: str
    start: float
    end: float
    kind: str


class Wav(NamedTuple):
    """Mono int16 samples and their rate."""

    samples: np.ndarray
    sample_rate: int


@dataclass(frozen=True, slots=True)
class TurnResult:
    """How the stage followed one turn; ``latency_ms`` is None when missed or already on stage."""

    segment: Segment
    already_on_stage: bool
    missed: bool
    latency_ms: float | None


@dataclass(frozen=True, slots=True)
class SpeakerEval:
    """Scores of one run; see the module docstring for definitions."""

    turns: int
    turns_already_on_stage: int
    switch_p50_ms: float
    switch_p95_ms: float
    false_switches: int
    missed_turns: int
    per_turn: tuple[TurnResult, ...]
    false_switch_list: tuple[StageSwitch, ...]

    @property
    def latencies_ms(self) -> list[float]:
        return [r.latency_ms for r in self.per_turn if r.latency_ms is not None]

    def summary(self) -> dict[str, Any]:
        """Plain numbers for a benchmark report."""
        return {
            "turns": self.turns,
            "turns_already_on_stage": self.turns_already_on_stage,
            "switch_p50_ms": self.switch_p50_ms,
            "switch_p95_ms": self.switch_p95_ms,
            "false_switches": self.false_switches,
            "missed_turns": self.missed_turns,
            "latencies_ms": self.latencies_ms,
        }


# -- loading -----------------------------------------------------------------------------------


def read_wav(path: Path) -> Wav:
    """Read a 16-bit PCM WAV with the stdlib; multichannel files are averaged to mono."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: only 16-bit PCM is supported, got {8 * w.getsampwidth()}-bit")
        channels = w.getnchannels()
        rate = w.getframerate()
        raw = w.readframes(w.getnframes())
    samples = np.frombuffer(raw, dtype="<i2").astype(np.int16)
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1).astype(np.int16)
    return Wav(samples, rate)


def parse_segments(truth: Mapping[str, Any]) -> list[Segment]:
    """Segments from a truth.json document, sorted by start."""
    segments = [
        Segment(str(s["speaker"]), float(s["start"]), float(s["end"]), str(s["kind"]))
        for s in truth["segments"]
    ]
    return sorted(segments, key=lambda s: s.start)


def load_conversation(directory: Path | str) -> tuple[dict[str, Wav], list[Segment]]:
    """WAVs by speaker and the annotated segments of a conversation folder."""
    folder = Path(directory)
    truth = json.loads((folder / "truth.json").read_text())
    speakers = truth.get("speakers") or sorted(p.stem for p in folder.glob("*.wav"))
    wavs = {name: read_wav(folder / f"{name}.wav") for name in speakers}
    return wavs, parse_segments(truth)


# -- replay ------------------------------------------------------------------------------------


def run_director(
    wavs: Mapping[str, Wav],
    settings: StageDirectorSettings | None = None,
    frame_s: float = 0.02,
    use_flatness: bool = True,
) -> list[StageSwitch]:
    """Replay aligned WAVs through a fresh director frame by frame; returns its switch log."""
    if not wavs:
        return []
    rates = {w.sample_rate for w in wavs.values()}
    if len(rates) != 1:
        raise ValueError(f"WAVs must share one sample rate, got {sorted(rates)}")
    rate = rates.pop()
    frame = round(rate * frame_s)
    frames = min(len(w.samples) for w in wavs.values()) // frame
    director = StageDirector(settings, max_log=1_000_000)
    loud_enough = director.settings.speech_threshold_dbov
    for k in range(frames):
        t = (k + 1) * frame / rate
        for pid, w in wavs.items():
            chunk = w.samples[k * frame : (k + 1) * frame]
            level = level_dbov(chunk)
            flat = spectral_flatness(chunk, rate) if use_flatness and level >= loud_enough else None
            director.feed(pid, t, level, flat)
        director.tick(t)
    return list(director.switches)


# -- scoring -----------------------------------------------------------------------------------


def _floor_holder(turns: Sequence[Segment], t: float) -> str | None:
    """Speaker of the latest turn started at or before ``t``."""
    holder = None
    for turn in turns:
        if turn.start > t:
            break
        holder = turn.speaker
    return holder


def _stage_at(switches: Sequence[StageSwitch], t: float) -> str | None:
    shown = None
    for sw in switches:
        if sw.time_s > t:
            break
        shown = sw.to_id
    return shown


def _percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else math.nan


def evaluate(switches: Sequence[StageSwitch], segments: Sequence[Segment]) -> SpeakerEval:
    """Score a switch log against annotated segments (see the module docstring)."""
    ordered = sorted(switches, key=lambda s: s.time_s)
    turns = sorted((s for s in segments if s.kind == TURN), key=lambda s: s.start)

    false = tuple(
        sw for sw in ordered if sw.to_id is not None and sw.to_id != _floor_holder(turns, sw.time_s)
    )

    results: list[TurnResult] = []
    for turn in turns:
        if _stage_at(ordered, turn.start) == turn.speaker:
            results.append(TurnResult(turn, already_on_stage=True, missed=False, latency_ms=None))
            continue
        reached = next(
            (sw.time_s for sw in ordered if turn.start <= sw.time_s <= turn.end and sw.to_id == turn.speaker),
            None,
        )
        if reached is None:
            results.append(TurnResult(turn, already_on_stage=False, missed=True, latency_ms=None))
        else:
            latency = (reached - turn.start) * 1000.0
            results.append(TurnResult(turn, already_on_stage=False, missed=False, latency_ms=latency))

    latencies = [r.latency_ms for r in results if r.latency_ms is not None]
    return SpeakerEval(
        turns=len(turns),
        turns_already_on_stage=sum(r.already_on_stage for r in results),
        switch_p50_ms=_percentile(latencies, 50),
        switch_p95_ms=_percentile(latencies, 95),
        false_switches=len(false),
        missed_turns=sum(r.missed for r in results),
        per_turn=tuple(results),
        false_switch_list=false,
    )


def evaluate_conversation(
    directory: Path | str,
    settings: StageDirectorSettings | None = None,
    use_flatness: bool = True,
) -> SpeakerEval:
    """Load a conversation folder, replay it through the director and score it."""
    wavs, segments = load_conversation(directory)
    return evaluate(run_director(wavs, settings, use_flatness=use_flatness), segments)

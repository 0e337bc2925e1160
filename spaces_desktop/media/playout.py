"""One remote speaker's playout buffer: a small adaptive jitter buffer of 48 kHz mono int16.

Decoded audio arrives in bursts (network jitter, the engine loop being busy)
and leaves at the sound card's steady pace. The buffer holds just enough to
ride out the jitter it has seen:

- **Target delay** (the level the buffer fills to before it starts playing, and
  again after an underrun) is one frame plus the arrival jitter seen over the
  last ``jitter_window`` seconds, kept between ``min_target_ms`` (20) and
  ``max_target_ms`` (60): with steady arrival, playout starts on the first frame.
- **Jitter** is how late a frame arrives compared with the earliest frame in the
  window, measured on the media clock (``pts``) when the frame has one.
- **Trimming**: over each half second of playout the lowest buffer level is
  watched. Audio that never got played down to (a few ms of margin, plus any
  lateness the jitter window remembers that this half second did not see) is a
  standing surplus (after a burst, or a sender clock running fast): it is
  dropped from the oldest end with a 2 ms crossfade, so delay does not pile up.
- **Overflow**: it never holds more than ``max_delay_ms`` (80); a push beyond
  that drops the oldest audio.
- **Underrun**: what is left plays with a short fade-out, then silence for this
  speaker until the buffer has refilled to the target (re-priming).

Thread use: :class:`PlayoutBuffer` has no lock of its own; its owner
(:class:`~spaces_desktop.media.mixer.AudioMixer`) calls ``write`` from the
engine loop and ``mix_into`` from the speaker callback thread, always under the
mixer's lock. :class:`FrameConverter` runs on the engine loop only, outside the
lock.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import av
import numpy as np

from spaces_desktop.devices.audio_backend import FRAME_SAMPLES, SAMPLE_RATE

SAMPLES_PER_MS = SAMPLE_RATE // 1000
_FADE_SAMPLES = 2 * SAMPLES_PER_MS
_FADE_IN = np.linspace(0.0, 1.0, _FADE_SAMPLES, endpoint=False, dtype=np.float32)
_FADE_OUT = (1.0 - _FADE_IN).astype(np.float32)
_CLOCK_JUMP = 1.0
"""A change of transit time larger than this (seconds) is a new stream, not jitter."""


@dataclass(frozen=True)
class PlayoutSettings:
    """How each remote speaker's jitter buffer behaves."""

    min_target_ms: float = 20.0
    """Smallest target delay: one 20 ms frame, so playout starts on the first frame."""
    max_target_ms: float = 60.0
    """Largest target delay, however bad the jitter: talk stays conversational."""
    max_delay_ms: float = 80.0
    """Hard cap: a push that would hold more drops the oldest audio."""
    margin_ms: float = 5.0
    """Audio left in the buffer at its lowest point, as a safety margin (see trimming)."""
    jitter_window: float = 2.0
    """Seconds of arrival history the jitter estimate looks back over."""
    trim_period: float = 0.5
    """Seconds of playout over which the lowest buffer level is watched before trimming."""
    trim_hysteresis_ms: float = 10.0
    """Trim only when the buffer stayed this much above the cushion it needs."""


class FrameConverter:
    """Turns decoded ``av.AudioFrame`` s of any format, rate and layout into 48 kHz mono int16.

    aiortc's Opus decoder gives s16 stereo at 48 kHz (both sides equal); the
    resampler averages the channels. Other rates are resampled (the resampler
    keeps a few samples of state, so use one converter per stream).
    Engine loop thread.
    """

    def __init__(self) -> None:
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)

    def convert(self, frame: av.AudioFrame) -> np.ndarray:
        parts = [out.to_ndarray().reshape(-1) for out in self._resampler.resample(frame)]
        if not parts:
            return np.zeros(0, dtype=np.int16)
        if len(parts) == 1:
            return parts[0].astype(np.int16, copy=False)
        return np.concatenate(parts).astype(np.int16, copy=False)


class PlayoutBuffer:
    """Jitter buffer of one remote speaker (see the module docstring).

    The caller holds the mixer lock for every method; ``write`` runs on the
    engine loop, ``mix_into`` on the speaker callback thread.
    """

    def __init__(self, settings: PlayoutSettings | None = None) -> None:
        self.settings = s = settings or PlayoutSettings()
        self._max_delay = round(s.max_delay_ms * SAMPLES_PER_MS)
        self._capacity = self._max_delay + 4 * FRAME_SAMPLES
        self._ring = np.zeros(self._capacity, dtype=np.int16)
        self._read = 0
        self._write = 0
        self._primed = False
        self._fade_in_pending = False
        self._target = round(s.min_target_ms * SAMPLES_PER_MS)
        self._period_lateness = 0.0
        window_frames = max(2, round(s.jitter_window * SAMPLE_RATE / FRAME_SAMPLES))
        self._transits: deque[float] = deque(maxlen=window_frames)
        self._lateness: deque[float] = deque(maxlen=window_frames)
        self._samples_written = 0
        self._low_water: int | None = None
        self._watched = 0
        self._trim_period = round(s.trim_period * SAMPLE_RATE)
        self.jitter_ms = 0.0
        self.underruns = 0
        self.dropped_samples = 0
        self.trimmed_samples = 0
        self.concealed_samples = 0

    # --- read-outs (either thread, under the lock) ---------------------------------------------

    @property
    def available(self) -> int:
        """Samples waiting to be played."""
        return self._write - self._read

    @property
    def delay_ms(self) -> float:
        """What the buffer holds now, in milliseconds: the delay it adds to this speaker."""
        return self.available / SAMPLES_PER_MS

    @property
    def target_ms(self) -> float:
        return self._target / SAMPLES_PER_MS

    @property
    def primed(self) -> bool:
        return self._primed

    # --- engine loop ---------------------------------------------------------------------------

    def write(self, samples: np.ndarray, arrival: float, media_time: float | None = None) -> None:
        """Append mono int16 ``samples`` that arrived at ``arrival`` (seconds, monotonic clock).

        ``media_time`` is the sender's timestamp of the first sample in seconds
        (from the frame's pts); without it the count of samples so far is used.
        """
        count = int(samples.size)
        if count == 0:
            return
        if media_time is None:
            media_time = self._samples_written / SAMPLE_RATE
        self._samples_written += count
        self._observe_arrival(arrival - media_time, count)

        if count > self._capacity:
            samples = samples[-self._capacity :]
            self.dropped_samples += count - self._capacity
            self._read = self._write
            count = self._capacity
        start = self._write % self._capacity
        first = min(count, self._capacity - start)
        self._ring[start : start + first] = samples[:first]
        if first < count:
            self._ring[: count - first] = samples[first:]
        self._write += count

        overflow = self.available - self._max_delay
        if overflow > 0:
            self.dropped_samples += overflow
            self._discard(overflow)
        if not self._primed and self.available >= self._target:
            self._primed = True
            self._fade_in_pending = True
            self._low_water = None
            self._watched = 0

    def _observe_arrival(self, transit: float, count: int) -> None:
        if self._transits and abs(transit - self._transits[-1]) > _CLOCK_JUMP:
            self._transits.clear()
            self._lateness.clear()
        self._transits.append(transit)
        lateness = transit - min(self._transits)
        self._lateness.append(lateness)
        self._period_lateness = max(self._period_lateness, lateness)
        s = self.settings
        self.jitter_ms = max(self._lateness) * 1000.0
        frame_ms = count / SAMPLES_PER_MS
        target_ms = min(s.max_target_ms, max(s.min_target_ms, frame_ms + self.jitter_ms))
        self._target = round(target_ms * SAMPLES_PER_MS)

    # --- speaker callback thread ---------------------------------------------------------------

    def mix_into(self, mix: np.ndarray, scratch: np.ndarray, n: int, gain: float) -> int:
        """Take ``n`` samples from the buffer and add them, times ``gain``, to ``mix[:n]``.

        ``mix`` and ``scratch`` are float32 buffers of at least ``n`` samples
        (``scratch`` is overwritten). Returns how many real samples played; the
        rest of ``n`` is concealment (silence). A muted speaker passes
        ``gain=0``: its buffer still drains, so unmuting plays current audio.
        """
        if not self._primed:
            return 0
        take = min(n, self.available)
        if take > 0 and gain != 0.0:
            out = scratch[:take]
            self._copy_out(out, take)
            if self._fade_in_pending:
                k = min(take, _FADE_SAMPLES)
                out[:k] *= _FADE_IN[:k]
            if take < n:
                k = min(take, _FADE_SAMPLES)
                out[take - k :] *= _FADE_OUT[_FADE_SAMPLES - k :]
            out *= np.float32(gain)
            mix[:take] += out
        self._fade_in_pending = False
        self._read += take
        if take < n:
            self.underruns += 1
            self.concealed_samples += n - take
            self._primed = False
            return take
        self._watch_level(n)
        return take

    def _copy_out(self, out: np.ndarray, count: int) -> None:
        start = self._read % self._capacity
        first = min(count, self._capacity - start)
        out[:first] = self._ring[start : start + first]
        if first < count:
            out[first:count] = self._ring[: count - first]

    def _watch_level(self, pulled: int) -> None:
        """Trim a standing surplus: the lowest level over a trim period above the cushion still needed."""
        level = self.available
        self._low_water = level if self._low_water is None else min(self._low_water, level)
        self._watched += pulled
        if self._watched < self._trim_period:
            return
        # The lowest level already reflects the late frames of this period; keep
        # room for the worse lateness the jitter window remembers, plus a margin.
        s = self.settings
        unseen_ms = max(0.0, self.jitter_ms - self._period_lateness * 1000.0)
        cushion = round((unseen_ms + s.margin_ms) * SAMPLES_PER_MS)
        surplus = self._low_water - cushion
        if surplus > round(s.trim_hysteresis_ms * SAMPLES_PER_MS):
            self.trimmed_samples += surplus
            self._discard(surplus)
        self._low_water = None
        self._watched = 0
        self._period_lateness = 0.0

    # --- either thread -------------------------------------------------------------------------

    def _discard(self, count: int) -> None:
        """Drop the oldest ``count`` samples, crossfading the dropped audio into what follows."""
        count = min(count, self.available)
        remaining = self.available - count
        fade = min(_FADE_SAMPLES, remaining, count)
        if fade > 0:
            old = np.empty(fade, dtype=np.float32)
            new = np.empty(fade, dtype=np.float32)
            self._copy_out(old, fade)
            self._read += count
            self._copy_out(new, fade)
            weight = np.arange(fade, dtype=np.float32) / np.float32(fade)
            blended = old + (new - old) * weight
            start = self._read % self._capacity
            first = min(fade, self._capacity - start)
            self._ring[start : start + first] = blended[:first].astype(np.int16)
            if first < fade:
                self._ring[: fade - first] = blended[first:].astype(np.int16)
        else:
            self._read += count

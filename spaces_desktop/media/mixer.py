"""The remote-audio mixer: one jitter buffer per speaker in, one 48 kHz mono stream to the speaker out.

Threads:

- **Engine loop** (asyncio): :func:`consume` reads each remote track and calls
  :meth:`AudioMixer.push`; decoding, format conversion and level metering run
  there, outside the lock. ``on_level`` is called there too.
- **Speaker callback** (PortAudio): :meth:`AudioMixer.pull`, as the
  :class:`~spaces_desktop.devices.speaker.SpeakerSink` provider. It holds the
  lock only while mixing (tens of microseconds), allocates only its output
  array, and hands what it played to ``far_end`` (the echo canceller's
  reference).
- **Any thread** (GUI through the engine, tests): volume, mute, ``levels()``
  and ``stats()`` take the same short lock.

Loudness: each speaker's gain is volume (0..2, 0 when muted locally) times the
master volume; a limiter then brings the peak of each 10 ms block down to
``limit`` of full scale (instant attack ramped across the block, release about
6 dB per half second) and a ``tanh`` soft clip catches what the ramp lets by, so
thirteen people shouting never wrap or hard-clip.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from spaces_desktop.devices.audio_backend import SAMPLE_RATE
from spaces_desktop.media.levels import LEVEL_FLOOR_DBOV, level_dbov
from spaces_desktop.media.playout import FrameConverter, PlayoutBuffer, PlayoutSettings

log = logging.getLogger(__name__)

LevelListener = Callable[[str, float], None]
"""``(participant_id, level_dbov)`` for each decoded frame; runs on the engine loop."""
FarEndSink = Callable[[np.ndarray], None]
"""Receives every block the speaker plays (48 kHz mono int16); speaker callback thread.

The array is the one ``pull`` returns: copy it to keep it.
"""

_FULL_SCALE = 32767.0
MAX_VOLUME = 2.0


@dataclass(frozen=True)
class ParticipantAudioStats:
    """A snapshot of one remote speaker's playout."""

    participant_id: str
    delay_ms: float
    """Audio buffered now: the delay the jitter buffer adds."""
    target_ms: float
    """The level the buffer fills to before playing (20–60 ms, follows the jitter)."""
    jitter_ms: float
    level_dbov: float
    """Level of the last decoded frame, before local volume and mute."""
    volume: float
    muted: bool
    underruns: int
    dropped_ms: float
    """Audio dropped because the buffer overflowed or held more delay than needed."""
    concealed_ms: float


class _Participant:
    """Per-speaker state; ``buffer`` and the gain fields are guarded by the mixer lock."""

    def __init__(self, settings: PlayoutSettings) -> None:
        self.buffer = PlayoutBuffer(settings)
        self.converter = FrameConverter()  # engine loop only
        self.volume = 1.0
        self.muted = False
        self.level = LEVEL_FLOOR_DBOV


class AudioMixer:
    """Mixes every remote speaker for the speaker sink (see the module docstring for threads)."""

    def __init__(
        self,
        settings: PlayoutSettings | None = None,
        *,
        on_level: LevelListener | None = None,
        far_end: FarEndSink | None = None,
        limit: float = 0.89,
        release_db_per_second: float = 12.0,
        clock: Callable[[], float] = time.monotonic,
        max_block: int = SAMPLE_RATE // 10,
    ) -> None:
        self.settings = settings or PlayoutSettings()
        self.on_level = on_level
        self.far_end = far_end
        self._clock = clock
        self._lock = threading.Lock()
        self._participants: dict[str, _Participant] = {}
        self._master = 1.0
        self._limit = limit * _FULL_SCALE
        self._release_db_per_second = release_db_per_second
        self._limiter_gain = 1.0
        self._alloc(max_block)
        self.blocks_mixed = 0
        self.limited_blocks = 0

    def _alloc(self, size: int) -> None:
        self._mix = np.zeros(size, dtype=np.float32)
        self._scratch = np.zeros(size, dtype=np.float32)
        self._gains = np.zeros(size, dtype=np.float32)
        self._ramp = np.arange(1, size + 1, dtype=np.float32)

    # --- participants and gains (any thread) ---------------------------------------------------

    def add_participant(self, participant_id: str) -> None:
        """Start a jitter buffer for ``participant_id`` (no-op if it exists). Any thread."""
        with self._lock:
            if participant_id not in self._participants:
                self._participants[participant_id] = _Participant(self.settings)

    def remove_participant(self, participant_id: str) -> None:
        """Forget a speaker and its buffered audio. Any thread."""
        with self._lock:
            self._participants.pop(participant_id, None)

    def participants(self) -> list[str]:
        with self._lock:
            return list(self._participants)

    def set_volume(self, participant_id: str, volume: float) -> None:
        """Local volume for one speaker, 0 (silent) to 2 (+6 dB); 1 is as sent. Any thread."""
        with self._lock:
            self._get(participant_id).volume = _clamp_volume(volume)

    def set_muted(self, participant_id: str, muted: bool) -> None:
        """Mute one speaker for this listener only (their level is still reported). Any thread."""
        with self._lock:
            self._get(participant_id).muted = muted

    @property
    def master_volume(self) -> float:
        return self._master

    @master_volume.setter
    def master_volume(self, volume: float) -> None:
        """Overall output volume, 0..2. Any thread."""
        self._master = _clamp_volume(volume)

    def _get(self, participant_id: str) -> _Participant:
        participant = self._participants.get(participant_id)
        if participant is None:
            participant = self._participants[participant_id] = _Participant(self.settings)
        return participant

    # --- engine loop: audio in -----------------------------------------------------------------

    def push(self, participant_id: str, frame: av.AudioFrame, arrival: float | None = None) -> None:
        """Queue one decoded frame (any format, rate, layout) for ``participant_id``. Engine loop.

        ``arrival`` defaults to now on the mixer's clock; the frame's pts, when
        set, gives its media time for the jitter estimate.
        """
        with self._lock:
            participant = self._get(participant_id)
        samples = participant.converter.convert(frame)
        media_time = None
        if frame.pts is not None and frame.time_base is not None:
            media_time = float(frame.pts * frame.time_base)
        self.push_samples(participant_id, samples, arrival=arrival, media_time=media_time)

    def push_samples(
        self,
        participant_id: str,
        samples: np.ndarray,
        *,
        arrival: float | None = None,
        media_time: float | None = None,
    ) -> None:
        """Queue 48 kHz mono int16 ``samples`` for ``participant_id``. Engine loop."""
        samples = np.asarray(samples, dtype=np.int16).reshape(-1)
        level = level_dbov(samples)
        when = self._clock() if arrival is None else arrival
        with self._lock:
            participant = self._get(participant_id)
            participant.level = level
            participant.buffer.write(samples, when, media_time)
        listener = self.on_level
        if listener is not None:
            listener(participant_id, level)

    # --- speaker callback thread: audio out ----------------------------------------------------

    def pull(self, n_samples: int) -> np.ndarray:
        """The next ``n_samples`` of the mix as int16. Speaker callback thread.

        Never blocks longer than the mixing itself; a speaker whose buffer runs
        dry contributes silence until it has refilled to its target.
        """
        n = int(n_samples)
        if n > self._mix.size:
            self._alloc(n)  # only if the audio device asks for unusually long blocks
        mix = self._mix[:n]
        mix.fill(0.0)
        master = self._master
        with self._lock:
            for participant in self._participants.values():
                gain = 0.0 if participant.muted else participant.volume * master
                participant.buffer.mix_into(self._mix, self._scratch, n, gain)
        out = self._limit_block(mix, n)
        self.blocks_mixed += 1
        sink = self.far_end
        if sink is not None:
            sink(out)
        return out

    def _limit_block(self, mix: np.ndarray, n: int) -> np.ndarray:
        peak = max(float(mix.max()), -float(mix.min())) if n else 0.0
        start = self._limiter_gain
        if peak * start > self._limit:
            end = self._limit / peak
            self.limited_blocks += 1
        else:
            release = 10.0 ** (self._release_db_per_second / 20.0 * n / SAMPLE_RATE)
            end = min(1.0, start * release)
            if peak > 0.0:
                end = min(end, max(start, self._limit / peak))
        self._limiter_gain = end
        if start != 1.0 or end != 1.0:
            gains = self._gains[:n]
            np.multiply(self._ramp[:n], np.float32((end - start) / n), out=gains)
            gains += np.float32(start)
            mix *= gains
            peak *= max(start, end)
        if peak > self._limit:
            # The ramp lets the first samples of a sudden peak through: round them off.
            np.multiply(mix, np.float32(1.0 / _FULL_SCALE), out=mix)
            np.tanh(mix, out=mix)
            mix *= np.float32(_FULL_SCALE)
        out = np.empty(n, dtype=np.int16)
        np.rint(mix, out=mix)
        np.clip(mix, -_FULL_SCALE, _FULL_SCALE, out=mix)
        out[:] = mix
        return out

    # --- read-outs (any thread) ----------------------------------------------------------------

    def levels(self) -> dict[str, float]:
        """Level (dBov) of each speaker's last decoded frame, before local volume/mute. Any thread."""
        with self._lock:
            return {pid: p.level for pid, p in self._participants.items()}

    def delays_ms(self) -> dict[str, float]:
        """Audio buffered per speaker right now, in ms. Any thread."""
        with self._lock:
            return {pid: p.buffer.delay_ms for pid, p in self._participants.items()}

    def stats(self) -> dict[str, ParticipantAudioStats]:
        """A snapshot of every speaker's playout. Any thread."""
        with self._lock:
            return {pid: _stats(pid, p) for pid, p in self._participants.items()}


def _stats(participant_id: str, p: _Participant) -> ParticipantAudioStats:
    b = p.buffer
    return ParticipantAudioStats(
        participant_id=participant_id,
        delay_ms=b.delay_ms,
        target_ms=b.target_ms,
        jitter_ms=b.jitter_ms,
        level_dbov=p.level,
        volume=p.volume,
        muted=p.muted,
        underruns=b.underruns,
        dropped_ms=(b.dropped_samples + b.trimmed_samples) * 1000.0 / SAMPLE_RATE,
        concealed_ms=b.concealed_samples * 1000.0 / SAMPLE_RATE,
    )


def _clamp_volume(volume: float) -> float:
    if not math.isfinite(volume):
        raise ValueError(f"volume must be a finite number, not {volume!r}")
    return min(MAX_VOLUME, max(0.0, float(volume)))


async def consume(
    track: MediaStreamTrack,
    participant_id: str,
    mixer: AudioMixer,
    *,
    remove_when_done: bool = True,
) -> int:
    """Feed a remote audio track's frames into ``mixer`` until the track ends. Engine loop.

    Returns the number of frames pushed. When the track ends (or this task is
    cancelled) the speaker's buffer is removed unless ``remove_when_done`` is
    False.
    """
    mixer.add_participant(participant_id)
    frames = 0
    try:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                break
            if not isinstance(frame, av.AudioFrame):
                log.warning("track for %s gave %s, not audio; stopping", participant_id, type(frame))
                break
            mixer.push(participant_id, frame)
            frames += 1
    finally:
        if remove_when_done:
            mixer.remove_participant(participant_id)
    return frames

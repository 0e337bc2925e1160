"""A microphone that needs no hardware: plays a sound file or a tone, optionally on a schedule.

Bots and the demo speak with it ("talk from 10 s to 25 s, then from 40 s to
55 s"); benchmarks know exactly when it is talking (:attr:`SyntheticMicrophone.speaking`).
Frames are produced on demand, so the consumer sets the pace: a
:class:`~spaces_desktop.media.tracks.MicrophoneAudioTrack` pulls one every 20 ms.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import av
import numpy as np

from spaces_desktop.devices.audio_backend import FRAME_SAMPLES, SAMPLE_RATE
from spaces_desktop.devices.errors import DeviceError, MicrophoneMissing

Schedule = Sequence[tuple[float, float]]
"""(start_s, end_s) windows, in seconds since :meth:`SyntheticMicrophone.start`, when it talks."""


def load_audio(path: str | Path) -> np.ndarray:
    """Decode any audio file FFmpeg reads (WAV, MP3, Ogg…) to 48 kHz mono int16."""
    try:
        container = av.open(str(path))
    except (OSError, av.FFmpegError) as exc:
        raise MicrophoneMissing(
            f"The sound file “{path}” could not be read ({exc}).", "Check the file path and format."
        ) from exc
    chunks: list[np.ndarray] = []
    with container:
        if not container.streams.audio:
            raise MicrophoneMissing(f"“{path}” has no audio.", "Pick a sound file such as a WAV.")
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        for frame in container.decode(container.streams.audio[0]):
            chunks.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(frame))
        chunks.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(None))
    if not chunks:
        return np.zeros(0, dtype=np.int16)
    return np.concatenate(chunks).astype(np.int16, copy=False)


def tone(frequency: float = 440.0, *, level_dbfs: float = -12.0, seconds: float = 1.0) -> np.ndarray:
    """A sine tone at 48 kHz mono int16; with a whole number of Hz and seconds it loops seamlessly."""
    count = max(1, round(seconds * SAMPLE_RATE))
    amplitude = 32767.0 * 10 ** (level_dbfs / 20.0)
    phase = 2.0 * math.pi * frequency * np.arange(count, dtype=np.float64) / SAMPLE_RATE
    return (amplitude * np.sin(phase)).astype(np.int16)


def parse_schedule(text: str) -> list[tuple[float, float]]:
    """Parse ``"0-10,20-30.5"`` into [(0, 10), (20, 30.5)]; raises ValueError on nonsense."""
    windows: list[tuple[float, float]] = []
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        start_text, sep, end_text = part.partition("-")
        if not sep:
            raise ValueError(f"schedule window {part!r} is not START-END")
        start, end = float(start_text), float(end_text)
        if start < 0 or end <= start:
            raise ValueError(f"schedule window {part!r} must have 0 <= START < END")
        windows.append((start, end))
    return sorted(windows)


class SyntheticMicrophone:
    """Plays ``samples`` (48 kHz mono int16) as a microphone (a ``MicrophoneSource``).

    - ``loop``: start over at the end; otherwise go silent once played (``finished``).
    - ``start_offset``: seconds into the clip where playing begins.
    - ``schedule``: talk only inside these windows (seconds since :meth:`start`)
      and send silence outside; the clip pauses between windows and carries on
      in the next one. None means always.

    ``read`` may be called from any thread; ``clock`` is injectable for tests.
    """

    def __init__(
        self,
        samples: np.ndarray,
        *,
        name: str = "Synthetic microphone",
        loop: bool = True,
        start_offset: float = 0.0,
        schedule: Schedule | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._samples = np.asarray(samples, dtype=np.int16).reshape(-1)
        self._name = name
        self.loop = loop
        self.start_offset = start_offset
        self.schedule = sorted(schedule) if schedule is not None else None
        self._clock = clock
        self._lock = threading.Lock()
        self._position = 0
        self._started_at: float | None = None
        self._finished = False
        self._unplugged: MicrophoneMissing | None = None

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        *,
        loop: bool = True,
        start_offset: float = 0.0,
        schedule: Schedule | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> SyntheticMicrophone:
        """Play a sound file (any rate and channel count; resampled to 48 kHz mono)."""
        return cls(
            load_audio(path),
            name=Path(path).name,
            loop=loop,
            start_offset=start_offset,
            schedule=schedule,
            clock=clock,
        )

    @classmethod
    def from_tone(
        cls,
        frequency: float = 440.0,
        *,
        level_dbfs: float = -12.0,
        schedule: Schedule | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> SyntheticMicrophone:
        """Play an endless sine tone."""
        return cls(
            tone(frequency, level_dbfs=level_dbfs),
            name=f"Tone {frequency:g} Hz",
            schedule=schedule,
            clock=clock,
        )

    @property
    def name(self) -> str:
        return self._name

    @property
    def running(self) -> bool:
        return self._started_at is not None

    @property
    def error(self) -> DeviceError | None:
        return self._unplugged

    # --- unplugging, for rehearsing a lost microphone (tests, benchmarks, the demo) -----------

    @property
    def plugged_in(self) -> bool:
        """False between :meth:`fail_now` and :meth:`restore`; the device watcher lists it only when True."""
        return self._unplugged is None

    def fail_now(self) -> None:
        """Behave like a microphone pulled out (any thread): ``error`` is the
        :class:`MicrophoneMissing` a real one reports, ``read`` returns nothing
        and :meth:`start` fails until :meth:`restore`."""
        with self._lock:
            self._unplugged = MicrophoneMissing(f"The microphone “{self._name}” was unplugged.")
            self._started_at = None

    def restore(self) -> None:
        """Plug it back in: :meth:`start` works again (it does not start by itself)."""
        with self._lock:
            self._unplugged = None

    @property
    def duration(self) -> float:
        """Length of the clip in seconds."""
        return self._samples.size / SAMPLE_RATE

    @property
    def finished(self) -> bool:
        """True once a non-looping clip has played to its end."""
        return self._finished

    @property
    def elapsed(self) -> float:
        """Seconds since :meth:`start` (0 when stopped)."""
        return 0.0 if self._started_at is None else self._clock() - self._started_at

    @property
    def speaking(self) -> bool:
        """Whether the frame read now would carry the clip rather than scheduled silence."""
        return self.running and not self._finished and self.in_schedule(self.elapsed)

    def in_schedule(self, seconds: float) -> bool:
        if self.schedule is None:
            return True
        return any(start <= seconds < end for start, end in self.schedule)

    def start(self) -> None:
        with self._lock:
            if self._unplugged is not None:
                raise self._unplugged
            if self._started_at is not None:
                return
            self._started_at = self._clock()
            self._position = min(self._samples.size, max(0, round(self.start_offset * SAMPLE_RATE)))
            if self.loop and self._samples.size:
                self._position %= self._samples.size
            self._finished = self._samples.size == 0

    def stop(self) -> None:
        with self._lock:
            self._started_at = None

    def read(self) -> np.ndarray | None:
        """The next 20 ms: clip audio inside the schedule, silence outside. None when stopped.

        Like a real microphone it keeps time: a reader that falls behind (a stalled
        loop) skips what it missed instead of playing the clip ever later.
        """
        with self._lock:
            if self._started_at is None:
                return None
            elapsed = self._clock() - self._started_at
            if self._finished or not self.in_schedule(elapsed):
                return np.zeros(FRAME_SAMPLES, dtype=np.int16)
            self._catch_up(elapsed)
            return self._next_chunk()

    def _scheduled_seconds(self, elapsed: float) -> float:
        """How much talking time the schedule has given out by `elapsed`."""
        if self.schedule is None:
            return elapsed
        return sum(max(0.0, min(end, elapsed) - start) for start, end in self.schedule)

    def _catch_up(self, elapsed: float) -> None:
        start = min(self._samples.size, max(0, round(self.start_offset * SAMPLE_RATE)))
        due = start + round(self._scheduled_seconds(elapsed) * SAMPLE_RATE) - FRAME_SAMPLES
        total = self._samples.size
        if self.loop and total:
            behind = (due - self._position) % total
            if FRAME_SAMPLES < behind < total // 2:
                self._position = (self._position + behind) % total
        elif due - self._position > FRAME_SAMPLES:
            self._position = min(due, total)

    def _next_chunk(self) -> np.ndarray:
        out = np.zeros(FRAME_SAMPLES, dtype=np.int16)
        filled = 0
        total = self._samples.size
        while filled < FRAME_SAMPLES:
            if self._position >= total:
                if not self.loop or total == 0:
                    self._finished = True
                    break
                self._position = 0
            take = min(FRAME_SAMPLES - filled, total - self._position)
            out[filled : filled + take] = self._samples[self._position : self._position + take]
            filled += take
            self._position += take
        if not self.loop and self._position >= total:
            self._finished = True
        return out

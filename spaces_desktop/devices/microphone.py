"""Microphones: the :class:`MicrophoneSource` seam and the PortAudio microphone.

Every microphone delivers 48 kHz mono ``int16`` frames of 960 samples (20 ms).
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import numpy as np

from spaces_desktop.devices.audio_backend import (
    FRAME_SAMPLES,
    SAMPLE_RATE,
    BackendLoader,
    close_stream,
    extra_settings,
    load_sounddevice,
    note_stream_opened,
)
from spaces_desktop.devices.errors import AudioError, DeviceError, MicrophoneMissing

log = logging.getLogger(__name__)


@runtime_checkable
class MicrophoneSource(Protocol):
    """Anything that yields 20 ms frames of 48 kHz mono int16 audio."""

    @property
    def name(self) -> str: ...

    @property
    def running(self) -> bool: ...

    @property
    def error(self) -> DeviceError | None:
        """Why capture ended on its own, or None."""
        ...

    def start(self) -> None:
        """Open the device; raises an :class:`AudioError` subclass."""
        ...

    def stop(self) -> None: ...

    def read(self) -> np.ndarray | None:
        """The oldest waiting frame (shape (960,), int16), or None when none is ready. Never blocks."""
        ...


class FrameQueue:
    """Thread-safe queue of fixed-size frames that drops the oldest when full.

    ``push`` accepts blocks of any length (device callbacks do not always
    deliver exactly 960 samples) and cuts them into frames.
    """

    def __init__(self, max_frames: int = 5, frame_samples: int = FRAME_SAMPLES) -> None:
        self.frame_samples = frame_samples
        self._frames: collections.deque[np.ndarray] = collections.deque(maxlen=max_frames)
        self._partial = np.zeros(0, dtype=np.int16)
        self._lock = threading.Lock()
        self.dropped = 0

    def push(self, samples: np.ndarray) -> None:
        samples = np.asarray(samples, dtype=np.int16).reshape(-1)
        with self._lock:
            if self._partial.size == 0 and samples.size == self.frame_samples:
                self._append(samples.copy())  # the usual case: one callback, one frame
                return
            buffer = np.concatenate((self._partial, samples))
            whole = buffer.size - buffer.size % self.frame_samples
            for start in range(0, whole, self.frame_samples):
                self._append(buffer[start : start + self.frame_samples].copy())
            self._partial = buffer[whole:].copy()

    def _append(self, frame: np.ndarray) -> None:
        if len(self._frames) == self._frames.maxlen:
            self.dropped += 1
        self._frames.append(frame)

    def pop(self, keep_at_most: int | None = None) -> np.ndarray | None:
        """The oldest frame; with ``keep_at_most``, older frames beyond that many are dropped first."""
        with self._lock:
            if keep_at_most is not None:
                while len(self._frames) > max(1, keep_at_most):
                    self._frames.popleft()
                    self.dropped += 1
            return self._frames.popleft() if self._frames else None

    def clear(self) -> None:
        with self._lock:
            self._frames.clear()
            self._partial = np.zeros(0, dtype=np.int16)

    def __len__(self) -> int:
        return len(self._frames)


class SoundDeviceMicrophone:
    """A PortAudio microphone (``sounddevice.InputStream``), 48 kHz mono, low latency.

    The PortAudio callback thread cuts the input into 20 ms frames and puts them
    in a :class:`FrameQueue` of ``max_frames`` (100 ms, oldest dropped). ``read``
    (any thread) skips to the newest ``max_latency_frames`` first: a consumer
    that started late or fell behind hears the present, not a backlog, and
    the delay stays bounded even though the sound card's clock and the
    consumer's pacing clock drift apart. ``device`` is a PortAudio index or
    name, None for the system default.

    Losing the device shows in ``error`` (read it from any thread): PortAudio
    ending the stream by itself, the stream no longer active, or no callback
    for ``stall_timeout`` seconds (some hosts keep a stream "active" after the
    device is gone and simply stop calling back).
    """

    def __init__(
        self,
        device: int | str | None = None,
        *,
        name: str | None = None,
        max_frames: int = 5,
        max_latency_frames: int = 2,
        stall_timeout: float = 0.8,
        backend_loader: BackendLoader = load_sounddevice,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.device = device
        self.max_latency_frames = max_latency_frames
        self.stall_timeout = stall_timeout
        self._clock = clock
        self._last_callback = 0.0
        self._name = name or ("Default microphone" if device is None else f"Microphone {device}")
        self._loader = backend_loader
        self._queue = FrameQueue(max_frames)
        self._stream: Any = None
        self._stopping = False
        self._error: DeviceError | None = None
        self.overflows = 0
        """Times PortAudio reported lost input (callback thread writes)."""

    @property
    def name(self) -> str:
        return self._name

    @property
    def running(self) -> bool:
        return self._stream is not None and self._error is None

    @property
    def error(self) -> DeviceError | None:
        if self._error is None and self._stream is not None and not self._stopping:
            self._error = self._health_error(self._stream)
        return self._error

    def _health_error(self, stream: Any) -> DeviceError | None:
        if not getattr(stream, "active", True):
            return MicrophoneMissing(f"The microphone “{self._name}” stopped (unplugged?).")
        if self._clock() - self._last_callback > self.stall_timeout:
            return MicrophoneMissing(f"The microphone “{self._name}” stopped sending sound (unplugged?).")
        return None

    @property
    def dropped_frames(self) -> int:
        return self._queue.dropped

    def start(self) -> None:
        if self._stream is not None:
            return
        backend = self._loader()
        self._error = None
        self._stopping = False
        self._queue.clear()
        device = self.device
        try:
            stream = backend.InputStream(
                device=device,
                samplerate=SAMPLE_RATE,
                channels=1,
                dtype="int16",
                blocksize=FRAME_SAMPLES,
                latency="low",
                callback=self._callback,
                finished_callback=self._finished,
                extra_settings=extra_settings(backend, device if isinstance(device, int) else None, "input"),
            )
            # The stall clock starts at opening: the first callback may take a moment.
            self._last_callback = self._clock()
            stream.start()
        except AudioError:
            raise
        except Exception as exc:  # sounddevice.PortAudioError, ValueError for unknown names
            raise MicrophoneMissing(f"The microphone “{self._name}” could not be opened ({exc}).") from exc
        note_stream_opened()
        self._stream = stream

    def stop(self) -> None:
        stream, self._stream = self._stream, None
        if stream is None:
            return
        self._stopping = True
        close_stream(stream, f"microphone {self._name}")

    def read(self) -> np.ndarray | None:
        return self._queue.pop(keep_at_most=self.max_latency_frames)

    # --- PortAudio callback thread ---------------------------------------------------------

    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        self._last_callback = self._clock()
        if status and getattr(status, "input_overflow", False):
            self.overflows += 1
        self._queue.push(indata[:frames, 0])

    def _finished(self) -> None:
        # PortAudio ends a stream on its own when the device disappears.
        if not self._stopping:
            self._error = MicrophoneMissing(f"The microphone “{self._name}” stopped (unplugged?).")

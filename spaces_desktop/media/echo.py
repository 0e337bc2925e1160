"""Echo cancellation and noise suppression for the microphone.

When a listener talks without headphones, the microphone hears the speaker
playing everyone else; without echo cancellation the room hears itself back.
:class:`WebRtcEchoCanceller` runs WebRTC's audio processing module (AEC3 echo
canceller, noise suppression, optional gain control) through the optional
``aec-audio-processing`` package. Without that package
:func:`create_echo_canceller` returns a :class:`PassThroughEchoCanceller`
(``available`` False, so the UI can say "echo cancellation unavailable") and
logs one warning.

Signals, all 48 kHz mono int16:

- **far end**: what the speaker plays, from the mixer's ``far_end`` hook via
  :meth:`EchoCanceller.push_far_end` (speaker callback thread; only queued).
- **near end**: the microphone, through :meth:`EchoCanceller.process`
  (whichever thread reads the microphone, usually the engine loop), in whole
  10 ms blocks (a 20 ms microphone frame is two). Queued far-end audio is fed
  to the processor first, so the processor itself is used from one thread only.

``delay_ms`` is the expected time from handing a block to the speaker to its
echo reaching ``process`` (output latency + acoustic path + input latency);
AEC3 also finds the delay itself, so a rough value is enough.
"""

from __future__ import annotations

import importlib
import logging
import threading
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from spaces_desktop.devices.audio_backend import SAMPLE_RATE
from spaces_desktop.devices.errors import DeviceError
from spaces_desktop.devices.microphone import MicrophoneSource

log = logging.getLogger(__name__)

BLOCK_SAMPLES = SAMPLE_RATE // 100
"""The processor works on 10 ms blocks (480 samples at 48 kHz)."""
PACKAGE = "aec-audio-processing"
_MODULE = "aec_audio_processing"


@dataclass(frozen=True)
class EchoSettings:
    """What the microphone processing does."""

    echo_cancellation: bool = True
    noise_suppression: bool = True
    noise_suppression_level: int = 1
    """0 low, 1 moderate, 2 high, 3 very high. Higher removes more hiss and more voice texture."""
    auto_gain_control: bool = False
    """WebRTC's adaptive digital gain: evens out quiet and loud talkers, but pumps room noise."""
    delay_ms: int = 40
    """Expected speaker-to-microphone delay (see the module docstring)."""
    far_end_capacity_ms: int = 500
    """Far-end audio kept while the microphone is not being read; the oldest goes first."""


class EchoCanceller(Protocol):
    """Cleans the microphone signal using what the speaker played."""

    @property
    def available(self) -> bool:
        """False for the pass-through: echo cancellation is not running."""
        ...

    @property
    def unavailable_reason(self) -> str | None:
        """Why ``available`` is False, for the UI; None when it is available."""
        ...

    @property
    def delay_ms(self) -> int: ...

    def set_delay_ms(self, delay_ms: int) -> None:
        """Change the expected speaker-to-microphone delay. Any thread."""
        ...

    def push_far_end(self, samples: np.ndarray) -> None:
        """Queue a block the speaker is about to play. Speaker callback thread: never blocks for long."""
        ...

    def process(self, near: np.ndarray) -> np.ndarray:
        """Return the cleaned microphone block; ``near`` is a whole number of 10 ms blocks.

        Runs on the thread that reads the microphone (one thread only).
        """
        ...


class FarEndQueue:
    """Thread-safe ring of far-end int16 audio; drops the oldest when full.

    ``write`` runs on the speaker callback thread (one short lock, a copy into a
    preallocated ring); ``read_blocks`` on the microphone thread.
    """

    def __init__(self, capacity: int) -> None:
        self._ring = np.zeros(capacity, dtype=np.int16)
        self._capacity = capacity
        self._read = 0
        self._write = 0
        self._lock = threading.Lock()
        self.dropped = 0

    def write(self, samples: np.ndarray) -> None:
        data = np.asarray(samples).reshape(-1)
        if data.size > self._capacity:
            self.dropped += data.size - self._capacity
            data = data[-self._capacity :]
        count = data.size
        with self._lock:
            start = self._write % self._capacity
            first = min(count, self._capacity - start)
            self._ring[start : start + first] = data[:first]
            self._ring[: count - first] = data[first:]
            self._write += count
            overflow = self._write - self._read - self._capacity
            if overflow > 0:
                self.dropped += overflow
                self._read += overflow

    def read_blocks(self, block: int) -> np.ndarray:
        """All whole ``block``-sized runs waiting, as one array (length a multiple of ``block``)."""
        with self._lock:
            count = (self._write - self._read) // block * block
            start = self._read % self._capacity
            first = min(count, self._capacity - start)
            out = np.empty(count, dtype=np.int16)
            out[:first] = self._ring[start : start + first]
            out[first:] = self._ring[: count - first]
            self._read += count
        return out

    @property
    def pending(self) -> int:
        with self._lock:
            return self._write - self._read


class PassThroughEchoCanceller:
    """Returns the microphone unchanged; used when no audio processing package is installed."""

    def __init__(self, reason: str = "echo cancellation unavailable", delay_ms: int = 40) -> None:
        self._reason = reason
        self._delay_ms = delay_ms

    @property
    def available(self) -> bool:
        return False

    @property
    def unavailable_reason(self) -> str | None:
        return self._reason

    @property
    def delay_ms(self) -> int:
        return self._delay_ms

    def set_delay_ms(self, delay_ms: int) -> None:
        self._delay_ms = delay_ms

    def push_far_end(self, samples: np.ndarray) -> None:
        """Speaker callback thread: nothing to do."""

    def process(self, near: np.ndarray) -> np.ndarray:
        return np.asarray(near, dtype=np.int16).reshape(-1)


class WebRtcEchoCanceller:
    """WebRTC audio processing (AEC3 + noise suppression) via ``aec-audio-processing``.

    Build it with :func:`create_echo_canceller`, which falls back to the
    pass-through when the package is missing. ``processor`` is the package's
    ``AudioProcessor`` class (injectable for tests).
    """

    def __init__(self, settings: EchoSettings, processor_class: Any) -> None:
        self.settings = settings
        self._apm = processor_class(
            enable_aec=settings.echo_cancellation,
            enable_ns=settings.noise_suppression,
            ns_level=settings.noise_suppression_level,
            enable_agc=settings.auto_gain_control,
            agc_mode=1,
            # The package's own VAD is not needed (the app meters levels itself).
            enable_vad=False,
        )
        self._apm.set_stream_format(SAMPLE_RATE, 1, SAMPLE_RATE, 1)
        self._apm.set_reverse_stream_format(SAMPLE_RATE, 1)
        self._delay_ms = settings.delay_ms
        self._far = FarEndQueue(settings.far_end_capacity_ms * SAMPLE_RATE // 1000)
        self.blocks_processed = 0
        self.far_blocks = 0

    @property
    def available(self) -> bool:
        return True

    @property
    def unavailable_reason(self) -> str | None:
        return None

    @property
    def delay_ms(self) -> int:
        return self._delay_ms

    def set_delay_ms(self, delay_ms: int) -> None:
        """Any thread; applied on the next ``process``."""
        self._delay_ms = max(0, int(delay_ms))

    @property
    def far_end_dropped(self) -> int:
        """Far-end samples dropped because the microphone was not read for a while."""
        return self._far.dropped

    def push_far_end(self, samples: np.ndarray) -> None:
        """Speaker callback thread."""
        self._far.write(samples)

    def process(self, near: np.ndarray) -> np.ndarray:
        """Microphone thread; ``near`` must be a whole number of 10 ms blocks."""
        data = np.ascontiguousarray(np.asarray(near, dtype=np.int16).reshape(-1))
        if data.size % BLOCK_SAMPLES:
            raise ValueError(f"process takes whole 10 ms blocks ({BLOCK_SAMPLES} samples), got {data.size}")
        far = self._far.read_blocks(BLOCK_SAMPLES)
        for start in range(0, far.size, BLOCK_SAMPLES):
            self._apm.process_reverse_stream(far[start : start + BLOCK_SAMPLES].tobytes())
        self.far_blocks += far.size // BLOCK_SAMPLES
        out = np.empty_like(data)
        for start in range(0, data.size, BLOCK_SAMPLES):
            # WebRTC wants the delay set before every capture block.
            self._apm.set_stream_delay(self._delay_ms)
            cleaned = self._apm.process_stream(data[start : start + BLOCK_SAMPLES].tobytes())
            out[start : start + BLOCK_SAMPLES] = np.frombuffer(cleaned, dtype=np.int16)
            self.blocks_processed += 1
        return out


_warned_unavailable = False


def load_processor_class() -> tuple[Any | None, str | None]:
    """``aec_audio_processing.AudioProcessor``, or None and why it cannot be used."""
    try:
        module = importlib.import_module(_MODULE)
    except ImportError as exc:
        return None, f"the {PACKAGE} package is not installed ({exc})"
    except OSError as exc:  # its bundled shared library failed to load
        return None, f"the {PACKAGE} package could not load its library ({exc})"
    return module.AudioProcessor, None


def create_echo_canceller(settings: EchoSettings | None = None) -> EchoCanceller:
    """The WebRTC canceller if its package is installed, else the pass-through (one warning logged)."""
    global _warned_unavailable
    settings = settings or EchoSettings()
    processor_class, reason = load_processor_class()
    if processor_class is not None:
        try:
            return WebRtcEchoCanceller(settings, processor_class)
        except Exception as exc:
            reason = f"the {PACKAGE} package failed to start ({exc})"
    message = f"Echo cancellation unavailable: {reason}. Use headphones to avoid echo."
    if not _warned_unavailable:
        _warned_unavailable = True
        log.warning(message)
    return PassThroughEchoCanceller(message, settings.delay_ms)


class ProcessedMicrophone:
    """A :class:`MicrophoneSource` whose frames went through an :class:`EchoCanceller`.

    ``read`` runs the canceller on the reading thread (about 0.3 ms per 20 ms
    frame with WebRTC processing, measured here).
    """

    def __init__(self, source: MicrophoneSource, canceller: EchoCanceller) -> None:
        self.source = source
        self.canceller = canceller

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def running(self) -> bool:
        return self.source.running

    @property
    def error(self) -> DeviceError | None:
        return self.source.error

    def start(self) -> None:
        self.source.start()

    def stop(self) -> None:
        self.source.stop()

    def read(self) -> np.ndarray | None:
        frame = self.source.read()
        if frame is None:
            return None
        return self.canceller.process(frame)

"""Speakers: a PortAudio output stream that pulls its audio from the mixer."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from spaces_desktop.devices.audio_backend import (
    SAMPLE_RATE,
    BackendLoader,
    close_stream,
    extra_settings,
    load_sounddevice,
    note_stream_opened,
)
from spaces_desktop.devices.errors import AudioError, DeviceError, SpeakerMissing

log = logging.getLogger(__name__)

PullAudio = Callable[[int], np.ndarray]
"""Given a sample count, return that many 48 kHz mono int16 samples (shorter is padded with silence)."""


class SpeakerSink:
    """Plays what ``pull`` returns on a speaker (``sounddevice.OutputStream``, 48 kHz).

    ``pull(n)`` runs **in the PortAudio callback thread**, about every
    ``blocksize`` samples (10 ms by default): it must not block, allocate much,
    or take locks held for long. It returns mono int16 (or float in [-1, 1]);
    a short or failing pull plays silence for the rest of that block. With
    ``channels=2`` the mono signal goes to both sides.

    Losing the device shows in ``error`` (read it from any thread), as for the
    microphone: PortAudio ending the stream by itself, the stream no longer
    active, or no callback for ``stall_timeout`` seconds.
    """

    def __init__(
        self,
        pull: PullAudio,
        device: int | str | None = None,
        *,
        name: str | None = None,
        channels: int = 1,
        blocksize: int = 480,
        stall_timeout: float = 0.8,
        backend_loader: BackendLoader = load_sounddevice,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pull = pull
        self.device = device
        self._name = name or ("Default speaker" if device is None else f"Speaker {device}")
        self.channels = channels
        self.blocksize = blocksize
        self._loader = backend_loader
        self.stall_timeout = stall_timeout
        self._clock = clock
        self._last_callback = 0.0
        self._stream: Any = None
        self._stopping = False
        self._error: DeviceError | None = None
        self._pull_failures = 0
        self.underflows = 0
        """Times PortAudio ran out of audio to play (callback thread writes)."""

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
            return SpeakerMissing(f"The speaker “{self._name}” stopped (unplugged?).")
        if self._clock() - self._last_callback > self.stall_timeout:
            return SpeakerMissing(f"The speaker “{self._name}” stopped playing (unplugged?).")
        return None

    def start(self) -> None:
        if self._stream is not None:
            return
        backend = self._loader()
        self._error = None
        self._stopping = False
        try:
            stream = backend.OutputStream(
                device=self.device,
                samplerate=SAMPLE_RATE,
                channels=self.channels,
                dtype="int16",
                blocksize=self.blocksize,
                latency="low",
                callback=self._callback,
                finished_callback=self._finished,
                extra_settings=extra_settings(
                    backend, self.device if isinstance(self.device, int) else None, "output"
                ),
            )
            # The stall clock starts at opening: the first callback may take a moment.
            self._last_callback = self._clock()
            stream.start()
        except AudioError:
            raise
        except Exception as exc:
            raise SpeakerMissing(f"The speaker “{self._name}” could not be opened ({exc}).") from exc
        note_stream_opened()
        self._stream = stream

    def stop(self) -> None:
        stream, self._stream = self._stream, None
        if stream is None:
            return
        self._stopping = True
        close_stream(stream, f"speaker {self._name}")

    # --- PortAudio callback thread ---------------------------------------------------------

    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        self._last_callback = self._clock()
        if status and getattr(status, "output_underflow", False):
            self.underflows += 1
        fill_output(outdata, frames, self._safe_pull(frames))

    def _safe_pull(self, frames: int) -> np.ndarray | None:
        try:
            return self._pull(frames)
        except Exception:
            # Log the first few only: this runs 100 times a second.
            self._pull_failures += 1
            if self._pull_failures <= 3:
                log.exception("speaker pull failed; playing silence")
            return None

    def _finished(self) -> None:
        if not self._stopping:
            self._error = SpeakerMissing(f"The speaker “{self._name}” stopped (unplugged?).")


def fill_output(outdata: np.ndarray, frames: int, samples: np.ndarray | None) -> None:
    """Write mono ``samples`` into every channel of ``outdata`` (int16), padding with silence."""
    if samples is None:
        outdata[:frames] = 0
        return
    mono = np.asarray(samples).reshape(-1)[:frames]
    if mono.dtype.kind == "f":
        mono = (np.clip(mono, -1.0, 1.0) * 32767.0).astype(np.int16)
    elif mono.dtype != np.int16:
        mono = mono.astype(np.int16)
    count = mono.size
    outdata[:count] = mono[:, None]
    outdata[count:frames] = 0

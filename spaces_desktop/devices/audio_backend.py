"""The seam between our audio code and the ``sounddevice`` module.

``sounddevice`` raises ``OSError`` at import time when the PortAudio library is
absent, so it is never imported at module level: :func:`load_sounddevice` does
it on demand and turns the failure into :class:`AudioBackendMissing`. Classes
that need audio take an optional ``backend`` (anything shaped like the
``sounddevice`` module, see :class:`SoundDeviceModule`) so tests can hand in a
fake instead of patching.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from typing import Any, Protocol

from spaces_desktop.devices.errors import AudioBackendMissing

log = logging.getLogger(__name__)

SAMPLE_RATE = 48_000
"""Every microphone and speaker in the app runs at 48 kHz (Opus's native rate)."""
FRAME_SAMPLES = 960
"""20 ms at 48 kHz: one Opus packet, one audio frame through the whole app."""
FRAME_DURATION = FRAME_SAMPLES / SAMPLE_RATE


class SoundDeviceModule(Protocol):
    """The subset of the ``sounddevice`` module the devices package uses."""

    @property
    def InputStream(self) -> Callable[..., Any]: ...

    @property
    def OutputStream(self) -> Callable[..., Any]: ...

    @property
    def default(self) -> Any: ...

    def query_devices(self, device: int | str | None = None, kind: str | None = None) -> Any: ...

    def query_hostapis(self, index: int | None = None) -> Any: ...


BackendLoader = Callable[[], SoundDeviceModule]


def load_sounddevice() -> SoundDeviceModule:
    """Import ``sounddevice``; raise :class:`AudioBackendMissing` when PortAudio is absent."""
    try:
        import sounddevice
    except (OSError, ImportError) as exc:
        raise AudioBackendMissing(
            f"Audio is unavailable: the PortAudio library was not found ({exc})."
        ) from exc
    module: SoundDeviceModule = sounddevice
    return module


def extra_settings(backend: SoundDeviceModule, device: int | None, kind: str) -> Any:
    """Host-API settings that let a 48 kHz stream open on ``device`` (``kind`` is "input"/"output").

    WASAPI in shared mode refuses rates other than the device's own unless
    PortAudio may convert; PortAudio rejects WASAPI settings on other host APIs,
    so they are given only to WASAPI devices.
    """
    if sys.platform != "win32" or getattr(backend, "WasapiSettings", None) is None:
        return None
    try:
        info = backend.query_devices(device, kind) if device is None else backend.query_devices(device)
        hostapi = backend.query_hostapis(int(info["hostapi"]))
        if "WASAPI" not in str(hostapi["name"]):
            return None
        return backend.WasapiSettings(auto_convert=True)
    except Exception:  # settings are an optimisation; the stream may still open without them
        return None


# PortAudio is process-wide state: restarting it (the only way to see hot-plugged
# devices) closes every open stream, so our streams are counted here.
_streams_lock = threading.Lock()
_open_streams = 0


def note_stream_opened() -> None:
    global _open_streams
    with _streams_lock:
        _open_streams += 1


def note_stream_closed() -> None:
    global _open_streams
    with _streams_lock:
        _open_streams = max(0, _open_streams - 1)


def close_stream(stream: Any, what: str) -> None:
    """Stops and closes a PortAudio stream we opened; a failure is logged, never raised."""
    try:
        stream.stop()
        stream.close()
    except Exception:
        log.exception("closing %s failed", what)
    finally:
        note_stream_closed()


def reinitialize_portaudio(backend: SoundDeviceModule) -> bool:
    """Restart PortAudio so its device list is current; False when skipped (streams open)."""
    terminate = getattr(backend, "_terminate", None)
    initialize = getattr(backend, "_initialize", None)
    if terminate is None or initialize is None:
        return False
    with _streams_lock:
        if _open_streams:
            return False
        terminate()
        initialize()
    return True

"""Opening devices off the GUI thread, and closing them safely while they are still opening.

A webcam or PortAudio stream can take a second to open, so previews open it in
a worker thread. Devices are not safe to stop from one thread while another is
starting them; a device closed during its opening is therefore only marked,
and the opening thread stops it as soon as the open returns.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)


class Startable(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


class BackgroundOpener:
    def __init__(self, name: str) -> None:
        self._name = name
        self._lock = threading.Lock()
        self._cancelled: dict[int, bool] = {}

    def open(self, device: Startable, on_done: Callable[[BaseException | None], None]) -> None:
        """Start ``device`` in a worker thread; ``on_done(error)`` runs there unless closed meanwhile."""
        with self._lock:
            self._cancelled[id(device)] = False

        def run() -> None:  # worker thread
            error: BaseException | None = None
            try:
                device.start()
            except Exception as exc:  # device errors, and whatever else a backend throws
                error = exc
            with self._lock:
                cancelled = self._cancelled.pop(id(device), False)
            if cancelled:
                self._stop(device)
                return
            on_done(error)

        threading.Thread(target=run, name=f"{self._name}-open", daemon=True).start()

    def close(self, device: Startable) -> None:
        """Stop ``device`` now, or as soon as its opening finishes (any thread)."""
        with self._lock:
            if id(device) in self._cancelled:
                self._cancelled[id(device)] = True
                return
        self._stop(device)

    def _stop(self, device: Startable) -> None:
        try:
            device.stop()
        except Exception:
            log.exception("stopping %s failed", self._name)

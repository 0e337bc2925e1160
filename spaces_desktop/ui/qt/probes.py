"""A microphone opened just to show its level (setup dialog, device check).

Opening happens in a worker thread; a GUI-thread timer reads whatever frames
arrived (``read`` never blocks) and reports the loudest as ``level`` in dBFS.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer, Signal

from spaces_desktop.devices.microphone import MicrophoneSource
from spaces_desktop.devices.opener import BackgroundOpener
from spaces_desktop.media.levels import level_dbov
from spaces_desktop.ui.viewmodels.errors import describe

log = logging.getLogger(__name__)

POLL_MS = 50
SILENCE_DB = -90.0


class MicLevelProbe(QObject):
    level = Signal(float)
    """dBFS of the loudest frame since the last reading (GUI thread)."""
    failed = Signal(str)
    _opened = Signal(object, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._mic: MicrophoneSource | None = None
        self._generation = 0
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)
        self._opened.connect(self._on_opened)
        self._opener = BackgroundOpener("mic-probe")

    @property
    def microphone(self) -> MicrophoneSource | None:
        return self._mic

    def start(self, mic: MicrophoneSource | None) -> None:
        self.stop()
        if mic is None:
            return
        self._generation += 1
        generation = self._generation
        self._mic = mic

        self._opener.open(mic, lambda error: self._opened.emit((generation, mic), error))

    def stop(self) -> None:
        self._generation += 1
        mic, self._mic = self._mic, None
        self._timer.stop()
        if mic is not None:
            self._opener.close(mic)
        self.level.emit(SILENCE_DB)

    def _on_opened(self, tagged: tuple[int, MicrophoneSource], error: BaseException | None) -> None:
        generation, _ = tagged
        if generation != self._generation:
            return  # stopped meanwhile; the opener released it
        if error is not None:
            self._mic = None
            self.failed.emit(describe(error))
            return
        self._timer.start()

    def _poll(self) -> None:
        mic = self._mic
        if mic is None:
            return
        if mic.error is not None:
            self.stop()
            self.failed.emit(describe(mic.error))
            return
        loudest = SILENCE_DB
        for _ in range(20):
            frame = mic.read()
            if frame is None:
                break
            loudest = max(loudest, level_dbov(frame))
        self.level.emit(loudest)

"""A short cross-fade between two programs: the old picture fades out over the new one (GUI thread).

The stage takes a snapshot of itself before a scene change, lays it on top, and
fades it out while the tiles slide to their new places underneath. One overlay at
a time; a new change mid-fade starts from what is on screen then.
"""

from __future__ import annotations

from PySide6.QtCore import QEasingCurve, QPropertyAnimation
from PySide6.QtWidgets import QGraphicsOpacityEffect, QWidget

from spaces_desktop.ui.widgets.plain import PlainLabel

FADE_MS = 260


class CrossFade:
    def __init__(self, stage: QWidget) -> None:
        self._stage = stage
        self._overlay: PlainLabel | None = None
        self._animation: QPropertyAnimation | None = None

    @property
    def running(self) -> bool:
        return self._animation is not None

    def start(self) -> None:
        """Snapshot the stage as it is now and fade that snapshot out."""
        stage = self._stage
        if not stage.isVisible() or stage.width() <= 0 or stage.height() <= 0:
            return
        picture = stage.grab()
        self.finish()
        overlay = PlainLabel()
        overlay.setParent(stage)
        overlay.setPixmap(picture)
        overlay.setGeometry(stage.rect())
        overlay.setAccessibleName("")  # decoration only
        effect = QGraphicsOpacityEffect(overlay)
        effect.setOpacity(1.0)
        overlay.setGraphicsEffect(effect)
        overlay.show()
        overlay.raise_()
        animation = QPropertyAnimation(effect, b"opacity", overlay)
        animation.setDuration(FADE_MS)
        animation.setStartValue(1.0)
        animation.setEndValue(0.0)
        animation.setEasingCurve(QEasingCurve.Type.InOutQuad)
        animation.finished.connect(self.finish)
        self._overlay, self._animation = overlay, animation
        animation.start()

    def finish(self) -> None:
        if self._animation is not None:
            self._animation.stop()
            self._animation = None
        if self._overlay is not None:
            self._overlay.hide()
            self._overlay.deleteLater()
            self._overlay = None

"""A small live picture of a local camera (setup dialog, device check).

The widget owns the camera only while it shows a preview: :meth:`start` opens
it in a worker thread (opening a webcam can take a second), a GUI-thread timer
paints its newest frame about 15 times a second, and :meth:`stop` releases it
so its light goes off. The camera's own capture thread never touches the widget.
"""

from __future__ import annotations

import logging

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QFrame, QWidget

from spaces_desktop.devices.camera import CameraDevice
from spaces_desktop.devices.opener import BackgroundOpener
from spaces_desktop.ui.qt.theme import Palette
from spaces_desktop.ui.viewmodels.errors import describe

log = logging.getLogger(__name__)

PREVIEW_FPS = 15


class CameraPreview(QFrame):
    """Paints the newest frame of the camera it was given; says so when there is none."""

    failed = Signal(str)
    """The camera could not be opened (GUI thread); carries a readable message."""
    _opened = Signal(object, object)  # (camera, error) from the opening thread

    def __init__(self, palette: Palette, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("preview")
        self._palette = palette
        self._camera: CameraDevice | None = None
        self._image: QImage | None = None
        self._frame: np.ndarray | None = None
        self._last_index = -1
        self._message = "Camera off"
        self._generation = 0
        self._timer = QTimer(self)
        self._timer.setInterval(1000 // PREVIEW_FPS)
        self._timer.timeout.connect(self._poll)
        self._opened.connect(self._on_opened)
        self._opener = BackgroundOpener("camera-preview")
        self.setMinimumSize(192, 108)

    def sizeHint(self) -> QSize:
        return QSize(320, 180)

    def heightForWidth(self, width: int) -> int:
        return width * 9 // 16

    def hasHeightForWidth(self) -> bool:
        return True

    @property
    def camera(self) -> CameraDevice | None:
        return self._camera

    @property
    def message(self) -> str:
        return self._message

    @property
    def showing_picture(self) -> bool:
        return self._image is not None

    def start(self, camera: CameraDevice | None, off_message: str = "Camera off") -> None:
        """Preview ``camera`` (None shows ``off_message``); stops any previous one."""
        self.stop(off_message)
        if camera is None:
            return
        self._generation += 1
        generation = self._generation
        self._camera = camera
        self._message = "Starting camera…"
        self.update()
        self._opener.open(camera, lambda error: self._opened.emit((generation, camera), error))

    def stop(self, message: str = "Camera off") -> None:
        """Release the camera now (GUI thread)."""
        self._generation += 1
        camera, self._camera = self._camera, None
        self._timer.stop()
        if camera is not None:
            self._opener.close(camera)
        self._image = None
        self._frame = None
        self._last_index = -1
        self._message = message
        self.update()

    def _on_opened(self, tagged: tuple[int, CameraDevice], error: BaseException | None) -> None:
        generation, _ = tagged
        if generation != self._generation:
            return  # stopped or replaced meanwhile; the opener released it
        if error is not None:
            self._camera = None
            self._message = describe(error)
            self.failed.emit(self._message)
            self.update()
            return
        self._message = ""
        self._timer.start()
        self._poll()

    def _poll(self) -> None:
        camera = self._camera
        if camera is None:
            return
        if camera.error is not None:
            self.stop(describe(camera.error))
            self.failed.emit(self._message)
            return
        frame = camera.latest()
        if frame is None or frame.index == self._last_index:
            return
        self._last_index = frame.index
        image = np.ascontiguousarray(frame.image)
        self._frame = image  # keeps the buffer alive while the QImage points into it
        height, width = image.shape[:2]
        self._image = QImage(image.data, width, height, width * 3, QImage.Format.Format_BGR888)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        area = QRectF(self.rect())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(self._palette.preview_bg))
        painter.drawRoundedRect(area, 8, 8)
        if self._image is not None:
            scaled = self._image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRectF(
                (self.width() - scaled.width()) / 2,
                (self.height() - scaled.height()) / 2,
                scaled.width(),
                scaled.height(),
            )
            painter.drawImage(target, self._image)
        else:
            painter.setPen(QColor("#c9d1d9"))
            font = QFont(self.font())
            font.setPointSizeF(max(8.0, font.pointSizeF()))
            painter.setFont(font)
            painter.drawText(
                area.adjusted(12, 8, -12, -8),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                self._message,
            )
        painter.end()

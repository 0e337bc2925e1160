"""The invitation to speak: a quick device check (camera picture and mic level) before going on stage.

GUI thread only. The preview devices are released when the prompt closes,
before the engine opens its own to publish.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import QDialog, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from spaces_desktop.session.local_media import NONE, DeviceChoice
from spaces_desktop.ui.qt.devices import PreviewDevices
from spaces_desktop.ui.qt.probes import MicLevelProbe
from spaces_desktop.ui.qt.theme import Theme
from spaces_desktop.ui.widgets.camera_preview import CameraPreview
from spaces_desktop.ui.widgets.level_meter import LevelMeter
from spaces_desktop.ui.widgets.plain import PlainLabel
from spaces_desktop.ui.widgets.plain import plain_label as _label


class InvitePrompt(QDialog):
    """Accept (go on stage) or decline; ``accepted``/``rejected`` as any QDialog."""

    def __init__(
        self,
        theme: Theme,
        devices: PreviewDevices,
        choice: DeviceChoice,
        *,
        space_title: str,
        video: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Invitation to speak"))
        self.setModal(True)
        self._devices = devices
        self._choice = choice
        self._video = video and choice.camera != NONE
        self.preview = CameraPreview(theme.palette)
        self.preview.setFixedSize(320, 180)
        self.preview.setVisible(self._video)
        self.meter = LevelMeter(theme.palette)
        self.meter.setFixedHeight(12)
        self.probe = MicLevelProbe(self)
        self.probe.level.connect(self.meter.set_level)
        self.mic_error = _label("", "error")
        self.mic_error.setWordWrap(True)
        self.mic_error.hide()
        self.probe.failed.connect(self._mic_failed)
        self.accept_button = QPushButton(self.tr("Join the stage"))
        self.accept_button.setProperty("kind", "primary")
        self.accept_button.setIcon(theme.icon("mic", "#ffffff", 18))
        self.accept_button.setDefault(True)
        self.decline_button = QPushButton(self.tr("Not now"))

        icon = PlainLabel()
        icon.setPixmap(theme.icon("hand", theme.palette.accent, 32).pixmap(32, 32))
        top = QHBoxLayout()
        top.setSpacing(12)
        top.addWidget(icon)
        heading = QVBoxLayout()
        heading.setSpacing(0)
        heading.addWidget(_label(self.tr("You're invited to speak"), "title"))
        where = _label(self.tr("in “%1”").replace("%1", space_title), "muted")
        where.setWordWrap(True)
        heading.addWidget(where)
        top.addLayout(heading, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addSpacing(4)
        check = _label(
            self.tr("Check your camera and microphone before going on stage.")
            if self._video
            else self.tr("Check your microphone before going on stage."),
            "muted",
        )
        check.setWordWrap(True)
        layout.addWidget(check)
        layout.addWidget(self.preview, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(_label(self.tr("MICROPHONE"), "section"))
        layout.addWidget(self.meter)
        layout.addWidget(self.mic_error)
        note = _label(
            self.tr("Others hear you as soon as you're on stage; you can mute any time (Ctrl+D)."), "muted"
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.decline_button)
        buttons.addWidget(self.accept_button)
        layout.addSpacing(6)
        layout.addLayout(buttons)
        self.setMinimumWidth(400)

        self.accept_button.clicked.connect(self.accept)
        self.decline_button.clicked.connect(self.reject)
        self.finished.connect(lambda _: self.stop_devices())

    def start_devices(self) -> None:
        if self._video:
            self.preview.start(self._devices.camera(self._choice.camera, self._choice.label))
        self.probe.start(self._devices.microphone(self._choice.microphone))

    def stop_devices(self) -> None:
        self.preview.stop()
        self.probe.stop()

    def _mic_failed(self, message: str) -> None:
        self.mic_error.setText(message)
        self.mic_error.show()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.start_devices()

    def hideEvent(self, event: QHideEvent) -> None:
        self.stop_devices()
        super().hideEvent(event)

""" "Start a Space": title, the Enable-video switch, an optional schedule, devices, Go live.

GUI thread only. Cameras preview only while the dialog shows and video is on;
closing the dialog (either way) releases every device before the engine
opens its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDateTimeEdit,
    QDialog,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from spaces_desktop.session.local_media import DeviceChoice
from spaces_desktop.ui.qt.devices import DeviceDirectory, PreviewDevices
from spaces_desktop.ui.qt.settings import DevicePrefs
from spaces_desktop.ui.qt.theme import Theme
from spaces_desktop.ui.widgets.device_pickers import DevicePickers
from spaces_desktop.ui.widgets.plain import plain_label as _label
from spaces_desktop.ui.widgets.toggle import ToggleSwitch

MAX_SCHEDULE_DAYS = 14
MAX_TITLE = 70


@dataclass(frozen=True)
class SpaceSetup:
    """What the host chose; ``scheduled_for`` is None for "live now"."""

    title: str
    video_enabled: bool
    devices: DeviceChoice
    prefs: DevicePrefs
    scheduled_for: datetime | None = None


class SetupDialog(QDialog):
    def __init__(
        self,
        theme: Theme,
        directory: DeviceDirectory,
        devices: PreviewDevices,
        prefs: DevicePrefs,
        display_name: str,
        *,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Start a Space"))
        self.setModal(True)
        self._name = display_name
        self.result_setup: SpaceSetup | None = None

        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText(self.tr("What do you want to talk about?"))
        self.title_edit.setMaxLength(MAX_TITLE)
        self.title_edit.setAccessibleName(self.tr("Title"))

        self.video_toggle = ToggleSwitch(theme.palette)
        self.video_toggle.setAccessibleName(self.tr("Enable video"))
        self.video_toggle.setToolTip(self.tr("Let people on stage turn their cameras on"))
        video_label = _label(self.tr("Enable video"))
        video_label.setBuddy(self.video_toggle)
        self.video_hint = _label("", "muted")

        self.schedule_check = QCheckBox(self.tr("Schedule for later"))
        self.schedule_edit = QDateTimeEdit()
        self.schedule_edit.setCalendarPopup(True)
        # A Qt date pattern: the locale names the day and month; a translation may reorder them.
        self.schedule_edit.setDisplayFormat(self.tr("ddd d MMM yyyy, HH:mm"))
        self.schedule_edit.setAccessibleName(self.tr("Start time"))
        now = QDateTime.currentDateTime()
        self.schedule_edit.setMinimumDateTime(now.addSecs(5 * 60))
        self.schedule_edit.setMaximumDateTime(now.addDays(MAX_SCHEDULE_DAYS))
        self.schedule_edit.setDateTime(now.addSecs(3600))
        self.schedule_edit.setEnabled(False)
        self.schedule_hint = _label(self.tr("Up to %n days ahead.", "", MAX_SCHEDULE_DAYS), "muted")

        self.pickers = DevicePickers(theme, directory, devices, prefs, display_name)

        self.go_button = QPushButton(self.tr("Go live"))
        self.go_button.setProperty("kind", "primary")
        self.go_button.setDefault(True)
        self.cancel_button = QPushButton(self.tr("Cancel"))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addWidget(_label(self.tr("Start a Space"), "title"))
        layout.addWidget(_label(self.tr("TITLE"), "section"))
        layout.addWidget(self.title_edit)

        video_row = QHBoxLayout()
        video_text = QVBoxLayout()
        video_text.setSpacing(2)
        video_text.addWidget(video_label)
        video_text.addWidget(self.video_hint)
        video_row.addLayout(video_text, 1)
        video_row.addWidget(self.video_toggle, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addLayout(video_row)

        schedule_row = QHBoxLayout()
        schedule_row.addWidget(self.schedule_check)
        schedule_row.addWidget(self.schedule_edit, 1)
        layout.addLayout(schedule_row)
        layout.addWidget(self.schedule_hint)
        layout.addSpacing(4)
        layout.addWidget(self.pickers)
        layout.addStretch(1)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.go_button)
        layout.addLayout(buttons)

        self.title_edit.textChanged.connect(self._update)
        self.video_toggle.toggled.connect(self._video_toggled)
        self.schedule_check.toggled.connect(self._schedule_toggled)
        self.go_button.clicked.connect(self._go)
        self.cancel_button.clicked.connect(self.reject)
        self.finished.connect(lambda _: self.pickers.stop_previews())

        self.setMinimumWidth(640)
        self._video_toggled(False)
        self._update()

    @property
    def video_enabled(self) -> bool:
        return self.video_toggle.isChecked()

    def _video_toggled(self, on: bool) -> None:
        self.video_hint.setText(
            self.tr("Speakers can turn their cameras on.")
            if on
            else self.tr("Audio only: nobody's camera is used.")
        )
        self.pickers.set_video(on)
        self.adjustSize()

    def _schedule_toggled(self, on: bool) -> None:
        self.schedule_edit.setEnabled(on)
        self._update()

    def _update(self) -> None:
        self.go_button.setEnabled(bool(self.title_edit.text().strip()))
        self.go_button.setText(self.tr("Schedule") if self.schedule_check.isChecked() else self.tr("Go live"))

    def scheduled_for(self) -> datetime | None:
        if not self.schedule_check.isChecked():
            return None
        chosen = self.schedule_edit.dateTime().toSecsSinceEpoch()
        latest = datetime.now(UTC) + timedelta(days=MAX_SCHEDULE_DAYS)
        return min(datetime.fromtimestamp(chosen, UTC), latest)

    def setup(self) -> SpaceSetup:
        """What the dialog currently says, as the engine needs it."""
        video = self.video_enabled
        devices = DeviceChoice(
            camera=self.pickers.camera_spec,
            second_camera=self.pickers.second_camera_spec,
            microphone=self.pickers.microphone_spec,
            label=self._name,
        )
        return SpaceSetup(
            title=self.title_edit.text().strip(),
            video_enabled=video,
            devices=devices,
            prefs=self.pickers.prefs(),
            scheduled_for=self.scheduled_for(),
        )

    def _go(self) -> None:
        if not self.title_edit.text().strip():
            return
        self.result_setup = self.setup()
        self.accept()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.pickers.start_previews()

    def hideEvent(self, event: QHideEvent) -> None:
        self.pickers.stop_previews()
        super().hideEvent(event)

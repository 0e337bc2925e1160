"""Camera, second camera and microphone pickers with a live preview and level meter.

Used by "Start a Space" and Settings. Devices are opened only while previews
run (:meth:`DevicePickers.start_previews`, called when the dialog shows) and
cameras only while video is on; :meth:`stop_previews` releases everything.
GUI thread only; opening happens in the preview widgets' worker threads.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QVBoxLayout,
    QWidget,
)

from spaces_desktop.session.local_media import NONE
from spaces_desktop.ui.qt.devices import (
    DeviceDirectory,
    DeviceOption,
    PreviewDevices,
    camera_options,
    default_index,
    device_notes,
    microphone_options,
)
from spaces_desktop.ui.qt.probes import MicLevelProbe
from spaces_desktop.ui.qt.settings import DevicePrefs
from spaces_desktop.ui.qt.theme import Theme
from spaces_desktop.ui.widgets.camera_preview import CameraPreview
from spaces_desktop.ui.widgets.level_meter import LevelMeter
from spaces_desktop.ui.widgets.plain import plain_label as _label


class DevicePickers(QWidget):
    changed = Signal()

    def __init__(
        self,
        theme: Theme,
        directory: DeviceDirectory,
        devices: PreviewDevices,
        prefs: DevicePrefs,
        label: str = "",
        *,
        with_second_camera: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._directory = directory
        self._devices = devices
        self._prefs = prefs
        self._label = label
        self._video = True
        self._previewing = False

        self.microphone = QComboBox()
        self.microphone.setAccessibleName(self.tr("Microphone"))
        self.meter = LevelMeter(theme.palette)
        self.mic_error = _label("", "error")
        self.mic_error.setWordWrap(True)
        self.mic_error.hide()
        self.probe = MicLevelProbe(self)
        self.probe.level.connect(self.meter.set_level)
        self.probe.failed.connect(self._mic_failed)

        self.camera = QComboBox()
        self.camera.setAccessibleName(self.tr("Camera"))
        self.preview = CameraPreview(theme.palette)
        self.second_enabled = QCheckBox(self.tr("Add a second camera (for a product or a wide shot)"))
        self.second_camera = QComboBox()
        self.second_camera.setAccessibleName(self.tr("Second camera"))
        self.second_preview = CameraPreview(theme.palette)
        for preview in (self.preview, self.second_preview):
            preview.setFixedSize(288, 162)
        self.notes = _label("", "note")
        self.notes.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(_label(self.tr("MICROPHONE"), "section"))
        mic_row = QHBoxLayout()
        mic_row.addWidget(self.microphone, 3)
        self.meter.setFixedHeight(12)
        mic_row.addWidget(self.meter, 2, Qt.AlignmentFlag.AlignVCenter)
        layout.addLayout(mic_row)
        layout.addWidget(self.mic_error)

        self.camera_section = QWidget()
        cameras = QGridLayout(self.camera_section)
        cameras.setContentsMargins(0, 8, 0, 0)
        cameras.setHorizontalSpacing(12)
        cameras.setVerticalSpacing(8)
        cameras.addWidget(_label(self.tr("CAMERA"), "section"), 0, 0)
        cameras.addWidget(self.camera, 1, 0)
        cameras.addWidget(self.preview, 2, 0)
        self.second_section = QWidget()
        second = QVBoxLayout(self.second_section)
        second.setContentsMargins(0, 0, 0, 0)
        second.setSpacing(8)
        second.addWidget(_label(self.tr("SECOND CAMERA"), "section"))
        second.addWidget(self.second_camera)
        second.addWidget(self.second_preview)
        cameras.addWidget(self.second_section, 0, 1, 3, 1, Qt.AlignmentFlag.AlignTop)
        cameras.addWidget(self.second_enabled, 3, 0, 1, 2)
        cameras.setColumnStretch(0, 1)
        cameras.setColumnStretch(1, 1)
        layout.addWidget(self.camera_section)
        layout.addWidget(self.notes)
        if not with_second_camera:
            self.second_enabled.hide()
        self.second_section.setVisible(False)

        self._fill()
        directory.changed.connect(self._fill)
        self.camera.currentIndexChanged.connect(self._camera_changed)
        self.second_camera.currentIndexChanged.connect(self._second_changed)
        self.second_enabled.toggled.connect(self._second_toggled)
        self.microphone.currentIndexChanged.connect(self._mic_changed)

    # --- choices ---

    def _fill(self) -> None:
        catalog = self._directory.catalog
        for combo, options, preferred in (
            (self.camera, camera_options(catalog), self._prefs.camera),
            (self.second_camera, camera_options(catalog), self._prefs.second_camera),
            (self.microphone, microphone_options(catalog), self._prefs.microphone),
        ):
            current = combo.currentData().spec if combo.currentData() else preferred
            combo.blockSignals(True)
            combo.clear()
            for option in options:
                combo.addItem(option.label, option)
            combo.setCurrentIndex(default_index(options, current))
            combo.blockSignals(False)
        if self._prefs.second_camera and self._prefs.second_camera != NONE:
            self.second_enabled.setChecked(True)
        notes = device_notes(catalog)
        self.notes.setText("\n".join(notes))
        self.notes.setVisible(bool(notes))
        if self._previewing:
            self.start_previews()

    @staticmethod
    def _spec(combo: QComboBox) -> str:
        option = combo.currentData()
        return option.spec if isinstance(option, DeviceOption) else NONE

    @property
    def camera_spec(self) -> str:
        return self._spec(self.camera) if self._video else NONE

    @property
    def second_camera_spec(self) -> str | None:
        if not self._video or not self.second_enabled.isChecked():
            return None
        return self._spec(self.second_camera)

    @property
    def microphone_spec(self) -> str:
        return self._spec(self.microphone)

    def prefs(self) -> DevicePrefs:
        """The picks as stored in Settings (cameras kept even while video is off)."""
        return DevicePrefs(
            camera=self._spec(self.camera),
            second_camera=self._spec(self.second_camera) if self.second_enabled.isChecked() else "",
            microphone=self._spec(self.microphone),
            speaker=self._prefs.speaker,  # picked in Settings only
        )

    # --- video on/off ---

    def set_video(self, on: bool) -> None:
        """With video off the camera controls go away and no camera is opened."""
        self._video = on
        self.camera_section.setVisible(on)
        if self._previewing:
            self._start_cameras()

    # --- previews ---

    def start_previews(self) -> None:
        self._previewing = True
        self._start_cameras()
        self._mic_changed()

    def stop_previews(self) -> None:
        self._previewing = False
        self.preview.stop()
        self.second_preview.stop()
        self.probe.stop()

    def _start_cameras(self) -> None:
        self._camera_changed()
        self._second_toggled(self.second_enabled.isChecked())

    def _camera_changed(self) -> None:
        self.changed.emit()
        if not self._previewing:
            return
        if not self._video:
            self.preview.stop()
            return
        self.preview.start(self._devices.camera(self._spec(self.camera), self._label))

    def _second_toggled(self, on: bool) -> None:
        self.second_section.setVisible(on)
        self.changed.emit()
        if not self._previewing:
            return
        if on and self._video:
            self._second_changed()
        else:
            self.second_preview.stop()

    def _second_changed(self) -> None:
        self.changed.emit()
        if not (self._previewing and self._video and self.second_enabled.isChecked()):
            return
        first, second = self._spec(self.camera), self._spec(self.second_camera)
        if first == second and first.isdigit():
            self.second_preview.start(None, "This camera is already the main camera; pick another one.")
            return
        self.second_preview.start(self._devices.camera(second, f"{self._label} · product".strip(" ·")))

    def _mic_changed(self) -> None:
        self.changed.emit()
        self.mic_error.hide()
        if not self._previewing:
            return
        self.probe.start(self._devices.microphone(self.microphone_spec))

    def _mic_failed(self, message: str) -> None:
        self.mic_error.setText(message)
        self.mic_error.show()

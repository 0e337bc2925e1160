"""Settings: devices, how eagerly the stage follows speakers, theme, and the shortcuts.

GUI thread only. Device previews run only while the Devices tab shows.
Nothing is stored until Save; the caller reads the values and applies them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from PySide6.QtCore import Qt
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from spaces_desktop.media.hwcodec import POLICY, VideoCodecPolicy
from spaces_desktop.media.hwdecode import DECODING, DecodePolicy
from spaces_desktop.ui.qt.devices import DeviceDirectory, PreviewDevices, default_index, speaker_options
from spaces_desktop.ui.qt.settings import SENSITIVITY_LABELS, DevicePrefs, Sensitivity
from spaces_desktop.ui.qt.theme import Theme, ThemeChoice
from spaces_desktop.ui.viewmodels import shortcuts
from spaces_desktop.ui.widgets.device_pickers import DevicePickers
from spaces_desktop.ui.widgets.plain import PlainLabel

THEME_LABELS = {ThemeChoice.SYSTEM: "Follow the system", ThemeChoice.DARK: "Dark", ThemeChoice.LIGHT: "Light"}


@dataclass(frozen=True)
class SettingsValues:
    devices: DevicePrefs
    sensitivity: Sensitivity
    theme: ThemeChoice


def _label(text: str, role: str | None = None) -> PlainLabel:
    label = PlainLabel(text)
    if role:
        label.setProperty("role", role)
    label.setWordWrap(True)
    return label


def _page() -> tuple[QWidget, QVBoxLayout]:
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.setContentsMargins(18, 16, 18, 16)
    layout.setSpacing(10)
    return page, layout


class SettingsDialog(QDialog):
    def __init__(
        self,
        theme: Theme,
        directory: DeviceDirectory,
        devices: PreviewDevices,
        values: SettingsValues,
        display_name: str = "",
        parent: QWidget | None = None,
        *,
        in_space: bool = False,
        video_encoding: VideoCodecPolicy = POLICY,
        video_decoding: DecodePolicy = DECODING,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Settings"))
        self._directory = directory
        self._speaker_pref = values.devices.speaker
        self.setModal(True)
        self.tabs = QTabWidget()

        devices_page, devices_layout = _page()
        self.pickers = DevicePickers(theme, directory, devices, values.devices, display_name)
        refresh = QPushButton(self.tr("Look for devices again"))
        refresh.setProperty("kind", "ghost")
        refresh.setIcon(theme.icon("refresh", theme.palette.accent, 16))
        refresh.clicked.connect(directory.refresh)
        self.speaker = QComboBox()
        self.speaker.setAccessibleName(self.tr("Speaker"))
        self._fill_speakers()
        directory.changed.connect(self._fill_speakers)
        devices_layout.addWidget(self.pickers)
        devices_layout.addWidget(_label(self.tr("SPEAKER"), "section"))
        devices_layout.addWidget(self.speaker)
        devices_layout.addWidget(refresh, 0, Qt.AlignmentFlag.AlignLeft)
        self.apply_note = _label(
            self.tr(
                "Device changes apply to this Space as soon as you save; others keep seeing and hearing you."
            )
            if in_space
            else self.tr("Device changes apply from the next Space you start or join."),
            "muted",
        )
        devices_layout.addWidget(self.apply_note)
        # Read-only: chosen at start by probing the machine's H.264 hardware encoders.
        self.video_encoding = _label(
            self.tr("Video encoding: %1").replace("%1", video_encoding.describe()), "muted"
        )
        self.video_encoding.setAccessibleName(self.video_encoding.text())
        devices_layout.addWidget(self.video_encoding)
        # Read-only too: the first hardware H.264 decoder that decodes a picture here, else software.
        self.video_decoding = _label(
            self.tr("Video decoding: %1").replace("%1", video_decoding.describe()), "muted"
        )
        self.video_decoding.setAccessibleName(self.video_decoding.text())
        devices_layout.addWidget(self.video_decoding)
        devices_layout.addStretch(1)
        self.tabs.addTab(devices_page, "Devices")

        stage_page, stage_layout = _page()
        stage_layout.addWidget(_label(self.tr("Who gets the big tile"), "title"))
        stage_layout.addWidget(
            _label(
                self.tr(
                    "The stage enlarges whoever holds the floor. Choose how quickly it moves "
                    "to someone who starts talking."
                ),
                "muted",
            )
        )
        self.sensitivity_buttons: dict[Sensitivity, QRadioButton] = {}
        group = QButtonGroup(self)
        for value in Sensitivity:
            button = QRadioButton(SENSITIVITY_LABELS[value])
            button.setChecked(value is values.sensitivity)
            group.addButton(button)
            stage_layout.addWidget(button)
            self.sensitivity_buttons[value] = button
        stage_layout.addWidget(
            _label(self.tr("Pin someone (P, or from their tile) to keep them large."), "muted")
        )
        stage_layout.addStretch(1)
        self.tabs.addTab(stage_page, "Stage")

        look_page, look_layout = _page()
        look_layout.addWidget(_label(self.tr("Theme"), "title"))
        self.theme_combo = QComboBox()
        for choice in ThemeChoice:
            self.theme_combo.addItem(THEME_LABELS[choice], choice)
        self.theme_combo.setCurrentIndex(list(ThemeChoice).index(values.theme))
        look_layout.addWidget(self.theme_combo)
        look_layout.addStretch(1)
        self.tabs.addTab(look_page, "Appearance")

        keys_page, keys_layout = _page()
        self.shortcut_table = QTableWidget(len(shortcuts.ALL), 2)
        self.shortcut_table.setHorizontalHeaderLabels(["Action", "Keys"])
        self.shortcut_table.verticalHeader().setVisible(False)
        self.shortcut_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.shortcut_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.shortcut_table.setShowGrid(False)
        header = self.shortcut_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        for row, shortcut in enumerate(shortcuts.ALL):
            self.shortcut_table.setItem(row, 0, QTableWidgetItem(shortcut.label))
            self.shortcut_table.setItem(row, 1, QTableWidgetItem(shortcut.keys))
        keys_layout.addWidget(self.shortcut_table)
        self.tabs.addTab(keys_page, "Shortcuts")

        save = QPushButton(self.tr("Save"))
        save.setProperty("kind", "primary")
        save.setDefault(True)
        cancel = QPushButton(self.tr("Cancel"))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(save)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 18)
        layout.setSpacing(14)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(buttons)
        # Never smaller than its tallest page: fixed-size previews would overlap what follows them.
        needed = layout.sizeHint()
        self.setMinimumSize(max(660, needed.width()), max(560, needed.height()))

        save.clicked.connect(self.accept)
        cancel.clicked.connect(self.reject)
        self.tabs.currentChanged.connect(self._tab_changed)
        self.finished.connect(lambda _: self.pickers.stop_previews())

    def _fill_speakers(self) -> None:
        options = speaker_options(self._directory.catalog)
        current = self.speaker.currentData() if self.speaker.count() else self._speaker_pref
        self.speaker.blockSignals(True)
        self.speaker.clear()
        for option in options:
            self.speaker.addItem(option.label, option.spec)
        self.speaker.setCurrentIndex(default_index(options, current))
        self.speaker.blockSignals(False)

    def values(self) -> SettingsValues:
        sensitivity = next(v for v, b in self.sensitivity_buttons.items() if b.isChecked())
        return SettingsValues(
            devices=replace(self.pickers.prefs(), speaker=str(self.speaker.currentData() or "")),
            sensitivity=sensitivity,
            theme=ThemeChoice(self.theme_combo.currentData()),
        )

    def _tab_changed(self, index: int) -> None:
        if index == 0 and self.isVisible():
            self.pickers.start_previews()
        else:
            self.pickers.stop_previews()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._tab_changed(self.tabs.currentIndex())

    def hideEvent(self, event: QHideEvent) -> None:
        self.pickers.stop_previews()
        super().hideEvent(event)

"""Settings says which video encoder and decoder this machine uses (read-only), and when hardware gave up."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from spaces_desktop.media.hwcodec import HardwareEncoder, VideoCodecChoice, VideoCodecPolicy
from spaces_desktop.media.hwdecode import DecodePolicy, HardwareDecoder
from spaces_desktop.session.local_media import SYNTHETIC
from spaces_desktop.ui.dialogs.settings_dialog import SettingsDialog, SettingsValues
from spaces_desktop.ui.qt.devices import DeviceDirectory
from spaces_desktop.ui.qt.settings import DevicePrefs, Sensitivity
from spaces_desktop.ui.qt.theme import Theme, ThemeChoice
from tests.gui.conftest import CountingDevices


def _dialog(
    qtbot: QtBot, theme: Theme, directory: DeviceDirectory, devices: CountingDevices, policy: VideoCodecPolicy
) -> SettingsDialog:
    values = SettingsValues(DevicePrefs(camera=SYNTHETIC), Sensitivity.BALANCED, ThemeChoice.SYSTEM)
    dialog = SettingsDialog(theme, directory, devices, values, "Dana Host", video_encoding=policy)
    qtbot.addWidget(dialog)
    return dialog


def test_settings_show_the_video_encoder(
    qtbot: QtBot, theme: Theme, directory: DeviceDirectory, devices: CountingDevices
) -> None:
    software = _dialog(qtbot, theme, directory, devices, VideoCodecPolicy())
    assert software.video_encoding.text() == "Video encoding: software (VP8)"
    software.reject()
    policy = VideoCodecPolicy(VideoCodecChoice(HardwareEncoder("VA-API", "h264_vaapi", "nv12")))
    hardware = _dialog(qtbot, theme, directory, devices, policy)
    assert hardware.video_encoding.text() == "Video encoding: hardware (VA-API, H.264)"
    hardware.reject()
    policy.hardware_failed("device lost")
    fallen = _dialog(qtbot, theme, directory, devices, policy)
    assert fallen.video_encoding.text() == "Video encoding: software (VP8) — hardware failed: device lost"
    fallen.reject()


def test_settings_show_the_video_decoder(
    qtbot: QtBot, theme: Theme, directory: DeviceDirectory, devices: CountingDevices, tmp_path: Path
) -> None:
    values = SettingsValues(DevicePrefs(camera=SYNTHETIC), Sensitivity.BALANCED, ThemeChoice.SYSTEM)
    decoding = DecodePolicy(HardwareDecoder("VA-API", "vaapi"))
    dialog = SettingsDialog(theme, directory, devices, values, "Dana Host", video_decoding=decoding)
    qtbot.addWidget(dialog)
    assert dialog.video_decoding.text() == "Video decoding: hardware (VA-API) for H.264"
    assert dialog.video_decoding.textFormat() is Qt.TextFormat.PlainText  # a driver's message is not HTML
    dialog.show()
    dialog.grab().save(str(tmp_path / "settings-devices.png"))
    dialog.reject()
    decoding.hardware_failed("<b>device</b> lost")
    fallen = SettingsDialog(theme, directory, devices, values, "Dana Host", video_decoding=decoding)
    qtbot.addWidget(fallen)
    assert fallen.video_decoding.text() == "Video decoding: software — hardware failed: <b>device</b> lost"
    fallen.reject()

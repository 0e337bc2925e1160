"""Settings says which video encoder this machine uses (read-only), and when hardware gave up."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from spaces_desktop.media.hwcodec import HardwareEncoder, VideoCodecChoice, VideoCodecPolicy
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

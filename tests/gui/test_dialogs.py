"""Start-a-Space, join, invitation and Settings dialogs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from spaces_desktop.session.local_media import NONE, SYNTHETIC, DeviceChoice
from spaces_desktop.ui.dialogs.invite_prompt import InvitePrompt
from spaces_desktop.ui.dialogs.join_dialog import JoinDialog
from spaces_desktop.ui.dialogs.settings_dialog import SettingsDialog, SettingsValues
from spaces_desktop.ui.dialogs.setup_dialog import MAX_SCHEDULE_DAYS, SetupDialog
from spaces_desktop.ui.qt.devices import SYNTHETIC_CAMERA_LABEL, DeviceDirectory
from spaces_desktop.ui.qt.settings import DevicePrefs, Sensitivity
from spaces_desktop.ui.qt.theme import Theme, ThemeChoice
from tests.gui.conftest import CountingDevices


def make_setup(
    qtbot: QtBot, theme: Theme, directory: DeviceDirectory, devices: CountingDevices, **kwargs: object
) -> SetupDialog:
    dialog = SetupDialog(theme, directory, devices, DevicePrefs(), "Dana Host", **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    return dialog


def test_video_off_hides_camera_controls_and_opens_no_camera(
    qtbot: QtBot, theme: Theme, directory: DeviceDirectory, devices: CountingDevices, shot
) -> None:
    dialog = make_setup(qtbot, theme, directory, devices)
    dialog.title_edit.setText("Friday office hours")
    dialog.show()
    qtbot.waitExposed(dialog)
    assert not dialog.video_toggle.isChecked()
    assert not dialog.pickers.camera_section.isVisible()
    assert not dialog.pickers.camera.isVisible()
    # The microphone check runs; no camera was opened at all.
    qtbot.waitUntil(lambda: dialog.pickers.meter.fraction > 0.2, timeout=3000)
    qtbot.wait(200)
    assert devices.cameras == []
    shot(dialog, "setup-video-off")
    setup = dialog.setup()
    assert setup.video_enabled is False
    assert setup.devices.camera == NONE
    assert setup.devices.second_camera is None


def test_video_on_shows_a_live_preview_and_off_releases_it(
    qtbot: QtBot, theme: Theme, directory: DeviceDirectory, devices: CountingDevices, shot
) -> None:
    dialog = make_setup(qtbot, theme, directory, devices)
    dialog.title_edit.setText("Launch day: the new headphones")
    dialog.show()
    qtbot.mouseClick(dialog.video_toggle, Qt.MouseButton.LeftButton)
    assert dialog.video_toggle.isChecked()
    assert dialog.pickers.camera_section.isVisible()
    qtbot.waitUntil(lambda: dialog.pickers.preview.showing_picture, timeout=5000)
    assert devices.running_cameras == ["0"]  # the real camera is the default
    dialog.pickers.second_enabled.setChecked(True)
    dialog.pickers.second_camera.setCurrentIndex(1)  # the synthetic camera
    qtbot.waitUntil(lambda: dialog.pickers.second_preview.showing_picture, timeout=5000)
    qtbot.waitUntil(lambda: dialog.pickers.meter.fraction > 0.2, timeout=3000)
    qtbot.wait(150)
    shot(dialog, "setup-video-on")
    setup = dialog.setup()
    assert setup.video_enabled
    assert setup.devices.camera == "0"
    assert setup.devices.second_camera == SYNTHETIC
    assert setup.devices.microphone == "3"
    qtbot.mouseClick(dialog.video_toggle, Qt.MouseButton.LeftButton)
    assert not dialog.pickers.camera_section.isVisible()
    assert devices.running_cameras == []


def test_closing_the_dialog_releases_every_device(
    qtbot: QtBot, theme: Theme, directory: DeviceDirectory, devices: CountingDevices
) -> None:
    dialog = make_setup(qtbot, theme, directory, devices)
    dialog.video_toggle.setChecked(True)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.pickers.preview.showing_picture, timeout=5000)
    dialog.reject()
    assert devices.running_cameras == []
    assert all(not mic.running for _, mic in devices.microphones)


def test_go_live_needs_a_title_and_returns_the_setup(
    qtbot: QtBot, theme: Theme, directory: DeviceDirectory, devices: CountingDevices
) -> None:
    dialog = make_setup(qtbot, theme, directory, devices)
    assert not dialog.go_button.isEnabled()
    dialog.title_edit.setText("   ")
    assert not dialog.go_button.isEnabled()
    dialog.title_edit.setText("Ask me anything")
    assert dialog.go_button.isEnabled()
    with qtbot.waitSignal(dialog.accepted):
        qtbot.mouseClick(dialog.go_button, Qt.MouseButton.LeftButton)
    assert dialog.result_setup is not None
    assert dialog.result_setup.title == "Ask me anything"
    assert dialog.result_setup.scheduled_for is None


def test_schedule_is_limited_to_fourteen_days(
    qtbot: QtBot, theme: Theme, directory: DeviceDirectory, devices: CountingDevices
) -> None:
    dialog = make_setup(qtbot, theme, directory, devices)
    assert not dialog.schedule_edit.isEnabled()
    dialog.schedule_check.setChecked(True)
    assert dialog.schedule_edit.isEnabled()
    assert dialog.go_button.text() == "Schedule"
    dialog.schedule_edit.setDateTime(dialog.schedule_edit.dateTime().addDays(60))
    when = dialog.scheduled_for()
    assert when is not None
    assert when <= datetime.now(UTC) + timedelta(days=MAX_SCHEDULE_DAYS, minutes=1)


def test_synthetic_devices_stand_in_with_a_note(
    qtbot: QtBot, theme: Theme, empty_directory: DeviceDirectory, devices: CountingDevices
) -> None:
    dialog = make_setup(qtbot, theme, empty_directory, devices)
    dialog.video_toggle.setChecked(True)
    dialog.show()
    assert dialog.pickers.camera.currentText() == SYNTHETIC_CAMERA_LABEL
    assert dialog.pickers.microphone_spec == SYNTHETIC
    assert dialog.pickers.notes.isVisible()
    assert "No camera found" in dialog.pickers.notes.text()
    assert "No microphone found" in dialog.pickers.notes.text()


def test_join_dialog_checks_the_link(qtbot: QtBot, theme: Theme, shot) -> None:
    dialog = JoinDialog(theme, "not a link", "Lee")
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.join_button.isEnabled()
    assert "isn't a Spaces link" in dialog.error.text()
    dialog.link_edit.setText("spaces://127.0.0.1:8470/s/AbC123")
    assert dialog.join_button.isEnabled()
    assert dialog.where.text() == "on http://127.0.0.1:8470"
    dialog.name_edit.setText("")
    assert not dialog.join_button.isEnabled()
    dialog.name_edit.setText("Lee Listener")
    shot(dialog, "join")
    with qtbot.waitSignal(dialog.accepted):
        qtbot.mouseClick(dialog.join_button, Qt.MouseButton.LeftButton)
    assert (dialog.link, dialog.name) == ("spaces://127.0.0.1:8470/s/AbC123", "Lee Listener")


def test_invite_prompt_checks_devices_then_releases_them(
    qtbot: QtBot, theme: Theme, devices: CountingDevices, shot
) -> None:
    choice = DeviceChoice(camera=SYNTHETIC, microphone=SYNTHETIC, label="Lee Listener")
    prompt = InvitePrompt(theme, devices, choice, space_title="Launch day", video=True)
    qtbot.addWidget(prompt)
    prompt.show()
    qtbot.waitUntil(lambda: prompt.preview.showing_picture, timeout=5000)
    qtbot.waitUntil(lambda: prompt.meter.fraction > 0.2, timeout=3000)
    shot(prompt, "invite-prompt")
    with qtbot.waitSignal(prompt.accepted):
        qtbot.mouseClick(prompt.accept_button, Qt.MouseButton.LeftButton)
    assert devices.running_cameras == []


def test_invite_prompt_in_an_audio_space_opens_no_camera(
    qtbot: QtBot, theme: Theme, devices: CountingDevices
) -> None:
    choice = DeviceChoice(camera=SYNTHETIC, microphone=SYNTHETIC)
    prompt = InvitePrompt(theme, devices, choice, space_title="Audio only", video=False)
    qtbot.addWidget(prompt)
    prompt.show()
    qtbot.wait(100)
    assert devices.cameras == []
    assert not prompt.preview.isVisible()
    prompt.reject()


def test_settings_dialog_returns_what_was_chosen(
    qtbot: QtBot, theme: Theme, directory: DeviceDirectory, devices: CountingDevices, shot
) -> None:
    values = SettingsValues(DevicePrefs(camera=SYNTHETIC), Sensitivity.BALANCED, ThemeChoice.SYSTEM)
    dialog = SettingsDialog(theme, directory, devices, values, "Dana Host")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.pickers.preview.showing_picture, timeout=5000)
    shot(dialog, "settings-devices")
    dialog.tabs.setCurrentIndex(1)
    assert devices.running_cameras == []  # previews stop when leaving the Devices tab
    dialog.sensitivity_buttons[Sensitivity.CALM].setChecked(True)
    shot(dialog, "settings-stage")
    dialog.tabs.setCurrentIndex(3)
    assert dialog.shortcut_table.item(0, 1).text() == "Ctrl+D"
    shot(dialog, "settings-shortcuts")
    dialog.theme_combo.setCurrentIndex(2)
    chosen = dialog.values()
    assert chosen.sensitivity is Sensitivity.CALM
    assert chosen.theme is ThemeChoice.LIGHT
    assert chosen.devices.camera == SYNTHETIC

"""The device banner (lost, back) and the device menus of the control bar and Settings, on a fake engine."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMenu
from pytestqt.qtbot import QtBot

from spaces_desktop.devices.catalog import AudioCatalog, DeviceCatalog, DeviceInfo
from spaces_desktop.domain import CameraSource
from spaces_desktop.domain.state import DeviceProblem, DeviceSlot, DeviceStatus, SessionState
from spaces_desktop.session.local_media import SYNTHETIC, DeviceChoice
from spaces_desktop.ui.main_window import MainWindow
from spaces_desktop.ui.qt.bridge import GuiDispatcher
from spaces_desktop.ui.qt.devices import DeviceDirectory
from spaces_desktop.ui.qt.settings import AppSettings, DevicePrefs
from spaces_desktop.ui.qt.theme import Theme
from spaces_desktop.ui.screens.space_screen import SpaceScreen
from spaces_desktop.ui.viewmodels.session_controller import SessionController
from spaces_desktop.ui.viewmodels.space_model import device_banner_for
from tests.gui.conftest import HOST_ID, CountingDevices, FakeEngine, StandInStage, busy_room, space_state

LOST_CAMERA = DeviceProblem(
    DeviceSlot.CAMERA, DeviceStatus.LOST, "Integrated Webcam", "The camera “Integrated Webcam” was unplugged."
)


def studio() -> DeviceCatalog:
    return DeviceCatalog(
        cameras=(
            DeviceInfo("camera", "/dev/video0", "Integrated Webcam", 0, "/dev/video0", True),
            DeviceInfo("camera", "/dev/video2", "Logitech BRIO <b>4K</b> & Co", 2, "/dev/video2"),
        ),
        audio=AudioCatalog(
            microphones=(
                DeviceInfo("microphone", "in:ALSA:Built-in", "Built-in Microphone", 3, is_default=True),
                DeviceInfo("microphone", "in:ALSA:USB", "USB Podcast Mic", 5),
            ),
            speakers=(
                DeviceInfo("speaker", "out:ALSA:Built-in", "Built-in Speakers", 4, is_default=True),
                DeviceInfo("speaker", "out:ALSA:Headset", "USB Headset", 6),
            ),
        ),
    )


@pytest.fixture
def studio_directory(qapp: QApplication) -> Iterator[DeviceDirectory]:
    d = DeviceDirectory(studio)
    d.load_now()
    yield d
    d.close()


@pytest.fixture
def screen(qtbot: QtBot, theme: Theme, engine: FakeEngine, studio_directory: DeviceDirectory) -> SpaceScreen:
    controller = SessionController(engine, GuiDispatcher())
    controller.devices = DeviceChoice(camera="0", second_camera=SYNTHETIC, microphone="3")
    s = SpaceScreen(theme, controller, StandInStage(engine.frames), directory=studio_directory)
    qtbot.addWidget(s)
    s.resize(1180, 720)
    s.show()
    return s


def with_problems(*problems: DeviceProblem) -> SessionState:
    """The host's state once the engine has told the server a lost camera is off."""
    state = busy_room(HOST_ID)
    me = state.myself
    assert me is not None
    if any(p.slot is DeviceSlot.CAMERA for p in problems):
        state = replace(state, members={**state.members, HOST_ID: replace(me, camera_on=False)})
    return replace(state, device_problems=problems)


def entries(menu: QMenu, slot: DeviceSlot) -> list[tuple[str, bool]]:
    menu.refill()  # type: ignore[attr-defined]
    return [(a.text(), a.isChecked()) for a in menu.entries(slot)]  # type: ignore[attr-defined]


# --- what the banner says (no widgets) ---------------------------------------------------------


def test_banner_words_for_each_device_and_status() -> None:
    view = device_banner_for(with_problems(LOST_CAMERA))
    assert view.visible and view.action == "Choose camera"
    assert view.text == (
        "Your camera stopped (it was unplugged or another app took it). "
        "Plug it back in or pick another camera."
    )
    back = device_banner_for(with_problems(replace(LOST_CAMERA, status=DeviceStatus.BACK)))
    assert (back.text, back.action) == ("Your camera is back — turn it on?", "Turn it on")
    mic = DeviceProblem(DeviceSlot.MICROPHONE, DeviceStatus.LOST, "USB Podcast Mic")
    assert device_banner_for(with_problems(mic)).action == "Choose microphone"
    mic_back = device_banner_for(with_problems(replace(mic, status=DeviceStatus.BACK)))
    assert (mic_back.text, mic_back.action) == ("Your microphone is back — use it again?", "Use it")
    speaker = DeviceProblem(DeviceSlot.SPEAKER, DeviceStatus.LOST, "USB Headphones")
    speaker_lost = device_banner_for(with_problems(speaker))
    assert speaker_lost.action == "Choose speaker" and "pick another speaker" in speaker_lost.text
    speaker_back = device_banner_for(with_problems(replace(speaker, status=DeviceStatus.BACK)))
    assert (speaker_back.text, speaker_back.action) == ("Your speaker is back — use it again?", "Use it")
    # A lost device comes before one that is back, whatever the order they went in.
    both = device_banner_for(with_problems(replace(mic, status=DeviceStatus.BACK), LOST_CAMERA))
    assert both.slot is DeviceSlot.CAMERA and both.status is DeviceStatus.LOST and both.more == 1
    assert not device_banner_for(busy_room(HOST_ID)).visible


# --- the banner ---------------------------------------------------------------------------------


def test_lost_camera_banner_offers_the_camera_menu(
    qtbot: QtBot, screen: SpaceScreen, engine: FakeEngine, shot
) -> None:
    engine.push(with_problems(LOST_CAMERA))
    banner = screen.device_banner
    qtbot.waitUntil(banner.isVisible)
    assert banner.text.text().startswith("Your camera stopped (it was unplugged or another app took it).")
    assert banner.text.textFormat() is Qt.TextFormat.PlainText
    assert "unplugged" in banner.text.toolTip()
    shot(screen, "device-banner-camera-lost")
    qtbot.mouseClick(banner.action, Qt.MouseButton.LeftButton)
    menu = screen.controls.camera_menu
    qtbot.waitUntil(menu.isVisible)
    # The lost camera is not ticked as "in use"; every camera there is can be picked.
    assert entries(menu, DeviceSlot.CAMERA) == [
        ("Integrated Webcam", False),
        ("Logitech BRIO <b>4K</b> && Co", False),
        ("Synthetic camera (test picture)", False),
    ]
    shot(menu, "device-menu-camera")
    menu.entries(DeviceSlot.CAMERA)[1].trigger()
    assert engine.called("set_device") == [(DeviceSlot.CAMERA, "2")]
    menu.hide()
    qtbot.waitUntil(lambda: screen.controller.devices.camera == "2")


def test_camera_back_banner_turns_it_on(qtbot: QtBot, screen: SpaceScreen, engine: FakeEngine, shot) -> None:
    engine.push(with_problems(replace(LOST_CAMERA, status=DeviceStatus.BACK)))
    banner = screen.device_banner
    qtbot.waitUntil(banner.isVisible)
    assert banner.text.text() == "Your camera is back — turn it on?"
    shot(screen, "device-banner-camera-back")
    qtbot.mouseClick(banner.action, Qt.MouseButton.LeftButton)
    assert engine.called("set_camera") == [(CameraSource.MAIN, True)]
    engine.push(busy_room(HOST_ID))  # the engine cleared the problem
    qtbot.waitUntil(lambda: not banner.isVisible())


def test_microphone_back_banner_reopens_the_same_microphone(
    qtbot: QtBot, screen: SpaceScreen, engine: FakeEngine
) -> None:
    problem = DeviceProblem(DeviceSlot.MICROPHONE, DeviceStatus.BACK, "Built-in Microphone")
    engine.push(with_problems(problem))
    qtbot.waitUntil(screen.device_banner.isVisible)
    qtbot.mouseClick(screen.device_banner.action, Qt.MouseButton.LeftButton)
    assert engine.called("set_device") == [(DeviceSlot.MICROPHONE, "3")]


def test_speaker_back_banner_reopens_the_same_speaker(
    qtbot: QtBot, screen: SpaceScreen, engine: FakeEngine
) -> None:
    screen.controller.speaker = "5"
    problem = DeviceProblem(DeviceSlot.SPEAKER, DeviceStatus.BACK, "USB Headphones")
    engine.push(with_problems(problem))
    qtbot.waitUntil(screen.device_banner.isVisible)
    qtbot.mouseClick(screen.device_banner.action, Qt.MouseButton.LeftButton)
    assert engine.called("set_device") == [(DeviceSlot.SPEAKER, "5")]


def test_not_now_hides_that_message_until_the_devices_change(
    qtbot: QtBot, screen: SpaceScreen, engine: FakeEngine
) -> None:
    engine.push(with_problems(LOST_CAMERA))
    banner = screen.device_banner
    qtbot.waitUntil(banner.isVisible)
    qtbot.mouseClick(banner.dismiss, Qt.MouseButton.LeftButton)
    assert not banner.isVisible()
    engine.push(replace(with_problems(LOST_CAMERA), reactions=()))  # same problem, another state
    assert not banner.isVisible()
    engine.push(with_problems(replace(LOST_CAMERA, status=DeviceStatus.BACK)))
    qtbot.waitUntil(banner.isVisible)


def test_a_refused_switch_says_why(qtbot: QtBot, screen: SpaceScreen, engine: FakeEngine) -> None:
    from spaces_desktop.devices.errors import CameraBusy

    engine.fail["set_device"] = CameraBusy("The camera “Logitech BRIO” could not be opened.")
    engine.push(busy_room(HOST_ID))
    screen.controls.device_chosen.emit(DeviceSlot.CAMERA, "2")
    qtbot.waitUntil(screen.message.isVisible)
    assert "could not be opened" in screen.message.text()
    assert screen.controller.devices.camera == "0"  # nothing changed


# --- control bar menus --------------------------------------------------------------------------


def test_control_bar_menus_list_devices_and_switch_them(
    qtbot: QtBot, screen: SpaceScreen, engine: FakeEngine, shot
) -> None:
    engine.push(busy_room(HOST_ID))
    bar = screen.controls
    qtbot.waitUntil(bar.mic.isVisible)
    for control in (bar.mic, bar.camera, bar.second_camera):
        assert control.menu_button is not None and control.menu_button.isVisible()
    assert entries(bar.camera_menu, DeviceSlot.CAMERA)[0] == ("Integrated Webcam", True)
    # The product camera's menu lists cameras, then any screens and windows to share.
    assert ("Synthetic camera (test picture)", True) in entries(
        bar.second_camera_menu, DeviceSlot.SECOND_CAMERA
    )
    # Microphone and speaker share the menu by the mic button; "no microphone" is not a switch.
    assert entries(bar.mic_menu, DeviceSlot.MICROPHONE) == [
        ("Built-in Microphone (default)", True),
        ("USB Podcast Mic", False),
        ("Synthetic microphone (tone)", False),
    ]
    assert entries(bar.mic_menu, DeviceSlot.SPEAKER) == [
        ("System default", True),
        ("Built-in Speakers (default)", False),
        ("USB Headset", False),
    ]
    shot(bar, "control-bar-device-buttons")
    bar.mic_menu.popup(bar.mic.menu_button.mapToGlobal(bar.mic.menu_button.rect().topLeft()))  # type: ignore[union-attr]
    qtbot.waitUntil(bar.mic_menu.isVisible)
    shot(bar.mic_menu, "device-menu-microphone-speaker")
    bar.mic_menu.entries(DeviceSlot.MICROPHONE)[1].trigger()
    bar.mic_menu.entries(DeviceSlot.SPEAKER)[2].trigger()
    bar.mic_menu.hide()
    bar.camera_menu.refill()
    bar.camera_menu.entries(DeviceSlot.CAMERA)[0].trigger()  # already in use: nothing to do
    assert engine.called("set_device") == [(DeviceSlot.MICROPHONE, "5"), (DeviceSlot.SPEAKER, "6")]
    qtbot.waitUntil(lambda: screen.controller.speaker == "6")
    assert screen.controller.devices.microphone == "5"
    assert entries(bar.mic_menu, DeviceSlot.SPEAKER)[2] == ("USB Headset", True)


# --- Settings during a Space ---------------------------------------------------------------------


def test_settings_switch_devices_in_the_space(
    qtbot: QtBot,
    theme: Theme,
    engine: FakeEngine,
    app_settings: AppSettings,
    studio_directory: DeviceDirectory,
    devices: CountingDevices,
) -> None:
    app_settings.display_name = "Dana Host"
    app_settings.devices = DevicePrefs(camera="0", microphone="3")
    window = MainWindow(
        engine,
        app_settings,
        theme,
        server_url="http://127.0.0.1:8470",
        stage_factory=lambda frames: StandInStage(frames),
        directory=studio_directory,
        preview_devices=devices,
        confirm=lambda *args: True,
    )
    qtbot.addWidget(window)
    window.show()
    setup = window.open_setup()
    assert setup is not None
    setup.title_edit.setText("Launch day: the new headphones")
    setup.video_toggle.setChecked(True)
    engine.push(space_state())
    setup.go_button.click()
    qtbot.waitUntil(lambda: window.space_screen is not None and window.space_screen.isVisible())
    assert engine.called("set_device") == []

    dialog = window.open_settings()
    assert "apply to this Space as soon as you save" in dialog.apply_note.text()
    dialog.pickers.camera.setCurrentIndex(1)  # the BRIO
    dialog.speaker.setCurrentIndex(2)  # the headset
    dialog.accept()
    assert sorted(engine.called("set_device")) == [(DeviceSlot.CAMERA, "2"), (DeviceSlot.SPEAKER, "6")]
    assert app_settings.devices.speaker == "6" and app_settings.devices.camera == "2"
    qtbot.waitUntil(lambda: window.controller.devices.camera == "2")
    window.close()

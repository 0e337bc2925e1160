"""The main window end to end over a fake engine: home, start, join, in the Space, the end."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from spaces_desktop.domain import Role
from spaces_desktop.domain.state import Connection
from spaces_desktop.server.embedded import JANUS_MISSING
from spaces_desktop.session.frames import FrameBoard
from spaces_desktop.session.local_media import NONE
from spaces_desktop.signaling.errors import BackendUnreachable
from spaces_desktop.ui.main_window import MainWindow
from spaces_desktop.ui.qt.devices import DeviceDirectory
from spaces_desktop.ui.qt.settings import AppSettings, ServerMode
from spaces_desktop.ui.qt.theme import Theme, ThemeChoice
from tests.gui.conftest import (
    HOST_ID,
    CountingDevices,
    FakeEngine,
    StandInStage,
    busy_room,
    catalog_with_devices,
    reaction,
    space_state,
)

SERVER = "http://127.0.0.1:8470"


class FakeServer:
    """A built-in server that answers when the test says so."""

    def __init__(self) -> None:
        self.url: str | None = None
        self.network_address: str | None = None
        self.firewall_note: str | None = None
        self.port_note: str | None = None
        self.stopped = False
        self.lan: bool | None = None
        self.starts: list[bool] = []
        """The audience (for the network or not) of every start, in order."""
        self.ready: Callable[[str], None] | None = None
        self.failed: Callable[[str], None] | None = None

    def start(
        self, on_ready: Callable[[str], None], on_failed: Callable[[str], None], *, lan: bool = False
    ) -> None:
        self.ready, self.failed, self.lan = on_ready, on_failed, lan
        self.starts.append(lan)
        self.stopped = False

    def stop(self, timeout: float = 8.0) -> None:
        self.stopped = True


class Confirmations:
    def __init__(self, answer: bool = True) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def __call__(self, parent: QWidget, title: str, text: str, label: str) -> bool:
        self.asked.append(title)
        return self.answer


@pytest.fixture
def confirm() -> Confirmations:
    return Confirmations()


@pytest.fixture
def make_window(
    qtbot: QtBot,
    theme: Theme,
    engine: FakeEngine,
    app_settings: AppSettings,
    devices: CountingDevices,
    confirm: Confirmations,
) -> Iterator[Callable[..., MainWindow]]:
    made: list[MainWindow] = []

    def make(**kwargs: object) -> MainWindow:
        app_settings.display_name = "Dana Host"
        directory = DeviceDirectory(catalog_with_devices)
        directory.load_now()
        options: dict[str, object] = {
            "server_url": SERVER,
            "stage_factory": lambda frames: StandInStage(frames),
            "directory": directory,
            "preview_devices": devices,
            "confirm": confirm,
        }
        options.update(kwargs)
        window = MainWindow(engine, app_settings, theme, **options)  # type: ignore[arg-type]
        qtbot.addWidget(window)
        window.resize(1180, 760)
        window.show()
        made.append(window)
        return window

    yield make
    for window in made:
        window.directory.close()


def press(
    window: MainWindow, key: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
) -> None:
    """A key press as the window system delivers it, so shortcuts apply."""
    handle = window.windowHandle()
    assert handle is not None
    QTest.keyClick(handle, key, modifiers)


def go_live(qtbot: QtBot, window: MainWindow, engine: FakeEngine, *, video: bool = True) -> None:
    dialog = window.open_setup()
    assert dialog is not None
    dialog.title_edit.setText("Launch day: the new headphones")
    dialog.video_toggle.setChecked(video)
    engine.push(space_state(video=video))
    dialog.go_button.click()
    qtbot.waitUntil(lambda: window.space_screen is not None and window.space_screen.isVisible())


def test_home_screen(
    qtbot: QtBot, make_window: Callable[..., MainWindow], app_settings: AppSettings, shot
) -> None:
    app_settings.remember("Morning news roundup", "http://127.0.0.1:8470/s/news1", hosted=False)
    app_settings.remember("Design crit", "http://127.0.0.1:8470/s/crit2", hosted=True)
    window = make_window(server_url=None, embedded=None)
    window.settings.server_mode = ServerMode.EMBEDDED
    window.embedded_url = "http://127.0.0.1:41234"
    window.embedded_error = None
    window._show_server_status()
    assert window.home.start_button.isEnabled()
    assert window.home.recent.count() == 2
    assert window.home.recent.item(0).text().startswith("Design crit")
    shot(window, "home")


def test_start_a_space_as_host_with_the_panel(
    qtbot: QtBot, make_window: Callable[..., MainWindow], engine: FakeEngine, app_settings: AppSettings, shot
) -> None:
    window = make_window()
    go_live(qtbot, window, engine)
    (server, title, name, video, devices, client_id, scheduled_for) = engine.called("create_space")[0]
    assert (server, title, name, video) == (SERVER, "Launch day: the new headphones", "Dana Host", True)
    assert devices.camera == "0" and devices.microphone == "3"
    assert client_id == app_settings.client_id and scheduled_for is None
    assert app_settings.recent[0].title == "Launch day: the new headphones"
    assert app_settings.recent[0].hosted
    engine.push(busy_room(HOST_ID, reactions=()))
    screen = window.space_screen
    assert screen is not None
    qtbot.waitUntil(lambda: screen.people.row("requests", "p_req") is not None)
    engine.push(busy_room(HOST_ID, reactions=(reaction("p_lee", "👏", 1), reaction("p_ari", "🔥", 2))))
    qtbot.waitUntil(lambda: len(screen.overlay.floating) == 2)
    qtbot.wait(400)
    assert screen.controls.end.isVisible()
    assert window.windowTitle().startswith("Launch day")
    shot(window, "space-host")


def test_audio_only_space_has_no_camera_anywhere(
    qtbot: QtBot, make_window: Callable[..., MainWindow], engine: FakeEngine, devices: CountingDevices
) -> None:
    window = make_window()
    go_live(qtbot, window, engine, video=False)
    assert engine.called("create_space")[0][4].camera == NONE
    assert devices.cameras == []
    engine.push(busy_room(HOST_ID, video=False))
    screen = window.space_screen
    assert screen is not None
    qtbot.waitUntil(lambda: screen.controls.mic.isVisible())
    assert not screen.controls.camera.isVisible()
    assert not window.camera_action.isEnabled()


def test_end_space_asks_first_then_shows_the_end(
    qtbot: QtBot,
    make_window: Callable[..., MainWindow],
    engine: FakeEngine,
    confirm: Confirmations,
    shot,
) -> None:
    window = make_window()
    go_live(qtbot, window, engine)
    confirm.answer = False
    window.space_screen.controls.end.click()  # type: ignore[union-attr]
    assert confirm.asked == ["End this Space?"] and engine.called("end_space") == []
    confirm.answer = True
    window.space_screen.controls.end.click()  # type: ignore[union-attr]
    assert engine.called("end_space") == [()]
    engine.push(replace(busy_room(HOST_ID), connection=Connection.ENDED, reason="The host ended the Space."))
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.ended)
    assert window.ended.title.text() == "You ended the Space"
    window.ended.home_button.click()
    assert window.stack.currentWidget() is window.home


def test_listener_sees_the_space_end(
    qtbot: QtBot, make_window: Callable[..., MainWindow], engine: FakeEngine, shot
) -> None:
    window = make_window()
    window.open_join("http://127.0.0.1:8470/s/AbC123")
    dialog = window.join_dialog
    assert dialog is not None
    dialog.name_edit.setText("Lee Listener")
    engine.push(busy_room("p_lee"))
    dialog.join_button.click()
    qtbot.waitUntil(lambda: window.space_screen is not None and window.space_screen.isVisible())
    engine.push(replace(busy_room("p_lee"), connection=Connection.ENDED, reason="The host ended the Space."))
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.ended)
    assert window.ended.title.text() == "This Space has ended"
    shot(window, "ended")


def test_removed_by_the_host(
    qtbot: QtBot, make_window: Callable[..., MainWindow], engine: FakeEngine, shot
) -> None:
    window = make_window()
    go_live(qtbot, window, engine)
    engine.push(replace(busy_room("p_lee"), connection=Connection.REMOVED, reason=None))
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.ended)
    assert "removed" in window.ended.title.text()
    shot(window, "removed")


def test_join_as_listener_then_accept_an_invitation(
    qtbot: QtBot, make_window: Callable[..., MainWindow], engine: FakeEngine, devices: CountingDevices, shot
) -> None:
    window = make_window()
    window.home.set_link("spaces://127.0.0.1:8470/s/AbC123")
    window.home.join_button.click()
    dialog = window.join_dialog
    assert dialog is not None
    assert dialog.link == "spaces://127.0.0.1:8470/s/AbC123"
    dialog.name_edit.setText("Lee Listener")
    engine.push(busy_room("p_lee"))
    dialog.join_button.click()
    link, name, choice, _ = engine.called("join")[0]
    assert (link, name) == ("spaces://127.0.0.1:8470/s/AbC123", "Lee Listener")
    assert choice.label == "Lee Listener"
    qtbot.waitUntil(lambda: window.space_screen is not None and window.space_screen.isVisible())
    screen = window.space_screen
    assert screen is not None
    assert screen.controls.request.isVisible() and not screen.controls.mic.isVisible()
    shot(window, "space-listener")
    # The host invites Lee: a prompt with a device check appears.
    lee = busy_room("p_lee").members["p_lee"]
    invited = busy_room("p_lee")
    engine.push(replace(invited, members={**invited.members, "p_lee": replace(lee, invited=True)}))
    qtbot.waitUntil(lambda: window.invite_prompt is not None and window.invite_prompt.isVisible())
    prompt = window.invite_prompt
    assert prompt is not None
    qtbot.waitUntil(lambda: prompt.preview.showing_picture, timeout=5000)
    shot(prompt, "invite-in-space")
    prompt.accept_button.click()
    assert engine.called("answer_invite") == [(True,)]
    assert devices.running_cameras == []


def test_declining_an_invitation(
    qtbot: QtBot, make_window: Callable[..., MainWindow], engine: FakeEngine
) -> None:
    window = make_window()
    go_live(qtbot, window, engine)
    state = busy_room("p_lee")
    lee = state.members["p_lee"]
    engine.push(replace(state, members={**state.members, "p_lee": replace(lee, invited=True)}))
    qtbot.waitUntil(lambda: window.invite_prompt is not None and window.invite_prompt.isVisible())
    window.invite_prompt.decline_button.click()  # type: ignore[union-attr]
    assert engine.called("answer_invite") == [(False,)]


def test_an_unreachable_server_is_explained_on_home(
    qtbot: QtBot, make_window: Callable[..., MainWindow], engine: FakeEngine
) -> None:
    engine.fail["create_space"] = BackendUnreachable(SERVER)
    window = make_window()
    dialog = window.open_setup()
    assert dialog is not None
    dialog.title_edit.setText("Nobody home")
    dialog.go_button.click()
    qtbot.waitUntil(lambda: window.home.error.isVisible())
    assert "Can't reach the Spaces server" in window.home.error.text()
    assert window.stack.currentWidget() is window.home
    assert window.home.start_button.isEnabled()


def test_missing_janus_is_explained_with_the_fix(
    qtbot: QtBot, make_window: Callable[..., MainWindow], app_settings: AppSettings, shot
) -> None:
    server = FakeServer()
    app_settings.server_mode = ServerMode.EMBEDDED
    window = make_window(server_url=None, embedded=server)
    assert "Starting the built-in server" in window.home.server_status.text()
    assert not window.home.start_button.isEnabled()
    assert server.failed is not None
    server.failed(JANUS_MISSING)
    qtbot.waitUntil(lambda: "sudo apt-get install janus" in window.home.host_problem.text())
    assert window.home.host_problem.isVisible()
    assert not window.home.start_button.isEnabled()
    shot(window, "home-janus-missing")
    # Pointing at a server instead makes the app usable again.
    window.home.url_radio.setChecked(True)
    window.home.server_edit.setText("https://spaces.example.com")
    window.home.server_edit.editingFinished.emit()
    assert window.server_url == "https://spaces.example.com"
    assert window.home.start_button.isEnabled()


def test_embedded_server_ready_enables_start(
    qtbot: QtBot, make_window: Callable[..., MainWindow], app_settings: AppSettings
) -> None:
    server = FakeServer()
    app_settings.server_mode = ServerMode.EMBEDDED
    window = make_window(server_url=None, embedded=server)
    assert server.ready is not None
    server.ready("http://127.0.0.1:40001")
    qtbot.waitUntil(lambda: window.home.start_button.isEnabled())
    assert window.server_url == "http://127.0.0.1:40001"


def test_reconnecting_and_failed_banner_with_retry(
    qtbot: QtBot, make_window: Callable[..., MainWindow], engine: FakeEngine, shot
) -> None:
    window = make_window()
    go_live(qtbot, window, engine)
    screen = window.space_screen
    assert screen is not None
    engine.push(
        replace(busy_room(HOST_ID), connection=Connection.RECONNECTING, reason="Reconnecting to the server…")
    )
    qtbot.waitUntil(lambda: screen.banner.isVisible())
    assert screen.banner.progress.isVisible()
    shot(window, "space-reconnecting")
    engine.push(
        replace(busy_room(HOST_ID), connection=Connection.FAILED, reason="Can't reach the Spaces server.")
    )
    qtbot.waitUntil(lambda: screen.banner.retry.isVisible())
    shot(window, "space-failed")
    screen.banner.retry.click()
    assert engine.called("join")[0][0] == "http://127.0.0.1:8470/s/AbC123"


def test_shortcuts_drive_the_controls(
    qtbot: QtBot, make_window: Callable[..., MainWindow], engine: FakeEngine
) -> None:
    window = make_window()
    go_live(qtbot, window, engine)
    engine.push(busy_room("p_sam"))
    qtbot.waitUntil(lambda: window.mic_action.isEnabled())
    assert window.mic_action.shortcut() == QKeySequence("Ctrl+D")
    assert window.camera_action.shortcut() == QKeySequence("Ctrl+E")
    assert window.hand_action.shortcut() == QKeySequence("Ctrl+Shift+H")
    assert window.leave_action.shortcut() == QKeySequence("Ctrl+Shift+L")
    assert window.pin_action.shortcut() == QKeySequence("P")
    window.activateWindow()
    qtbot.waitActive(window)
    ctrl, shift = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
    press(window, Qt.Key.Key_D, ctrl)
    press(window, Qt.Key.Key_E, ctrl)
    press(window, Qt.Key.Key_H, ctrl | shift)
    press(window, Qt.Key.Key_P)
    assert engine.called("set_muted") == [(False,)]
    assert engine.called("set_camera")[0][1] is True
    assert engine.called("raise_hand") == [(True,)]
    assert engine.called("pin") == [(HOST_ID,)]
    press(window, Qt.Key.Key_L, ctrl | shift)
    assert engine.called("leave") == [()]
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.home)


def test_host_leaving_is_confirmed(
    qtbot: QtBot, make_window: Callable[..., MainWindow], engine: FakeEngine, confirm: Confirmations
) -> None:
    window = make_window()
    go_live(qtbot, window, engine)
    confirm.answer = False
    window.request_leave()
    assert confirm.asked == ["Leave and end the Space?"] and engine.called("leave") == []


def test_engine_notices_show_in_the_status_bar(
    qtbot: QtBot, make_window: Callable[..., MainWindow], engine: FakeEngine
) -> None:
    window = make_window()
    engine.hold.add("create_space")
    dialog = window.open_setup()
    assert dialog is not None
    dialog.title_edit.setText("Quiet room")
    dialog.go_button.click()
    assert not window.home.start_button.isEnabled()
    assert window.home.status.text() == "Going live…"
    engine.notices.append("No sound output was found; you won't hear others.")
    engine.futures["create_space"].set_result(None)
    engine.push(space_state())
    qtbot.waitUntil(lambda: "No sound output" in window.statusBar().currentMessage())


def test_settings_apply_sensitivity_and_theme(
    qtbot: QtBot, make_window: Callable[..., MainWindow], engine: FakeEngine, app_settings: AppSettings
) -> None:
    applied: list[bool] = []
    window = make_window(apply_theme=lambda: applied.append(True))
    dialog = window.open_settings()
    from spaces_desktop.ui.qt.settings import Sensitivity

    dialog.sensitivity_buttons[Sensitivity.QUICK].setChecked(True)
    dialog.theme_combo.setCurrentIndex(2)
    old_home = window.home
    window.home.set_link("spaces://127.0.0.1:8470/s/keep")
    dialog.accept()
    assert window.home is not old_home  # redrawn in the new colours
    assert window.stack.currentWidget() is window.home
    assert window.home.link_edit.text() == "spaces://127.0.0.1:8470/s/keep"
    assert window.home.start_button.isEnabled()
    assert app_settings.sensitivity is Sensitivity.QUICK
    assert engine.director is not None and engine.director.onset_s == pytest.approx(0.1)
    assert applied == [True]


def test_frames_go_to_the_stage(
    qtbot: QtBot, make_window: Callable[..., MainWindow], engine: FakeEngine
) -> None:
    window = make_window()
    go_live(qtbot, window, engine)
    stage = window.space_screen.stage  # type: ignore[union-attr]
    assert isinstance(stage, StandInStage)
    assert engine.frames.on_frame == stage.frame_ready
    window.space_screen.controls.leave.click()  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.home)
    assert engine.frames.on_frame is None


def test_frame_board_type() -> None:
    assert isinstance(FakeEngine().frames, FrameBoard)


def test_role_enum_in_state() -> None:
    assert busy_room().members["p_co"].role is Role.COHOST


def test_app_quits_on_close(qtbot: QtBot, make_window: Callable[..., MainWindow]) -> None:
    window = make_window()
    quit_called: list[bool] = []
    app = QApplication.instance()
    assert app is not None
    app.aboutToQuit.connect(lambda: quit_called.append(True))
    window.close()


def test_light_theme(
    qtbot: QtBot,
    qapp: QApplication,
    make_window: Callable[..., MainWindow],
    engine: FakeEngine,
    theme: Theme,
    shot,
) -> None:
    theme.apply(qapp, ThemeChoice.LIGHT)
    try:
        window = make_window()
        shot(window, "home-light")
        go_live(qtbot, window, engine)
        engine.push(busy_room(HOST_ID))
        screen = window.space_screen
        assert screen is not None
        qtbot.waitUntil(lambda: screen.people.row("requests", "p_req") is not None)
        shot(window, "space-host-light")
        dialog = window.open_setup()
        assert dialog is None  # already in a Space: the window refuses a second one
    finally:
        theme.apply(qapp, ThemeChoice.DARK)


def test_the_running_app_offers_to_join_a_handed_over_link(
    qtbot: QtBot, make_window: Callable[..., MainWindow]
) -> None:
    window = make_window(server_url="http://127.0.0.1:8470")
    window.showMinimized()
    window.open_link("http://127.0.0.1:8470/s/Handed1")
    assert not window.isMinimized()
    assert window.join_dialog is not None
    assert window.home.link_edit.text() == "http://127.0.0.1:8470/s/Handed1"


def test_home_offers_hosting_for_the_network_and_says_what_to_open(
    qtbot: QtBot, make_window: Callable[..., MainWindow]
) -> None:
    server = FakeServer()
    window = make_window(server_url=None, embedded=server)
    window.home.embedded_radio.setChecked(True)
    assert server.lan is False
    assert server.ready is not None
    server.ready("http://127.0.0.1:8470")
    qtbot.waitUntil(lambda: window.home.start_button.isEnabled(), timeout=3000)
    assert "only this computer" in window.home.server_status.text()

    window.home.network_radio.setChecked(True)
    assert window.settings.server_mode is ServerMode.NETWORK
    qtbot.waitUntil(lambda: server.starts[-1:] == [True] and server.stopped is False, timeout=5000)
    assert server.starts.count(True) == 1, server.starts
    server.url = "http://192.168.1.20:8470"
    server.network_address = "192.168.1.20 (wlan0)"
    server.firewall_note = "Let Spaces Desktop through your firewall: TCP 8470 and UDP 20000–20999."
    assert server.ready is not None
    server.ready("http://192.168.1.20:8470")
    qtbot.waitUntil(lambda: "192.168.1.20:8470" in window.home.server_status.text(), timeout=3000)
    note = window.home.server_note.text()
    assert "192.168.1.20 (wlan0)" in note and "firewall" in note
    assert window.server_url == "http://192.168.1.20:8470"

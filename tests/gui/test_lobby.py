"""Who may come in, on the fake engine: the host's switches, the waiting list, the waiting screen, reopen."""

# ruff: noqa: F811 - the main-window fixtures come from test_app and are taken as test parameters

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable
from dataclasses import replace
from types import MappingProxyType

import pytest
from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot

from spaces_desktop.domain.state import Connection, SessionState
from spaces_desktop.errors import Conflict, Forbidden
from spaces_desktop.ui.main_window import MainWindow
from spaces_desktop.ui.qt.settings import AppSettings
from spaces_desktop.ui.screens.waiting_screen import WAITING_TITLE
from spaces_desktop.ui.viewmodels.space_model import Action
from tests.gui.conftest import HOST_ID, FakeEngine, busy_room, member
from tests.gui.test_app import confirm, go_live, make_window  # noqa: F401

LINK = "http://127.0.0.1:8470/s/AbC123"


def with_access(state: SessionState, *, locked: bool = False, approval: bool = False) -> SessionState:
    assert state.space is not None
    return replace(state, space=replace(state.space, locked=locked, approval_required=approval))


def with_waiting(state: SessionState, *names: tuple[str, str]) -> SessionState:
    return replace(state, waiting=MappingProxyType({pid: member(pid, name) for pid, name in names}))


def test_host_switches_ask_the_engine_and_show_what_the_backend_confirmed(
    qtbot: QtBot, make_window: Callable[..., MainWindow], engine: FakeEngine
) -> None:
    window = make_window()
    go_live(qtbot, window, engine)
    engine.push(busy_room(HOST_ID))
    screen = window.space_screen
    assert screen is not None
    access = screen.people.access
    qtbot.waitUntil(access.isVisible)
    locked, approval = access.switches["locked"], access.switches["approval_required"]
    assert not locked.isChecked() and not approval.isChecked()
    qtbot.mouseClick(locked, Qt.MouseButton.LeftButton)
    assert engine.called("set_access") == [(True, None)]
    engine.push(with_access(busy_room(HOST_ID), locked=True))
    qtbot.waitUntil(lambda: screen.people.access.view.locked)
    assert locked.isChecked()

    # A refused flip goes back to what the backend has, with the backend's sentence.
    engine.fail["set_access"] = Forbidden("Only the host and co-hosts can do that.")
    qtbot.mouseClick(approval, Qt.MouseButton.LeftButton)
    assert engine.called("set_access")[-1] == (None, True)
    qtbot.waitUntil(lambda: not approval.isChecked())
    qtbot.waitUntil(screen.people.error.isVisible)
    assert screen.people.error.text() == "Only the host and co-hosts can do that."
    assert locked.isChecked()


def test_listeners_see_no_switches_and_no_waiting_list(
    qtbot: QtBot, make_window: Callable[..., MainWindow], engine: FakeEngine
) -> None:
    window = make_window()
    go_live(qtbot, window, engine)
    engine.push(with_waiting(with_access(busy_room("p_lee"), approval=True), ("p_w", "Wendy")))
    screen = window.space_screen
    assert screen is not None
    qtbot.waitUntil(lambda: screen.people.row("listeners", "p_lee") is not None)
    assert not screen.people.access.isVisible()
    assert screen.people.row("waiting", "p_w") is None


def test_waiting_list_lets_people_in_or_not(
    qtbot: QtBot, make_window: Callable[..., MainWindow], engine: FakeEngine, shot
) -> None:
    window = make_window()
    go_live(qtbot, window, engine)
    state = with_waiting(
        with_access(busy_room(HOST_ID), approval=True), ("p_w", "<b>Wendy</b> Waiting"), ("p_x", "Xavi")
    )
    engine.push(state)
    screen = window.space_screen
    assert screen is not None
    qtbot.waitUntil(lambda: screen.people.row("waiting", "p_w") is not None)
    row = screen.people.row("waiting", "p_w")
    assert row is not None
    assert set(row.buttons) == {Action.ADMIT, Action.DENY}
    assert screen.people.access.switches["approval_required"].isChecked()
    shot(window, "host-waiting-list")
    row.click(Action.ADMIT)
    other = screen.people.row("waiting", "p_x")
    assert other is not None
    other.click(Action.DENY)
    assert engine.called("admit") == [("p_w",)]
    assert engine.called("deny") == [("p_x",)]
    engine.push(with_waiting(state))
    qtbot.waitUntil(lambda: screen.people.row("waiting", "p_w") is None)


def test_remove_and_block_address_is_its_own_choice(
    qtbot: QtBot, make_window: Callable[..., MainWindow], engine: FakeEngine
) -> None:
    window = make_window()
    go_live(qtbot, window, engine)
    engine.push(busy_room(HOST_ID))
    screen = window.space_screen
    assert screen is not None
    qtbot.waitUntil(lambda: screen.people.row("listeners", "p_lee") is not None)
    row = screen.people.row("listeners", "p_lee")
    assert row is not None
    row.menu_actions[Action.REMOVE].trigger()  # type: ignore[attr-defined]
    row.menu_actions[Action.REMOVE_AND_BLOCK].trigger()  # type: ignore[attr-defined]
    assert engine.called("remove") == [("p_lee", False), ("p_lee", True)]


def join_and_wait(qtbot: QtBot, window: MainWindow, engine: FakeEngine) -> None:
    engine.hold.add("join")
    window.open_join(LINK)
    dialog = window.join_dialog
    assert dialog is not None
    dialog.name_edit.setText("Lee Listener")
    dialog.join_button.click()
    reason = "You asked to join “<b>Launch</b> day”. Waiting for the host to let you in."
    engine.push(SessionState(connection=Connection.WAITING, reason=reason))
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.waiting)


def test_the_waiting_screen_until_the_host_lets_you_in(
    qtbot: QtBot, make_window: Callable[..., MainWindow], engine: FakeEngine, shot
) -> None:
    window = make_window()
    join_and_wait(qtbot, window, engine)
    assert window.waiting.title.text() == WAITING_TITLE
    assert window.waiting.detail.textFormat() is Qt.TextFormat.PlainText
    assert "<b>Launch</b> day" in window.waiting.detail.text()
    shot(window, "waiting-to-join")
    engine.push(busy_room("p_lee"))
    engine.futures["join"].set_result(None)
    qtbot.waitUntil(lambda: window.space_screen is not None and window.space_screen.isVisible())


def test_a_refusal_is_told_on_home(
    qtbot: QtBot, make_window: Callable[..., MainWindow], engine: FakeEngine
) -> None:
    window = make_window()
    join_and_wait(qtbot, window, engine)
    engine.futures["join"].set_exception(Forbidden("The host did not let you in to this Space."))
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.home)
    qtbot.waitUntil(window.home.error.isVisible)
    assert window.home.error.text() == "The host did not let you in to this Space."


def test_stop_waiting_goes_home_quietly(
    qtbot: QtBot, make_window: Callable[..., MainWindow], engine: FakeEngine
) -> None:
    window = make_window()
    join_and_wait(qtbot, window, engine)
    qtbot.mouseClick(window.waiting.cancel_button, Qt.MouseButton.LeftButton)
    assert engine.called("leave") == [()]
    engine.futures["join"].set_exception(Forbidden("You stopped waiting to join; join again."))
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.home)
    assert not window.home.error.isVisible()


def test_a_host_keeps_the_token_and_reopens_the_space(
    qtbot: QtBot, make_window: Callable[..., MainWindow], engine: FakeEngine, app_settings: AppSettings
) -> None:
    engine.token = "host-token-123"
    window = make_window()
    go_live(qtbot, window, engine)
    assert app_settings.host_token(LINK) == "host-token-123"
    app_settings.sync()
    if sys.platform != "win32":
        mode = stat.S_IMODE(os.stat(app_settings._store.fileName()).st_mode)
        assert mode == 0o600, oct(mode)

    # The app closed; a new one shows the Space as one to reopen.
    again = make_window()
    home = again.home
    assert "you can reopen it" in home.recent.item(0).text()
    assert home.reopen_button.isVisible()
    home.recent.setCurrentRow(0)
    assert home.reopen_button.isEnabled()
    engine.push(busy_room(HOST_ID))
    qtbot.mouseClick(home.reopen_button, Qt.MouseButton.LeftButton)
    link, token, devices = engine.called("reopen")[0]
    assert (link, token) == (LINK, "host-token-123")
    assert devices.label == "Dana Host"
    qtbot.waitUntil(lambda: again.space_screen is not None and again.space_screen.isVisible())


@pytest.mark.parametrize("error", [Conflict("This Space has ended.", code="space_ended")])
def test_a_space_that_ended_is_no_longer_offered_for_reopening(
    qtbot: QtBot,
    make_window: Callable[..., MainWindow],
    engine: FakeEngine,
    app_settings: AppSettings,
    error: Exception,
) -> None:
    app_settings.remember("Launch", LINK, hosted=True)
    app_settings.keep_host_token(LINK, "host-token-123")
    window = make_window()
    engine.fail["reopen"] = error
    window.reopen(LINK)
    qtbot.waitUntil(lambda: window.home.error.isVisible())
    assert window.home.error.text() == "This Space has ended."
    assert app_settings.host_token(LINK) is None
    assert "you can reopen it" not in window.home.recent.item(0).text()


def test_the_installation_key_is_made_once_and_kept(app_settings: AppSettings) -> None:
    key = app_settings.client_id
    assert len(key) == 32 and key == app_settings.client_id
    path = app_settings._store.fileName()
    later = AppSettings(QSettings(path, QSettings.Format.IniFormat))  # the app started again
    assert later.client_id == key

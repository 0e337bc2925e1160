"""Screens as a creator and a keyboard user meet them: the real connection state, keyboard focus,
accessible names, and the setup's camera carried into the Space."""

# ruff: noqa: F811 - the main-window fixtures come from test_app and are taken as test parameters

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractButton, QApplication, QWidget
from pytestqt.qtbot import QtBot

from spaces_desktop.domain import CameraSource, Role
from spaces_desktop.domain.state import Connection, NetworkStats
from spaces_desktop.session.frames import FrameBoard
from spaces_desktop.ui.dialogs.join_dialog import JoinDialog
from spaces_desktop.ui.main_window import MainWindow
from spaces_desktop.ui.qt.theme import Theme
from spaces_desktop.ui.stage.view import StageView
from spaces_desktop.ui.viewmodels.space_model import end_view
from tests.gui.conftest import HOST_ID, FakeEngine, busy_room, member, space_state
from tests.gui.test_app import confirm, go_live, make_window  # noqa: F401 - fixtures

MAIN = CameraSource.MAIN


def unnamed_buttons(root: QWidget) -> list[str]:
    """Every visible button under ``root`` that a screen reader could not name."""
    missing = []
    for button in root.findChildren(QAbstractButton):
        if not button.isVisibleTo(root):
            continue
        text = button.text().replace("&", "").strip()
        name = button.accessibleName().strip()
        icon_only = not text or text in {"⋯", "…"}
        if (icon_only and not name) or not (name or text):
            missing.append(f"{type(button).__name__}({button.objectName()!r}, tooltip={button.toolTip()!r})")
    return missing


# --- connection state ---


def test_reconnecting_and_failed_hide_live_and_disable_what_needs_the_server(
    qtbot: QtBot, make_window: Callable[..., MainWindow], engine: FakeEngine, shot
) -> None:
    window = make_window()
    go_live(qtbot, window, engine)
    screen = window.space_screen
    assert screen is not None
    engine.push(busy_room(HOST_ID))
    qtbot.waitUntil(lambda: screen.people.row("requests", "p_req") is not None)
    assert screen.live_badge.text() == "LIVE" and screen.live_badge.property("role") == "badge"
    accept = screen.people.row("requests", "p_req").buttons  # type: ignore[union-attr]
    row = screen.people.row("requests", "p_req")
    assert row is not None and all(row.enabled(a) for a in accept)
    assert screen.controls.end.isEnabled()

    for connection, word, name in (
        (Connection.RECONNECTING, "Reconnecting", "space-reconnecting"),
        (Connection.FAILED, "Offline", "space-failed"),
    ):
        engine.push(
            replace(busy_room(HOST_ID), connection=connection, reason="Can't reach the Spaces server.")
        )
        qtbot.waitUntil(lambda word=word: screen.live_badge.text() == word)
        assert screen.live_badge.property("role") == "chip"
        row = screen.people.row("requests", "p_req")
        assert row is not None and row.buttons and not any(row.enabled(a) for a in row.buttons)
        assert not any(a.isEnabled() for a in row.menu_actions.values())  # type: ignore[attr-defined]
        assert not any(s.isEnabled() for s in screen.people.access.switches.values())
        c = screen.controls
        assert not c.end.isEnabled() and not c.mic.button.isEnabled() and not c.camera.button.isEnabled()
        assert c.leave.isEnabled(), "leaving never needs the server"
        shot(window, name)

    calls = len(engine.calls)
    screen.controller.moderate(screen.people.row("requests", "p_req").person.actions[0], "p_req")  # type: ignore[union-attr]
    screen.controller.set_access("locked", True)
    screen.controller.end_space()
    assert len(engine.calls) == calls, "nothing is sent to a server we can't reach"

    engine.push(busy_room(HOST_ID))
    qtbot.waitUntil(lambda: screen.live_badge.text() == "LIVE")
    row = screen.people.row("requests", "p_req")
    assert row is not None and all(row.enabled(a) for a in row.buttons)


# --- the setup's camera ---


def test_camera_previewed_in_setup_is_on_when_the_host_goes_live(
    qtbot: QtBot, make_window: Callable[..., MainWindow], engine: FakeEngine
) -> None:
    window = make_window()
    go_live(qtbot, window, engine, video=True)
    qtbot.waitUntil(lambda: bool(engine.called("set_camera")))
    assert engine.called("set_camera") == [(MAIN, True)]
    devices = engine.called("create_space")[0][4]
    assert devices.camera == "0"


def test_audio_only_space_turns_no_camera_on(
    qtbot: QtBot, make_window: Callable[..., MainWindow], engine: FakeEngine
) -> None:
    window = make_window()
    go_live(qtbot, window, engine, video=False)
    qtbot.wait(50)
    assert engine.called("set_camera") == []


# --- the Layout menu ---


def test_layout_menu_offers_product_layouts_only_with_a_product_camera_on(
    qtbot: QtBot, make_window: Callable[..., MainWindow], engine: FakeEngine
) -> None:
    window = make_window()
    go_live(qtbot, window, engine)
    screen = window.space_screen
    assert screen is not None
    plain = [member(HOST_ID, "Dana Host", Role.HOST, camera_on=True), member("p_s", "Sam", Role.SPEAKER)]
    engine.push(space_state(members=plain))
    qtbot.waitUntil(lambda: screen.controls.offered_layouts() == ["speaker", "grid"])
    product = [*plain[:1], member("p_s", "Sam", Role.SPEAKER, camera_on=True, second_camera_on=True)]
    engine.push(space_state(members=product))
    qtbot.waitUntil(lambda: screen.controls.offered_layouts() == ["speaker", "grid", "side_by_side", "pip"])


# --- keyboard on the stage ---


def test_tab_walks_the_tiles_and_enter_pins_and_unpins(qtbot: QtBot, theme: Theme) -> None:
    view = StageView(FrameBoard())
    qtbot.addWidget(view)
    view.resize(900, 540)
    state = busy_room(HOST_ID)
    view.set_state(state)
    view.show()
    qtbot.waitExposed(view)
    tiles = list(view.tiles().values())
    assert len(tiles) == 4
    assert all(t.focusPolicy() == Qt.FocusPolicy.StrongFocus for t in tiles)
    tiles[0].setFocus()
    qtbot.waitUntil(tiles[0].hasFocus)
    seen = [tiles[0]]
    for _ in range(len(tiles) - 1):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        seen.append(QApplication.focusWidget())  # type: ignore[arg-type]
    assert seen == tiles, "Tab goes through the tiles in stage order"

    sam = view.tiles()[("p_sam", MAIN)]
    sam.setFocus()
    with qtbot.waitSignal(view.pin_requested) as pinned:
        qtbot.keyClick(sam, Qt.Key.Key_Return)
    assert pinned.args == ["p_sam"]
    view.set_state(replace(state, pinned="p_sam", stage="p_sam"))
    with qtbot.waitSignal(view.pin_requested) as unpinned:
        qtbot.keyClick(sam, Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)
    assert unpinned.args == [None]
    assert "Press Enter to unpin" in sam.accessibleDescription()

    # Space is not the tile's: it goes on to the window (the mic shortcut).
    space = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Space, Qt.KeyboardModifier.NoModifier, " ")
    with qtbot.assertNotEmitted(view.pin_requested):
        QApplication.sendEvent(sam, space)
    assert not space.isAccepted()


def test_tiles_explain_their_network_bars(qtbot: QtBot) -> None:
    view = StageView(FrameBoard())
    qtbot.addWidget(view)
    view.resize(900, 540)
    view.set_state(replace(busy_room(HOST_ID), quality={"p_co": "fair", "p_sam": "poor"}))
    view.show()
    tiles = view.tiles()
    assert "2–8% of their packets lost" in tiles[("p_co", MAIN)].toolTip()
    assert "over 8%" in tiles[("p_sam", MAIN)].toolTip()
    assert "Chris Cohost" in tiles[("p_co", MAIN)].toolTip()
    assert "Network" not in tiles[("p_host", MAIN)].toolTip(), "no bars on our own tile, no story either"


def test_tile_tooltips_carry_the_live_network_numbers(qtbot: QtBot) -> None:
    view = StageView(FrameBoard())
    qtbot.addWidget(view)
    view.resize(900, 540)
    numbers = {"p_co": NetworkStats(3.0, 640, 85), "p_sam": NetworkStats(12.4, None, None)}
    view.set_state(replace(busy_room(HOST_ID), quality={"p_co": "fair", "p_sam": "poor"}, network=numbers))
    view.show()
    tiles = view.tiles()
    co = tiles[("p_co", MAIN)].toolTip().splitlines()
    assert co[1] == "Network: fair — 3 % lost, 640 kbit/s, 85 ms round trip"
    assert "2–8% of their packets lost" in co[2]  # what the rating means stays under the numbers
    # A listener's tile (no byte counts, no round trip yet) shows what it has.
    assert tiles[("p_sam", MAIN)].toolTip().splitlines()[1] == "Network: poor — 12 % lost"
    assert "640 kbit/s" in tiles[("p_co", MAIN)].accessibleDescription()
    assert "Network" not in tiles[("p_host", MAIN)].toolTip()


# --- names for every button ---


def test_every_button_of_every_screen_has_an_accessible_name(
    qtbot: QtBot, make_window: Callable[..., MainWindow], engine: FakeEngine, theme: Theme
) -> None:
    window = make_window()
    assert unnamed_buttons(window.home) == []
    join = JoinDialog(theme, "spaces://127.0.0.1:8470/s/AbC123", "Lee")
    qtbot.addWidget(join)
    join.show()
    assert unnamed_buttons(join) == []
    setup = window.open_setup()
    assert setup is not None
    setup.video_toggle.setChecked(True)
    assert unnamed_buttons(setup) == []
    setup.reject()

    go_live(qtbot, window, engine)
    screen = window.space_screen
    assert screen is not None
    engine.push(busy_room(HOST_ID))
    qtbot.waitUntil(lambda: screen.people.row("requests", "p_req") is not None)
    screen.people.show_error("Refused")
    assert unnamed_buttons(screen) == []
    engine.push(busy_room("p_lee"))
    qtbot.waitUntil(lambda: screen.controls.request.isVisible())
    assert unnamed_buttons(screen) == []

    view = end_view(replace(space_state(), connection=Connection.REMOVED))
    assert view is not None
    window.ended.show_end(view, "Launch day")
    assert unnamed_buttons(window.ended) == []
    assert unnamed_buttons(window.waiting) == []


def test_removed_screen_shows_its_whole_title(
    qtbot: QtBot, make_window: Callable[..., MainWindow], shot
) -> None:
    window = make_window()
    view = end_view(replace(space_state(), connection=Connection.REMOVED))
    assert view is not None
    window.ended.show_end(view, "Launch day")
    window.stack.setCurrentWidget(window.ended)
    qtbot.waitUntil(window.ended.title.isVisible)
    title = window.ended.title
    assert title.height() >= title.heightForWidth(title.width()), "the wrapped title is cut off"
    assert title.width() <= title.parentWidget().width()  # type: ignore[union-attr]


def test_focused_tile_shows_a_ring(qtbot: QtBot, shot) -> None:
    view = StageView(FrameBoard())
    qtbot.addWidget(view)
    view.resize(900, 540)
    view.set_state(replace(busy_room(HOST_ID), quality={"p_co": "good", "p_sam": "poor"}))
    view.show()
    qtbot.waitExposed(view)
    tile = view.tiles()[("p_co", MAIN)]
    before = tile.grab().toImage()
    tile.setFocus()
    qtbot.waitUntil(tile.hasFocus)
    assert tile.grab().toImage() != before, "focus must be visible"
    shot(view, "stage-tile-focused")

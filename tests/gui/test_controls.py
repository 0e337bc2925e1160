"""Control bar, host panel, connection banner and reactions, driven by a fake engine."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMenu
from pytestqt.qtbot import QtBot

from spaces_desktop.domain import CameraSource, Role
from spaces_desktop.domain.state import Connection
from spaces_desktop.session.local_media import DeviceChoice
from spaces_desktop.signaling.errors import Conflict, Forbidden
from spaces_desktop.ui.qt.bridge import GuiDispatcher
from spaces_desktop.ui.qt.theme import Theme
from spaces_desktop.ui.screens.space_screen import SpaceScreen
from spaces_desktop.ui.viewmodels.roster import Audience, SectionId
from spaces_desktop.ui.viewmodels.session_controller import SessionController
from spaces_desktop.ui.viewmodels.space_model import (
    Action,
    Controls,
    action_key,
    actions_for,
    banner_for,
    controls_for,
    end_view,
)
from spaces_desktop.ui.widgets.banner import ConnectionBanner
from spaces_desktop.ui.widgets.control_bar import ControlBar
from spaces_desktop.ui.widgets.people_model import PeopleModel
from tests.gui.conftest import HOST_ID, FakeEngine, FakeSession, StandInStage, busy_room, reaction

# --- rules (no widgets) ---------------------------------------------------------------------


def test_listener_requests_to_speak_and_has_no_mic_or_camera() -> None:
    c = controls_for(busy_room("p_lee"), has_second_camera=True)
    assert (c.mic, c.camera, c.second_camera, c.hand, c.end) == (False, False, False, False, False)
    assert c.request and not c.requested
    assert controls_for(busy_room("p_req"), has_second_camera=False).requested


def test_speaker_controls_follow_the_video_switch() -> None:
    with_video = controls_for(busy_room("p_sam"), has_second_camera=False)
    assert with_video.mic and with_video.muted and with_video.camera and with_video.hand
    assert not with_video.second_camera and not with_video.request and not with_video.end
    audio_only = controls_for(busy_room("p_sam", video=False), has_second_camera=True)
    assert audio_only.mic and not audio_only.camera and not audio_only.second_camera


def test_second_camera_needs_a_second_device() -> None:
    assert controls_for(busy_room("p_ari"), has_second_camera=True).second_camera
    assert controls_for(busy_room("p_ari"), has_second_camera=True).second_camera_on
    assert not controls_for(busy_room("p_ari"), has_second_camera=False).second_camera


def test_only_the_host_ends_the_space() -> None:
    assert controls_for(busy_room(HOST_ID), False).end
    assert not controls_for(busy_room("p_co"), False).end


def test_host_actions_on_each_kind_of_person() -> None:
    state = busy_room(HOST_ID)
    members = state.members
    assert actions_for(state, members["p_req"])[0] == (Action.ACCEPT, Action.DECLINE)
    assert actions_for(state, members["p_lee"])[0] == (Action.INVITE,)
    assert actions_for(state, members["p_inv"])[0] == ()  # already invited
    buttons, menu = actions_for(state, members["p_ari"])
    assert buttons == (Action.MUTE,)
    assert menu == (Action.MAKE_COHOST, Action.DEMOTE, Action.REMOVE, Action.REMOVE_AND_BLOCK)
    assert actions_for(state, members["p_sam"])[0] == ()  # already muted
    assert Action.REMOVE_COHOST in actions_for(state, members["p_co"])[1]
    assert actions_for(state, members[HOST_ID]) == ((), ())


def test_cohost_cannot_touch_the_host_or_other_cohosts_or_make_cohosts() -> None:
    state = busy_room("p_co")
    assert actions_for(state, state.members[HOST_ID]) == ((), ())
    _, menu = actions_for(state, state.members["p_ari"])
    assert Action.MAKE_COHOST not in menu and Action.REMOVE in menu


def test_speakers_and_listeners_moderate_nobody() -> None:
    for me in ("p_sam", "p_lee"):
        state = busy_room(me)
        assert all(actions_for(state, m) == ((), ()) for m in state.members.values())


def test_people_sections_show_requests_to_moderators_only() -> None:
    model = PeopleModel()
    model.set_audience(Audience(busy_room(HOST_ID)))
    host_view = {s: model.section_rows(s) for s in SectionId}
    assert host_view[SectionId.REQUESTS][2] == ["p_req"]
    assert host_view[SectionId.STAGE][2] == [HOST_ID, "p_co", "p_sam", "p_ari"]
    assert host_view[SectionId.LISTENERS][:3] == (
        "Listeners · 2",
        2,
        ["p_lee", "p_inv"],
    )  # the asker is a request
    model.set_audience(Audience(busy_room("p_lee")))
    listener_view = {s for s in SectionId if model.section_rows(s)[0]}
    assert listener_view == {SectionId.STAGE, SectionId.LISTENERS}


def test_banner_states() -> None:
    state = busy_room()
    assert not banner_for(state).visible
    connecting = banner_for(replace(state, connection=Connection.CONNECTING))
    assert connecting.visible and connecting.busy and not connecting.retry
    reconnecting = banner_for(replace(state, connection=Connection.RECONNECTING, reason="Network lost"))
    assert (reconnecting.tone, reconnecting.text, reconnecting.busy) == ("warning", "Network lost", True)
    failed = banner_for(replace(state, connection=Connection.FAILED, reason="Can't reach the server"))
    assert failed.tone == "error" and failed.retry and not failed.busy
    assert "Can't reach" in failed.text


def test_end_views() -> None:
    assert end_view(busy_room()) is None
    ended = end_view(replace(busy_room("p_lee"), connection=Connection.ENDED))
    assert ended is not None and ended.title == "This Space has ended"
    mine = end_view(replace(busy_room(HOST_ID), connection=Connection.ENDED))
    assert mine is not None and mine.title == "You ended the Space"
    removed = end_view(replace(busy_room("p_lee"), connection=Connection.REMOVED))
    assert removed is not None and "removed" in removed.title


# --- widgets ------------------------------------------------------------------------------------


@pytest.fixture
def controller(qapp: QApplication, engine: FakeEngine) -> SessionController:
    c = SessionController(engine, GuiDispatcher())
    c.devices = DeviceChoice(second_camera="synthetic")
    return c


@pytest.fixture
def screen(qtbot: QtBot, theme: Theme, engine: FakeEngine, controller: SessionController) -> SpaceScreen:
    s = SpaceScreen(theme, controller, StandInStage(engine.frames))
    qtbot.addWidget(s)
    s.resize(1180, 720)
    s.show()
    return s


def test_control_bar_visibility_by_role(qtbot: QtBot, theme: Theme) -> None:
    bar = ControlBar(theme)
    qtbot.addWidget(bar)
    bar.show()
    bar.set_controls(controls_for(busy_room("p_lee"), True), set())
    assert bar.request.isVisible() and not bar.mic.isVisible() and not bar.camera.isVisible()
    assert not bar.end.isVisible() and bar.leave.isVisible()
    bar.set_controls(controls_for(busy_room(HOST_ID), True), set())
    assert bar.mic.isVisible() and bar.camera.isVisible() and bar.second_camera.isVisible()
    assert bar.end.isVisible() and not bar.request.isVisible() and not bar.hand.isVisible()
    bar.set_controls(controls_for(busy_room("p_sam", video=False), True), set())
    assert bar.mic.isVisible() and not bar.camera.isVisible() and bar.hand.isVisible()
    assert bar.mic.caption.text() == "Unmute"
    assert "Ctrl+D" in bar.mic.button.toolTip()


def test_pending_disables_the_button_until_the_engine_answers(
    qtbot: QtBot, screen: SpaceScreen, engine: FakeEngine
) -> None:
    engine.hold.add("set_muted")
    engine.push(busy_room(HOST_ID))
    qtbot.waitUntil(lambda: screen.controls.mic.isVisible())
    qtbot.mouseClick(screen.controls.mic.button, Qt.MouseButton.LeftButton)
    assert engine.called("set_muted") == [(True,)]
    assert not screen.controls.mic.button.isEnabled()
    qtbot.mouseClick(screen.controls.mic.button, Qt.MouseButton.LeftButton)
    assert len(engine.called("set_muted")) == 1  # no second command while pending
    engine.futures["set_muted"].set_result(None)
    qtbot.waitUntil(lambda: screen.controls.mic.button.isEnabled())
    # The button shows what the backend confirmed, not what was clicked.
    assert screen.controls.mic.caption.text() == "Mute"
    me = busy_room(HOST_ID).members[HOST_ID]
    engine.push(
        replace(busy_room(HOST_ID), members={**busy_room().members, HOST_ID: replace(me, muted=True)})
    )
    qtbot.waitUntil(lambda: screen.controls.mic.caption.text() == "Unmute")


def test_camera_buttons_call_the_engine(qtbot: QtBot, screen: SpaceScreen, engine: FakeEngine) -> None:
    engine.push(busy_room(HOST_ID))
    qtbot.waitUntil(lambda: screen.controls.camera.isVisible())
    qtbot.mouseClick(screen.controls.camera.button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(screen.controls.second_camera.button, Qt.MouseButton.LeftButton)
    assert engine.called("set_camera") == [(CameraSource.MAIN, False), (CameraSource.SECOND, True)]


@pytest.mark.parametrize(
    ("row", "action", "call", "args"),
    [
        ("requests:p_req", Action.ACCEPT, "set_role", ("p_req", Role.SPEAKER)),
        ("requests:p_req", Action.DECLINE, "decline_request", ("p_req",)),
        ("listeners:p_lee", Action.INVITE, "invite", ("p_lee",)),
        ("stage:p_ari", Action.MUTE, "mute", ("p_ari",)),
        ("stage:p_ari", Action.MAKE_COHOST, "set_role", ("p_ari", Role.COHOST)),
        ("stage:p_ari", Action.DEMOTE, "set_role", ("p_ari", Role.LISTENER)),
        ("stage:p_co", Action.REMOVE_COHOST, "set_role", ("p_co", Role.SPEAKER)),
        ("listeners:p_lee", Action.REMOVE, "remove", ("p_lee", False)),
    ],
)
def test_host_panel_actions_call_the_engine(
    qtbot: QtBot, screen: SpaceScreen, engine: FakeEngine, row: str, action: Action, call: str, args: tuple
) -> None:
    engine.push(busy_room(HOST_ID))
    section, pid = row.split(":")
    qtbot.waitUntil(lambda: screen.people.row(section, pid) is not None)
    widget = screen.people.row(section, pid)
    assert widget is not None
    if action in widget.buttons:
        widget.click(action)
    else:
        widget.menu_actions[action].trigger()  # type: ignore[attr-defined]
    assert engine.called(call) == [args]


def test_the_keyboard_reaches_the_engine_from_the_people_list(
    qtbot: QtBot, screen: SpaceScreen, engine: FakeEngine
) -> None:
    engine.push(busy_room(HOST_ID))
    qtbot.waitUntil(lambda: screen.people.row("listeners", "p_lee") is not None)
    view = screen.people.view
    view.setFocus()
    view.setCurrentIndex(screen.people.model.index_of(SectionId.STAGE, "p_ari"))
    qtbot.keyClick(view, Qt.Key.Key_Down)  # over the listeners' header
    qtbot.keyClick(view, Qt.Key.Key_Enter)
    qtbot.waitUntil(lambda: any(m.isVisible() for m in view.findChildren(QMenu)))
    menu = next(m for m in view.findChildren(QMenu) if m.isVisible())
    assert menu.actions()[0].text() == "Invite to speak"
    qtbot.keyClick(menu, Qt.Key.Key_Down)
    qtbot.keyClick(menu, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(engine.called("invite")))
    assert engine.called("invite") == [("p_lee",)]


def test_pending_moderation_disables_that_action_only(
    qtbot: QtBot, screen: SpaceScreen, engine: FakeEngine, shot
) -> None:
    engine.hold.add("set_role")
    engine.push(busy_room(HOST_ID))
    qtbot.waitUntil(lambda: screen.people.row("requests", "p_req") is not None)
    row = screen.people.row("requests", "p_req")
    assert row is not None
    row.click(Action.ACCEPT)
    assert not row.enabled(Action.ACCEPT)
    assert row.enabled(Action.DECLINE)
    assert action_key(Action.ACCEPT, "p_req") in screen.controller.pending
    engine.futures["set_role"].set_result(None)
    qtbot.waitUntil(lambda: row.enabled(Action.ACCEPT))


def test_refused_action_shows_the_servers_message(
    qtbot: QtBot, screen: SpaceScreen, engine: FakeEngine, shot
) -> None:
    engine.fail["set_role"] = Conflict(409, "stage_full", "The stage is full: 10 speakers already.")
    engine.push(busy_room(HOST_ID))
    qtbot.waitUntil(lambda: screen.people.row("requests", "p_req") is not None)
    row = screen.people.row("requests", "p_req")
    assert row is not None
    row.click(Action.ACCEPT)
    qtbot.waitUntil(lambda: screen.people.error.isVisible())
    assert screen.people.error.text() == "The stage is full: 10 speakers already."
    screen.people.error_close.click()
    assert not screen.people.error.isVisible()


def test_refused_own_action_shows_a_message_over_the_stage(
    qtbot: QtBot, screen: SpaceScreen, engine: FakeEngine
) -> None:
    engine.fail["raise_hand"] = Forbidden(403, "forbidden", "Hands are for people on stage.")
    engine.push(busy_room("p_sam"))
    qtbot.waitUntil(lambda: screen.controls.hand.isVisible())
    qtbot.mouseClick(screen.controls.hand.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.message.isVisible())
    assert screen.message.text() == "Hands are for people on stage."


def test_listener_requests_to_speak(qtbot: QtBot, screen: SpaceScreen, engine: FakeEngine) -> None:
    engine.push(busy_room("p_lee"))
    qtbot.waitUntil(lambda: screen.controls.request.isVisible())
    qtbot.mouseClick(screen.controls.request, Qt.MouseButton.LeftButton)
    assert engine.called("request_to_speak") == [(True,)]
    engine.push(busy_room("p_req"))
    qtbot.waitUntil(lambda: screen.controls.request.text() == "Cancel request")


def test_banner_widget_states(qtbot: QtBot, theme: Theme) -> None:
    banner = ConnectionBanner(theme)
    qtbot.addWidget(banner)
    banner.show()
    state = busy_room()
    banner.set_view(banner_for(state))
    assert not banner.isVisible()
    banner.set_view(banner_for(replace(state, connection=Connection.RECONNECTING)))
    assert banner.isVisible() and banner.progress.isVisible() and not banner.retry.isVisible()
    banner.set_view(banner_for(replace(state, connection=Connection.FAILED, reason="The server went away.")))
    assert banner.retry.isVisible() and not banner.progress.isVisible()
    assert banner.text.text() == "The server went away."
    with qtbot.waitSignal(banner.retry_clicked):
        banner.retry.click()


def test_only_new_reactions_float(qtbot: QtBot, screen: SpaceScreen, engine: FakeEngine) -> None:
    old = (reaction("p_lee", "👏", 1),)
    engine.push(busy_room(HOST_ID, reactions=old))
    qtbot.waitUntil(lambda: screen.controller.state.reactions == old)
    assert screen.overlay.floating == []
    engine.push(busy_room(HOST_ID, reactions=(*old, reaction("p_sam", "🔥", 2))))
    qtbot.waitUntil(lambda: screen.overlay.floating == ["🔥"])


def test_reaction_picker_sends_the_emoji(qtbot: QtBot, screen: SpaceScreen, engine: FakeEngine) -> None:
    engine.push(busy_room("p_lee"))
    qtbot.waitUntil(lambda: screen.controls.react.isVisible())
    screen.controls.picker.buttons["🎉"].click()
    assert engine.called("react") == [("🎉",)]


def test_levels_reach_the_stage(qtbot: QtBot, screen: SpaceScreen, engine: FakeEngine) -> None:
    engine.session = FakeSession({HOST_ID: -20.0})
    screen.start()
    stage = screen.stage
    assert isinstance(stage, StandInStage)
    qtbot.waitUntil(lambda: stage.levels == {HOST_ID: -20.0}, timeout=2000)
    screen.stop()


def test_stage_pin_requests_go_to_the_engine(qtbot: QtBot, screen: SpaceScreen, engine: FakeEngine) -> None:
    stage = screen.stage
    assert isinstance(stage, StandInStage)
    stage.pin_requested.emit("p_ari")
    assert engine.called("pin") == [("p_ari",)]


def test_controls_default() -> None:
    assert Controls().leave


def test_a_host_invites_a_listener_backstage_from_their_menu(
    qtbot: QtBot, screen: SpaceScreen, engine: FakeEngine
) -> None:
    engine.push(busy_room(HOST_ID))
    qtbot.waitUntil(lambda: screen.people.row("listeners", "p_lee") is not None)
    row = screen.people.row("listeners", "p_lee")
    assert row is not None and Action.INVITE_BACKSTAGE in row.menu
    row.menu_actions[Action.INVITE_BACKSTAGE].trigger()  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: bool(engine.called("invite_backstage")))
    assert engine.called("invite_backstage") == [("p_lee",)]

"""The show: scene bar and hotkeys, the directed program on the stage, green room, director panel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from spaces_desktop.domain import CameraSource, Role
from spaces_desktop.domain.director import DirectorNote, ReasonKind
from spaces_desktop.domain.scenes import Scene, SceneKind
from spaces_desktop.domain.state import SessionState
from spaces_desktop.media.readiness import MicStats, NetStats, assess
from spaces_desktop.session.frames import FrameBoard
from spaces_desktop.session.local_media import DeviceChoice
from spaces_desktop.ui.qt.bridge import GuiDispatcher
from spaces_desktop.ui.qt.theme import Theme
from spaces_desktop.ui.screens.space_screen import SpaceScreen
from spaces_desktop.ui.stage.view import StageView
from spaces_desktop.ui.viewmodels.director_text import explain
from spaces_desktop.ui.viewmodels.session_controller import SessionController
from spaces_desktop.ui.widgets.director_panel import director_for
from tests.gui.conftest import HOST_ID, FakeEngine, busy_room, member
from tests.gui.test_stage import dark_palette, put_from_thread, settle, synthetic_frame

Shot = Callable[[QWidget, str], Path]


@pytest.fixture
def controller(qapp: QApplication, engine: FakeEngine) -> SessionController:
    c = SessionController(engine, GuiDispatcher())
    c.devices = DeviceChoice(second_camera="synthetic")
    return c


def _screen(qtbot: QtBot, theme: Theme, controller: SessionController, engine: FakeEngine) -> SpaceScreen:
    stage = StageView(engine.frames)
    stage.setPalette(dark_palette())
    engine.frames.on_frame = stage.frame_ready
    screen = SpaceScreen(theme, controller, stage)
    qtbot.addWidget(screen)
    screen.resize(1280, 760)
    screen.show()
    qtbot.waitExposed(screen)
    return screen


def _press(qtbot: QtBot, screen: QWidget, key: Qt.Key) -> None:
    QApplication.processEvents()  # the previous command's outcome arrives: it is no longer pending
    screen.activateWindow()
    qtbot.keyClick(screen, key)
    QApplication.processEvents()


def _feed(board: FrameBoard, keys: list[tuple[str, CameraSource]]) -> None:
    put_from_thread(board, {k: synthetic_frame(320, 180, seed=i) for i, k in enumerate(keys)})


def _with_guest(state: SessionState, backstage: bool = True) -> SessionState:
    guest = member("p_gia", "Gia Guest", Role.SPEAKER, camera_on=True, backstage=backstage)
    return replace(state, members=MappingProxyType({**state.members, guest.id: guest}))


def _show(qtbot: QtBot, controller: SessionController, state: SessionState) -> None:
    controller.engine.on_state(state)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: controller.state is state or controller.state == state, timeout=2000)
    QApplication.processEvents()


def test_scene_bar_and_hotkeys_direct_the_program(
    qtbot: QtBot, theme: Theme, engine: FakeEngine, controller: SessionController, shot: Shot
) -> None:
    screen = _screen(qtbot, theme, controller, engine)
    state = busy_room(HOST_ID)
    _show(qtbot, controller, state)
    bar = screen.show_desk.scene_bar
    assert bar.isVisible()
    qtbot.mouseClick(bar.buttons[SceneKind.GRID], Qt.MouseButton.LeftButton)
    assert engine.called("set_scene")[-1] == (SceneKind.GRID, None)
    _press(qtbot, screen, Qt.Key.Key_4)
    assert engine.called("set_scene")[-1] == (SceneKind.PRODUCT_PIP, None)
    _press(qtbot, screen, Qt.Key.Key_2)  # a person scene holds whoever is on our big tile
    assert engine.called("set_scene")[-1] == (SceneKind.PERSON, HOST_ID)

    # The backend's scene event arrives: the stage shows it, the bar says what is on air.
    _feed(
        engine.frames,
        [("p_ari", CameraSource.MAIN), ("p_ari", CameraSource.SECOND), (HOST_ID, CameraSource.MAIN)],
    )
    directed = replace(state, scene=Scene(SceneKind.PRODUCT_PIP, "p_ari", HOST_ID))
    _show(qtbot, controller, directed)
    stage = screen.stage
    assert isinstance(stage, StageView)
    qtbot.waitUntil(
        lambda: stage.program().layout == "pip" and stage.arrangement().mode == "pip", timeout=3000
    )
    assert stage.program().featured == "p_ari" and stage.program().directed
    assert bar.buttons[SceneKind.PRODUCT_PIP].isChecked()
    assert "Product + speaker · Ari Product" in bar.on_air.text()
    settle(qtbot, stage)
    qtbot.waitUntil(lambda: not stage._fade.running, timeout=2000)
    shot(screen, "scene-bar")


def test_listener_follows_the_program_pins_and_returns_with_zero(
    qtbot: QtBot, theme: Theme, engine: FakeEngine, controller: SessionController
) -> None:
    screen = _screen(qtbot, theme, controller, engine)
    state = replace(busy_room("p_lee"), scene=Scene(SceneKind.GRID, None, HOST_ID))
    _show(qtbot, controller, state)
    assert not screen.show_desk.scene_bar.isVisible()  # listeners cannot direct
    stage = screen.stage
    assert isinstance(stage, StageView)
    qtbot.waitUntil(lambda: stage.arrangement().mode == "grid")
    _press(qtbot, screen, Qt.Key.Key_6)
    assert engine.called("set_scene") == []
    _show(qtbot, controller, replace(state, pinned="p_sam", stage="p_sam"))  # the viewer's own pin
    qtbot.waitUntil(lambda: stage.arrangement().mode == "speaker" and not stage.program().directed)
    assert stage.program().featured == "p_sam"
    _press(qtbot, screen, Qt.Key.Key_0)
    assert engine.called("pin")[-1] == (None,)


def test_product_cut_shows_the_product_camera_alone_and_cross_fades(
    qtbot: QtBot, theme: Theme, engine: FakeEngine, controller: SessionController
) -> None:
    screen = _screen(qtbot, theme, controller, engine)
    state = busy_room("p_lee")
    _feed(engine.frames, [("p_ari", CameraSource.MAIN), ("p_ari", CameraSource.SECOND)])
    _show(qtbot, controller, state)
    stage = screen.stage
    assert isinstance(stage, StageView)
    qtbot.waitUntil(lambda: ("p_ari", CameraSource.SECOND) in stage.tiles())
    _show(qtbot, controller, replace(state, scene=Scene(SceneKind.PRODUCT, "p_ari", HOST_ID)))
    assert stage._fade.running  # the cut cross-fades
    qtbot.waitUntil(lambda: stage.arrangement().mode == "product")
    assert list(stage.arrangement().rects) == [("p_ari", CameraSource.SECOND)]
    qtbot.waitUntil(lambda: not stage.tiles()[(HOST_ID, CameraSource.MAIN)].isVisible())
    qtbot.waitUntil(lambda: not stage._fade.running, timeout=2000)


def test_host_sees_backstage_guest_and_brings_them_on_stage(
    qtbot: QtBot, theme: Theme, engine: FakeEngine, controller: SessionController
) -> None:
    screen = _screen(qtbot, theme, controller, engine)
    _show(qtbot, controller, _with_guest(busy_room(HOST_ID)))
    stage = screen.stage
    assert isinstance(stage, StageView)
    guest_tile = stage.tiles()[("p_gia", CameraSource.MAIN)]
    assert guest_tile.info.label == "Backstage · Gia Guest"
    backstage = screen.show_desk.backstage
    assert backstage.isVisible()
    qtbot.mouseClick(backstage.buttons["p_gia"], Qt.MouseButton.LeftButton)
    assert engine.called("bring_on_stage") == [("p_gia",)]
    # "What the audience sees": no backstage tile.
    screen.show_desk.scene_bar.audience.setChecked(True)
    assert ("p_gia", CameraSource.MAIN) not in stage.tiles()
    screen.show_desk.scene_bar.audience.setChecked(False)
    # A listener never has a backstage tile, even when told about the guest.
    _show(qtbot, controller, _with_guest(busy_room("p_lee")))
    assert ("p_gia", CameraSource.MAIN) not in stage.tiles()
    assert not backstage.isVisible()


def test_green_room_says_what_is_wrong_in_plain_words(
    qtbot: QtBot, theme: Theme, engine: FakeEngine, controller: SessionController, shot: Shot
) -> None:
    engine.readiness_answer = assess(
        camera=True,
        mic=MicStats(loud_dbov=-3.0, clipped=0.02, frames=150),
        muted=False,
        echo_problem="echo cancellation is not available on this computer",
        net=NetStats(rtt_ms=420.0, loss=0.08, uplink_kbps=900.0),
    )
    screen = _screen(qtbot, theme, controller, engine)
    _show(qtbot, controller, _with_guest(busy_room("p_gia"), backstage=True))
    room = screen.show_desk.green_room
    assert room.isVisible()
    qtbot.waitUntil(lambda: len(room.texts()) == 4, timeout=3000)
    words = "\n".join(room.texts())
    assert "too loud and distorts" in words
    assert "Use headphones" in words
    assert "8% of what you send is lost" in words and "420 ms" in words
    assert room.verdict.text() == "Check before you go live: microphone, echo, network."
    shot(screen, "green-room")
    # Brought on stage: the green room goes away.
    _show(qtbot, controller, _with_guest(busy_room("p_gia"), backstage=False))
    assert not room.isVisible()


def test_director_panel_explains_and_tunes_live(
    qtbot: QtBot, theme: Theme, engine: FakeEngine, controller: SessionController, shot: Shot
) -> None:
    screen = _screen(qtbot, theme, controller, engine)
    notes = (
        DirectorNote(3.2, ReasonKind.FLOOR_FREE, "p_co", HOST_ID, speech_s=0.6, silence_s=0.0, needed_s=0.16),
        DirectorNote(5.0, ReasonKind.HELD, "p_sam", "p_co", speech_s=0.3, needed_s=0.3),
        DirectorNote(7.5, ReasonKind.TOO_SHORT, "p_ari", "p_co", speech_s=0.1, needed_s=0.16),
        DirectorNote(9.1, ReasonKind.TAKEOVER, "p_ari", "p_co", speech_s=2.4, needed_s=0.3),
    )
    state = replace(busy_room(HOST_ID), director_log=notes)
    _show(qtbot, controller, state)
    bar = screen.show_desk.scene_bar
    panel = screen.show_desk.director
    assert not panel.isVisible()
    bar.director.setChecked(True)
    assert panel.isVisible()
    lines = panel.lines()
    assert lines[0].endswith("Ari Product took over from Chris Cohost: kept talking over them")
    assert lines[-1].endswith("Chris Cohost spoke 0.6 s over a free floor")
    assert any(line.endswith("Held: Sam Speaker's backchannel was 0.3 s") for line in lines)
    panel.slider.setValue(100)  # quick: the engine gets it at once, and the panel says so
    quick = engine.director
    assert (
        quick is not None
        and quick.onset_s == pytest.approx(0.08)
        and quick.floor_release_s == pytest.approx(0.25)
    )
    assert "0.08 s of speech" in panel.thresholds.text()
    panel.slider.setValue(50)
    assert engine.director == director_for(50)
    shot(screen, "director-panel")


def test_explain_words() -> None:
    names = {"a": "Ava", "b": "Ben"}
    assert explain(DirectorNote(0, ReasonKind.FLOOR_FREE, "a", None, speech_s=0.6), names) == (
        "Ava spoke 0.6 s over a free floor"
    )
    assert explain(DirectorNote(0, ReasonKind.HELD, "b", "a", speech_s=0.3), names) == (
        "Held: Ben's backchannel was 0.3 s"
    )
    long_hold = explain(DirectorNote(0, ReasonKind.HELD, "b", "a", speech_s=2.0), names)
    assert long_hold == "Held: Ben talked 2.0 s but did not out-talk Ava"
    assert explain(DirectorNote(0, ReasonKind.TOO_SHORT, "x", None, speech_s=0.1, needed_s=0.16), {}) == (
        "Ignored: Someone's sound was 0.1 s, under 0.2 s"
    )

"""The stage widget: tiles from state, the big tile, pinning, layouts, looks (offscreen Qt)."""

from __future__ import annotations

import colorsys
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import av
import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QContextMenuEvent, QPalette
from PySide6.QtWidgets import QApplication, QMenu
from pytestqt.qtbot import QtBot

from spaces_desktop.domain import CameraSource, Role, SpaceStatus
from spaces_desktop.domain.state import Connection, Member, SessionState, SpaceInfo
from spaces_desktop.session.frames import FrameBoard, TileKey
from spaces_desktop.ui.stage import StageView
from spaces_desktop.ui.stage.tile import TileWidget

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
MAIN, SECOND = CameraSource.MAIN, CameraSource.SECOND
HOST = "p_host"


# --- helpers shared with test_stage_video.py -----------------------------------------------------


def state(
    *members: Member, stage: str | None = HOST, pinned: str | None = None, video: bool = True
) -> SessionState:
    return SessionState(
        connection=Connection.LIVE,
        space=SpaceInfo("S1", "Launch day", video, SpaceStatus.LIVE, HOST, "http://127.0.0.1/s/S1"),
        me=HOST,
        members=MappingProxyType({m.id: m for m in members}),
        stage=stage,
        pinned=pinned,
    )


def room(**overrides: Any) -> list[Member]:
    """A host and a co-host on camera, a muted speaker without camera, a speaker with a product camera."""
    people = [
        Member("p_sam", "Sam Speaker", Role.SPEAKER, muted=True),
        Member(HOST, "Dana Host", Role.HOST, camera_on=True),
        Member("p_lee", "Lee Listener", Role.LISTENER),
        Member("p_ari", "Ari Product", Role.SPEAKER, camera_on=True, second_camera_on=True),
        Member("p_co", "Chris Cohost", Role.COHOST, camera_on=True),
    ]
    return [Member(**{**m.__dict__, **overrides.get(m.id, {})}) for m in people]


def synthetic_frame(width: int, height: int, seed: int, t: int = 0) -> av.VideoFrame:
    """A camera-like picture (backdrop, head and shoulders, a moving light band) as yuv420p."""
    hue = (seed * 0.137) % 1.0
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    back = np.array(colorsys.hsv_to_rgb(hue, 0.35, 0.55), dtype=np.float32) * 255
    rgb = np.empty((height, width, 3), dtype=np.float32)
    shade = 0.65 + 0.35 * (1 - yy / height)
    rgb[:] = back * shade[..., None]
    shirt = np.array(colorsys.hsv_to_rgb((hue + 0.5) % 1.0, 0.45, 0.45), dtype=np.float32) * 255
    body = ((xx - width / 2) / (width * 0.24)) ** 2 + ((yy - height * 1.02) / (height * 0.42)) ** 2 < 1
    rgb[body] = shirt
    head = ((xx - width / 2) / (height * 0.16)) ** 2 + ((yy - height * 0.45) / (height * 0.2)) ** 2 < 1
    rgb[head] = (224, 182, 150)
    band = np.abs(xx - (t * width / 40) % width) < width * 0.02
    rgb[band] = np.minimum(rgb[band] + 40, 255)
    frame = av.VideoFrame.from_ndarray(rgb.astype(np.uint8), format="rgb24")
    return frame.reformat(format="yuv420p")


def put_from_thread(board: FrameBoard, items: dict[TileKey, av.VideoFrame]) -> None:
    """Put frames the way the engine does: from a thread other than the GUI's."""
    thread = threading.Thread(target=lambda: [board.put(k, f) for k, f in items.items()], name="fake-engine")
    thread.start()
    thread.join()


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, color in [
        (QPalette.ColorRole.Window, "#15181d"),
        (QPalette.ColorRole.WindowText, "#e7e9ea"),
        (QPalette.ColorRole.Base, "#11141a"),
        (QPalette.ColorRole.Text, "#e7e9ea"),
        (QPalette.ColorRole.Highlight, "#1d9bf0"),
    ]:
        palette.setColor(role, QColor(color))
    return palette


def light_palette() -> QPalette:
    palette = QPalette()
    for role, color in [
        (QPalette.ColorRole.Window, "#f7f9f9"),
        (QPalette.ColorRole.WindowText, "#0f1419"),
        (QPalette.ColorRole.Base, "#ffffff"),
        (QPalette.ColorRole.Text, "#0f1419"),
        (QPalette.ColorRole.Highlight, "#1d9bf0"),
    ]:
        palette.setColor(role, QColor(color))
    return palette


def make_view(qtbot: QtBot, board: FrameBoard, width: int = 1100, height: int = 640) -> StageView:
    view = StageView(board)
    view.setPalette(dark_palette())
    board.on_frame = view.frame_ready
    qtbot.addWidget(view)
    view.resize(width, height)
    view.show()
    qtbot.waitExposed(view)
    return view


def settle(qtbot: QtBot, view: StageView) -> None:
    """Wait until tiles have reached their places."""
    qtbot.waitUntil(lambda: all(t.geometry() == view_geometry(view, k) for k, t in view.tiles().items()))


def view_geometry(view: StageView, key: TileKey) -> Any:
    return view._geometry(key)


def area(tile: TileWidget) -> int:
    return tile.width() * tile.height()


def shot(widget: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    QApplication.processEvents()
    path = SCREENSHOTS / f"{name}.png"
    assert widget.grab().save(str(path))
    return path


@pytest.fixture
def board() -> FrameBoard:
    return FrameBoard()


@pytest.fixture
def view(qtbot: QtBot, board: FrameBoard) -> Iterator[StageView]:
    view = make_view(qtbot, board)
    yield view
    view.shutdown()


def feed_cameras(board: FrameBoard, view: StageView, qtbot: QtBot, keys: list[TileKey]) -> None:
    put_from_thread(board, {k: synthetic_frame(640, 360, i + 1) for i, k in enumerate(keys)})


# --- tiles from state ----------------------------------------------------------------------------


def test_everyone_on_stage_gets_a_tile_in_stage_order(view: StageView) -> None:
    view.set_state(state(*room()))
    assert list(view.tiles()) == [(HOST, MAIN), ("p_co", MAIN), ("p_sam", MAIN), ("p_ari", MAIN)]
    infos = {k[0]: t.info for k, t in view.tiles().items()}
    assert infos[HOST].label == "Dana Host" and infos[HOST].initials == "DH"
    assert [i.role for i in infos.values()] == [Role.HOST, Role.COHOST, Role.SPEAKER, Role.SPEAKER]
    assert infos["p_sam"].muted and not infos[HOST].muted
    assert "muted" in view.tiles()[("p_sam", MAIN)].accessibleName()
    assert "Co-host" in view.tiles()[("p_co", MAIN)].accessibleName()


def test_tiles_without_frames_show_avatars_and_video_once_frames_arrive(
    qtbot: QtBot, view: StageView, board: FrameBoard
) -> None:
    view.set_state(state(*room()))
    assert not any(t.shows_video for t in view.tiles().values())
    put_from_thread(
        board, {(HOST, MAIN): synthetic_frame(640, 360, 1), ("p_sam", MAIN): synthetic_frame(640, 360, 2)}
    )
    qtbot.waitUntil(lambda: view.tiles()[(HOST, MAIN)].shows_video)
    assert not view.tiles()[("p_sam", MAIN)].shows_video, "camera off: the avatar stays even if frames exist"
    assert not view.tiles()[("p_co", MAIN)].shows_video, "camera on but no frame yet: avatar"


def test_camera_turned_off_goes_back_to_the_avatar(qtbot: QtBot, view: StageView, board: FrameBoard) -> None:
    view.set_state(state(*room()))
    put_from_thread(board, {(HOST, MAIN): synthetic_frame(320, 180, 1)})
    qtbot.waitUntil(lambda: view.tiles()[(HOST, MAIN)].shows_video)
    view.set_state(state(*room(p_host={"camera_on": False})))
    assert not view.tiles()[(HOST, MAIN)].shows_video


def test_audio_only_space_shows_avatars(qtbot: QtBot, view: StageView, board: FrameBoard) -> None:
    put_from_thread(board, {(HOST, MAIN): synthetic_frame(320, 180, 1)})
    view.set_state(state(*room(), video=False))
    qtbot.wait(50)
    assert not any(t.shows_video for t in view.tiles().values())


def test_listeners_and_empty_stage(view: StageView) -> None:
    view.set_state(state(Member("p_lee", "Lee Listener", Role.LISTENER)))
    assert view.tiles() == {}
    view.set_state(state(*room()))
    view.set_state(state(*room(p_ari={"role": Role.LISTENER})))
    assert ("p_ari", MAIN) not in view.tiles()


# --- the big tile --------------------------------------------------------------------------------


def test_stage_participant_is_largest_and_follows_state_stage(qtbot: QtBot, view: StageView) -> None:
    view.set_state(state(*room(), stage="p_co"))
    settle(qtbot, view)
    tiles = view.tiles()
    assert max(tiles.values(), key=area) is tiles[("p_co", MAIN)]
    assert all(area(tiles[("p_co", MAIN)]) > 4 * area(t) for k, t in tiles.items() if k != ("p_co", MAIN))
    view.set_state(state(*room(), stage="p_sam"))
    assert view.tiles()[("p_co", MAIN)].moving, "the switch animates"
    settle(qtbot, view)
    assert max(view.tiles().values(), key=area) is view.tiles()[("p_sam", MAIN)]
    strip = [t for k, t in view.tiles().items() if k != ("p_sam", MAIN)]
    assert all(t.y() > view.tiles()[("p_sam", MAIN)].geometry().bottom() for t in strip), "strip below"


def test_nobody_chosen_yet_puts_the_host_on_the_big_tile(qtbot: QtBot, view: StageView) -> None:
    view.set_state(state(*room(), stage=None))
    settle(qtbot, view)
    assert max(view.tiles().values(), key=area) is view.tiles()[(HOST, MAIN)]


def test_pin_overrides_the_stage_and_shows_a_pin(qtbot: QtBot, view: StageView) -> None:
    view.set_state(state(*room(), stage="p_co", pinned="p_sam"))
    settle(qtbot, view)
    assert max(view.tiles().values(), key=area) is view.tiles()[("p_sam", MAIN)]
    assert view.tiles()[("p_sam", MAIN)].info.pinned
    assert not view.tiles()[("p_co", MAIN)].info.pinned
    assert "pinned" in view.tiles()[("p_sam", MAIN)].accessibleName()


def test_wide_stage_puts_the_strip_at_the_side(qtbot: QtBot, board: FrameBoard) -> None:
    view = make_view(qtbot, board, 1500, 560)
    view.set_state(state(*room()))
    settle(qtbot, view)
    big = view.tiles()[(HOST, MAIN)]
    assert all(t.x() > big.geometry().right() for k, t in view.tiles().items() if t is not big)
    view.shutdown()


def test_grid_mode_gives_equal_tiles(qtbot: QtBot, view: StageView) -> None:
    view.set_state(state(*room()))
    view.set_layout_mode("grid")
    settle(qtbot, view)
    sizes = {t.size().toTuple() for t in view.tiles().values()}
    assert len(sizes) == 1
    view.set_layout_mode("nonsense")
    assert view.layout_mode() == "speaker"


def test_tiles_do_not_overlap(qtbot: QtBot, view: StageView) -> None:
    view.set_state(state(*room()))
    for mode in ("speaker", "grid"):
        view.set_layout_mode(mode)
        settle(qtbot, view)
        rects = [r for r in view.arrangement().rects.values()]
        for i, a in enumerate(rects):
            assert view.rect().contains(a)
            for b in rects[i + 1 :]:
                assert not a.intersects(b), (mode, a, b)


# --- pinning -------------------------------------------------------------------------------------


def test_double_click_pins_and_unpins(qtbot: QtBot, view: StageView) -> None:
    view.set_state(state(*room()))
    settle(qtbot, view)
    tile = view.tiles()[("p_co", MAIN)]
    with qtbot.waitSignal(view.pin_requested) as signal:
        qtbot.mouseDClick(tile, Qt.MouseButton.LeftButton, pos=tile.rect().center())
    assert signal.args == ["p_co"]
    view.set_state(state(*room(), pinned="p_co"))
    settle(qtbot, view)
    tile = view.tiles()[("p_co", MAIN)]
    with qtbot.waitSignal(view.pin_requested) as signal:
        qtbot.mouseDClick(tile, Qt.MouseButton.LeftButton, pos=tile.rect().center())
    assert signal.args == [None]


def test_context_menu_offers_pin_then_unpin(qtbot: QtBot, view: StageView) -> None:
    view.set_state(state(*room()))
    menu = view.tile_menu("p_sam")
    assert [a.text() for a in menu.actions()] == ["Pin"]
    with qtbot.waitSignal(view.pin_requested) as signal:
        menu.actions()[0].trigger()
    assert signal.args == ["p_sam"]
    view.set_state(state(*room(), pinned="p_sam"))
    menu = view.tile_menu("p_sam")
    assert [a.text() for a in menu.actions()] == ["Unpin"]
    with qtbot.waitSignal(view.pin_requested) as signal:
        menu.actions()[0].trigger()
    assert signal.args == [None]


def test_right_click_opens_the_menu_of_that_tile(qtbot: QtBot, view: StageView) -> None:
    view.set_state(state(*room()))
    settle(qtbot, view)
    tile = view.tiles()[("p_ari", MAIN)]
    event = QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, QPoint(10, 10), tile.mapToGlobal(QPoint(10, 10))
    )
    QApplication.sendEvent(tile, event)
    menu = QApplication.activePopupWidget()
    assert isinstance(menu, QMenu)
    with qtbot.waitSignal(view.pin_requested) as signal:
        menu.actions()[0].trigger()
    assert signal.args == ["p_ari"]
    menu.close()


# --- second camera -------------------------------------------------------------------------------


def test_second_camera_gets_its_own_tile_when_frames_arrive(
    qtbot: QtBot, view: StageView, board: FrameBoard
) -> None:
    view.set_state(state(*room()))
    assert ("p_ari", SECOND) not in view.tiles()
    put_from_thread(board, {("p_ari", SECOND): synthetic_frame(640, 360, 9)})
    qtbot.waitUntil(lambda: ("p_ari", SECOND) in view.tiles())
    keys = list(view.tiles())
    assert keys.index(("p_ari", SECOND)) == keys.index(("p_ari", MAIN)) + 1
    tile = view.tiles()[("p_ari", SECOND)]
    assert tile.info.label == "Ari Product · product camera"
    assert tile.info.product
    qtbot.waitUntil(lambda: tile.shows_video)
    view.set_state(state(*room(p_ari={"second_camera_on": False})))
    assert ("p_ari", SECOND) not in view.tiles()


@pytest.mark.parametrize("mode", ["side_by_side", "pip"])
def test_product_layouts_feature_the_product_camera(
    qtbot: QtBot, view: StageView, board: FrameBoard, mode: str
) -> None:
    put_from_thread(board, {("p_ari", SECOND): synthetic_frame(640, 360, 9)})
    view.set_state(state(*room(), stage="p_ari"))
    view.set_layout_mode(mode)
    settle(qtbot, view)
    main, product = view.tiles()[("p_ari", MAIN)], view.tiles()[("p_ari", SECOND)]
    others = [t for k, t in view.tiles().items() if k[0] != "p_ari"]
    assert view.arrangement().mode == mode
    if mode == "side_by_side":
        assert main.size() == product.size()
        assert all(area(main) > 2 * area(t) for t in others)
    else:
        assert all(area(product) > 2 * area(t) for t in [*others, main])
        assert product.geometry().contains(main.geometry().center()), "picture in picture"
    view.set_state(state(*room(), stage=HOST))
    settle(qtbot, view)
    assert view.arrangement().mode == "speaker", "no product camera on the big tile: plain speaker layout"


# --- speaking ring ------------------------------------------------------------------------------


def test_speaking_ring_follows_levels_smoothly(qtbot: QtBot, view: StageView) -> None:
    view.set_state(state(*room()))
    tile = view.tiles()[("p_co", MAIN)]
    view.set_levels({"p_co": -18.0, HOST: -90.0})
    qtbot.waitUntil(lambda: tile.ring > 0.95, timeout=1000)
    assert view.tiles()[(HOST, MAIN)].ring == 0.0
    view.set_levels({"p_co": -90.0})
    qtbot.wait(100)
    assert 0.1 < tile.ring < 0.95, "fades out instead of snapping off"
    qtbot.waitUntil(lambda: tile.ring == 0.0, timeout=3000)
    assert not view._ring_timer.isActive(), "no timer runs while nobody speaks"


# --- looks ---------------------------------------------------------------------------------------


def test_screenshots(qtbot: QtBot, board: FrameBoard) -> None:
    """Speaker layout with avatars and video, grid, pinned, product layouts, wide and light themes."""
    people = [
        *room(),
        Member("p_kim", "Kim Longname-Ferreira de Souza", Role.SPEAKER),
        Member("p_jo", "Jo", Role.SPEAKER, camera_on=True, muted=True),
    ]
    frames = {
        (HOST, MAIN): synthetic_frame(1280, 720, 1),
        ("p_co", MAIN): synthetic_frame(640, 360, 2),
        ("p_ari", MAIN): synthetic_frame(640, 360, 3),
        ("p_ari", SECOND): synthetic_frame(1280, 720, 4),
        ("p_jo", MAIN): synthetic_frame(640, 360, 5),
    }
    view = make_view(qtbot, board, 1100, 640)
    put_from_thread(board, frames)
    view.set_state(state(*people))
    view.set_levels({HOST: -22.0, "p_sam": -35.0})
    settle(qtbot, view)

    def all_video() -> bool:
        return all(t.shows_video for t in view.tiles().values() if t.info.video)

    def capture(name: str) -> Path:
        put_from_thread(board, frames)  # keep them fresh
        settle(qtbot, view)
        qtbot.waitUntil(all_video)
        qtbot.wait(350)  # rings settle
        return shot(view, name)

    paths = [capture("stage_speaker")]
    view.set_layout_mode("grid")
    paths.append(capture("stage_grid"))
    view.set_layout_mode("speaker")
    view.set_state(state(*people, pinned="p_sam"))
    paths.append(capture("stage_pinned"))
    view.set_state(state(*people, stage="p_ari"))
    view.set_layout_mode("side_by_side")
    paths.append(capture("stage_side_by_side"))
    view.set_layout_mode("pip")
    paths.append(capture("stage_pip"))
    view.set_layout_mode("speaker")
    view.setPalette(light_palette())
    view.set_state(state(*people))
    paths.append(capture("stage_light"))
    view.resize(1500, 600)
    paths.append(capture("stage_wide"))
    view.set_state(state(Member("p_lee", "Lee Listener", Role.LISTENER)))
    paths.append(capture("stage_empty"))
    view.shutdown()
    assert all(p.stat().st_size > 1000 for p in paths)


def test_tiles_show_each_remote_participants_network_quality(qtbot: QtBot, view: StageView) -> None:
    base = state(*room())
    view.set_state(replace(base, quality=MappingProxyType({"p_co": "good", "p_sam": "poor", HOST: "good"})))
    tiles = view.tiles()
    assert tiles[("p_co", MAIN)].info.quality == "good"
    assert tiles[("p_sam", MAIN)].info.quality == "poor"
    assert tiles[(HOST, MAIN)].info.quality is None  # our own tile has no network to rate
    assert tiles[("p_ari", MAIN)].info.quality is None  # not measured yet
    assert "poor connection" in tiles[("p_sam", MAIN)].accessibleName()
    settle(qtbot, view)
    shot(view, "stage_quality")


def test_a_frozen_video_says_so_instead_of_showing_a_still_picture(
    qtbot: QtBot, view: StageView, board: FrameBoard
) -> None:
    base = state(*room())
    view.set_state(base)
    feed_cameras(board, view, qtbot, [("p_co", MAIN), ("p_ari", MAIN)])
    view.set_state(replace(base, quality=MappingProxyType({"p_co": "fair"})))
    qtbot.waitUntil(lambda: view.tiles()[("p_co", MAIN)].info.video)
    view.set_state(replace(base, paused_video=frozenset({("p_co", MAIN)})))
    tiles = view.tiles()
    assert tiles[("p_co", MAIN)].info.paused and not tiles[("p_co", MAIN)].info.video
    assert "Video paused — reconnecting…" in tiles[("p_co", MAIN)].accessibleName()
    assert tiles[("p_ari", MAIN)].info.video and not tiles[("p_ari", MAIN)].info.paused
    settle(qtbot, view)
    shot(view, "stage_video_paused")
    view.set_state(base)
    assert view.tiles()[("p_co", MAIN)].info.video

"""What painting costs: opaque tiles, decorations rendered once, conversion at tile size, none unseen."""

from __future__ import annotations

import av
import numpy as np
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from spaces_desktop.bench.painted import STAGE_SIZE, painted_frame_id
from spaces_desktop.devices.convert import bgr_to_yuv420p
from spaces_desktop.devices.frame_id import embed_frame_id
from spaces_desktop.domain import CameraSource, Role
from spaces_desktop.domain.state import Member
from spaces_desktop.session.frames import FrameBoard
from spaces_desktop.ui.stage.converter import Picture
from spaces_desktop.ui.stage.tile import TileWidget
from tests.gui.test_stage import HOST, make_view, put_from_thread, room, settle, state, synthetic_frame

MAIN = CameraSource.MAIN


def test_tiles_paint_opaque_except_a_picture_in_picture(qtbot: QtBot) -> None:
    board = FrameBoard()
    view = make_view(qtbot, board)
    view.set_state(state(*room()))
    settle(qtbot, view)
    tiles = view.tiles()
    assert tiles and all(t.testAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent) for t in tiles.values())
    # Every pixel of an opaque tile is painted by the tile itself: the margin shows the backdrop.
    tile = tiles[(HOST, MAIN)]
    image = tile.grab().toImage()
    assert image.pixelColor(1, 1).rgb() == tile.colors.background.rgb()
    view.set_layout_mode("pip")
    put_from_thread(board, {("p_ari", MAIN): synthetic_frame(640, 360, 1)})
    put_from_thread(board, {("p_ari", CameraSource.SECOND): synthetic_frame(640, 360, 2)})
    view.set_state(state(*room(), stage="p_ari"))
    qtbot.waitUntil(lambda: view.arrangement().raised == [("p_ari", MAIN)], timeout=3000)
    raised = view.tiles()[("p_ari", MAIN)]
    assert not raised.testAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent), "its margin shows the tile below"
    view.shutdown()


def test_decorations_render_once_over_a_hundred_frames(qtbot: QtBot) -> None:
    board = FrameBoard()
    view = make_view(qtbot, board)
    people = room(p_co={"muted": True})
    view.set_state(state(*people, pinned="p_co"))
    frames = [synthetic_frame(640, 360, 1, t) for t in range(4)]
    put_from_thread(board, {("p_co", MAIN): frames[0]})
    tile = view.tiles()[("p_co", MAIN)]
    qtbot.waitUntil(lambda: tile.painted_seq >= 1, timeout=3000)
    settle(qtbot, view)
    qtbot.waitUntil(lambda: not tile.moving)
    before, painted = tile.decoration_renders, tile.painted_seq
    assert before > 0
    for i in range(100):
        board.put(("p_co", MAIN), frames[i % 4])
        qtbot.waitUntil(lambda p=painted: tile.painted_seq > p, timeout=2000)  # type: ignore[misc]
        painted = tile.painted_seq
    assert tile.painted_seq >= 101
    assert tile.decoration_renders == before, "name chip, badge, pin and chrome are cached"
    view.set_state(state(*room(), pinned="p_co"))  # unmuted: the chip changes, once
    qtbot.waitUntil(lambda: tile.decoration_renders > before, timeout=2000)
    view.shutdown()


def test_conversion_is_at_the_tiles_size_in_device_pixels(qtbot: QtBot) -> None:
    board = FrameBoard()
    view = make_view(qtbot, board, 1100, 640)
    view.set_state(state(*room()))
    settle(qtbot, view)
    put_from_thread(
        board, {(HOST, MAIN): synthetic_frame(1280, 720, 1), ("p_co", MAIN): synthetic_frame(1280, 720, 2)}
    )
    for key in ((HOST, MAIN), ("p_co", MAIN)):
        tile = view.tiles()[key]
        qtbot.waitUntil(lambda t=tile: t.painted_seq >= 1, timeout=3000)
        picture = view._converter.picture(key)
        assert picture is not None
        target = tile.video_target(tile.size(), tile.devicePixelRatioF())
        assert picture.target == target
        # Cover: the tile's size on one side (rounded to even), overhanging on the other.
        assert picture.width >= target.width and picture.height >= target.height
        assert min(picture.width - target.width, picture.height - target.height) <= 1
        assert picture.width < 1280 or key == (HOST, MAIN)
    strip = view.tiles()[("p_co", MAIN)]
    assert view._converter.picture(("p_co", MAIN)).width <= strip.width()  # type: ignore[union-attr]
    view.shutdown()


def test_tiles_that_are_not_painted_are_not_converted(qtbot: QtBot) -> None:
    board = FrameBoard()
    view = make_view(qtbot, board)
    view.set_state(state(*room()))
    settle(qtbot, view)
    key = (HOST, MAIN)
    put_from_thread(board, {key: synthetic_frame(640, 360, 1)})
    tile = view.tiles()[key]
    qtbot.waitUntil(lambda: tile.painted_seq == 1, timeout=2000)
    converter = view._converter
    # A tile Qt does not paint (covered, minimised window) holds one picture and converts no more.
    tile.setUpdatesEnabled(False)
    done = converter.conversions
    for t in range(10):
        put_from_thread(board, {key: synthetic_frame(640, 360, 1, t)})
        qtbot.wait(10)
    qtbot.wait(100)
    assert converter.conversions - done <= 1
    tile.setUpdatesEnabled(True)
    qtbot.waitUntil(lambda: tile.painted_seq == 11, timeout=2000)
    # A hidden stage converts nothing at all.
    view.hide()
    done = converter.conversions
    put_from_thread(board, {key: synthetic_frame(640, 360, 1, 3)})
    qtbot.wait(150)
    assert converter.conversions == done
    view.shutdown()


def test_the_painted_frame_id_is_read_back_from_the_backing_store(qtbot: QtBot) -> None:
    board = FrameBoard()
    view = make_view(qtbot, board, *STAGE_SIZE)
    people = [Member(HOST, "Dana Host", Role.HOST), Member("p_cam", "Camera", Role.SPEAKER, camera_on=True)]
    view.set_state(state(*people, pinned="p_cam"))
    read: list[int | None] = []

    def hook(tile: TileWidget, picture: Picture) -> None:
        read.append(painted_frame_id(tile, picture))

    TileWidget.painted_hook = hook
    try:
        for frame_id in (7, 4242):
            image = np.full((720, 1280, 3), 90, dtype=np.uint8)
            embed_frame_id(image, frame_id)
            frame = av.VideoFrame.from_ndarray(bgr_to_yuv420p(image), format="yuv420p")
            put_from_thread(board, {("p_cam", MAIN): frame})
            qtbot.waitUntil(lambda f=frame_id: f in read, timeout=3000)  # type: ignore[misc]
    finally:
        TileWidget.painted_hook = None
    view.shutdown()

"""Stage parts without widgets: layout geometry, ring smoothing, frame conversion, the refcount guard."""

from __future__ import annotations

import sys
import threading
import time

import pytest
from PySide6.QtCore import QRect

from spaces_desktop.domain import CameraSource
from spaces_desktop.session.frames import FrameBoard, TileKey
from spaces_desktop.ui.stage.converter import FrameConverter, Target, output_size
from spaces_desktop.ui.stage.layout import arrange, fit_tiles
from spaces_desktop.ui.stage.levels import RingLevels, intensity
from spaces_desktop.ui.stage.singletons import needed, protect
from tests.gui.test_stage import synthetic_frame

MAIN, SECOND = CameraSource.MAIN, CameraSource.SECOND
AREA = QRect(0, 0, 1000, 600)


def keys(n: int) -> list[TileKey]:
    return [(f"p{i}", MAIN) for i in range(n)]


def overlaps(rects: list[QRect]) -> bool:
    return any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1 :])


@pytest.mark.parametrize("count", [1, 2, 3, 5, 9, 13, 26])
@pytest.mark.parametrize("mode", ["speaker", "grid"])
def test_layouts_fit_without_overlap(mode: str, count: int) -> None:
    result = arrange(mode, keys(count), AREA)
    rects = list(result.rects.values())
    assert len(rects) == count
    assert all(AREA.contains(r) for r in rects)
    assert not overlaps(rects)
    assert all(r.width() > 40 and r.height() > 20 for r in rects)


def test_speaker_layout_enlarges_the_stage_tile_and_falls_back_to_the_first() -> None:
    order = keys(5)
    result = arrange("speaker", order, AREA, stage=order[3])
    sizes = {k: r.width() * r.height() for k, r in result.rects.items()}
    assert max(sizes, key=sizes.__getitem__) == order[3]
    assert arrange("speaker", order, AREA, stage=("nobody", MAIN)).featured == [order[0]]


def test_wide_area_moves_the_strip_to_the_side() -> None:
    order = keys(4)
    result = arrange("speaker", order, QRect(0, 0, 1600, 600), stage=order[0])
    big = result.rects[order[0]]
    assert all(r.left() > big.right() for k, r in result.rects.items() if k != order[0])


def test_product_layouts_need_a_product_camera() -> None:
    order = [("a", MAIN), ("a", SECOND), ("b", MAIN)]
    pip = arrange("pip", order, AREA, stage=("a", MAIN), product=("a", SECOND))
    assert pip.mode == "pip" and pip.raised == [("a", MAIN)]
    assert pip.rects[("a", SECOND)].contains(pip.rects[("a", MAIN)])
    side = arrange("side_by_side", order, AREA, stage=("a", MAIN), product=("a", SECOND))
    assert side.rects[("a", MAIN)].size() == side.rects[("a", SECOND)].size()
    assert arrange("pip", order, AREA, stage=("b", MAIN), product=("b", SECOND)).mode == "speaker"


def test_fit_tiles_centres_the_last_row() -> None:
    rects = fit_tiles(3, QRect(0, 0, 800, 500))
    assert rects[0].top() == rects[1].top() or rects[2].top() > rects[0].top()
    assert abs((rects[-1].center().x()) - 400) <= 200


def test_output_size_covers_or_fits_and_stays_even() -> None:
    w, h = output_size(1280, 720, Target(947, 533))
    assert w >= 947 and h >= 533 and w % 2 == 0 and h % 2 == 0
    w, h = output_size(1280, 720, Target(500, 500, fit=True))
    assert w <= 500 and h <= 500 and w % 2 == 0
    assert output_size(320, 180, Target(3000, 1700)) == (640, 360), "upscaling is capped"


def test_ring_intensity_and_smoothing() -> None:
    assert intensity(-90.0) == 0.0 and intensity(-10.0) == 1.0
    assert intensity(-54.0) == 0.0, "faint noise is gated"
    assert 0.3 < intensity(-35.0) < 0.7
    rings = RingLevels()
    rings.set_levels({"a": -15.0})
    rings.step(0.033)
    first = rings.value("a")
    assert 0.3 < first < 1.0, "rises quickly but not in one jump"
    for _ in range(10):
        rings.step(0.033)
    assert rings.value("a") == 1.0 and rings.settled
    rings.set_levels({})
    rings.step(0.033)
    assert 0.8 < rings.value("a") < 1.0, "fades slowly"
    for _ in range(100):
        rings.step(0.033)
    assert rings.value("a") == 0.0 and rings.settled


def test_converter_converts_only_targets_and_only_the_newest() -> None:
    board = FrameBoard()
    ready = threading.Event()
    converter = FrameConverter(board, ready.set)
    board.on_frame = converter.notify
    key, other = ("a", MAIN), ("b", MAIN)
    try:
        converter.set_targets({key: Target(320, 180)})
        frames = [synthetic_frame(640, 360, 1, t) for t in range(5)]
        for frame in frames:
            board.put(key, frame)
        board.put(other, frames[0])
        deadline = time.monotonic() + 2
        while (p := converter.picture(key)) is None or p.seq != 5:
            assert time.monotonic() < deadline
            time.sleep(0.005)
        assert (p.width, p.height) == (320, 180)
        assert p.stride >= 320 * 4
        assert converter.picture(other) is None and converter.cost_ms(other) is None
        ready_keys, new = converter.drain()
        assert key in ready_keys and {key, other} <= new
    finally:
        converter.stop()
    assert not converter._thread.is_alive()


def test_refcount_guard_acts_only_on_the_affected_release() -> None:
    on_311 = sys.implementation.name == "cpython" and sys.version_info < (3, 12)
    assert needed("6.12.0") is on_311
    assert needed("6.11.3") is False and needed("6.12.1") is False
    if not needed():
        before = sys.getrefcount(None)
        assert protect() is False
        assert sys.getrefcount(None) < before + (1 << 40), "untouched where the release is sound"
    else:
        protect()
        assert sys.getrefcount(None) > 1 << 40
        assert protect() is False, "only once"

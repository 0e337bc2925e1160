"""Overlays through the real backend and Janus: the lower third is in the publisher's decoded video.

The host's engine composites a lower third drawn by the app's own renderer
(Qt, offscreen) into its 720p camera; a listener's engine (aiortc, through
Janus) decodes the video, and the accent bar and the dark panel of the lower
third show up in the decoded pixels where the layer sits, and go when it is
hidden.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtGui import QGuiApplication, QImage

from spaces_desktop.domain import CameraSource
from spaces_desktop.domain.state import SessionState
from spaces_desktop.media.overlays import OverlayLayer
from spaces_desktop.session.engine import Engine
from spaces_desktop.session.local_media import NONE, DeviceChoice
from spaces_desktop.ui.qt.overlay_art import lower_third
from spaces_desktop.ui.qt.theme import DARK
from tests.support.backend import Backend

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
SIZE = (1280, 720)


@pytest.fixture(scope="module")
def qt_app() -> Iterator[QGuiApplication]:
    app = QGuiApplication.instance() or QGuiApplication([])
    assert isinstance(app, QGuiApplication)
    yield app


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_the_lower_third_is_visible_in_the_decoded_pixels_of_the_publishers_video(
    backend: Backend, qt_app: QGuiApplication
) -> None:
    layer = lower_third("Ava Stone", "Founder · @ava", SIZE)
    assert layer is not None
    alpha = layer.rgba[:, :, 3]
    rows, cols = np.nonzero(alpha > 0)
    top, left = layer.y + rows.min(), layer.x + cols.min()
    height = rows.max() - rows.min() + 1
    # The accent bar: the layer's first 8 columns at 720p, inner rows only (VP8 blurs edges).
    bar = (slice(top + 6, top + height - 6), slice(left + 2, left + 6))
    # The panel under the text, right of the bar: dark, whatever the camera shows behind it.
    panel = (slice(top + 4, top + 10), slice(left + 20, left + 200))

    host_states: list[SessionState] = []
    host = Engine(host_states.append, play_audio=False)
    listener = Engine(lambda _: None, play_audio=False)
    try:
        devices = DeviceChoice(
            camera="synthetic", microphone=NONE, label="Ava", width=SIZE[0], height=SIZE[1], fps=15
        )
        host.create_space(backend.url, "Overlays", "Ava", True, devices).result(15)
        host.set_camera(CameraSource.MAIN, True).result(10)
        me = host_states[-1].myself
        space = host_states[-1].space
        assert me is not None and space is not None
        listener.join(
            space.share_link, "Lee", DeviceChoice(camera=NONE, microphone=NONE), "listener-1"
        ).result(15)
        key = (me.id, CameraSource.MAIN)
        _wait(
            lambda: (s := listener.frames.stats().get(key)) is not None and s.frames >= 10,
            20,
            "the host's video",
        )

        def decoded() -> np.ndarray:
            latest = listener.frames.latest(key)
            assert latest is not None
            picture: np.ndarray = latest[1].to_ndarray(format="rgb24")
            assert picture.shape[:2] == (SIZE[1], SIZE[0])
            return picture

        def distance(region: tuple[slice, slice], colour: str) -> float:
            return float(np.abs(decoded()[region].reshape(-1, 3).mean(axis=0) - _rgb(colour)).max())

        before_bar, before_panel = distance(bar, DARK.accent), distance(panel, DARK.surface)
        assert before_bar > 60, "the camera picture alone already looks like the accent bar"

        host.set_overlays(CameraSource.MAIN, [layer]).result(5)
        _wait(lambda: distance(bar, DARK.accent) < 30, 10, "the accent bar in the decoded video")
        time.sleep(0.5)  # slid in fully
        with_bar, with_panel = distance(bar, DARK.accent), distance(panel, DARK.surface)
        print(
            f"accent bar off by {before_bar:.0f} → {with_bar:.0f}; "
            f"panel off by {before_panel:.0f} → {with_panel:.0f}"
        )
        assert with_bar < 30 and with_panel < 30 and with_panel < before_panel
        _save(decoded(), "overlay-decoded-frame")

        assert host.show_overlay(CameraSource.MAIN, layer.key, False).result(5)
        _wait(lambda: distance(bar, DARK.accent) > 60, 10, "the lower third to go")
        assert not host.show_overlay(CameraSource.MAIN, "no such layer", True).result(5)
    finally:
        listener.leave().result(10)
        host.leave().result(10)
        listener.shutdown()
        host.shutdown()


def test_overlays_set_before_a_space_are_kept_for_it(backend: Backend) -> None:
    """Set outside a Space (the panel can be used before going live): the next Space's camera carries them."""
    host = Engine(lambda _: None, play_audio=False)
    try:
        band = np.zeros((40, 200, 4), dtype=np.uint8)
        band[:] = (255, 0, 255, 255)
        host.set_overlays(CameraSource.MAIN, [OverlayLayer("band", band, 10, 10, (640, 360))]).result(5)
        host.create_space(
            backend.url, "Kept", "Ava", True, DeviceChoice(camera="synthetic", microphone=NONE)
        ).result(15)
        session = host.session
        assert session is not None
        assert session.media.overlays[CameraSource.MAIN] is host.overlays[CameraSource.MAIN]
        assert host.overlays[CameraSource.MAIN].visible() == {"band": True}
    finally:
        host.leave().result(10)
        host.shutdown()


def _save(picture: np.ndarray, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    rgb = np.ascontiguousarray(picture)
    image = QImage(rgb.data, rgb.shape[1], rgb.shape[0], 3 * rgb.shape[1], QImage.Format.Format_RGB888)
    assert image.copy().save(str(SCREENSHOTS / f"{name}.png"))

"""Compositing overlays: bounding box, alpha, scaling, animation timing, and the cost per 720p frame."""

from __future__ import annotations

import json
import time

import numpy as np

from spaces_desktop.media.overlays import ANIMATION_S, Compositor, Motion, OverlayLayer, _prepare, ease


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def frame(width: int = 640, height: int = 360, value: int = 100) -> np.ndarray:
    return np.full((height, width, 3), value, dtype=np.uint8)


def solid(
    width: int, height: int, rgb: tuple[int, int, int], alpha: int = 255, margin: int = 0
) -> np.ndarray:
    """An RGBA block with a transparent margin around it."""
    rgba = np.zeros((height + 2 * margin, width + 2 * margin, 4), dtype=np.uint8)
    rgba[margin : margin + height, margin : margin + width] = (*rgb, alpha)
    return rgba


def shown(layer: OverlayLayer, clock: Clock | None = None) -> Compositor:
    compositor = Compositor(duration=0.0) if clock is None else Compositor(clock=clock)
    compositor.set_layers([layer])
    return compositor


def test_only_the_layers_bounding_box_is_touched_and_the_camera_frame_is_never_written() -> None:
    layer = OverlayLayer("lower_third", solid(100, 40, (255, 0, 0), margin=30), 50, 200, (640, 360))
    prepared = _prepare(layer, 640, 360)
    assert (
        prepared is not None
        and (prepared.x, prepared.y) == (80, 230)
        and prepared.alpha.shape[:2] == (40, 100)
    )
    source = frame()
    out = shown(layer).apply(source)
    assert out is not source and (source == 100).all()
    changed = (out != source).any(axis=2)
    ys, xs = np.nonzero(changed)
    assert (ys.min(), ys.max(), xs.min(), xs.max()) == (230, 269, 80, 179)
    assert tuple(out[250, 100]) == (0, 0, 255)  # BGR red


def test_alpha_blends_straight_alpha_colour_over_the_picture() -> None:
    for alpha, expected in ((255, 200), (0, 100), (128, round((200 * 128 + 100 * 127) / 255))):
        layer = OverlayLayer("logo", solid(10, 10, (200, 200, 200), alpha), 0, 0, (640, 360))
        out = shown(layer).apply(frame())
        assert abs(int(out[5, 5, 0]) - expected) <= 1, (alpha, out[5, 5])


def test_blending_never_overflows() -> None:
    rng = np.random.default_rng(7)
    rgba = rng.integers(0, 256, (64, 64, 4), dtype=np.uint8)
    picture = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    expected = (rgba[:, :, 2::-1] * (rgba[:, :, 3:4] / 255) + picture * (1 - rgba[:, :, 3:4] / 255)).round()
    out = shown(OverlayLayer("x", rgba, 0, 0, (64, 64))).apply(picture)
    assert np.abs(out.astype(int) - expected).max() <= 1
    clock = Clock()
    half = Compositor(clock=clock)
    half.set_layers([OverlayLayer("x", rgba, 0, 0, (64, 64))])
    for t in np.linspace(0, ANIMATION_S, 13):  # faded values stay in range too
        clock.now = float(t)
        half.apply(picture)


def test_nothing_shown_passes_the_frame_through_without_a_copy() -> None:
    source = frame()
    compositor = Compositor()
    assert compositor.apply(source) is source
    compositor.set_layers([OverlayLayer("logo", solid(10, 10, (1, 2, 3)), 0, 0, (640, 360), visible=False)])
    assert compositor.apply(source) is source


def test_a_layer_drawn_for_720p_lands_in_the_same_place_on_360p() -> None:
    layer = OverlayLayer("card", solid(200, 100, (0, 255, 0)), 1000, 400, (1280, 720))
    out = shown(layer).apply(frame(640, 360))
    ys, xs = np.nonzero((out != 100).any(axis=2))
    assert (ys.min(), ys.max() + 1, xs.min(), xs.max() + 1) == (200, 250, 500, 600)


def test_layers_fade_and_slide_in_and_out_over_300_ms() -> None:
    clock = Clock()
    compositor = Compositor(clock=clock)
    layer = OverlayLayer(
        "lower_third", solid(100, 40, (255, 255, 255)), 40, 300, (640, 360), motion=Motion.SLIDE_LEFT
    )
    compositor.set_layers([layer])
    assert compositor.progress("lower_third") == 0.0
    assert compositor.apply(frame()).max() == 100  # nothing yet
    clock.now = 0.15
    assert abs(compositor.progress("lower_third") - 0.5) < 1e-9
    middle = compositor.apply(frame())
    xs = np.nonzero((middle != 100).any(axis=2).any(axis=0))[0]
    assert xs.min() < 40 and xs.max() < 139  # still sliding in from the left edge
    assert 100 < middle[320, xs.max()].max() < 255  # and half faded
    clock.now = 0.3
    full = compositor.apply(frame())
    assert tuple(full[320, 60]) == (255, 255, 255) and compositor.progress("lower_third") == 1.0

    clock.now = 1.0
    assert compositor.set_visible("lower_third", False)
    clock.now = 1.1  # a third of the way out, then shown again: it turns round from there
    assert abs(compositor.progress("lower_third") - 2 / 3) < 1e-9
    compositor.set_visible("lower_third", True)
    clock.now = 1.2
    assert abs(compositor.progress("lower_third") - 1.0) < 1e-9
    compositor.set_visible("lower_third", False)
    clock.now = 1.5
    assert compositor.progress("lower_third") == 0.0 and compositor.apply(frame()).max() == 100
    assert not compositor.set_visible("nothing", True)
    assert ease(0.0) == 0.0 and ease(1.0) == 1.0 and ease(0.5) == 0.5


def test_a_redrawn_layer_keeps_its_place_in_the_animation() -> None:
    clock = Clock()
    compositor = Compositor(clock=clock)
    compositor.set_layers([OverlayLayer("lower_third", solid(100, 40, (9, 9, 9)), 0, 0, (640, 360))])
    clock.now = 1.0
    compositor.set_layers([OverlayLayer("lower_third", solid(120, 40, (200, 9, 9)), 0, 0, (640, 360))])
    assert compositor.progress("lower_third") == 1.0  # a new title does not slide in again
    assert tuple(compositor.apply(frame())[10, 110]) == (9, 9, 200)
    compositor.set_layers([])
    assert compositor.apply(frame()).max() == 100


def test_cost_per_720p_frame_is_small() -> None:
    """Lower third, logo and product card shown at 720p: the cost is printed (noisy on a loaded machine)."""
    rng = np.random.default_rng(1)
    lower = solid(700, 130, (28, 32, 39), 230)
    lower[20:110, 30:600, :3] = rng.integers(0, 256, (90, 570, 3), dtype=np.uint8)  # text-like detail
    layers = [
        OverlayLayer("lower_third", lower, 51, 532, (1280, 720)),
        OverlayLayer("logo", solid(200, 86, (255, 255, 255), 200), 1050, 29, (1280, 720)),
        OverlayLayer("product", solid(358, 420, (28, 32, 39), 230), 870, 150, (1280, 720)),
    ]
    compositor = Compositor(duration=0.0)
    compositor.set_layers(layers)
    picture = rng.integers(0, 256, (720, 1280, 3), dtype=np.uint8)
    compositor.apply(picture)  # prepares the caches
    timings = {}
    for name, wanted in (("lower_third", layers[:1]), ("all_three", layers)):
        compositor.set_layers(wanted)
        start = time.perf_counter()
        for _ in range(50):
            compositor.apply(picture)
        timings[name] = round((time.perf_counter() - start) / 50 * 1000, 3)
    clock = Clock()
    fading = Compositor(clock=clock)
    fading.set_layers(layers)
    clock.now = ANIMATION_S / 2
    start = time.perf_counter()
    for _ in range(20):
        fading.apply(picture)
    timings["all_three_mid_animation"] = round((time.perf_counter() - start) / 20 * 1000, 3)
    print(json.dumps({"overlay_ms_per_720p_frame": timings}))
    assert timings["all_three"] < 25  # generous: a loaded 2-core machine; typical is a few ms

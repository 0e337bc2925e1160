"""A camera that needs no hardware: colour bars, a bouncing ball, the participant's name,
a clock, a frame counter and a machine-readable frame id.

Used by the demo, by bots, in CI and on machines without a camera. Rendering is
cheap on purpose (about 1 ms per 720p frame here): the bars and the name are
drawn once, and each frame only copies that background and draws the ball, two
short lines of text and the frame id.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import cv2
import numpy as np

from spaces_desktop.devices.camera import ThreadedCamera
from spaces_desktop.devices.errors import CameraMissing
from spaces_desktop.devices.frame_id import embed_frame_id, frame_id_region

# 75 % colour bars, left to right: grey, yellow, cyan, green, magenta, red, blue (BGR).
_BARS = (
    (191, 191, 191),
    (0, 191, 191),
    (191, 191, 0),
    (0, 191, 0),
    (191, 0, 191),
    (0, 0, 191),
    (191, 0, 0),
)
_FONT = cv2.FONT_HERSHEY_SIMPLEX


class SyntheticPattern:
    """Renders test-pattern pictures; pure and single-threaded (no clock of its own).

    ``frame_id`` draws :func:`~spaces_desktop.devices.frame_id.embed_frame_id`
    of the frame index into the top-left corner.
    """

    def __init__(
        self, width: int = 1280, height: int = 720, *, label: str = "", frame_id: bool = True
    ) -> None:
        if width < 64 or height < 64:
            raise ValueError(f"synthetic pattern needs at least 64x64, got {width}x{height}")
        self.width = width
        self.height = height
        self.label = label
        self.frame_id = (
            frame_id and frame_id_region(width)[0] <= width and frame_id_region(width)[1] <= height
        )
        self._scale = height / 720.0
        self._radius = max(6, height // 14)
        self._background = self._draw_background()

    def _draw_background(self) -> np.ndarray:
        w, h = self.width, self.height
        image = np.empty((h, w, 3), dtype=np.uint8)
        bars_h = h * 2 // 3
        for i, colour in enumerate(_BARS):
            image[:bars_h, i * w // len(_BARS) : (i + 1) * w // len(_BARS)] = colour
        # Lower third: a grey ramp, so the encoder sees gradients as well as flat colour.
        ramp = np.linspace(16, 235, w, dtype=np.float32).astype(np.uint8)
        image[bars_h:] = ramp[None, :, None]
        if self.label:
            scale = 1.6 * self._scale
            thickness = max(1, round(3 * self._scale))
            (tw, th), _ = cv2.getTextSize(self.label, _FONT, scale, thickness)
            x, y = max(4, (w - tw) // 2), bars_h - int(24 * self._scale)
            pad = int(12 * self._scale)
            cv2.rectangle(image, (x - pad, y - th - pad), (x + tw + pad, y + pad), (32, 32, 32), -1)
            cv2.putText(image, self.label, (x, y), _FONT, scale, (255, 255, 255), thickness, cv2.LINE_AA)
        return image

    def render(self, index: int, wall_time: float | None = None) -> np.ndarray:
        """A new BGR picture for frame ``index``; ``wall_time`` (epoch seconds) is shown as a clock."""
        image = self._background.copy()
        self._draw_ball(image, index)
        self._draw_caption(image, index, time.time() if wall_time is None else wall_time)
        if self.frame_id:
            embed_frame_id(image, index)
        return image

    def _draw_ball(self, image: np.ndarray, index: int) -> None:
        # Bounce along a triangle wave in x and y with different periods.
        r = self._radius
        span_x, span_y = max(1, self.width - 2 * r), max(1, self.height * 2 // 3 - 2 * r)
        step = max(2, self.width // 160)
        px, py = (index * step) % (2 * span_x), (index * step * 3 // 4) % (2 * span_y)
        x = r + (px if px < span_x else 2 * span_x - px)
        y = r + (py if py < span_y else 2 * span_y - py)
        cv2.circle(image, (x, y), r, (255, 255, 255), -1, cv2.LINE_8)
        cv2.circle(image, (x, y), r // 2, (40, 40, 200), -1, cv2.LINE_8)

    def _draw_caption(self, image: np.ndarray, index: int, wall_time: float) -> None:
        # Bottom right, right-aligned: the stage tile's name chip sits bottom left and its badges
        # along the top, so no part of the app's chrome ever covers the clock.
        clock = time.strftime("%H:%M:%S", time.localtime(wall_time)) + f".{int(wall_time * 1000) % 1000:03d}"
        scale = 0.9 * self._scale
        thickness = max(1, round(2 * self._scale))
        margin = int(16 * self._scale)
        line = int(36 * self._scale)
        y = self.height - margin - line
        for text in (clock, f"frame {index}"):
            (tw, _), _ = cv2.getTextSize(text, _FONT, scale, thickness + 2)
            x = max(0, self.width - margin - tw)
            cv2.putText(image, text, (x, y), _FONT, scale, (0, 0, 0), thickness + 2, cv2.LINE_8)
            cv2.putText(image, text, (x, y), _FONT, scale, (255, 255, 255), thickness, cv2.LINE_8)
            y += line


class SyntheticCamera(ThreadedCamera):
    """The test pattern as a :class:`~spaces_desktop.devices.camera.CameraDevice`.

    Renders in the thread ``camera-<name>`` at ``fps``, on a fixed schedule (a
    slow frame is followed by a shorter wait, not by drift). The frame id drawn
    into each picture equals ``CameraFrame.index``.
    """

    def __init__(
        self,
        label: str = "",
        *,
        width: int = 1280,
        height: int = 720,
        fps: float = 30.0,
        name: str = "Synthetic camera",
        frame_id: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(name, width, height, fps, open_timeout=5.0)
        self.pattern = SyntheticPattern(width, height, label=label, frame_id=frame_id)
        self._clock = clock
        self._rendered = 0
        self._next_due = 0.0
        self.render_seconds = 0.0
        """Total time spent rendering, for cost reports (capture thread writes, anyone reads)."""
        self._unplugged = threading.Event()

    # --- unplugging, for rehearsing a lost camera (tests, benchmarks, the demo) ---------------

    @property
    def plugged_in(self) -> bool:
        """False between :meth:`fail_now` and :meth:`restore`; the device watcher lists it only when True."""
        return not self._unplugged.is_set()

    def fail_now(self) -> None:
        """Behave like a webcam pulled out of its socket (any thread).

        Capture ends within one frame interval with the :class:`CameraMissing`
        a real camera raises when unplugged, and :meth:`start` fails the same
        way until :meth:`restore`.
        """
        self._unplugged.set()

    def restore(self) -> None:
        """Plug it back in: :meth:`start` works again (capture does not restart by itself)."""
        self._unplugged.clear()

    def _unplugged_error(self) -> CameraMissing:
        return CameraMissing(f"The camera “{self.name}” was unplugged.")

    @property
    def frames_rendered(self) -> int:
        return self._rendered

    def _open(self) -> None:
        if self._unplugged.is_set():
            raise self._unplugged_error()
        self._next_due = self._clock()

    def _read(self, stop: threading.Event) -> np.ndarray | None:
        wait = self._next_due - self._clock()
        if wait > 0 and stop.wait(wait):
            return None
        if self._unplugged.is_set():
            raise self._unplugged_error()
        now = self._clock()
        # After a long stall (suspended machine, debugger) restart the schedule instead of bursting.
        interval = 1.0 / self.fps
        self._next_due = max(self._next_due + interval, now - interval)
        started = time.perf_counter()
        image = self.pattern.render(self._next_index)
        self.render_seconds += time.perf_counter() - started
        self._rendered += 1
        return image

    def _close(self) -> None:
        pass

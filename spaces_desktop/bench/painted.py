"""Glass-to-painted-pixel latency: the frame id read back from what the stage actually painted.

The app runs as in real life (offscreen Qt): the Engine on its thread, the
StageView converting and painting. A second participant, on a thread of its
own, publishes a synthetic camera that draws its frame id into the picture and
records when each id was captured. Right after the enlarged tile paints a
picture, the benchmark reads the tile's pixels back from the window's backing
store (the image Qt flushes to the screen), decodes the frame id there, and
takes the difference: one process, one monotonic clock.
"""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from typing import Any

import numpy as np
from PySide6.QtCore import QEventLoop, QPoint, QRect, QTimer
from PySide6.QtGui import QImage

from spaces_desktop.bench.gui import _application, _pump, _staged_engine
from spaces_desktop.devices.camera import CameraFrame
from spaces_desktop.devices.frame_id import frame_id_region, read_frame_id
from spaces_desktop.devices.synthetic_camera import SyntheticCamera
from spaces_desktop.domain import CameraSource, Role
from spaces_desktop.media.tracks import CameraVideoTrack
from spaces_desktop.session.local_media import NONE, DeviceChoice
from spaces_desktop.signaling.client import SpacesClient
from spaces_desktop.transport.publisher import Publisher, PublishTracks
from spaces_desktop.ui.stage.converter import Picture
from spaces_desktop.ui.stage.tile import TileWidget

WARMUP_S = 2.0
STAGE_SIZE = (1626, 720)
"""A window whose enlarged tile is 16:9 (1238x696): cover scaling crops nothing, so the frame id in the
picture's top-left corner stays on screen (a 2:1 tile would crop it away)."""


def painted_frame_id(tile: TileWidget, picture: Picture) -> int | None:
    """The frame id in the pixels the tile just painted (GUI thread, right after its paintEvent)."""
    store = tile.backingStore()
    image = store.paintDevice() if store is not None else None
    shown = tile.shown_rect
    if not isinstance(image, QImage) or shown is None:
        return None
    dpr = image.devicePixelRatio()
    zone_w, zone_h = frame_id_region(picture.source_width)
    scale = shown.width() / picture.source_width  # logical pixels per source pixel
    origin = tile.mapTo(tile.window(), QPoint(0, 0))
    area = QRect(
        round((origin.x() + shown.left()) * dpr),
        round((origin.y() + shown.top()) * dpr),
        max(1, round(zone_w * scale * dpr)),
        max(1, round(zone_h * scale * dpr)),
    )
    corner = image.copy(area)
    if (corner.width(), corner.height()) != (zone_w, zone_h):  # read it at the source's scale
        corner = corner.scaled(zone_w, zone_h)
    corner = corner.convertToFormat(QImage.Format.Format_RGB32)
    rows = np.frombuffer(corner.constBits(), dtype=np.uint8).reshape(corner.height(), corner.bytesPerLine())
    pixels = rows[:, : zone_w * 4].reshape(zone_h, zone_w, 4)
    return read_frame_id(pixels)


class PaintProbe:
    """Capture times by frame id (capture thread) against painted frame ids (GUI thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.captured: dict[int, float] = {}
        self.samples: list[float] = []
        self.painted_at: list[float] = []
        self.unreadable = 0
        self.measuring = False
        self.key: tuple[str, CameraSource] | None = None
        self._last_seq = -1

    def on_capture(self, frame: CameraFrame) -> None:
        with self._lock:
            self.captured[frame.index] = frame.timestamp

    def on_painted(self, tile: TileWidget, picture: Picture) -> None:
        now = time.monotonic()
        if tile.info.key != self.key or picture.seq == self._last_seq:
            return
        self._last_seq = picture.seq
        frame_id = painted_frame_id(tile, picture)
        with self._lock:
            captured = self.captured.get(frame_id) if frame_id is not None else None
        if not self.measuring:
            return
        if captured is None:
            self.unreadable += 1
            return
        self.samples.append((now - captured) * 1000)
        self.painted_at.append(now)

    def result(self) -> dict[str, Any]:
        ordered = sorted(self.samples)
        if len(ordered) < 2:
            return {"painted_p50_ms": None, "painted_p95_ms": None, "painted_frames": len(ordered)}
        span = self.painted_at[-1] - self.painted_at[0]
        return {
            "painted_p50_ms": round(statistics.median(ordered), 1),
            "painted_p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
            "painted_fps": round((len(ordered) - 1) / span, 1) if span > 0 else 0.0,
            "painted_frames": len(ordered),
            "painted_unreadable": self.unreadable,
        }


class CameraGuest(threading.Thread):
    """The owner of the frame-id camera, on its own loop: asks to speak, publishes once promoted."""

    def __init__(self, base_url: str, space_id: str, camera: SyntheticCamera) -> None:
        super().__init__(name="latency-camera-guest", daemon=True)
        self.base_url, self.space_id, self.camera = base_url, space_id, camera
        self.error: BaseException | None = None
        self.publishing = threading.Event()
        self._halt = threading.Event()

    def run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to the benchmark, which fails with it
            self.error = exc
            self.publishing.set()

    def stop(self) -> None:
        self._halt.set()

    async def _main(self) -> None:
        client = SpacesClient(self.base_url)
        publisher: Publisher | None = None
        try:
            api = client.as_joined(await client.join(self.space_id, "Camera"))
            await api.request_to_speak()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                snapshot = await api.snapshot()
                me = next(p for p in snapshot.participants if p.id == snapshot.you)
                if me.role != "listener":
                    break
                await asyncio.sleep(0.1)
            publisher = Publisher(PublishTracks(audio=None, camera=CameraVideoTrack(self.camera)))
            await publisher.connect(api.publish)
            await api.set_camera(True, CameraSource.MAIN)
            self.publishing.set()
            while not self._halt.is_set():
                await asyncio.sleep(0.1)
            await api.leave()
        finally:
            if publisher is not None:
                await publisher.close()
            await client.aclose()


def _run_loop(seconds: float) -> None:
    """Qt's own event loop for ``seconds``: it sleeps until an event comes, as in the app."""
    loop = QEventLoop()
    QTimer.singleShot(round(seconds * 1000), loop.quit)
    loop.exec()


def run_painted_latency(base_url: str, width: int, height: int, seconds: float) -> dict[str, Any]:
    """Frame id captured → the same id in the painted pixels of the enlarged tile."""
    app = _application()
    probe = PaintProbe()
    camera = SyntheticCamera("Latency", width=width, height=height, fps=30.0)
    unsubscribe = camera.subscribe(probe.on_capture)
    camera.start()
    engine, stage, relay = _staged_engine()
    guest: CameraGuest | None = None
    TileWidget.painted_hook = probe.on_painted
    try:
        stage.resize(*STAGE_SIZE)
        stage.show()
        states: list[Any] = []
        relay.changed.connect(states.append)
        nothing = DeviceChoice(camera=NONE, microphone=NONE)
        engine.create_space(base_url, "Painted latency", "Host", True, nothing).result(20)
        _pump(app, lambda: bool(states) and states[-1].space is not None, 20)
        guest = CameraGuest(base_url, states[-1].space.id, camera)
        guest.start()
        guest_id: list[str] = []

        def promoted() -> bool:
            for member in states[-1].pending_requests:
                if not guest_id:
                    guest_id.append(member.id)
                    engine.set_role(member.id, Role.SPEAKER)
            return guest.publishing.is_set()

        if not _pump(app, promoted, 60, step_ms=5) or guest.error is not None:
            raise RuntimeError(f"the camera guest did not come on stage: {guest.error}")
        probe.key = (guest_id[0], CameraSource.MAIN)
        engine.pin(guest_id[0]).result(10)
        if not _pump(app, lambda: probe.key in stage.tiles() and stage.tiles()[probe.key].shows_video, 20):
            raise RuntimeError("the camera's video never reached its tile")
        _run_loop(WARMUP_S)
        probe.measuring = True
        _run_loop(seconds)
        probe.measuring = False
        result = probe.result()
        tile = stage.tiles().get(probe.key)
        if tile is not None:
            result["painted_tile_px"] = list(tile.size().toTuple())
        return result
    finally:
        TileWidget.painted_hook = None
        if guest is not None:
            guest.stop()
            guest.join(10)
        stage.shutdown()
        engine.shutdown()
        unsubscribe()
        camera.stop()

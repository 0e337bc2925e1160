"""The stage: everyone on stage as tiles, the person speaking large (GUI thread unless noted).

One QWidget per tile, placed by hand inside this view. Separate widgets let
Qt repaint just the tile whose video changed (a 30 fps strip tile never makes
the big tile repaint), let each tile animate its own geometry with
QPropertyAnimation when the layout changes, and give each tile its own
mouse, keyboard-focus and accessibility handling. Tiles paint themselves;
this view paints only the backdrop.

Threads:
- ``frame_ready`` runs on the engine thread (the FrameBoard's ``on_frame``):
  it only marks the tile dirty for the converter, a few microseconds;
- the converter's worker thread turns the newest frame of each visible tile
  into a BGRA picture at the tile's size, then emits ``_pictures_ready``
  (queued to the GUI thread, at most one pending at a time); it converts a
  tile's next frame only once the tile has painted the last one, so tiles Qt
  does not paint (minimised window, off screen) cost nothing;
- everything else, including all painting, runs on the GUI thread and never
  waits for the engine or the worker.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping

from PySide6.QtCore import (
    QEasingCurve,
    QEvent,
    QParallelAnimationGroup,
    QPoint,
    QPropertyAnimation,
    QRect,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont, QHideEvent, QPainter, QPaintEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QMenu, QWidget

from spaces_desktop.domain import CameraSource, is_moderator
from spaces_desktop.domain.scenes import AUTO_SCENE, Scene
from spaces_desktop.domain.state import SessionState
from spaces_desktop.session.frames import FrameBoard, TileKey
from spaces_desktop.ui.stage.colors import StageColors
from spaces_desktop.ui.stage.converter import FrameConverter, Target
from spaces_desktop.ui.stage.layout import GAP, MODES, Arrangement, arrange
from spaces_desktop.ui.stage.levels import RingLevels
from spaces_desktop.ui.stage.program import StageChoice, choose
from spaces_desktop.ui.stage.singletons import protect
from spaces_desktop.ui.stage.tile import MARGIN, TileInfo, TileWidget
from spaces_desktop.ui.stage.transition import CrossFade

ANIMATION_MS = 200
RING_TICK_MS = 33
FRESH_CHECK_MS = 500
STALE_AFTER_S = 2.5
"""A camera whose last frame is older than this shows the avatar again (camera stalled or off)."""
PADDING = 6


LARGE_LAYER_FROM_PX = 480
"""A tile wider than this (device pixels) would upscale the 320-pixel small layer 1.5×: take the large one."""


class StageView(QWidget):
    """Tiles for the host, co-hosts and speakers, with the active speaker enlarged."""

    pin_requested = Signal(object)
    """A participant id to pin, or None to unpin (double-click, Enter, or the tile's menu)."""
    big_changed = Signal(object)
    """The participants whose camera tile is shown big (a frozenset): they get the large layer."""
    _pictures_ready = Signal()

    def __init__(self, frames: FrameBoard, parent: QWidget | None = None) -> None:
        protect()  # painting makes thousands of PySide6 calls a second; see singletons.py
        super().__init__(parent)
        self._frames = frames
        self._state = SessionState()
        self._shown: tuple[object, ...] = ()
        """What the last rebuild laid out (tiles, program, scene, area, pixel ratio)."""
        self._mode = "speaker"
        self._colors = StageColors.from_palette(self.palette())
        self._tiles: dict[TileKey, TileWidget] = {}
        self._arrangement = Arrangement()
        self._big: frozenset[str] | None = None
        self._fresh: set[TileKey] = set()
        self._rings = RingLevels()
        self._ring_clock = time.monotonic()
        self._animation: QParallelAnimationGroup | None = None
        self._audience_view = False
        self._choice = StageChoice("speaker", None, directed=False)
        self._shown_scene: Scene = AUTO_SCENE
        self._fade = CrossFade(self)
        self._converter = FrameConverter(frames, self._pictures_ready.emit, paced=True)
        self._pictures_ready.connect(self._on_pictures, Qt.ConnectionType.QueuedConnection)
        converter = self._converter
        self.destroyed.connect(lambda *_: converter.stop(0.5))

        self._ring_timer = QTimer(self)
        self._ring_timer.setInterval(RING_TICK_MS)
        self._ring_timer.timeout.connect(self._step_rings)
        self._fresh_timer = QTimer(self)
        self._fresh_timer.setInterval(FRESH_CHECK_MS)
        self._fresh_timer.timeout.connect(self._check_fresh)

        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMinimumSize(320, 180)
        self.setAccessibleName(self.tr("Stage"))

    # --- the interface the main window uses ---

    def set_state(self, state: SessionState) -> None:
        """Show a new session state (GUI thread)."""
        self._state = state
        self._rebuild(animate=True)

    def set_levels(self, levels: Mapping[str, float]) -> None:
        """Audio levels in dBov by participant id, about ten times a second (GUI thread)."""
        self._rings.set_levels(levels)
        if not self._ring_timer.isActive() and not self._rings.settled:
            self._ring_clock = time.monotonic()
            self._ring_timer.start()

    def set_layout_mode(self, mode: str) -> None:
        """``speaker``, ``grid``, ``side_by_side`` or ``pip`` (GUI thread); unknown modes mean ``speaker``."""
        mode = mode if mode in MODES else "speaker"
        if mode != self._mode:
            self._mode = mode
            self._rebuild(animate=True)

    def set_audience_view(self, on: bool) -> None:
        """Show exactly what the audience sees: the program, without our pin or the green room."""
        if on != self._audience_view:
            self._audience_view = on
            self._fade.start()
            self._rebuild(animate=True)

    def audience_view(self) -> bool:
        return self._audience_view

    def program(self) -> StageChoice:
        """The layout and featured person shown now (the host's scene, our pin or our own layout)."""
        return self._choice

    def frame_ready(self, key: TileKey) -> None:
        """A new frame is on the board (any thread, usually the engine's; cheap and non-blocking)."""
        self._converter.notify(key)

    def painted_fps(self) -> dict[TileKey, float]:
        """New frames actually painted per second, per tile, over the last two seconds (GUI thread)."""
        return {key: tile.painted_fps() for key, tile in self._tiles.items()}

    # --- for the app and tests ---

    def layout_mode(self) -> str:
        return self._mode

    def tiles(self) -> dict[TileKey, TileWidget]:
        """The tiles in stage order (host, co-hosts, speakers; product cameras after their owner)."""
        return dict(self._tiles)

    def arrangement(self) -> Arrangement:
        """Where the tiles are going (their final rectangles, even mid-animation)."""
        return self._arrangement

    def conversion_ms(self, key: TileKey) -> float | None:
        """Median time to convert one frame of a tile to a picture, in milliseconds."""
        return self._converter.cost_ms(key)

    def tile_menu(self, participant_id: str) -> QMenu:
        """The menu of a tile: Pin, or Unpin when that participant is pinned."""
        menu = QMenu(self)
        if self._state.pinned == participant_id:
            action = menu.addAction(self.tr("Unpin"))
            action.triggered.connect(lambda: self.pin_requested.emit(None))
        else:
            action = menu.addAction(self.tr("Pin"))
            action.triggered.connect(lambda: self.pin_requested.emit(participant_id))
        return menu

    def shutdown(self) -> None:
        """Stop the conversion worker (the view stops it itself when destroyed)."""
        self._converter.stop()

    # --- Qt events ---

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(event.rect(), self._colors.background)
        if not self._tiles:
            font = QFont(self.font())
            font.setPixelSize(15)
            painter.setFont(font)
            painter.setPen(self._colors.subtle_text)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.tr("Nobody is on stage yet"))
        painter.end()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._rebuild(animate=False)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._converter.set_paused(False)
        self._fresh_timer.start()
        self._rebuild(animate=False)

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._converter.set_paused(True)
        self._fresh_timer.stop()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._colors = StageColors.from_palette(self.palette())
            for tile in self._tiles.values():
                tile.set_colors(self._colors)
            self.update()

    # --- tiles ---

    def _infos(self) -> list[TileInfo]:
        state = self._state
        video_space = state.space is None or state.space.video_enabled
        self._fresh = self._fresh_keys()
        speakers = state.speakers
        self._choice = choose(state, self._mode, speakers, self._fresh, audience_view=self._audience_view)
        stage = self._choice.featured
        me = state.myself
        if me is not None and is_moderator(me.role) and not self._audience_view:
            speakers = [*speakers, *state.backstage]  # the green room, seen by the host and co-hosts only
        backstage = {m.id for m in state.backstage}
        infos = []
        for m in speakers:
            main = (m.id, CameraSource.MAIN)
            paused = video_space and m.camera_on and main in state.paused_video
            label = (
                self.tr("Backstage · %1").replace("%1", m.display_name)
                if m.id in backstage
                else m.display_name
            )
            infos.append(
                TileInfo(
                    key=main,
                    label=label,
                    initials=m.initials,
                    role=m.role,
                    muted=m.muted,
                    video=video_space and m.camera_on and main in self._fresh and not paused,
                    paused=paused,
                    pinned=state.pinned == m.id,
                    featured=m.id == stage,
                    quality=state.quality.get(m.id) if m.id != state.me else None,
                    network=state.network.get(m.id) if m.id != state.me else None,
                )
            )
            second = (m.id, CameraSource.SECOND)
            if video_space and m.second_camera_on and second in self._fresh:
                infos.append(
                    TileInfo(
                        key=second,
                        label=self.tr("%1 · product camera").replace("%1", m.display_name),
                        initials=m.initials,
                        role=m.role,
                        video=True,
                        product=True,
                    )
                )
        return infos

    def _fresh_keys(self) -> set[TileKey]:
        """Tiles whose frames are still arriving."""
        now = time.monotonic()
        stats = self._frames.stats()
        return {key for key, s in stats.items() if s.last_at and now - s.last_at < STALE_AFTER_S}

    def _rebuild(self, animate: bool) -> None:
        infos = self._infos()
        area = self.rect().adjusted(PADDING + MARGIN, PADDING + MARGIN, -PADDING - MARGIN, -PADDING - MARGIN)
        # A listener arriving, a hand raised: most states change nothing the stage shows.
        shown = (tuple(infos), self._choice, self._state.scene, area, self.devicePixelRatioF())
        if shown == self._shown and len(self._tiles) == len(infos):
            return
        self._shown = shown
        keys = [info.key for info in infos]
        for key in [k for k in self._tiles if k not in keys]:
            tile = self._tiles.pop(key)
            tile.hide()
            tile.deleteLater()
        created: set[TileKey] = set()
        tiles: dict[TileKey, TileWidget] = {}
        for info in infos:
            existing = self._tiles.get(info.key)
            if existing is not None:
                tile = existing
                tile.set_info(info)
            else:
                tile = TileWidget(info, self._converter, self._colors, self)
                tile.double_clicked.connect(self._toggle_pin)
                tile.menu_requested.connect(self._show_menu)
                created.add(info.key)
            tile.set_ring(0.0 if info.product else self._rings.value(info.participant_id))
            tiles[info.key] = tile
        self._tiles = tiles
        ordered = list(tiles.values())
        for before, after in itertools.pairwise(ordered):
            QWidget.setTabOrder(before, after)  # Tab walks the tiles in stage order

        stage_pid = next((i.participant_id for i in infos if i.featured), None)
        stage_key = (stage_pid, CameraSource.MAIN) if stage_pid else None
        product = (stage_pid, CameraSource.SECOND) if stage_pid else None
        if animate and self._state.scene != self._shown_scene:
            self._fade.start()  # a new scene cross-fades; the tiles slide underneath
        self._shown_scene = self._state.scene
        self._arrangement = arrange(self._choice.layout, keys, area, stage_key, product, GAP)
        self._tell_big()
        self._place(created, animate and self.isVisible())
        for key, tile in self._tiles.items():
            tile.set_opaque(key not in self._arrangement.raised)
        for key in self._arrangement.raised:
            self._tiles[key].raise_()
        self._update_targets()
        self.update()

    def _tell_big(self) -> None:
        """Which camera tiles are big enough that the small layer would look soft on them."""
        dpr = self.devicePixelRatioF()
        big = frozenset(
            key[0]
            for key, rect in self._arrangement.rects.items()
            if key[1] is CameraSource.MAIN
            and (key in self._arrangement.featured or rect.width() * dpr > LARGE_LAYER_FROM_PX)
        )
        if big != self._big:
            self._big = big
            self.big_changed.emit(big)

    def _geometry(self, key: TileKey) -> QRect:
        rect = self._arrangement.rects.get(key)
        if rect is None:
            return QRect()
        return rect.adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)

    def _place(self, created: set[TileKey], animate: bool) -> None:
        if self._animation is not None:
            self._animation.stop()
            self._animation = None
            self._end_motion()
        group = QParallelAnimationGroup(self) if animate else None
        for key, tile in self._tiles.items():
            if key not in self._arrangement.rects:
                tile.hide()  # left out of this scene (the product "cut" shows one tile)
                continue
            target = self._geometry(key)
            if key not in created and not tile.isVisible() and self.isVisible():
                tile.setGeometry(target)
                tile.show()  # back in the scene
            elif key in created or group is None or not tile.isVisible():
                tile.setGeometry(target)
            elif tile.geometry() != target:
                animation = QPropertyAnimation(tile, b"geometry", group)
                animation.setDuration(ANIMATION_MS)
                animation.setStartValue(tile.geometry())
                animation.setEndValue(target)
                animation.setEasingCurve(QEasingCurve.Type.OutCubic)
                group.addAnimation(animation)
                tile.moving = True
            if key in created and self.isVisible():
                tile.show()
        if group is not None and group.animationCount():
            group.finished.connect(self._motion_finished)
            self._animation = group
            group.start()
        elif group is not None:
            group.deleteLater()

    def _motion_finished(self) -> None:
        if self._animation is not None:
            self._animation.deleteLater()
            self._animation = None
        self._end_motion()

    def _end_motion(self) -> None:
        for tile in self._tiles.values():
            if tile.moving:
                tile.moving = False
                tile.update()

    def _update_targets(self) -> None:
        dpr = self.devicePixelRatioF()
        targets: dict[TileKey, Target] = {}
        for key, tile in self._tiles.items():
            geometry = self._geometry(key)
            if tile.info.video and geometry.intersects(self.rect()):  # off the stage: nothing to convert
                targets[key] = tile.video_target(geometry.size(), dpr)
        self._converter.set_targets(targets)

    # --- news from other threads, timers ---

    def _on_pictures(self) -> None:
        ready, new = self._converter.drain()
        for key in ready:
            tile = self._tiles.get(key)
            if tile is not None:
                tile.update()
        if new:
            speakers = {m.id for m in self._state.speakers}
            if any(pid in speakers for pid, _ in new):
                self._rebuild(animate=True)

    def _check_fresh(self) -> None:
        if self._fresh_keys() != self._fresh:
            self._rebuild(animate=True)

    def _step_rings(self) -> None:
        now = time.monotonic()
        changed = self._rings.step(now - self._ring_clock)
        self._ring_clock = now
        for (pid, source), tile in self._tiles.items():
            if pid in changed and source is CameraSource.MAIN:
                tile.set_ring(self._rings.value(pid))
        if self._rings.settled:
            self._ring_timer.stop()

    # --- pinning ---

    def _toggle_pin(self, participant_id: str) -> None:
        self.pin_requested.emit(None if self._state.pinned == participant_id else participant_id)

    def _show_menu(self, participant_id: str, where: QPoint) -> None:
        menu = self.tile_menu(participant_id)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(where)

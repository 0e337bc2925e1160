"""Keeps the engine's overlays in step with the person's overlay settings for the current Space (GUI thread).

Edits re-render the bitmaps and send them all (hidden ones too); a hotkey only
flips one layer's visibility, so the engine animates it without new pixels.
The lower third and the logo go on the main camera, the product card and the
logo on the product camera.
"""

from __future__ import annotations

from collections.abc import Callable

from spaces_desktop.domain import CameraSource
from spaces_desktop.session.port import EnginePort
from spaces_desktop.ui.qt.overlay_art import render
from spaces_desktop.ui.qt.theme import DARK, Palette
from spaces_desktop.ui.viewmodels.overlay_config import OverlayConfig, OverlayKind

SOURCES: dict[OverlayKind, tuple[CameraSource, ...]] = {
    OverlayKind.LOWER_THIRD: (CameraSource.MAIN,),
    OverlayKind.LOGO: (CameraSource.MAIN, CameraSource.SECOND),
    OverlayKind.PRODUCT: (CameraSource.SECOND,),
}


class OverlayPublisher:
    def __init__(
        self,
        engine: EnginePort,
        load: Callable[[], OverlayConfig],
        save: Callable[[OverlayConfig], None],
        frame_size: Callable[[], tuple[int, int]],
        palette: Palette = DARK,
    ) -> None:
        self.engine = engine
        self._load = load
        self._save = save
        self._frame_size = frame_size
        self.palette = palette
        self.config = load()

    def reload(self) -> None:
        """The Space changed: use its kept overlays."""
        self.config = self._load()
        self.publish()

    def update(self, config: OverlayConfig) -> None:
        """New text, images or visibility from the panel: keep and send them."""
        self.config = config
        self._save(config)
        self.publish()

    def publish(self) -> None:
        layers = render(self.config, self._frame_size(), self.palette)
        for source in CameraSource:
            wanted = [layer for kind, layer in layers.items() if source in SOURCES[kind]]
            self.engine.set_overlays(source, wanted)

    def toggle(self, kind: OverlayKind) -> bool:
        """Slide or fade one overlay in or out; False when there is nothing to show for it yet."""
        if not self.config.ready(kind):
            return False
        on = not self.config.shown(kind)
        self.config = self.config.with_shown(kind, on)
        self._save(self.config)
        for source in SOURCES[kind]:
            self.engine.show_overlay(source, kind, on)
        return True

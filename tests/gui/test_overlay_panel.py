"""The overlay panel: live preview of the published picture, edits reach the engine, per Space, hotkeys."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings
from PySide6.QtGui import QColor, QImage

from spaces_desktop.domain import CameraSource
from spaces_desktop.session.fake import FakeEngine
from spaces_desktop.ui.dialogs.overlay_dialog import OverlayDialog, sample_picture
from spaces_desktop.ui.main_window import MainWindow
from spaces_desktop.ui.qt.devices import DeviceDirectory
from spaces_desktop.ui.qt.overlay_publisher import OverlayPublisher
from spaces_desktop.ui.qt.settings import AppSettings
from spaces_desktop.ui.viewmodels import shortcuts
from spaces_desktop.ui.viewmodels.overlay_config import Corner, OverlayConfig, OverlayKind
from tests.gui.conftest import StandInStage, catalog_with_devices


def _logo(path: Path) -> str:
    image = QImage(120, 60, QImage.Format.Format_ARGB32)
    image.fill(QColor("#ff8800"))
    assert image.save(str(path))
    return str(path)


def test_the_preview_shows_the_overlays_and_edits_reach_the_engine(qtbot, tmp_path: Path, shot) -> None:  # type: ignore[no-untyped-def]
    sent: list[OverlayConfig] = []
    config = OverlayConfig(
        name="Ava Stone",
        line="Founder · @ava",
        lower_third_on=True,
        logo_path=_logo(tmp_path / "logo.png"),
        logo_corner=Corner.TOP_RIGHT,
        logo_on=True,
        product_name="Trail Runner 2",
        product_price="€129",
        product_line="Waterproof, 240 g",
        product_on=True,
    )
    dialog = OverlayDialog(config, sent.append, (640, 360))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: not dialog._animation.isActive(), timeout=3000)  # slid in
    plain = sample_picture(640, 360)
    main = dialog.preview_frame(CameraSource.MAIN)
    second = dialog.preview_frame(CameraSource.SECOND)
    changed_main = (main != plain).any(axis=2)
    assert changed_main[290:325, 30:120].mean() > 0.9  # the lower third, bottom left
    assert tuple(main[30, 600]) == (0x00, 0x88, 0xFF)  # the orange logo, top right (BGR)
    assert not changed_main[150:250, 400:560].any()  # no product card on the main camera
    assert (second != plain).any(axis=2)[150:210, 470:600].mean() > 0.9  # the card, right
    shot(dialog, "overlay-panel")

    qtbot.keyClicks(dialog.name, " Jr")
    qtbot.waitUntil(lambda: bool(sent), timeout=2000)  # after a short pause, not per keystroke
    assert sent[-1].name == "Ava Stone Jr" and len(sent) == 1
    dialog.lower_third_on.setChecked(False)
    assert sent[-1].lower_third_on is False
    qtbot.waitUntil(lambda: not dialog._animation.isActive(), timeout=3000)
    assert not (dialog.preview_frame(CameraSource.MAIN) != plain).any(axis=2)[290:325, 30:120].any()


def test_hotkeys_animate_overlays_and_settings_keep_them_per_space(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = AppSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    link = ["http://127.0.0.1:8471/s/one"]
    engine = FakeEngine()
    publisher = OverlayPublisher(
        engine,
        load=lambda: settings.overlays(link[0]),
        save=lambda c: settings.keep_overlays(link[0], c),
        frame_size=lambda: (640, 360),
    )
    assert not publisher.toggle(OverlayKind.LOWER_THIRD)  # nothing to show yet
    publisher.update(OverlayConfig(name="Ava", line="Host"))
    [(_, main_layers)] = [c for c in engine.called("set_overlays") if c[0] is CameraSource.MAIN][-1:]
    assert [layer.key for layer in main_layers] == [OverlayKind.LOWER_THIRD]
    assert not main_layers[0].visible  # sent hidden, so a hotkey only animates it in
    assert main_layers[0].rgba.dtype == np.uint8 and main_layers[0].rgba.shape[2] == 4
    assert publisher.toggle(OverlayKind.LOWER_THIRD)
    assert engine.called("show_overlay")[-1] == (CameraSource.MAIN, OverlayKind.LOWER_THIRD, True)
    assert settings.overlays(link[0]).lower_third_on
    # Another Space starts from the last overlays used; the first keeps its own.
    link[0] = "http://127.0.0.1:8471/s/two"
    publisher.reload()
    assert publisher.config.name == "Ava"
    publisher.update(OverlayConfig(name="Ben"))
    assert settings.overlays("http://127.0.0.1:8471/s/one").name == "Ava"
    assert settings.overlays("http://127.0.0.1:8471/s/two").name == "Ben"
    assert (
        OverlayConfig.from_json('{"name": 5, "logo_corner": "nowhere", "logo_on": "yes"}') == OverlayConfig()
    )


def test_overlay_hotkeys_clash_with_nothing() -> None:
    keys = [s.keys for s in shortcuts.ALL]
    assert len(keys) == len(set(keys))
    assert {str(n) for n in range(7)} <= set(keys), "the scene hotkeys 1–6 and 0 are among them"
    for shortcut in (shortcuts.LOWER_THIRD, shortcuts.LOGO, shortcuts.PRODUCT_CARD):
        assert shortcut in shortcuts.ALL


def test_the_main_window_offers_overlays_in_the_space_menu(qtbot, engine, app_settings, theme) -> None:  # type: ignore[no-untyped-def]
    directory = DeviceDirectory(catalog_with_devices)
    directory.load_now()
    window = MainWindow(
        engine,
        app_settings,
        theme,
        server_url="http://127.0.0.1:9",
        stage_factory=lambda frames: StandInStage(frames),
        directory=directory,
    )
    qtbot.addWidget(window)
    assert window.overlays_action.shortcut().toString() == shortcuts.OVERLAYS.keys
    dialog = window.open_overlays()
    qtbot.waitExposed(dialog)
    assert dialog.windowTitle() == "Overlays" and dialog.isVisible()
    assert window.overlay_actions[OverlayKind.PRODUCT].shortcut().toString() == shortcuts.PRODUCT_CARD.keys
    directory.close()

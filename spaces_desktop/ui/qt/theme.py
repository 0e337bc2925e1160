"""Colours, the style sheet and icons of the app (GUI thread only).

The palette is one value per theme; the style sheet in resources/themes/app.qss
and the icons in resources/icons/*.svg are filled from it, so a theme switch
recolours both. Icons are drawn in ``currentColor`` and tinted here.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import asdict, dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from string import Template

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

from spaces_desktop.assets import resource

ICONS = resource("icons")
STYLE_SHEET = resource("themes", "app.qss")
# Colour emoji fonts of the three desktops (Linux: Debian's fonts-noto-color-emoji), tried before the
# text font wherever a string is only emoji, so reactions never come out as empty boxes.
EMOJI_FAMILIES = ("Noto Color Emoji", "Apple Color Emoji", "Segoe UI Emoji", "Twemoji Mozilla")


class ThemeChoice(StrEnum):
    SYSTEM = "system"
    DARK = "dark"
    LIGHT = "light"


@dataclass(frozen=True)
class Palette:
    name: str
    bg: str
    surface: str
    surface2: str
    hover: str
    selected: str
    border: str
    input_bg: str
    preview_bg: str
    text: str
    muted: str
    disabled: str
    accent: str
    accent_hover: str
    accent_disabled: str
    on_disabled_accent: str
    danger: str
    danger_hover: str
    success: str
    warning: str
    off_bg: str
    off_icon: str
    off_border: str
    note_bg: str
    note_border: str
    info_bg: str
    warning_bg: str
    error_bg: str
    banner_text: str


DARK = Palette(
    name="dark",
    bg="#15181d",
    surface="#1c2027",
    surface2="#262b34",
    hover="#2f3540",
    selected="#1d3a55",
    border="#343b47",
    input_bg="#11141a",
    preview_bg="#0b0d10",
    text="#e7e9ea",
    muted="#9aa4b0",
    disabled="#5d6672",
    accent="#1d9bf0",
    accent_hover="#1a8cd8",
    accent_disabled="#1f4a6b",
    on_disabled_accent="#8fb3cc",
    danger="#f4212e",
    danger_hover="#dc1e29",
    success="#00ba7c",
    warning="#ffad1f",
    off_bg="#4a1a20",
    off_icon="#ff6b74",
    off_border="#6b2a33",
    note_bg="#2a2414",
    note_border="#5c4a1c",
    info_bg="#173049",
    warning_bg="#4a3510",
    error_bg="#4d161b",
    banner_text="#f5f7f8",
)

LIGHT = Palette(
    name="light",
    bg="#f4f6f8",
    surface="#ffffff",
    surface2="#eef1f4",
    hover="#e2e7ec",
    selected="#d6ebfb",
    border="#d3dae1",
    input_bg="#ffffff",
    preview_bg="#1c2027",
    text="#0f1419",
    muted="#536471",
    disabled="#a3adb7",
    accent="#1d9bf0",
    accent_hover="#1a8cd8",
    accent_disabled="#a8d6f7",
    on_disabled_accent="#f4f9fd",
    danger="#e0212d",
    danger_hover="#c51d28",
    success="#00a36c",
    warning="#b26a00",
    off_bg="#fde3e5",
    off_icon="#d3202b",
    off_border="#f3a7ad",
    note_bg="#fff6e0",
    note_border="#f0d48a",
    info_bg="#1d6fb8",
    warning_bg="#a35c00",
    error_bg="#c01f2a",
    banner_text="#ffffff",
)


def system_prefers_dark() -> bool:
    hints = QGuiApplication.styleHints()
    scheme = hints.colorScheme() if hints is not None else Qt.ColorScheme.Unknown
    if scheme == Qt.ColorScheme.Unknown:
        return QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128
    return scheme == Qt.ColorScheme.Dark


def palette_for(choice: ThemeChoice) -> Palette:
    if choice is ThemeChoice.LIGHT:
        return LIGHT
    if choice is ThemeChoice.DARK:
        return DARK
    return DARK if system_prefers_dark() else LIGHT


class Theme:
    """The active palette; widgets ask it for colours and icons (GUI thread)."""

    def __init__(self, palette: Palette = DARK) -> None:
        self.palette = palette

    def apply(self, app: QApplication, choice: ThemeChoice) -> None:
        self.palette = palette_for(choice)
        app.setStyle("Fusion")
        qt_palette = QPalette()
        p = self.palette
        qt_palette.setColor(QPalette.ColorRole.Window, QColor(p.bg))
        qt_palette.setColor(QPalette.ColorRole.WindowText, QColor(p.text))
        qt_palette.setColor(QPalette.ColorRole.Base, QColor(p.input_bg))
        qt_palette.setColor(QPalette.ColorRole.AlternateBase, QColor(p.surface2))
        qt_palette.setColor(QPalette.ColorRole.Text, QColor(p.text))
        qt_palette.setColor(QPalette.ColorRole.Button, QColor(p.surface2))
        qt_palette.setColor(QPalette.ColorRole.ButtonText, QColor(p.text))
        qt_palette.setColor(QPalette.ColorRole.Highlight, QColor(p.accent))
        qt_palette.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
        qt_palette.setColor(QPalette.ColorRole.PlaceholderText, QColor(p.muted))
        qt_palette.setColor(QPalette.ColorRole.ToolTipBase, QColor(p.surface2))
        qt_palette.setColor(QPalette.ColorRole.ToolTipText, QColor(p.text))
        app.setPalette(qt_palette)
        app.setStyleSheet(style_sheet(self.palette))

    def icon(self, name: str, color: str | None = None, size: int = 24) -> QIcon:
        """An icon from resources/icons tinted with ``color`` (default: the text colour)."""
        return icon(name, color or self.palette.text, size)


def style_sheet(palette: Palette, asset_dir: Path | None = None) -> str:
    """The app's QSS filled from ``palette``; tinted arrow and tick images go to ``asset_dir``."""
    assets = (
        asset_dir
        or Path(tempfile.gettempdir()) / f"spaces-desktop-theme-{os.getuid() if hasattr(os, 'getuid') else 0}"
    )
    values = dict(asdict(palette))
    for key, name, colour in (
        ("chevron", "chevron-down", palette.muted),
        ("chevron_up", "chevron-up", palette.muted),
        ("tick", "check", "#ffffff"),
    ):
        values[key] = _tinted_file(assets, name, colour)
    return Template(STYLE_SHEET.read_text(encoding="utf-8")).safe_substitute(values)


def _tinted_file(folder: Path, name: str, colour: str) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{colour.lstrip('#')}.svg"
    if not path.exists():
        path.write_text(_svg(name).replace("currentColor", colour), encoding="utf-8")
    return path.as_posix()


@lru_cache(maxsize=256)
def _svg(name: str) -> str:
    return (ICONS / f"{name}.svg").read_text(encoding="utf-8")


@lru_cache(maxsize=512)
def icon(name: str, color: str, size: int = 24) -> QIcon:
    """Rendered once per (name, colour, size): screens restyle their buttons on every state."""
    result = QIcon()
    for scale in (1, 2):
        result.addPixmap(icon_pixmap(name, color, size * scale))
    return result


def icon_pixmap(name: str, color: str, size: int) -> QPixmap:
    data = QByteArray(_svg(name).replace("currentColor", color).encode("utf-8"))
    renderer = QSvgRenderer(data)
    pixmap = QPixmap(QSize(size, size))
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return pixmap


def emoji_font(base: QFont, point_size: int) -> QFont:
    """``base`` at ``point_size`` with the colour emoji fonts first, for text that is only emoji."""
    font = QFont(base)
    font.setPointSize(point_size)
    font.setFamilies([*EMOJI_FAMILIES, *base.families()])
    return font


def icon_names() -> list[str]:
    return sorted(p.stem for p in ICONS.glob("*.svg"))

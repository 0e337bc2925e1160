"""Stage colours, taken from the widget's palette so the stage follows the app's theme (GUI thread).

A dark palette (the app's default) gives the dark stage: near-black backdrop,
slate cards, soft light borders. A light palette gives a pale backdrop with
white cards. The accent (speaking ring, host badge, pin) is the palette's
highlight colour. Each participant's avatar colour comes from their id, so it
is the same on every screen and every run.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette


@dataclass(frozen=True)
class StageColors:
    dark: bool
    background: QColor
    card: QColor
    card_border: QColor
    shadow: QColor
    text: QColor
    subtle_text: QColor
    accent: QColor
    danger: QColor
    overlay: QColor
    """Translucent backing of labels drawn over video or cards."""
    overlay_text: QColor

    @classmethod
    def from_palette(cls, palette: QPalette) -> StageColors:
        window = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Window)
        accent = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Highlight)
        if accent.hslSaturationF() < 0.25:  # a grey highlight would make the ring invisible
            accent = QColor("#1d9bf0")
        if window.lightness() < 128:
            return cls(
                dark=True,
                background=window.darker(135),
                card=_mix(window, QColor("#2a303a"), 0.6),
                card_border=QColor(255, 255, 255, 22),
                shadow=QColor(0, 0, 0, 80),
                text=QColor("#e7e9ea"),
                subtle_text=QColor("#9aa4b0"),
                accent=accent,
                danger=QColor("#f4212e"),
                overlay=QColor(8, 10, 14, 165),
                overlay_text=QColor("#f5f7f8"),
            )
        return cls(
            dark=False,
            background=window.darker(106),
            card=QColor("#ffffff"),
            card_border=QColor(15, 20, 25, 28),
            shadow=QColor(15, 20, 25, 16),
            text=QColor("#0f1419"),
            subtle_text=QColor("#536471"),
            accent=accent,
            danger=QColor("#e0245e"),
            overlay=QColor(15, 20, 25, 150),
            overlay_text=QColor("#ffffff"),
        )


def avatar_colors(participant_id: str, dark: bool) -> tuple[QColor, QColor]:
    """A calm fill for someone's avatar circle and the colour of their initials on it."""
    hue = (zlib.crc32(participant_id.encode()) % 360) / 360.0
    if dark:
        return QColor.fromHslF(hue, 0.36, 0.40), QColor("#f5f7f8")
    return QColor.fromHslF(hue, 0.50, 0.84), QColor.fromHslF(hue, 0.45, 0.26)


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * t,
        a.greenF() + (b.greenF() - a.greenF()) * t,
        a.blueF() + (b.blueF() - a.blueF()) * t,
    )

"""Draws overlays as RGBA bitmaps with QPainter, in the app's fonts and colours (GUI thread).

Why here and not in the engine: Qt already has the app's fonts (any script,
emoji, antialiasing), image loading for every format a person may pick, and
the theme; the live preview in the overlay panel then shows the very pixels
that get published. The engine only receives finished bitmaps
(:class:`OverlayLayer`) and blends them (spaces_desktop.media.overlays), so no
Qt runs in the media path and nothing is drawn per frame.

Sizes scale with the frame height (designed at 720 lines), so a 360p camera
gets the same layout at half the size.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPainterPath

from spaces_desktop.media.overlays import Motion, OverlayLayer
from spaces_desktop.ui.qt.theme import DARK, Palette
from spaces_desktop.ui.viewmodels.overlay_config import Corner, OverlayConfig, OverlayKind

PANEL_ALPHA = 0.9


def image_to_rgba(image: QImage) -> np.ndarray:
    """A QImage as an (h, w, 4) RGBA array with straight alpha (a copy)."""
    image = image.convertToFormat(QImage.Format.Format_RGBA8888)
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    data = np.frombuffer(image.constBits(), dtype=np.uint8, count=stride * height)
    return data.reshape(height, stride // 4, 4)[:, :width].copy()


def _canvas(width: int, height: int) -> QImage:
    image = QImage(max(1, width), max(1, height), QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    return image


def _font(size_px: float, bold: bool = False) -> QFont:
    font = QFont()
    font.setPixelSize(max(6, round(size_px)))
    font.setBold(bold)
    return font


def _elide(text: str, font: QFont, width: float) -> str:
    return QFontMetricsF(font).elidedText(text, Qt.TextElideMode.ElideRight, width)


def _panel(painter: QPainter, rect: QRectF, radius: float, palette: Palette) -> None:
    path = QPainterPath()
    path.addRoundedRect(rect, radius, radius)
    colour = QColor(palette.surface)
    colour.setAlphaF(PANEL_ALPHA)
    painter.fillPath(path, colour)


def lower_third(name: str, line: str, frame: tuple[int, int], palette: Palette = DARK) -> OverlayLayer | None:
    """Name over a title or handle, on a panel with an accent bar, bottom left; slides in from the left."""
    name, line = name.strip(), line.strip()
    if not name and not line:
        return None
    width, height = frame
    s = height / 720
    name_font, line_font = _font(34 * s, bold=True), _font(24 * s)
    pad, bar = 20 * s, 8 * s
    text_w = max(
        QFontMetricsF(name_font).horizontalAdvance(name), QFontMetricsF(line_font).horizontalAdvance(line)
    )
    panel_w = min(width * 0.6, text_w + 2 * pad + bar)
    name_h = QFontMetricsF(name_font).height() if name else 0.0
    line_h = QFontMetricsF(line_font).height() if line else 0.0
    panel_h = name_h + line_h + 1.4 * pad
    image = _canvas(round(panel_w), round(panel_h))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    _panel(painter, QRectF(0, 0, panel_w, panel_h), 10 * s, palette)
    painter.fillRect(QRectF(0, 0, bar, panel_h), QColor(palette.accent))
    text_x, text_w_max = bar + pad, panel_w - bar - 2 * pad
    y = 0.7 * pad
    if name:
        painter.setFont(name_font)
        painter.setPen(QColor(palette.text))
        painter.drawText(
            QRectF(text_x, y, text_w_max, name_h),
            Qt.AlignmentFlag.AlignLeft,
            _elide(name, name_font, text_w_max),
        )
        y += name_h
    if line:
        painter.setFont(line_font)
        painter.setPen(QColor(palette.muted))
        painter.drawText(
            QRectF(text_x, y, text_w_max, line_h),
            Qt.AlignmentFlag.AlignLeft,
            _elide(line, line_font, text_w_max),
        )
    painter.end()
    x, top = round(width * 0.04), round(height * 0.92 - panel_h)
    return OverlayLayer(
        OverlayKind.LOWER_THIRD, image_to_rgba(image), x, top, frame, motion=Motion.SLIDE_LEFT
    )


def logo(path: str, corner: Corner, frame: tuple[int, int]) -> OverlayLayer | None:
    """The picked image, 12 % of the frame's height, in a corner; fades in and out."""
    source = QImage(path) if path and Path(path).is_file() else QImage()
    if source.isNull():
        return None
    width, height = frame
    box_h, box_w = height * 0.12, width * 0.25
    scaled = source.scaled(
        round(box_w),
        round(box_h),
        Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.SmoothTransformation,
    )
    margin = round(height * 0.04)
    x = margin if corner in (Corner.TOP_LEFT, Corner.BOTTOM_LEFT) else width - margin - scaled.width()
    y = margin if corner in (Corner.TOP_LEFT, Corner.TOP_RIGHT) else height - margin - scaled.height()
    return OverlayLayer(OverlayKind.LOGO, image_to_rgba(scaled), x, y, frame, motion=Motion.FADE)


def product_card(
    name: str, price: str, line: str, image_path: str, frame: tuple[int, int], palette: Palette = DARK
) -> OverlayLayer | None:
    """A card on the right: picture, name, price in the accent colour, one line; slides in from the right."""
    name, price, line = name.strip(), price.strip(), line.strip()
    picture = QImage(image_path) if image_path and Path(image_path).is_file() else QImage()
    if not (name or price or line or not picture.isNull()):
        return None
    width, height = frame
    s = height / 720
    card_w, pad = width * 0.28, 18 * s
    inner_w = card_w - 2 * pad
    fonts = (_font(30 * s, bold=True), _font(38 * s, bold=True), _font(22 * s))
    texts = (name, price, line)
    heights = [QFontMetricsF(f).height() if t else 0.0 for f, t in zip(fonts, texts, strict=True)]
    pic = (
        picture.scaled(
            round(inner_w),
            round(height * 0.32),
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        if not picture.isNull()
        else QImage()
    )
    pic_h = pic.height() + pad * 0.6 if not pic.isNull() else 0.0
    card_h = pad * 2 + pic_h + sum(heights)
    image = _canvas(round(card_w), round(card_h))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    _panel(painter, QRectF(0, 0, card_w, card_h), 14 * s, palette)
    y = pad
    if not pic.isNull():
        painter.drawImage(round(pad + (inner_w - pic.width()) / 2), round(y), pic)
        y += pic_h
    colours = (palette.text, palette.accent, palette.muted)
    for font, text, colour, text_h in zip(fonts, texts, colours, heights, strict=True):
        if not text:
            continue
        painter.setFont(font)
        painter.setPen(QColor(colour))
        painter.drawText(
            QRectF(pad, y, inner_w, text_h), Qt.AlignmentFlag.AlignLeft, _elide(text, font, inner_w)
        )
        y += text_h
    painter.end()
    x, top = round(width - width * 0.04 - card_w), round((height - card_h) / 2)
    return OverlayLayer(OverlayKind.PRODUCT, image_to_rgba(image), x, top, frame, motion=Motion.SLIDE_RIGHT)


def render(
    config: OverlayConfig, frame: tuple[int, int], palette: Palette = DARK
) -> dict[OverlayKind, OverlayLayer]:
    """Every overlay the config describes, each marked shown or not (hidden ones are sent too, so a
    hotkey only has to animate them in)."""
    layers = {
        OverlayKind.LOWER_THIRD: lower_third(config.name, config.line, frame, palette),
        OverlayKind.LOGO: logo(config.logo_path, config.logo_corner, frame),
        OverlayKind.PRODUCT: product_card(
            config.product_name,
            config.product_price,
            config.product_line,
            config.product_image,
            frame,
            palette,
        ),
    }
    out: dict[OverlayKind, OverlayLayer] = {}
    for kind, layer in layers.items():
        if layer is not None:
            out[kind] = OverlayLayer(
                layer.key, layer.rgba, layer.x, layer.y, layer.frame_size, config.shown(kind), layer.motion
            )
    return out

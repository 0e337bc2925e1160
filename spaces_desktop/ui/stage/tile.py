"""One participant's tile: their video or avatar, name, role, mute, pin and speaking ring (GUI thread).

A tile paints everything itself with QPainter, and every pixel of its
rectangle (it is opaque: Qt paints nothing beneath it). Video is drawn
straight from the converted BGRA picture wrapped as a QImage (no copy); the
picture is already at the tile's size in device pixels, so drawing it is a
plain copy into the card. Only while the layout animates is it stretched
(without smoothing, the motion hides it). Everything around and over the
video that does not change per frame (backdrop, shadow, border, rounded
corners, name chip, badges, glyphs) is rendered once into pixmaps
(decor.py) and copied each frame. A tile drawn over another (picture in
picture) is see-through instead and clips the video to its rounded card.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QLocale, QPoint, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QContextMenuEvent,
    QFocusEvent,
    QFont,
    QFontMetricsF,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QTransform,
)
from PySide6.QtWidgets import QWidget

from spaces_desktop.domain import Role
from spaces_desktop.domain.state import NetworkStats
from spaces_desktop.session.frames import TileKey
from spaces_desktop.ui.stage.colors import StageColors, avatar_colors
from spaces_desktop.ui.stage.converter import FrameConverter, Picture, Target
from spaces_desktop.ui.stage.decor import DecorCache, Draw, Piece, blit, render_piece
from spaces_desktop.ui.stage.glyphs import draw_muted_mic, draw_pin, draw_signal_bars
from spaces_desktop.ui.viewmodels.i18n import QT_TRANSLATE_NOOP
from spaces_desktop.ui.widgets.plain import set_plain_tooltip

MARGIN = 6
"""Room around the card for its shadow; the layout's gap is twice this."""
FPS_WINDOW_S = 2.0

BADGES = {
    Role.HOST: QT_TRANSLATE_NOOP("TileWidget", "Host"),
    Role.COHOST: QT_TRANSLATE_NOOP("TileWidget", "Co-host"),
}
PAUSED_TEXT = QT_TRANSLATE_NOOP("TileWidget", "Video paused — reconnecting…")
NETWORK_TEXT = {
    "good": QT_TRANSLATE_NOOP("TileWidget", "Network: good — under 2% of their packets lost"),
    "fair": QT_TRANSLATE_NOOP(
        "TileWidget", "Network: fair — 2–8% of their packets lost; the picture may break up"
    ),
    "poor": QT_TRANSLATE_NOOP(
        "TileWidget", "Network: poor — over 8% of their packets lost, or none arriving; expect freezes"
    ),
}
RATING_WORDS = {
    "good": QT_TRANSLATE_NOOP("TileWidget", "good"),
    "fair": QT_TRANSLATE_NOOP("TileWidget", "fair"),
    "poor": QT_TRANSLATE_NOOP("TileWidget", "poor"),
}
RULE_TEXT = {
    "good": QT_TRANSLATE_NOOP("TileWidget", "Good means under 2% of their packets lost."),
    "fair": QT_TRANSLATE_NOOP(
        "TileWidget", "Fair means 2–8% of their packets lost; the picture may break up."
    ),
    "poor": QT_TRANSLATE_NOOP(
        "TileWidget", "Poor means over 8% of their packets lost, or none arriving; expect freezes."
    ),
}
QUALITY_WORDS = {
    "good": QT_TRANSLATE_NOOP("TileWidget", "good connection"),
    "fair": QT_TRANSLATE_NOOP("TileWidget", "fair connection"),
    "poor": QT_TRANSLATE_NOOP("TileWidget", "poor connection"),
}
PIN_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


def tr(text: str) -> str:
    return QCoreApplication.translate("TileWidget", text)


def _number(value: float) -> str:
    """A short number in the user's locale: 1.5, 3, 12 (one decimal only below 10)."""
    return QLocale().toString(float(round(value, 1 if value < 10 else None)))


def network_text(quality: str, stats: NetworkStats | None) -> str:
    """The network line of a tile's tooltip: the rating, and the numbers behind it when measured.

    E.g. "Network: fair — 3 % lost, 640 kbit/s, 85 ms round trip", then what the rating means.
    """
    if quality not in NETWORK_TEXT:
        return ""
    if stats is None:
        return tr(NETWORK_TEXT[quality])
    numbers = [
        QCoreApplication.translate("TileWidget", "%1 % lost").replace("%1", _number(stats.loss_percent))
    ]
    if stats.kbps is not None:
        numbers.append(
            QCoreApplication.translate("TileWidget", "%1 kbit/s").replace(
                "%1", QLocale().toString(stats.kbps)
            )
        )
    if stats.round_trip_ms is not None:
        numbers.append(
            QCoreApplication.translate("TileWidget", "%1 ms round trip").replace(
                "%1", QLocale().toString(stats.round_trip_ms)
            )
        )
    line = (
        QCoreApplication.translate("TileWidget", "Network: %1 — %2")
        .replace("%1", tr(RATING_WORDS[quality]))
        .replace("%2", ", ".join(numbers))
    )
    return f"{line}\n{tr(RULE_TEXT[quality])}"


@dataclass(frozen=True)
class TileInfo:
    """What a tile shows, derived from the session state."""

    key: TileKey
    label: str
    initials: str
    role: Role
    muted: bool = False
    video: bool = False
    """The camera is on and frames are arriving; the tile shows video once one is converted."""
    product: bool = False
    pinned: bool = False
    featured: bool = False
    quality: str | None = None
    """How well this participant's media arrives ("good", "fair", "poor"); None for ourselves."""
    network: NetworkStats | None = None
    """The numbers behind ``quality`` (loss, bitrate, round trip), once measured."""
    paused: bool = False
    """The camera is on but the picture froze: the tile says so instead of showing a still frame."""

    @property
    def participant_id(self) -> str:
        return self.key[0]


class TileWidget(QWidget):
    """Paints one tile; the stage view places, sizes and feeds it."""

    double_clicked = Signal(str)
    menu_requested = Signal(str, QPoint)
    painted_hook: Callable[[TileWidget, Picture], None] | None = None
    """Called right after a tile painted a picture, before anything else paints (benchmarks read the
    painted pixels back from the backing store here)."""

    def __init__(
        self, info: TileInfo, converter: FrameConverter, colors: StageColors, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.info = info
        self.colors = colors
        self.ring = 0.0
        self.moving = False
        """Set by the view while the layout animates: stretch video without smoothing."""
        self._converter = converter
        self._image: QImage | None = None
        self._image_picture: Picture | None = None
        self._painted_seq = -1
        self._painted_at: deque[float] = deque(maxlen=256)
        self._paint_costs: deque[float] = deque(maxlen=120)
        self._decor = DecorCache()
        self.shown_rect: QRectF | None = None
        """Where the last picture was drawn, in the tile's coordinates (it may reach past the card)."""
        self.opaque = True
        """Paints every pixel itself (see set_opaque)."""
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMouseTracking(False)
        # Tab reaches every tile; Enter pins (see keyPressEvent), the menu key opens its menu.
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._describe()

    # --- fed by the view ---

    def set_info(self, info: TileInfo) -> None:
        if info != self.info:
            self.info = info
            self._describe()
            self.update()

    def set_colors(self, colors: StageColors) -> None:
        self.colors = colors
        self._decor.clear()
        self.update()

    def set_ring(self, value: float) -> None:
        if abs(value - self.ring) > 1e-3:
            self.ring = value
            self.update()

    def card_rect(self) -> QRectF:
        return QRectF(self.rect()).adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN)

    def video_target(self, size: QSize, dpr: float) -> Target:
        """The picture size this tile wants when it is ``size`` large (device pixels)."""
        w = max(2, round((size.width() - 2 * MARGIN) * dpr))
        h = max(2, round((size.height() - 2 * MARGIN) * dpr))
        return Target(w, h, fit=self.info.product)

    # --- what it shows (for the view and tests) ---

    @property
    def shows_video(self) -> bool:
        return self.info.video and self._converter.picture(self.info.key) is not None

    @property
    def painted_seq(self) -> int:
        """Sequence number of the newest frame this tile has painted (-1: none yet)."""
        return self._painted_seq

    def painted_fps(self, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        times = [t for t in self._painted_at if now - t <= FPS_WINDOW_S]
        if len(times) < 2:
            return 0.0
        return (len(times) - 1) / max(times[-1] - times[0], 1e-6)

    def paint_cost_ms(self) -> float | None:
        costs = sorted(self._paint_costs)
        return costs[len(costs) // 2] * 1e3 if costs else None

    # --- input ---

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.double_clicked.emit(self.info.participant_id)
            event.accept()
        else:
            super().mouseDoubleClickEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        where = event.globalPos()
        if event.reason() is QContextMenuEvent.Reason.Keyboard:
            where = self.mapToGlobal(self.card_rect().center().toPoint())
        self.menu_requested.emit(self.info.participant_id, where)
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Enter pins or unpins, like a double click; every other key (Space for the mic, the
        # app's shortcuts) goes on to the window.
        plain = event.modifiers() in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)
        if event.key() in PIN_KEYS and plain:
            self.double_clicked.emit(self.info.participant_id)
            event.accept()
            return
        super().keyPressEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.update()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.update()

    # --- painting ---

    def paintEvent(self, event: QPaintEvent) -> None:
        started = time.perf_counter()
        painter = QPainter(self)
        card = self.card_rect()
        if card.width() < 4 or card.height() < 4:
            if self.opaque:
                painter.fillRect(self.rect(), self.colors.background)
            painter.end()
            return
        radius = max(8.0, min(16.0, min(card.width(), card.height()) * 0.06))
        dpr = self.devicePixelRatioF()
        picture = self._converter.picture(self.info.key) if self.info.video else None
        if picture is not None:
            if self.opaque:
                self._blit_video(painter, card, picture, dpr)
            else:
                painter.setRenderHint(QPainter.RenderHint.Antialiasing)
                self._paint_video(painter, card, radius, picture)
        else:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            self._paint_avatar(painter, card, radius)
        blit(painter, self._chrome_pieces(card, radius, dpr))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.ring > 0:
            self._paint_ring(painter, card, radius)
        blit(painter, self._label_pieces(card, picture is not None, dpr))
        if self.hasFocus():
            self._paint_focus(painter, card, radius)
        painter.end()
        if picture is not None:
            hook = TileWidget.painted_hook
            if hook is not None:
                hook(self, picture)
            self._converter.consumed(self.info.key, picture.seq)
        self._paint_costs.append(time.perf_counter() - started)

    @property
    def decoration_renders(self) -> int:
        """How many decoration pixmaps this tile has rendered (flat while only its video changes)."""
        return self._decor.renders

    def set_opaque(self, opaque: bool) -> None:
        """Opaque tiles paint every pixel (backdrop in the margin), so Qt paints nothing beneath them.

        A tile drawn over another (a picture in picture) stays see-through: its margin shows the tile below.
        """
        if opaque != self.opaque:
            self.opaque = opaque
            self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, opaque)
            self.update()

    def _chrome_pieces(self, card: QRectF, radius: float, dpr: float) -> list[Piece]:
        """Shadow, hairline border and (opaque) the backdrop around the rounded card, as four strips.

        The strips cover the margin and the card's corners; the middle, where the video is, stays
        untouched. In an opaque tile the backdrop is cut away inside the card with antialiased edges,
        so the square video under it gets rounded corners without clipping.
        """
        key = (self.width(), self.height(), radius, self.opaque, id(self.colors), dpr)
        return self._decor.pieces("chrome", key, lambda: self._render_chrome(card, radius, dpr))

    def _render_chrome(self, card: QRectF, radius: float, dpr: float) -> list[Piece]:
        colors, opaque, whole = self.colors, self.opaque, QRectF(self.rect())
        inner = QPainterPath()
        inner.addRoundedRect(card, radius, radius)
        outer = QPainterPath()
        outer.addRoundedRect(card.adjusted(-2, -1, 2, 3), radius + 2, radius + 2)
        inset = QPainterPath()
        inset.addRoundedRect(card.adjusted(1, 1, -1, -1), radius - 1, radius - 1)
        shadow, border = outer.subtracted(inner), inner.subtracted(inset)

        def draw(painter: QPainter) -> None:
            painter.setPen(Qt.PenStyle.NoPen)
            if opaque:
                painter.fillRect(whole, colors.background)
            painter.setBrush(colors.shadow)
            painter.drawPath(shadow)
            if opaque:
                painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Clear)
                painter.setBrush(QColor(0, 0, 0))
                painter.drawPath(inner)
                painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
            painter.setBrush(colors.card_border)
            painter.drawPath(border)

        depth = MARGIN + math.ceil(radius) + 2
        w, h = whole.width(), whole.height()
        if w <= 2 * depth or h <= 2 * depth:
            return [render_piece(whole, dpr, draw)]
        strips = (
            QRectF(0, 0, w, depth),
            QRectF(0, h - depth, w, depth),
            QRectF(0, depth, depth, h - 2 * depth),
            QRectF(w - depth, depth, depth, h - 2 * depth),
        )
        return [render_piece(strip, dpr, draw) for strip in strips]

    def _image_of(self, picture: Picture, dpr: float) -> QImage:
        """The picture's BGRA pixels as a QImage, without a copy (the picture keeps them alive)."""
        if picture is not self._image_picture or self._image is None:
            pixels = memoryview(picture.frame.planes[0])
            fmt = QImage.Format.Format_RGB32
            self._image = QImage(pixels, picture.width, picture.height, picture.stride, fmt)
            self._image_picture = picture
        if self._image.devicePixelRatio() != dpr:
            self._image.setDevicePixelRatio(dpr)
        return self._image

    def _mark_painted(self, picture: Picture) -> None:
        if picture.seq != self._painted_seq:
            self._painted_seq = picture.seq
            self._painted_at.append(time.monotonic())

    def _video_placement(self, card: QRectF, picture: Picture, dpr: float) -> tuple[QRectF, bool]:
        """Where the picture goes (cover or fit, centred on the card); whether it is 1:1 in device pixels."""
        exact = picture.target == self.video_target(self.size(), dpr) and not self.moving
        if exact:
            shown_w, shown_h = picture.width / dpr, picture.height / dpr
        else:
            if picture.target.fit:
                scale = min(card.width() / picture.width, card.height() / picture.height)
            else:
                scale = max(card.width() / picture.width, card.height() / picture.height)
            shown_w, shown_h = picture.width * scale, picture.height * scale
        dx = round((card.left() + (card.width() - shown_w) / 2) * dpr) / dpr
        dy = round((card.top() + (card.height() - shown_h) / 2) * dpr) / dpr
        return QRectF(dx, dy, shown_w, shown_h), exact

    def _blit_video(self, painter: QPainter, card: QRectF, picture: Picture, dpr: float) -> None:
        """Opaque tiles: a plain copy of the tile-sized picture into the card (the chrome rounds it)."""
        image = self._image_of(picture, dpr)
        shown, exact = self._video_placement(card, picture, dpr)
        self.shown_rect = shown
        painter.setClipRect(card)
        if picture.target.fit:
            painter.fillRect(card, QColor(0, 0, 0) if self.colors.dark else QColor(15, 20, 25))
        if exact:
            painter.drawImage(shown.topLeft(), image)
        else:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, not self.moving)
            painter.drawImage(shown, image)
        painter.setClipping(False)
        self._mark_painted(picture)

    def _paint_video(self, painter: QPainter, card: QRectF, radius: float, picture: Picture) -> None:
        """See-through tiles: the picture through a brush on the rounded card, which clips its corners."""
        dpr = self.devicePixelRatioF()
        image = self._image_of(picture, 1.0)
        shown, exact = self._video_placement(card, picture, dpr)
        self.shown_rect = shown
        scale = shown.width() / picture.width
        if picture.target.fit:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(0, 0, 0) if self.colors.dark else QColor(15, 20, 25))
            painter.drawRoundedRect(card, radius, radius)
        brush = QBrush(image)
        brush.setTransform(QTransform(scale, 0, 0, scale, shown.left(), shown.top()))
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, not self.moving and not exact)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(brush)
        if picture.target.fit:  # the picture's edges meet the card's rounded corners, letterboxed
            rounded = QPainterPath()
            rounded.addRoundedRect(card, radius, radius)
            visible = QPainterPath()
            visible.addRect(shown)
            painter.drawPath(rounded.intersected(visible))
        else:
            painter.drawRoundedRect(card, radius, radius)
        self._mark_painted(picture)

    def _paint_avatar(self, painter: QPainter, card: QRectF, radius: float) -> None:
        colors = self.colors
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colors.card)
        if self.opaque:  # the chrome rounds the corners
            painter.fillRect(card, colors.card)
        else:
            painter.drawRoundedRect(card, radius, radius)
        fill, ink = avatar_colors(self.info.participant_id, colors.dark)
        label_room = min(34.0, card.height() * 0.18)
        d = max(24.0, min(168.0, min(card.width(), card.height() - label_room) * 0.5))
        center = card.center()
        center.setY(center.y() - min(label_room * 0.35, card.height() * 0.06))
        if self.ring > 0:
            halo = QColor(colors.accent)
            halo.setAlphaF(0.18 * self.ring)
            painter.setBrush(halo)
            r = d / 2 + 4 + 10 * self.ring
            painter.drawEllipse(center, r, r)
            ring = QColor(colors.accent)
            ring.setAlphaF(0.35 + 0.65 * self.ring)
            painter.setPen(QPen(ring, 2.0 + 2.0 * self.ring))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            r = d / 2 + 3 + 2 * self.ring
            painter.drawEllipse(center, r, r)
            painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawEllipse(center, d / 2, d / 2)
        font = QFont(self.font())
        font.setPixelSize(max(10, round(d * 0.36)))
        font.setWeight(QFont.Weight.DemiBold)
        painter.setFont(font)
        painter.setPen(ink)
        box = QRectF(center.x() - d / 2, center.y() - d / 2, d, d)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, self.info.initials)
        if self.info.paused:  # a status pill across the foot of the avatar
            font.setPixelSize(max(10, min(13, round(card.height() * 0.05))))
            font.setWeight(QFont.Weight.Medium)
            metrics = QFontMetricsF(font)
            text = metrics.elidedText(tr(PAUSED_TEXT), Qt.TextElideMode.ElideRight, card.width() - 28)
            w, h = metrics.horizontalAdvance(text) + 16, metrics.height() + 6
            pill = QRectF(center.x() - w / 2, box.bottom() - h / 2, w, h)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colors.overlay)
            painter.drawRoundedRect(pill, h / 2, h / 2)
            painter.setFont(font)
            painter.setPen(colors.overlay_text)
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_ring(self, painter: QPainter, card: QRectF, radius: float) -> None:
        """The speaking ring, over the hairline border (it fades, so it is drawn live)."""
        color = QColor(self.colors.accent)
        color.setAlphaF(0.30 + 0.70 * self.ring)
        width = 2.0 + 1.5 * self.ring
        half = width / 2
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(color, width))
        painter.drawRoundedRect(card.adjusted(half, half, -half, -half), radius - half, radius - half)

    def _paint_focus(self, painter: QPainter, card: QRectF, radius: float) -> None:
        """A keyboard-focus ring outside the speaking ring, in the text colour so it shows on any accent."""
        painter.setBrush(Qt.BrushStyle.NoBrush)
        pen = QPen(self.colors.text, 2.0, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawRoundedRect(card.adjusted(3, 3, -3, -3), radius - 3, radius - 3)

    def _label_pieces(self, card: QRectF, over_video: bool, dpr: float) -> list[Piece]:
        """Name chip, role badge, network bars and pin, rendered once per size and content."""
        info = self.info
        badge = tr(BADGES[info.role]) if info.role in BADGES and not info.product else None
        key = (
            self.width(), self.height(), over_video, info.label, info.muted, info.quality,
            info.role, info.product, info.pinned, badge, id(self.colors), dpr, self.font().key(),
        )  # fmt: skip
        draws = lambda: self._label_draws(card, over_video, badge)  # noqa: E731
        return self._decor.pieces("labels", key, lambda: [render_piece(r, dpr, d) for r, d in draws()])

    def _label_draws(self, card: QRectF, over_video: bool, badge: str | None) -> list[tuple[QRectF, Draw]]:
        """Each label's rectangle and how to draw it (in the tile's coordinates)."""
        colors = self.colors
        backing, ink = colors.overlay, colors.overlay_text
        if not over_video and not colors.dark:
            backing, ink = QColor(15, 20, 25, 16), colors.text
        small = card.height() < 110 or card.width() < 180
        inset = 6.0 if small else 10.0
        font = QFont(self.font())
        font.setPixelSize(11 if small else (13 if card.height() < 300 else 14))
        font.setWeight(QFont.Weight.Medium)
        metrics = QFontMetricsF(font)
        pill_h = metrics.height() + (6 if small else 9)
        pad = 7.0 if small else 10.0
        muted = self.info.muted
        icon = pill_h - 8 if muted else 0.0
        room = card.width() - 2 * inset - 2 * pad - (icon + 5 if icon else 0)
        text = metrics.elidedText(self.info.label, Qt.TextElideMode.ElideRight, max(room, 0.0))
        pill_w = 2 * pad + metrics.horizontalAdvance(text) + (icon + 5 if icon else 0)
        pill = QRectF(card.left() + inset, card.bottom() - inset - pill_h, pill_w, pill_h)

        def chip(painter: QPainter) -> None:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(backing)
            painter.drawRoundedRect(pill, pill_h / 2, pill_h / 2)
            x = pill.left() + pad
            if icon:
                box = QRectF(x - 1, pill.center().y() - icon / 2, icon, icon)
                mic = QColor("#ff6b73") if ink == colors.overlay_text else colors.danger
                draw_muted_mic(painter, box, mic, backing if backing.alpha() > 100 else colors.card)
                x += icon + 5
            painter.setFont(font)
            painter.setPen(ink)
            area = QRectF(x, pill.top(), pill.right() - x, pill_h)
            painter.drawText(area, Qt.AlignmentFlag.AlignVCenter, text)

        draws: list[tuple[QRectF, Draw]] = [(pill, chip)]
        quality = self.info.quality
        if quality is not None:
            size = pill_h - 6
            bars = QRectF(card.right() - inset - size - 4, card.top() + inset, size + 4, pill_h)

            def signal(painter: QPainter) -> None:
                painter.setBrush(backing)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.drawRoundedRect(bars, 6, 6)
                draw_signal_bars(painter, bars.adjusted(4, 4, -4, -4), quality, ink)

            draws.append((bars, signal))

        if badge:
            bfont = QFont(font)
            bfont.setPixelSize(10 if small else 11)
            bfont.setWeight(QFont.Weight.Bold)
            bm = QFontMetricsF(bfont)
            bh = bm.height() + (4 if small else 6)
            bw = bm.horizontalAdvance(badge) + (10 if small else 14)
            brect = QRectF(card.left() + inset, card.top() + inset, bw, bh)
            host = self.info.role is Role.HOST

            def role_badge(painter: QPainter) -> None:
                if host:
                    painter.setBrush(colors.accent)
                    painter.setPen(Qt.PenStyle.NoPen)
                else:
                    painter.setBrush(colors.overlay)
                    painter.setPen(QPen(colors.accent, 1.2))
                painter.drawRoundedRect(brect, bh / 2, bh / 2)
                painter.setFont(bfont)
                painter.setPen(QColor("#ffffff"))
                painter.drawText(brect, Qt.AlignmentFlag.AlignCenter, badge)

            draws.append((brect.adjusted(-1, -1, 1, 1), role_badge))

        if self.info.pinned and not self.info.product:
            d = pill_h
            circle = QRectF(card.right() - inset - d, card.top() + inset, d, d)

            def pin(painter: QPainter) -> None:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(colors.overlay)
                painter.drawEllipse(circle)
                draw_pin(painter, circle.adjusted(d * 0.2, d * 0.2, -d * 0.2, -d * 0.2), colors.overlay_text)

            draws.append((circle, pin))
        return draws

    def _describe(self) -> None:
        """Accessible name (who, role, state) and a tooltip with the full name and the network's story."""
        info = self.info
        parts = [info.label]
        if info.role in BADGES and not info.product:
            parts.append(tr(BADGES[info.role]))
        if info.muted:
            parts.append(QCoreApplication.translate("TileWidget", "muted"))
        if info.quality in QUALITY_WORDS:
            parts.append(tr(QUALITY_WORDS[str(info.quality)]))
        if info.paused:
            parts.append(tr(PAUSED_TEXT))
        if info.pinned:
            parts.append(QCoreApplication.translate("TileWidget", "pinned"))
        network = network_text(str(info.quality), info.network)
        self.setAccessibleName(", ".join(parts))
        self.setAccessibleDescription(
            " ".join(
                bit
                for bit in (
                    network.replace("\n", " "),
                    QCoreApplication.translate("TileWidget", "Press Enter to unpin.")
                    if info.pinned
                    else QCoreApplication.translate("TileWidget", "Press Enter to pin to the big tile."),
                )
                if bit
            )
        )
        set_plain_tooltip(self, "\n".join(bit for bit in (", ".join(parts), network) if bit))

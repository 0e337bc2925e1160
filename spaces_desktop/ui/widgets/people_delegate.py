"""Paints the People panel's rows and handles clicks on their buttons (GUI thread).

A row is drawn, not built from widgets: the avatar circle in the person's stage
colour (ui/stage/colors.py, the one palette), the name elided to fit (the full
name is the tooltip), the detail line, hand/mic/camera glyphs, and the
moderator's buttons. All text goes through ``QPainter.drawText`` as plain
text: a name that looks like markup is drawn as typed.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QGuiApplication,
    QHelpEvent,
    QIcon,
    QMouseEvent,
    QPainter,
    QPen,
    QPixmap,
    QStaticText,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolTip,
    QWidget,
)

from spaces_desktop.ui.qt.theme import Theme
from spaces_desktop.ui.stage.colors import StageColors, avatar_colors
from spaces_desktop.ui.viewmodels.space_model import ACTION_ICONS, ACTION_LABELS, Action, PersonRow
from spaces_desktop.ui.widgets.people_model import Kind, PeopleRole
from spaces_desktop.ui.widgets.plain import tooltip_markup

ROW_HEIGHT = 48
"""Every row, headers included, is this tall: uniform sizes let the view skip laying out 10,000 rows."""
AVATAR = 34
BUTTON = 28
GLYPH = 16
PAD = 8
MORE = "more"
"""The key of the "⋯" button that opens the row's menu."""

BODY_FONT, NAME_FONT, INITIALS_FONT, HEADER_FONT = range(4)
TEXT_CACHE = 2000
PICTURES = 400
"""Rows kept as pictures: a few screens' worth."""

LOOKS = (QStyle.StateFlag.State_Selected, QStyle.StateFlag.State_MouseOver, QStyle.StateFlag.State_HasFocus)
"""The parts of a row's style state that change how it is drawn."""

ACCEPTING = frozenset({Action.ACCEPT, Action.ADMIT})

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class RowGeometry:
    avatar: QRect
    name: QRect
    detail: QRect
    glyphs: tuple[tuple[str, QRect], ...]
    buttons: tuple[tuple[Action | str, QRect], ...]
    """Quick actions, then ``MORE`` when the row has a menu; right to left on screen."""


def glyphs_of(row: PersonRow) -> tuple[str, ...]:
    m = row.member
    names = []
    if m.hand_raised:
        names.append("hand")
    if m.on_stage:
        names.append("mic-off" if m.muted else "mic")
    if m.camera_on or m.second_camera_on:
        names.append("camera")
    return tuple(names)


def geometry(rect: QRect, row: PersonRow) -> RowGeometry:
    """Where each part of a person's row goes inside ``rect``."""
    top = rect.top() + (rect.height() - AVATAR) // 2
    avatar = QRect(rect.left() + PAD, top, AVATAR, AVATAR)
    right = rect.right() - 4
    keys: list[Action | str] = [*row.actions, *([MORE] if row.menu else [])]
    buttons: list[tuple[Action | str, QRect]] = []
    for key in reversed(keys):
        box = QRect(right - BUTTON + 1, rect.top() + (rect.height() - BUTTON) // 2, BUTTON, BUTTON)
        buttons.insert(0, (key, box))
        right -= BUTTON + 2
    glyphs: list[tuple[str, QRect]] = []
    right -= 2
    for glyph in reversed(glyphs_of(row)):
        box = QRect(right - GLYPH + 1, rect.top() + (rect.height() - GLYPH) // 2, GLYPH, GLYPH)
        glyphs.insert(0, (glyph, box))
        right -= GLYPH + 4
    left = avatar.right() + 11
    width = max(0, right - left)
    half = rect.height() // 2
    name = QRect(left, rect.top() + 5, width, half - 4)
    detail = QRect(left, rect.top() + half, width, half - 5)
    return RowGeometry(avatar, name, detail, tuple(glyphs), tuple(buttons))


class PeopleDelegate(QStyledItemDelegate):
    action_clicked = Signal(str, str)
    """(Action value, participant id): a quick-action button was clicked."""
    menu_requested = Signal(QModelIndex, QPoint)
    """The "⋯" button was clicked: open the row's menu at this point (viewport coordinates)."""

    def __init__(self, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._theme = theme
        self._icons: dict[tuple[str, str], QIcon] = {}
        self._colors: tuple[int, StageColors] | None = None
        self._fonts: dict[str, tuple[QFont, QFont, QFont, QFont]] = {}
        self._pictures: dict[str, tuple[PersonRow, tuple[object, ...], QPixmap]] = {}
        self._texts: dict[tuple[str, int, int], QStaticText] = {}
        """Laid-out texts by (text, width, font kind): shaping a name is most of a row's cost."""

    # --- drawing ---

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(200, ROW_HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        kind = index.data(PeopleRole.KIND)
        rect: QRect = option.rect
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self._theme.palette
        fonts = self._fonts_for(option.font)
        if kind == Kind.HEADER:
            painter.setPen(QColor(palette.muted))
            box = rect.adjusted(PAD, 14, -PAD, -4)
            self._text(painter, box, str(index.data()).upper(), fonts, HEADER_FONT)
        elif kind == Kind.MORE:
            painter.setPen(QColor(palette.muted))
            self._text(painter, rect.adjusted(PAD, 0, -PAD, 0), str(index.data()), fonts, BODY_FONT)
        else:
            row = index.data(PeopleRole.ROW)
            if isinstance(row, PersonRow):
                self._paint_cached(painter, option, rect, row, index.data(PeopleRole.PENDING) or frozenset())
        painter.restore()

    def _paint_cached(
        self, painter: QPainter, option: QStyleOptionViewItem, rect: QRect, row: PersonRow, pending: frozenset
    ) -> None:
        """A person's row from a picture of it when nothing about it changed: a crowd arriving
        repaints the whole list, and a blit costs a small part of drawing the row again."""
        ratio = painter.device().devicePixelRatioF()
        state = option.state
        flags = tuple(bool(state & flag) for flag in LOOKS)
        looks = (
            flags,
            rect.width(),
            rect.height(),
            pending,
            ratio,
            option.palette.cacheKey(),
            option.font.key(),
        )
        cached = self._pictures.get(row.member.id)
        if cached is None or cached[0] is not row or cached[1] != looks:
            picture = QPixmap((rect.size().toSizeF() * ratio).toSize())
            picture.setDevicePixelRatio(ratio)
            picture.fill(Qt.GlobalColor.transparent)
            with QPainter(picture) as inner:
                inner.setRenderHint(QPainter.RenderHint.Antialiasing)
                self._paint_person(inner, option, QRect(QPoint(0, 0), rect.size()), row, pending)
            if len(self._pictures) > PICTURES:
                self._pictures.clear()
            cached = self._pictures[row.member.id] = (row, looks, picture)
        painter.drawPixmap(rect.topLeft(), cached[2])

    def _paint_person(
        self, painter: QPainter, option: QStyleOptionViewItem, rect: QRect, row: PersonRow, pending: frozenset
    ) -> None:
        palette = self._theme.palette
        state = option.state
        back = QRectF(rect.adjusted(2, 1, -2, -1))
        if state & QStyle.StateFlag.State_Selected:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(palette.selected))
            painter.drawRoundedRect(back, 8, 8)
        elif state & QStyle.StateFlag.State_MouseOver:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(palette.surface2))
            painter.drawRoundedRect(back, 8, 8)
        if state & QStyle.StateFlag.State_HasFocus:
            painter.setPen(QPen(QColor(palette.accent), 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(back.adjusted(1, 1, -1, -1), 8, 8)
        g = geometry(rect, row)
        colors = self._stage_colors(option)
        member = row.member
        fill, ink = avatar_colors(member.id, colors.dark)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawEllipse(QRectF(g.avatar))
        if member.talking and member.on_stage:
            painter.setPen(QPen(colors.accent, 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(QRectF(g.avatar).adjusted(-1.5, -1.5, 1.5, 1.5))
        fonts = self._fonts_for(option.font)
        painter.setPen(ink)
        self._text(painter, g.avatar, member.initials or "?", fonts, INITIALS_FONT, centred=True)
        painter.setPen(QColor(palette.text))
        self._text(painter, g.name, member.display_name, fonts, NAME_FONT)
        painter.setPen(QColor(palette.muted))
        self._text(painter, g.detail, row.detail, fonts, BODY_FONT)
        for glyph, box in g.glyphs:
            colour = palette.accent if glyph == "mic" and member.talking else palette.muted
            self._icon(glyph, colour).paint(painter, box)
        for key, box in g.buttons:
            enabled = key not in pending
            if key in ACCEPTING:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(QColor(palette.accent if enabled else palette.accent_disabled))
                painter.drawEllipse(QRectF(box))
            icon_box = box.adjusted(5, 5, -5, -5)
            mode = QIcon.Mode.Normal if enabled else QIcon.Mode.Disabled
            if key == MORE:
                painter.setPen(QColor(palette.text))
                self._text(painter, box, "⋯", fonts, NAME_FONT, centred=True)
                continue
            assert isinstance(key, Action)
            colour = "#ffffff" if key in ACCEPTING else palette.text
            self._icon(ACTION_ICONS[key], colour).paint(painter, icon_box, Qt.AlignmentFlag.AlignCenter, mode)

    def _fonts_for(self, base: QFont) -> tuple[QFont, QFont, QFont, QFont]:
        """(body, name, initials, header) fonts derived from the view's font."""
        key = base.key()
        fonts = self._fonts.get(key)
        if fonts is None:
            name = QFont(base)
            name.setWeight(QFont.Weight.DemiBold)
            initials = QFont(base)
            initials.setBold(True)
            initials.setPixelSize(int(AVATAR * 0.4))
            header = QFont(base)
            header.setPointSizeF(max(7.0, base.pointSizeF() * 0.85))
            header.setBold(True)
            header.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 104)
            fonts = self._fonts[key] = (QFont(base), name, initials, header)
            self._texts.clear()
        return fonts

    def _text(
        self,
        painter: QPainter,
        box: QRect,
        text: str,
        fonts: tuple[QFont, ...],
        kind: int,
        centred: bool = False,
    ) -> None:
        """``text`` on one line in ``box``, elided at the right, as plain text (never markup)."""
        key = (text, box.width(), kind)
        static = self._texts.get(key)
        font = fonts[kind]
        if static is None:
            if len(self._texts) > TEXT_CACHE:
                self._texts.clear()
            shown = QFontMetrics(font).elidedText(text, Qt.TextElideMode.ElideRight, box.width())
            static = QStaticText(shown)
            static.setTextFormat(Qt.TextFormat.PlainText)
            static.prepare(painter.transform(), font)
            self._texts[key] = static
        painter.setFont(font)
        size = static.size()
        x = box.left() + (box.width() - size.width()) / 2 if centred else box.left()
        painter.drawStaticText(QPointF(x, box.top() + (box.height() - size.height()) / 2), static)

    def _icon(self, name: str, colour: str) -> QIcon:
        key = (name, colour)
        icon = self._icons.get(key)
        if icon is None:
            icon = self._icons[key] = self._theme.icon(name, colour, 18)
        return icon

    def _stage_colors(self, option: QStyleOptionViewItem) -> StageColors:
        """The stage's colours, from the window's palette as the stage takes them (the list's own
        palette has a transparent background from its style sheet, which would read as dark)."""
        widget = option.widget
        palette = widget.window().palette() if widget is not None else QGuiApplication.palette()
        key = palette.cacheKey()
        if self._colors is None or self._colors[0] != key:
            self._colors = (key, StageColors.from_palette(palette))
        return self._colors[1]

    # --- input ---

    def button_at(self, rect: QRect, row: PersonRow, point: QPoint) -> Action | str | None:
        for key, box in geometry(rect, row).buttons:
            if box.contains(point):
                return key
        return None

    def editorEvent(self, event: QEvent, model: object, option: QStyleOptionViewItem, index: Index) -> bool:
        if event.type() not in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease):
            return False
        assert isinstance(event, QMouseEvent)
        row = index.data(PeopleRole.ROW)
        if not isinstance(row, PersonRow) or event.button() != Qt.MouseButton.LeftButton:
            return False
        rect: QRect = option.rect
        key = self.button_at(rect, row, event.position().toPoint())
        if key is None:
            return False
        if event.type() == QEvent.Type.MouseButtonRelease:
            pending = index.data(PeopleRole.PENDING) or frozenset()
            if key == MORE:
                box = dict(geometry(rect, row).buttons)[MORE]
                self.menu_requested.emit(index.model().index(index.row(), 0), box.bottomLeft())
            elif key not in pending:
                self.action_clicked.emit(str(key), row.member.id)
        return True  # a click on a button is the button's, not the row selection's

    def helpEvent(
        self, event: QHelpEvent, view: QAbstractItemView, option: QStyleOptionViewItem, index: Index
    ) -> bool:
        row = index.data(PeopleRole.ROW)
        if event.type() != QEvent.Type.ToolTip or not isinstance(row, PersonRow):
            return super().helpEvent(event, view, option, index)
        text = self.tooltip_at(option.rect, row, event.pos())
        QToolTip.showText(event.globalPos(), tooltip_markup(text), view.viewport())
        return True

    def tooltip_at(self, rect: QRect, row: PersonRow, point: QPoint) -> str:
        """What hovering ``point`` explains, as plain text: a button's action on this person, or the name."""
        name = row.member.display_name
        key = self.button_at(rect, row, point)
        if key == MORE:
            return f"More for {name}"
        if isinstance(key, Action):
            return f"{ACTION_LABELS[key]}: {name}"
        return f"{name}\n{row.detail}"

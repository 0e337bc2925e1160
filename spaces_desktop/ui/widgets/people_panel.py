"""The side panel: who may come in, who waits, requests to speak, who is on stage, the listeners.

Hosts and co-hosts get two switches (lock the Space, approve new listeners), the
people waiting to be let in, and buttons on each row (accept/decline, invite,
mute, promote/demote, make co-host, remove); everyone else sees the lists. A button
is disabled while its action is pending; a refusal shows inline at the top of
the panel with the backend's own message. GUI thread only.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QMenu,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from spaces_desktop.domain.state import SessionState
from spaces_desktop.ui.qt.theme import Theme
from spaces_desktop.ui.viewmodels.space_model import (
    ACTION_ICONS,
    ACTION_LABELS,
    AccessView,
    Action,
    PersonRow,
    Section,
    access_for,
    action_key,
    people_sections,
)
from spaces_desktop.ui.widgets.elided_label import ElidedLabel
from spaces_desktop.ui.widgets.plain import PlainLabel, set_plain_tooltip
from spaces_desktop.ui.widgets.toggle import ToggleSwitch

ACCESS_SETTINGS = (
    ("locked", "Lock the Space", "Nobody new can join."),
    ("approval_required", "Approve new listeners", "Newcomers wait until you let them in."),
)

AVATAR_COLOURS = ("#7856ff", "#1d9bf0", "#00ba7c", "#f91880", "#ff7a00", "#ffad1f", "#17bf63", "#794bc4")


def avatar_pixmap(initials: str, key: str, size: int = 34) -> QPixmap:
    colour = AVATAR_COLOURS[sum(key.encode()) % len(AVATAR_COLOURS)]
    pixmap = QPixmap(size * 2, size * 2)
    pixmap.setDevicePixelRatio(2.0)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colour))
    painter.drawEllipse(QRectF(0, 0, size, size))
    font = QFont()
    font.setBold(True)
    font.setPixelSize(int(size * 0.4))
    painter.setFont(font)
    painter.setPen(QColor("#ffffff"))
    painter.drawText(QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, initials or "?")
    painter.end()
    return pixmap


class PersonRowWidget(QFrame):
    action_requested = Signal(str, str)

    def __init__(self, theme: Theme, row: PersonRow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("personRow")
        self.row = row
        member = row.member
        self.buttons: dict[Action, QToolButton] = {}
        self.menu_actions: dict[Action, object] = {}
        avatar = PlainLabel()
        avatar.setPixmap(avatar_pixmap(member.initials, member.id))
        avatar.setFixedSize(34, 34)
        name = ElidedLabel(member.display_name + ("  ✋" if member.hand_raised else ""))
        name.setStyleSheet("font-weight: 600;")
        set_plain_tooltip(name, member.display_name)
        detail = ElidedLabel(row.detail)
        detail.setProperty("role", "muted")
        set_plain_tooltip(detail, row.detail)
        text = QVBoxLayout()
        text.setSpacing(0)
        text.addWidget(name)
        text.addWidget(detail)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 6, 6)
        layout.setSpacing(10)
        layout.addWidget(avatar)
        layout.addLayout(text, 1)
        for action in row.actions:
            button = QToolButton()
            button.setObjectName("rowAction")
            accept = action in (Action.ACCEPT, Action.ADMIT)
            button.setProperty("kind", "accept" if accept else "")
            button.setIcon(theme.icon(ACTION_ICONS[action], "#ffffff" if accept else None, 18))
            button.setIconSize(QSize(18, 18))
            set_plain_tooltip(button, f"{ACTION_LABELS[action]}: {member.display_name}")
            button.setAccessibleName(ACTION_LABELS[action])
            button.clicked.connect(lambda _=False, a=action: self.action_requested.emit(a, member.id))
            layout.addWidget(button)
            self.buttons[action] = button
        if row.menu:
            more = QToolButton()
            more.setObjectName("rowAction")
            more.setText("⋯")
            set_plain_tooltip(more, f"More for {member.display_name}")
            more.setAccessibleName("More actions")
            more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
            more.setStyleSheet("QToolButton::menu-indicator { image: none; }")
            menu = QMenu(more)
            for action in row.menu:
                entry = menu.addAction(theme.icon(ACTION_ICONS[action], None, 16), ACTION_LABELS[action])
                entry.triggered.connect(lambda _=False, a=action: self.action_requested.emit(a, member.id))
                self.menu_actions[action] = entry
            more.setMenu(menu)
            self.more = more
            layout.addWidget(more)

    def set_pending(self, pending: set[str]) -> None:
        for action, button in self.buttons.items():
            button.setEnabled(self.row.enabled and action_key(action, self.row.member.id) not in pending)
        for action, entry in self.menu_actions.items():
            entry.setEnabled(self.row.enabled and action_key(action, self.row.member.id) not in pending)  # type: ignore[attr-defined]


def access_key(setting: str) -> str:
    """The pending/error key of one of the host panel's switches."""
    return f"access:{setting}"


class AccessBox(QFrame):
    """The host's switches: lock the Space, approve new listeners (moderators only)."""

    changed = Signal(str, bool)
    """(setting, on): "locked" or "approval_required"."""

    def __init__(self, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("accessBox")
        self.view = AccessView(False)
        self._pending: set[str] = set()
        self.switches: dict[str, ToggleSwitch] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 0, 8, 0)
        layout.setSpacing(6)
        for setting, title, detail in ACCESS_SETTINGS:
            name = PlainLabel(title)
            name.setStyleSheet("font-weight: 600;")
            hint = PlainLabel(detail)
            hint.setProperty("role", "muted")
            text = QVBoxLayout()
            text.setSpacing(0)
            text.addWidget(name)
            text.addWidget(hint)
            switch = ToggleSwitch(theme.palette)
            switch.setAccessibleName(title)
            switch.setToolTip(detail)
            switch.toggled.connect(lambda on, s=setting: self.changed.emit(s, on))
            row = QHBoxLayout()
            row.addLayout(text, 1)
            row.addWidget(switch, 0, Qt.AlignmentFlag.AlignVCenter)
            layout.addLayout(row)
            self.switches[setting] = switch

    def set_view(self, view: AccessView) -> None:
        """Shows what the backend confirmed (also undoes a flip it refused)."""
        self.view = view
        self.setVisible(view.visible)
        self.set_pending(self._pending)
        for setting, on in (("locked", view.locked), ("approval_required", view.approval_required)):
            switch = self.switches[setting]
            if switch.isChecked() != on:
                switch.blockSignals(True)
                switch.setChecked(on)
                switch.blockSignals(False)

    def set_pending(self, pending: set[str]) -> None:
        self._pending = set(pending)
        for setting, switch in self.switches.items():
            switch.setEnabled(self.view.enabled and access_key(setting) not in pending)


class PeoplePanel(QFrame):
    action_requested = Signal(str, str)
    """(Action value, participant id)."""
    access_changed = Signal(str, bool)
    """(setting, on) from the host's switches."""

    def __init__(self, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sidePanel")
        self._theme = theme
        self._sections: list[Section] = []
        self._pending: set[str] = set()
        self.rows: dict[str, PersonRowWidget] = {}
        self.access = AccessBox(theme)
        self.access.hide()
        self.access.changed.connect(self.access_changed)

        title = PlainLabel("People")
        title.setProperty("role", "title")
        self.error = PlainLabel()
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.error.hide()
        self.error_close = QToolButton()
        self.error_close.setObjectName("flat")
        self.error_close.setIcon(theme.icon("close", theme.palette.muted, 14))
        self.error_close.setToolTip("Dismiss")
        self.error_close.setAccessibleName("Dismiss the message")
        self.error_close.hide()
        self.error_close.clicked.connect(self.clear_error)

        self._content = QWidget()
        self._content.setObjectName("peopleList")
        self._content.setStyleSheet("QWidget#peopleList { background: transparent; }")
        self._list = QVBoxLayout(self._content)
        self._list.setContentsMargins(8, 0, 8, 8)
        self._list.setSpacing(2)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self._content)
        scroll.setStyleSheet("QScrollArea { background: transparent; }")
        scroll.viewport().setAutoFillBackground(False)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        error_row = QHBoxLayout()
        error_row.addWidget(self.error, 1)
        error_row.addWidget(self.error_close, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 14, 8, 0)
        layout.setSpacing(8)
        header = QHBoxLayout()
        header.setContentsMargins(8, 0, 8, 0)
        header.addWidget(title)
        layout.addLayout(header)
        error_box = QWidget()
        error_box.setLayout(error_row)
        error_row.setContentsMargins(8, 0, 8, 0)
        layout.addWidget(error_box)
        layout.addWidget(self.access)
        layout.addWidget(scroll, 1)
        self.setMinimumWidth(320)
        self.setMaximumWidth(380)

    def set_state(self, state: SessionState) -> None:
        self.access.set_view(access_for(state))
        sections = people_sections(state)
        if sections == self._sections:
            return
        self._sections = sections
        self._rebuild()

    def _rebuild(self) -> None:
        while self._list.count():
            item = self._list.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.rows = {}
        for section in self._sections:
            if section.id in ("waiting", "requests") and not section.rows:
                continue
            heading = PlainLabel(section.title.upper())
            heading.setProperty("role", "section")
            heading.setContentsMargins(8, 12, 0, 4)
            self._list.addWidget(heading)
            if not section.rows:
                empty = PlainLabel("Nobody yet" if section.id != "listeners" else "No listeners yet")
                empty.setProperty("role", "muted")
                empty.setContentsMargins(8, 0, 0, 4)
                self._list.addWidget(empty)
            for row in section.rows:
                widget = PersonRowWidget(self._theme, row)
                widget.action_requested.connect(self.action_requested)
                widget.set_pending(self._pending)
                self._list.addWidget(widget)
                self.rows[f"{section.id}:{row.member.id}"] = widget
        self._list.addStretch(1)

    def row(self, section: str, participant_id: str) -> PersonRowWidget | None:
        return self.rows.get(f"{section}:{participant_id}")

    def set_pending(self, pending: set[str]) -> None:
        self._pending = set(pending)
        self.access.set_pending(self._pending)
        for widget in self.rows.values():
            widget.set_pending(self._pending)

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()
        self.error_close.show()

    def clear_error(self) -> None:
        self.error.clear()
        self.error.hide()
        self.error_close.hide()

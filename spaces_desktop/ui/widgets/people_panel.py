"""The side panel: who may come in, who waits, requests to speak, who is on stage, the listeners.

Hosts and co-hosts get two switches (lock the Space, approve new listeners), the
people waiting to be let in, and buttons on each row (accept/decline, invite,
mute, promote/demote, make co-host, remove); everyone else sees the lists. A button
is disabled while its action is pending; a refusal shows inline at the top of
the panel with the backend's own message. GUI thread only.

The list is one QListView over `PeopleModel` (rows kept in step by diffs) with
rows painted by `PeopleDelegate`, so ten thousand listeners cost what the
visible rows cost. Keyboard: arrows move between people (headers are skipped),
Enter or the menu key opens the person's actions; right-click does too.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QPoint, QPointF, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QContextMenuEvent, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMenu,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from spaces_desktop.domain.state import SessionState
from spaces_desktop.ui.qt.theme import Theme
from spaces_desktop.ui.viewmodels.roster import Audience, SectionId
from spaces_desktop.ui.viewmodels.space_model import (
    ACTION_ICONS,
    ACTION_LABELS,
    AccessView,
    Action,
    PersonRow,
    access_for,
)
from spaces_desktop.ui.widgets.people_delegate import ROW_HEIGHT, PeopleDelegate, geometry
from spaces_desktop.ui.widgets.people_model import PeopleModel, PeopleRole
from spaces_desktop.ui.widgets.plain import PlainLabel
from spaces_desktop.ui.widgets.toggle import ToggleSwitch

ACCESS_SETTINGS = (
    ("locked", "Lock the Space", "Nobody new can join."),
    ("approval_required", "Approve new listeners", "Newcomers wait until you let them in."),
)


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


class PeopleView(QTableView):
    """One column of uniform rows; Enter, the menu key or right-click open a person's actions.

    A table rather than a QListView: a list view lays out every row again (a
    model call per row) on each insert and even on ``dataChanged``; a table
    with fixed-height rows keeps row positions in its header, in C++, so an
    arrival or a talking flip costs the visible rows only.
    """

    actions_wanted = Signal(QModelIndex, QPoint)
    """Open the actions of this row at this point (viewport coordinates)."""

    def __init__(self, row_height: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("peopleList")
        self.horizontalHeader().hide()
        self.horizontalHeader().setStretchLastSection(True)
        rows = self.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setMinimumSectionSize(1)
        rows.setDefaultSectionSize(row_height)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setCornerButtonEnabled(False)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setTabKeyNavigation(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setMouseTracking(True)
        self.setStyleSheet("QTableView#peopleList { background: transparent; border: none; }")
        self.viewport().setAutoFillBackground(False)
        self.setAccessibleName(self.tr("People"))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        index = self.currentIndex()
        opening = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Menu, Qt.Key.Key_Space)
        if opening and index.isValid():
            self.actions_wanted.emit(index, self.visualRect(index).bottomLeft())
            event.accept()
            return
        super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        index = self.indexAt(event.pos())
        if index.isValid() and index.flags() & Qt.ItemFlag.ItemIsEnabled:
            self.setCurrentIndex(index)
            self.actions_wanted.emit(index, event.pos())


class PersonHandle:
    """One person's row as a user reaches it: its painted buttons and its menu (for tests and tools)."""

    def __init__(self, panel: PeoplePanel, section: str, pid: str) -> None:
        self.panel, self.section, self.pid = panel, section, pid

    @property
    def index(self) -> QModelIndex:
        return self.panel.model.index_of(self.section, self.pid)

    @property
    def person(self) -> PersonRow:
        row = self.index.data(PeopleRole.ROW)
        assert isinstance(row, PersonRow), f"{self.section}:{self.pid} is no longer listed"
        return row

    @property
    def buttons(self) -> tuple[Action, ...]:
        return self.person.actions

    @property
    def menu(self) -> tuple[Action, ...]:
        return self.person.menu

    def enabled(self, action: Action) -> bool:
        return action not in (self.index.data(PeopleRole.PENDING) or frozenset())

    def button_rect(self, key: Action | str) -> QRect:
        """Where the button is drawn, in the list's viewport (scrolled into view first)."""
        view = self.panel.view
        view.scrollTo(self.index)
        return dict(geometry(view.visualRect(self.index), self.person).buttons)[key]

    def click(self, key: Action | str) -> None:
        """A mouse click on the painted button, delivered to the list as the window system would."""
        viewport = self.panel.view.viewport()
        at = QPointF(self.button_rect(key).center())
        for kind, buttons in (
            (QEvent.Type.MouseButtonPress, Qt.MouseButton.LeftButton),
            (QEvent.Type.MouseButtonRelease, Qt.MouseButton.NoButton),
        ):
            event = QMouseEvent(
                kind,
                at,
                viewport.mapToGlobal(at),
                Qt.MouseButton.LeftButton,
                buttons,
                Qt.KeyboardModifier.NoModifier,
            )
            QApplication.sendEvent(viewport, event)

    @property
    def menu_actions(self) -> dict[Action, QAction]:
        """The entries of the menu the user gets from Enter, the menu key or right-click (not shown)."""
        menu = self.panel.actions_menu(self.index)
        return {Action(a.data()): a for a in menu.actions() if a.data()}


class PeoplePanel(QFrame):
    action_requested = Signal(str, str)
    """(Action value, participant id)."""
    access_changed = Signal(str, bool)
    """(setting, on) from the host's switches."""

    def __init__(self, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sidePanel")
        self._theme = theme
        self.access = AccessBox(theme)
        self.access.hide()
        self.access.changed.connect(self.access_changed)

        title = PlainLabel(self.tr("People"))
        title.setProperty("role", "title")
        self.error = PlainLabel()
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.error.hide()
        self.error_close = QToolButton()
        self.error_close.setObjectName("flat")
        self.error_close.setIcon(theme.icon("close", theme.palette.muted, 14))
        self.error_close.setToolTip(self.tr("Dismiss"))
        self.error_close.setAccessibleName(self.tr("Dismiss the message"))
        self.error_close.hide()
        self.error_close.clicked.connect(self.clear_error)

        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search people"))
        self.search.setAccessibleName(self.tr("Search people by name"))
        self.search.setClearButtonEnabled(True)
        self.model = PeopleModel()
        self._next: Audience | None = None
        self._flush = QTimer(self)
        self._flush.setSingleShot(True)
        self._flush.setInterval(0)
        self._flush.timeout.connect(self.flush)
        self.delegate = PeopleDelegate(theme)
        self.view = PeopleView(ROW_HEIGHT)
        self.view.setModel(self.model)
        self.view.setItemDelegate(self.delegate)
        self.search.textChanged.connect(self.model.set_query)
        self.delegate.action_clicked.connect(self.action_requested)
        self.delegate.menu_requested.connect(lambda index, at: self._open_menu(index, at, more_only=True))
        self.view.actions_wanted.connect(lambda index, at: self._open_menu(index, at, more_only=False))

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
        search_row = QHBoxLayout()
        search_row.setContentsMargins(8, 0, 8, 0)
        search_row.addWidget(self.search)
        layout.addLayout(search_row)
        layout.addWidget(self.view, 1)
        self.setMinimumWidth(320)
        self.setMaximumWidth(380)

    def set_state(self, state: SessionState) -> None:
        """A moderator's state holds every listener's row once the pages are in; a listener's holds the
        stage and the backend's coalesced count (the ``audience`` event)."""
        complete = state.roster_complete
        self.set_audience(Audience(state, None if complete else state.audience_listeners))

    def set_audience(self, audience: Audience) -> None:
        """The state, plus the backend's listener count when it sends no listener rows.

        The list follows the newest state once per turn of the event loop: when
        a crowd arrives and states queue up, it applies the last of them (the
        diff covers everything in between) instead of each in turn.
        """
        self.access.set_view(access_for(audience.state))
        self._next = audience
        if not self._flush.isActive():
            self._flush.start()

    @property
    def settled(self) -> bool:
        """Whether the list shows the newest state (none waits for the next turn of the event loop)."""
        return self._next is None

    def flush(self) -> None:
        """Applies the newest state now (it would be at the next turn of the event loop)."""
        self._flush.stop()
        if self._next is not None:
            audience, self._next = self._next, None
            self.model.set_audience(audience)

    def row(self, section: str, participant_id: str) -> PersonHandle | None:
        self.flush()
        if not self.model.index_of(section, participant_id).isValid():
            return None
        return PersonHandle(self, section, participant_id)

    def section(self, section: SectionId) -> tuple[str, int, list[str], int | None]:
        return self.model.section_rows(section)

    def actions_menu(self, index: QModelIndex, *, more_only: bool = False) -> QMenu:
        """The menu of a person's actions (all of them, or the "⋯" ones); pending ones disabled."""
        row = index.data(PeopleRole.ROW)
        menu = QMenu(self.view)
        if not isinstance(row, PersonRow):
            return menu
        pending = index.data(PeopleRole.PENDING) or frozenset()
        for action in row.menu if more_only else (*row.actions, *row.menu):
            entry = menu.addAction(self._theme.icon(ACTION_ICONS[action], None, 16), ACTION_LABELS[action])
            entry.setData(action.value)
            entry.setEnabled(action not in pending)
            entry.triggered.connect(
                lambda _=False, a=action, pid=row.member.id: self.action_requested.emit(a, pid)
            )
        return menu

    def _open_menu(self, index: QModelIndex, at: QPoint, *, more_only: bool) -> None:
        menu = self.actions_menu(index, more_only=more_only)
        if menu.isEmpty():
            menu.deleteLater()
            return
        menu.aboutToHide.connect(menu.deleteLater)
        menu.popup(self.view.viewport().mapToGlobal(at))

    def set_pending(self, pending: set[str]) -> None:
        self.flush()
        self.access.set_pending(pending)
        self.model.set_pending(pending)

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()
        self.error_close.show()

    def clear_error(self) -> None:
        self.error.clear()
        self.error.hide()
        self.error_close.hide()

"""The home screen: your name, start a Space, join by link, upcoming and recent Spaces, which server.

GUI thread only; it only collects input and reports it through signals.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from spaces_desktop.signaling.errors import InvalidLink
from spaces_desktop.signaling.links import check_base_url, parse_link
from spaces_desktop.ui.qt.settings import RecentSpace, ServerMode
from spaces_desktop.ui.qt.theme import Theme
from spaces_desktop.ui.viewmodels.upcoming import UpcomingRow, utc_now
from spaces_desktop.ui.viewmodels.when import ago
from spaces_desktop.ui.widgets.elided_label import ElidedLabel
from spaces_desktop.ui.widgets.plain import PlainLabel, set_plain_tooltip, tooltip_markup
from spaces_desktop.ui.widgets.plain import plain_label as _label
from spaces_desktop.ui.widgets.upcoming_list import UpcomingList

REOPENABLE = Qt.ItemDataRole.UserRole + 1


def _card() -> tuple[QFrame, QVBoxLayout]:
    card = QFrame()
    card.setObjectName("card")
    layout = QVBoxLayout(card)
    layout.setContentsMargins(20, 18, 20, 18)
    layout.setSpacing(10)
    return card, layout


class HomeScreen(QWidget):
    start_requested = Signal()
    join_requested = Signal(str)
    reopen_requested = Signal(str)
    """The link of a Space you host, to go back into it as its host."""
    server_changed = Signal(str, str)
    """(ServerMode value, URL)."""
    name_changed = Signal(str)
    start_scheduled_requested = Signal(str)
    cancel_scheduled_requested = Signal(str)
    """The link of a Space scheduled for later."""

    def __init__(self, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._theme = theme
        self._server_ready = False

        logo = PlainLabel()
        logo.setPixmap(theme.icon("spaces", theme.palette.accent, 44).pixmap(44, 44))
        hero = _label(self.tr("Spaces"), "hero")
        tagline = _label(
            self.tr("Live conversations with audio and video: host one, or drop into one."), "muted"
        )
        heading = QHBoxLayout()
        heading.setSpacing(14)
        heading.addWidget(logo)
        text = QVBoxLayout()
        text.setSpacing(0)
        text.addWidget(hero)
        text.addWidget(tagline)
        heading.addLayout(text)
        heading.addStretch(1)

        # Left card: who you are, start, join.
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText(self.tr("The name others see"))
        self.name_edit.setMaxLength(50)
        self.name_edit.setAccessibleName(self.tr("Your display name"))
        self.start_button = QPushButton(self.tr("Start a Space"))
        self.start_button.setProperty("kind", "primary")
        self.start_button.setIcon(theme.icon("plus", "#ffffff", 18))
        self.start_button.setMinimumHeight(40)
        self.link_edit = QLineEdit()
        self.link_edit.setPlaceholderText(self.tr("Paste a link, e.g. https://example.com/s/AbC123"))
        self.link_edit.setAccessibleName(self.tr("Space link"))
        self.join_button = QPushButton(self.tr("Join"))
        self.join_button.setIcon(theme.icon("join", theme.palette.text, 18))
        self.link_error = _label("", "error")
        self.link_error.setWordWrap(True)
        self.link_error.hide()
        self.status = _label("", "muted")
        self.status.setWordWrap(True)
        self.status.hide()
        self.error = _label("", "error")
        self.error.setWordWrap(True)
        self.error.hide()
        self.reminder = _label("", "note")
        self.reminder.setWordWrap(True)
        self.reminder.setAccessibleName(self.tr("Reminder"))
        self.reminder.hide()
        self.host_problem = _label("", "note")
        self.host_problem.setWordWrap(True)
        self.host_problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.host_problem.hide()

        left, left_layout = _card()
        left_layout.addWidget(_label(self.tr("YOUR NAME"), "section"))
        left_layout.addWidget(self.name_edit)
        left_layout.addSpacing(8)
        left_layout.addWidget(_label(self.tr("HOST"), "section"))
        left_layout.addWidget(self.start_button)
        left_layout.addWidget(self.host_problem)
        left_layout.addSpacing(8)
        left_layout.addWidget(_label(self.tr("JOIN"), "section"))
        join_row = QHBoxLayout()
        join_row.addWidget(self.link_edit, 1)
        join_row.addWidget(self.join_button)
        left_layout.addLayout(join_row)
        left_layout.addWidget(self.link_error)
        left_layout.addStretch(1)
        left_layout.addWidget(self.status)
        left_layout.addWidget(self.error)

        # Right: upcoming and recent Spaces, and the server.
        self.upcoming = UpcomingList()
        self.upcoming_card, upcoming_layout = _card()
        upcoming_layout.addWidget(_label(self.tr("UPCOMING"), "section"))
        upcoming_layout.addWidget(self.upcoming)
        self.upcoming_card.hide()
        self.upcoming.start_requested.connect(self.start_scheduled_requested)
        self.upcoming.cancel_requested.connect(self.cancel_scheduled_requested)

        self.recent = QListWidget()
        self.recent.setAccessibleName(self.tr("Recent Spaces"))
        # One line each for title and details, cut with "…" (the tooltip has it all).
        self.recent.setWordWrap(False)
        self.recent.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.recent.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.recent.setMinimumHeight(150)
        self.recent_empty = _label(self.tr("Spaces you host or join show up here."), "muted")
        recent_card, recent_layout = _card()
        recent_title = QHBoxLayout()
        recent_title.addWidget(_label(self.tr("RECENT SPACES"), "section"))
        recent_layout.addLayout(recent_title)
        recent_layout.addWidget(self.recent, 1)
        recent_layout.addWidget(self.recent_empty, 1, Qt.AlignmentFlag.AlignTop)
        self.reopen_button = QPushButton(self.tr("Reopen as host"))
        self.reopen_button.setToolTip(
            self.tr("Go back into a live Space you host, e.g. after the app closed")
        )
        self.reopen_button.setEnabled(False)
        self.reopen_button.hide()
        recent_layout.addWidget(self.reopen_button, 0, Qt.AlignmentFlag.AlignRight)

        self.embedded_radio = QRadioButton(self.tr("This computer only"))
        self.embedded_radio.setToolTip(
            self.tr("Spaces you start here can be joined from this computer only.")
        )
        self.network_radio = QRadioButton(self.tr("This computer, for people on my network"))
        self.network_radio.setToolTip(
            self.tr("Others on the same Wi-Fi or office network can join from their computer or a browser.")
        )
        self.url_radio = QRadioButton(self.tr("A Spaces server:"))
        self._server_group = QButtonGroup(self)
        for radio in (self.embedded_radio, self.network_radio, self.url_radio):
            self._server_group.addButton(radio)
        self.server_edit = QLineEdit()
        self.server_edit.setPlaceholderText(self.tr("https://spaces.example.com"))
        self.server_edit.setAccessibleName(self.tr("Server address"))
        self.server_status = ElidedLabel("")
        self.server_status.setProperty("role", "muted")
        self.server_note = _label("", "muted")
        self.server_note.setWordWrap(True)
        self.server_note.hide()
        server_card, server_layout = _card()
        server_layout.addWidget(_label(self.tr("WHERE SPACES YOU START ARE HOSTED"), "section"))
        server_layout.addWidget(self.embedded_radio)
        server_layout.addWidget(self.network_radio)
        url_row = QHBoxLayout()
        url_row.addWidget(self.url_radio)
        url_row.addWidget(self.server_edit, 1)
        server_layout.addLayout(url_row)
        server_layout.addWidget(self.server_status)
        server_layout.addWidget(self.server_note)

        right = QVBoxLayout()
        right.setSpacing(16)
        right.addWidget(self.upcoming_card)
        right.addWidget(recent_card, 1)
        right.addWidget(server_card)

        columns = QGridLayout()
        columns.setHorizontalSpacing(16)
        columns.addWidget(left, 0, 0)
        columns.addLayout(right, 0, 1)
        columns.setColumnStretch(0, 1)
        columns.setColumnStretch(1, 1)

        page = QVBoxLayout()
        page.setSpacing(24)
        page.addLayout(heading)
        page.addWidget(self.reminder)
        page.addLayout(columns, 1)
        frame = QWidget()
        frame.setLayout(page)
        frame.setMaximumWidth(980)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(32, 32, 32, 32)
        outer.addWidget(frame, 1, Qt.AlignmentFlag.AlignHCenter)

        self.start_button.clicked.connect(self.start_requested)
        self.join_button.clicked.connect(self._join)
        self.link_edit.returnPressed.connect(self._join)
        self.link_edit.textChanged.connect(lambda _: self.link_error.hide())
        self.name_edit.editingFinished.connect(lambda: self.name_changed.emit(self.name_edit.text().strip()))
        self.name_edit.textChanged.connect(self._update_buttons)
        self.recent.itemActivated.connect(self._recent_activated)
        self.recent.currentItemChanged.connect(lambda *_: self._update_reopen())
        self.reopen_button.clicked.connect(self._reopen)
        self._server_group.buttonToggled.connect(self._server_toggled)
        self.server_edit.editingFinished.connect(self._server_edited)
        self._busy = False
        self._update_buttons()

    # --- input ---

    @property
    def display_name(self) -> str:
        return self.name_edit.text().strip()

    def set_display_name(self, name: str) -> None:
        self.name_edit.setText(name)

    def set_link(self, link: str) -> None:
        self.link_edit.setText(link)

    def _join(self) -> None:
        link = self.link_edit.text().strip()
        if not link:
            self.link_error.setText(self.tr("Paste the link of a Space first."))
            self.link_error.show()
            return
        try:
            parse_link(link)
        except InvalidLink as exc:
            self.link_error.setText(exc.message)
            self.link_error.show()
            return
        self.join_requested.emit(link)

    def _recent_activated(self, item: QListWidgetItem) -> None:
        link = str(item.data(Qt.ItemDataRole.UserRole))
        if item.data(REOPENABLE) and not self._busy:
            self.reopen_requested.emit(link)
            return
        self.link_edit.setText(link)
        self._join()

    def _reopen(self) -> None:
        item = self.recent.currentItem()
        if item is not None and item.data(REOPENABLE):
            self.reopen_requested.emit(str(item.data(Qt.ItemDataRole.UserRole)))

    def _update_reopen(self) -> None:
        item = self.recent.currentItem()
        self.reopen_button.setEnabled(bool(item is not None and item.data(REOPENABLE)) and not self._busy)

    def set_recent(
        self,
        spaces: list[RecentSpace],
        reopenable: frozenset[str] = frozenset(),
        now: datetime | None = None,
    ) -> None:
        """Recent Spaces; those in `reopenable` (hosted, token kept) can be reopened as host."""
        now = now or datetime.now()
        self.recent.clear()
        for space in spaces:
            try:
                when = ago(datetime.fromisoformat(space.last_seen), now)
            except ValueError:
                when = space.last_seen
            role = "hosted" if space.hosted else "joined"
            can_reopen = space.hosted and space.link in reopenable
            details = f"{role} · {when}" + (" · you can reopen it" if can_reopen else "")
            item = QListWidgetItem(self._theme.icon("history", self._theme.palette.muted, 18), "")
            item.setText(f"{space.title}\n{details}")
            item.setToolTip(tooltip_markup(f"{space.title}\n{details}\n{space.link}"))
            item.setData(Qt.ItemDataRole.UserRole, space.link)
            item.setData(REOPENABLE, can_reopen)
            self.recent.addItem(item)
        self.recent.setVisible(bool(spaces))
        self.recent_empty.setVisible(not spaces)
        self.reopen_button.setVisible(any(s.hosted and s.link in reopenable for s in spaces))
        self._update_reopen()

    def set_upcoming(self, rows: list[UpcomingRow], now: datetime | None = None) -> None:
        """Spaces scheduled for later, soonest first; the card hides when there are none."""
        self.upcoming.set_rows(rows, now or utc_now())
        self.upcoming_card.setVisible(bool(rows))

    # --- server ---

    def set_server(self, mode: ServerMode, url: str) -> None:
        self.server_edit.setText(url)
        self._radio(mode).setChecked(True)
        self.server_edit.setEnabled(mode is ServerMode.URL)

    def _radio(self, mode: ServerMode) -> QRadioButton:
        return {
            ServerMode.EMBEDDED: self.embedded_radio,
            ServerMode.NETWORK: self.network_radio,
            ServerMode.URL: self.url_radio,
        }[mode]

    @property
    def server_mode(self) -> ServerMode:
        if self.network_radio.isChecked():
            return ServerMode.NETWORK
        return ServerMode.URL if self.url_radio.isChecked() else ServerMode.EMBEDDED

    def _server_toggled(self, button: QAbstractButton, checked: bool) -> None:
        if not checked:
            return
        mode = self.server_mode
        self.server_edit.setEnabled(mode is ServerMode.URL)
        if mode is ServerMode.URL:
            self.server_edit.setFocus()
            self._server_edited()
        else:
            self.server_changed.emit(mode.value, self.server_edit.text().strip())

    def set_server_note(self, text: str | None) -> None:
        """A second line under the status: the address others use, the firewall, a changed port."""
        self.server_note.setText(text or "")
        self.server_note.setVisible(bool(text))

    def _server_edited(self) -> None:
        if not self.url_radio.isChecked():
            return
        url = self.server_edit.text().strip()
        if not url:
            self.set_server_status(self.tr("Enter the server's address."), ready=False, error=True)
            return
        try:
            url = check_base_url(url)
        except InvalidLink as exc:
            self.set_server_status(exc.message, ready=False, error=True)
            return
        self.server_changed.emit(ServerMode.URL.value, url)

    def set_server_status(self, text: str, *, ready: bool, error: bool = False) -> None:
        """A short status in the server card; a problem that stops hosting also shows, in full, by Start."""
        self._server_ready = ready
        self.host_problem.setText(text)
        self.host_problem.setVisible(error)
        set_plain_tooltip(self.server_status, text)
        if error and len(text) > 60:
            text = "Not available: see “Host” for why."
        self.server_status.setText(text)
        self.server_status.setProperty("role", "error" if error else "muted")
        self.server_status.style().unpolish(self.server_status)
        self.server_status.style().polish(self.server_status)
        self._update_buttons()

    # --- feedback ---

    def set_busy(self, text: str | None) -> None:
        self._busy = text is not None
        self.upcoming.set_busy(self._busy)
        self.status.setText(text or "")
        self.status.setVisible(text is not None)
        if text:
            self.error.hide()
        self._update_buttons()

    def show_reminder(self, text: str | None) -> None:
        """The in-window stand-in for a desktop notification (no system tray)."""
        self.reminder.setText(text or "")
        self.reminder.setVisible(bool(text))

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def _update_buttons(self) -> None:
        has_name = bool(self.name_edit.text().strip())
        can = has_name and self._server_ready and not self._busy
        self.start_button.setEnabled(can)
        self.join_button.setEnabled(has_name and not self._busy)
        tip = "" if has_name else self.tr("Enter your name first")
        if has_name and not self._server_ready:
            tip = self.tr("Waiting for the server")
        self.start_button.setToolTip(tip)
        self._update_reopen()
        self.join_button.setToolTip("" if has_name else self.tr("Enter your name first"))

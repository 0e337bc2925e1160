"""Home's list of Spaces scheduled for later: title, when, Start and Cancel (GUI thread).

Titles are shown as typed (plain text), cut with "…" when they do not fit, and
given in full in the tooltip. The Start button reads "Start now" until the
Space is due (then "Start", as the primary action): a host who is ready early
may begin early, as the server allows, and listeners who came early are let in.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QCoreApplication, QDateTime, QLocale, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from spaces_desktop.ui.viewmodels.upcoming import UpcomingRow
from spaces_desktop.ui.viewmodels.when import day_and_time, until
from spaces_desktop.ui.widgets.elided_label import ElidedLabel
from spaces_desktop.ui.widgets.plain import set_plain_tooltip


def when_text(row: UpcomingRow, now: datetime) -> str:
    """E.g. "Tomorrow 18:30", "Today 18:30 · in 25 min", "Today 09:00 · 10 min late"."""
    text = day_and_time(row.space.starts_at, now)
    off = until(row.space.starts_at, now)
    if off:
        text += f" · {off}"
    if not row.reachable:
        text += " · " + QCoreApplication.translate("UpcomingItem", "its server isn't answering")
    return text


class UpcomingItem(QFrame):
    def __init__(self, row: UpcomingRow, now: datetime, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("upcoming")
        self.link = row.space.link
        title = row.space.title
        self.title = ElidedLabel(title)
        bold = self.title.font()
        bold.setBold(True)
        self.title.setFont(bold)
        set_plain_tooltip(self.title, f"{title}\n{row.space.link}")
        self.when = ElidedLabel(when_text(row, now))
        self.when.setProperty("role", "muted")
        # The day and time always show whole; only what follows them may be cut.
        day = day_and_time(row.space.starts_at, now)
        self.when.setMinimumWidth(self.when.fontMetrics().horizontalAdvance(day) + 6)
        starts = QDateTime.fromSecsSinceEpoch(int(row.space.starts_at.timestamp()))
        set_plain_tooltip(self.when, QLocale().toString(starts, QLocale.FormatType.LongFormat))
        due = row.due(now)
        self.start_button = QPushButton(self.tr("Start") if due else self.tr("Start now"))
        if due:
            self.start_button.setProperty("kind", "primary")
        self.start_button.setAccessibleName(self.tr("Start %1").replace("%1", title))
        self.start_button.setToolTip(self.tr("Go live now and open the Space"))
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setProperty("kind", "ghost")
        self.cancel_button.setAccessibleName(self.tr("Cancel %1").replace("%1", title))
        self.cancel_button.setToolTip(self.tr("Call the Space off: its link stops working"))
        # Title on its own line, the full width; when and the buttons below it.
        below = QHBoxLayout()
        below.setSpacing(8)
        below.addWidget(self.when, 1)
        below.addWidget(self.start_button)
        below.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addLayout(below)


class UpcomingList(QWidget):
    start_requested = Signal(str)
    cancel_requested = Signal(str)
    """The link of the Space."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Upcoming Spaces"))
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(2)
        self.items: list[UpcomingItem] = []
        self._busy = False

    def set_rows(self, rows: list[UpcomingRow], now: datetime) -> None:
        for item in self.items:
            self._layout.removeWidget(item)
            item.deleteLater()
        self.items = []
        for row in rows:
            item = UpcomingItem(row, now, self)
            link = row.space.link
            item.start_button.clicked.connect(lambda _=False, link=link: self.start_requested.emit(link))
            item.cancel_button.clicked.connect(lambda _=False, link=link: self.cancel_requested.emit(link))
            self._layout.addWidget(item)
            self.items.append(item)
        self.set_busy(self._busy)

    def set_busy(self, busy: bool) -> None:
        """While entering a Space, nothing else starts."""
        self._busy = busy
        for item in self.items:
            item.start_button.setEnabled(not busy)
            item.cancel_button.setEnabled(not busy)

"""The People panel's rows as a Qt list model, kept in step with the state by diffs (GUI thread).

One flat list: for each section a header line, its people, and (for a listeners'
section the app knows only part of) a closing "and N more" line. A new state
turns into row inserts, removals, moves and ``dataChanged`` for the rows whose
person changed, never a reset: a talking flip touches one stage row and
nothing else, a listener arriving inserts one row and updates one header.
A new search is a reset (the person typing expects the list to change).

Rows are described lazily: a row's detail and actions are worked out when the
view asks for them (only visible rows are painted), and cached until that
person changes.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractListModel, QCoreApplication, QModelIndex, QPersistentModelIndex, Qt

from spaces_desktop.domain import Role
from spaces_desktop.domain.state import Member, SessionState
from spaces_desktop.ui.viewmodels.roster import (
    ALWAYS_SHOWN,
    SECTION_ORDER,
    Audience,
    SectionId,
    fold,
    header_text,
    more_text,
    sort_stage,
)
from spaces_desktop.ui.viewmodels.space_model import (
    Action,
    PersonRow,
    action_key,
    actions_for,
    online,
    person_detail,
)
from spaces_desktop.ui.widgets.plain import tooltip_markup

Index = QModelIndex | QPersistentModelIndex
QUICK_LIMIT = 64
"""Up to this many people changed at once are updated row by row; more, as whole sections."""


class Kind(IntEnum):
    HEADER = 0
    PERSON = 1
    MORE = 2


class PeopleRole(IntEnum):
    KIND = Qt.ItemDataRole.UserRole + 1
    SECTION = Qt.ItemDataRole.UserRole + 2
    PERSON_ID = Qt.ItemDataRole.UserRole + 3
    ROW = Qt.ItemDataRole.UserRole + 4
    """The `PersonRow`: member, detail line, quick actions, menu actions."""
    PENDING = Qt.ItemDataRole.UserRole + 5
    """The row's actions waiting for the backend (frozenset of Action)."""


@dataclass
class _Section:
    id: SectionId
    ids: list[str] = field(default_factory=list)
    header: bool = False
    more: bool = False
    total: int = 0
    """How many people the section stands for (more than ``ids`` when the app knows only a count)."""
    title: str = ""

    @property
    def size(self) -> int:
        return int(self.header) + len(self.ids) + int(self.more)


class PeopleModel(QAbstractListModel):
    def __init__(self) -> None:
        super().__init__()
        self._sections = [_Section(s) for s in SECTION_ORDER]
        self._by_id = {s.id: s for s in self._sections}
        self._state = SessionState()
        self._audience = Audience(self._state)
        self._query = ""
        self._folded: dict[str, tuple[str, str]] = {}
        self._rows: dict[tuple[SectionId, str], PersonRow] = {}
        self._pending: frozenset[str] = frozenset()
        self._viewer: tuple[str | None, Role | None, bool] = (None, None, False)
        self._count: int | None = 0

    # --- Qt's side ---

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        if parent.isValid():
            return 0
        if self._count is None:  # asked once per index() Qt makes: cached until the rows change
            self._count = sum(s.size for s in self._sections)
        return self._count

    def flags(self, index: Index) -> Qt.ItemFlag:
        where = self._locate(index.row()) if index.isValid() else None
        if where is None or where[1] is not Kind.PERSON:
            return Qt.ItemFlag.NoItemFlags  # headers are not stops for the keyboard
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        where = self._locate(index.row()) if index.isValid() else None
        if where is None:
            return None
        section, kind, position = where
        if role == PeopleRole.KIND:
            return kind
        if role == PeopleRole.SECTION:
            return section.id
        if kind is Kind.HEADER:
            return (
                section.title
                if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole)
                else None
            )
        if kind is Kind.MORE:
            text = more_text(len(section.ids), section.total)
            return text if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole) else None
        pid = section.ids[position]
        if role == PeopleRole.PERSON_ID:
            return pid
        row = self.person_row(section.id, pid)
        if row is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return row.member.display_name
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip_markup(row.member.display_name)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{row.member.display_name}, {row.detail}"
        if role == PeopleRole.ROW:
            return row
        if role == PeopleRole.PENDING:
            if not row.enabled:  # offline: every action shows, none can be used
                return frozenset((*row.actions, *row.menu))
            if not self._pending:
                return frozenset()
            return frozenset(a for a in (*row.actions, *row.menu) if action_key(a, pid) in self._pending)
        return None

    # --- the app's side ---

    @property
    def audience(self) -> Audience:
        return self._audience

    def person_row(self, section: SectionId, pid: str) -> PersonRow | None:
        key = (section, pid)
        row = self._rows.get(key)
        if row is None:
            row = self._describe(section, pid)
            if row is not None:
                self._rows[key] = row
        return row

    def index_of(self, section: SectionId | str, pid: str) -> QModelIndex:
        """The row of ``pid`` in ``section``; invalid when not listed there."""
        s = self._by_id[SectionId(section)]
        try:
            position = s.ids.index(pid)
        except ValueError:
            return QModelIndex()
        return self.index(self._offset(s) + int(s.header) + position)

    def section_rows(self, section: SectionId) -> tuple[str, int, list[str], int | None]:
        """(header text, how many it stands for, ids listed, the "more" count or None)."""
        s = self._by_id[section]
        more = s.total - len(s.ids) if s.more else None
        return s.title if s.header else "", s.total, list(s.ids), more

    def set_pending(self, pending: set[str] | frozenset[str]) -> None:
        changed = frozenset(pending) ^ self._pending
        self._pending = frozenset(pending)
        touched = {key.split(":", 1)[1] for key in changed if ":" in key}
        for s in self._sections:
            for pid in touched:
                index = self.index_of(s.id, pid)
                if index.isValid():
                    self.dataChanged.emit(index, index, [PeopleRole.PENDING])

    def set_query(self, query: str) -> None:
        query = fold(query.strip())
        if query == self._query:
            return
        self.beginResetModel()
        self._query = query
        self._rows.clear()
        for s in self._sections:
            s.ids, s.header, s.more, s.total, s.title = [], False, False, 0, ""
        self._count = None
        self._apply(self._audience, force=True)
        self.endResetModel()

    def set_audience(self, audience: Audience) -> None:
        self._apply(audience, force=False, signals=True)

    # --- the diff ---

    def _apply(self, audience: Audience, *, force: bool, signals: bool = False) -> None:
        old, new = self._state, audience.state
        me = new.myself
        viewer = (new.me, me.role if me is not None else None, online(new))
        everyone = viewer != self._viewer
        if everyone:
            self._rows.clear()  # every row's actions and "You" depend on who is looking
        self._viewer = viewer
        same_count = audience.listener_total == self._audience.listener_total
        self._state, self._audience = new, audience
        quick = not force and not everyone and same_count and new.waiting is old.waiting
        quick = quick and new.requests == old.requests
        if quick and (new.members is old.members or self._quick(old.members, new.members)):
            return
        wanted = self._wanted(audience)
        for s in self._sections:
            ids, total, more = wanted[s.id]
            self._sync(s, ids, total, more, signals)
        if signals:
            self._refresh(self._by_id[SectionId.WAITING], old.waiting, new.waiting, everyone)
            changed = None if everyone else _changed(old.members, new.members)
            for s in self._sections[1:]:
                self._refresh(s, old.members, new.members, everyone, changed)

    def _place(self, member: Member) -> SectionId | None:
        """The section ``member`` is listed in (None: the search hides them)."""
        if member.role is not Role.LISTENER:
            section = SectionId.STAGE
        elif member.speak_requested and self._audience.moderator:
            section = SectionId.REQUESTS
        else:
            section = SectionId.LISTENERS
        return None if self._query and not self._matches(member) else section

    def _quick(self, before: Mapping[str, Member], after: Mapping[str, Member]) -> bool:
        """The common small changes without a pass over everyone's sections: listeners arriving at the
        end, people leaving, someone changing in place (talking, muted, hand). False: do the full pass."""
        changed = _changed(before, after)
        if len(changed) > QUICK_LIMIT:
            return False
        added = [pid for pid in changed if pid not in before]
        removed = (
            [pid for pid in before if pid not in after] if len(before) + len(added) != len(after) else []
        )
        if len(removed) > QUICK_LIMIT:
            return False
        place = self._place
        for pid in changed:
            now, then = after[pid], before.get(pid)
            if then is None:
                if place(now) not in (SectionId.LISTENERS, None):
                    return False  # the stage and requests keep an order of their own: the full pass
            elif then.role is not now.role or place(then) != place(now):
                return False
        gone = set(removed)
        arrivals = [pid for pid in added if place(after[pid]) is SectionId.LISTENERS]
        touched = {place(before[pid]) for pid in removed} | ({SectionId.LISTENERS} if arrivals else set())
        for s in self._sections[1:]:
            if s.id not in touched:
                continue
            ids = [pid for pid in s.ids if pid not in gone] if gone else list(s.ids)
            if s.id is SectionId.LISTENERS:
                ids += arrivals
                requests = len(self._by_id[SectionId.REQUESTS].ids)  # already synced: it comes first
                total, more = self._listener_totals(len(ids), requests)
            else:
                total, more = len(ids), False
            self._sync(s, ids, total, more, True)
        for pid in changed:
            section = place(after[pid])
            if pid in before and section is not None:
                self._rows.pop((section, pid), None)
                index = self.index_of(section, pid)
                if index.isValid():
                    self.dataChanged.emit(index, index)
        return True

    def _refresh(
        self,
        s: _Section,
        before: Mapping[str, Member],
        after: Mapping[str, Member],
        everyone: bool,
        changed: list[str] | None = None,
    ) -> None:
        """``dataChanged`` for the rows of ``s`` whose person changed: one range when many did."""
        if not s.ids or (before is after and not everyone):
            return
        if changed is None:
            changed = [] if everyone else _changed(before, after)
        if everyone or len(changed) > QUICK_LIMIT:
            self._rows = {key: row for key, row in self._rows.items() if key[0] is not s.id}
            base = self._offset(s) + int(s.header)
            self.dataChanged.emit(self.index(base), self.index(base + len(s.ids) - 1))
            return
        for pid in changed:
            index = self.index_of(s.id, pid)
            if index.isValid():
                self._rows.pop((s.id, pid), None)
                self.dataChanged.emit(index, index)

    def _listener_totals(self, listed: int, requests: int) -> tuple[int, bool]:
        """How many the listeners' section stands for, and whether it ends with an "and N more" line."""
        total = listed
        if self._audience.listener_total is not None and not self._query:
            total = max(listed, self._audience.listener_total - requests)
        return total, total > listed and listed > 0

    def _wanted(self, audience: Audience) -> dict[SectionId, tuple[list[str], int, bool]]:
        """Each section's ids in order, how many it stands for, and whether a "more" line closes it."""
        state, query = audience.state, self._query
        moderator = audience.moderator
        stage: list[Member] = []
        requests: list[Member] = []
        listeners: list[str] = []
        match = self._matches
        for m in state.members.values():
            if m.role is Role.LISTENER:
                if moderator and m.speak_requested:
                    requests.append(m)
                elif not query or match(m):
                    listeners.append(m.id)
            elif not query or match(m):
                stage.append(m)
        requests = self._in_request_order(state, requests)
        if query:
            requests = [m for m in requests if match(m)]
        waiting = [m.id for m in state.waiting.values() if not query or match(m)] if moderator else []
        total, more = self._listener_totals(len(listeners), len(requests))
        return {
            SectionId.WAITING: (waiting, len(waiting), False),
            SectionId.REQUESTS: ([m.id for m in requests], len(requests), False),
            SectionId.STAGE: ([m.id for m in sort_stage(stage)], len(stage), False),
            SectionId.LISTENERS: (listeners, total, more),
        }

    @staticmethod
    def _in_request_order(state: SessionState, requests: list[Member]) -> list[Member]:
        """Requests in the order they were made (the state keeps it); any it does not know, after."""
        order = {pid: n for n, pid in enumerate(state.requests)}
        return sorted(requests, key=lambda m: order.get(m.id, len(order)))

    def _matches(self, member: Member) -> bool:
        cached = self._folded.get(member.id)
        if cached is None or cached[0] != member.display_name:
            cached = (member.display_name, fold(member.display_name))
            self._folded[member.id] = cached
        return self._query in cached[1]

    def _sync(self, s: _Section, new: list[str], total: int, more: bool, signals: bool) -> None:
        """Turns ``s`` into ``new`` with row signals: header first in, last out."""
        searching = bool(self._query)
        header = s.id in ALWAYS_SHOWN or bool(new)
        title = header_text(s.id, len(new), total, searching) if header else ""
        if header and not s.header:
            self._insert(s, -1, 1, signals, lambda: setattr(s, "header", True))
        if s.more and not more:
            self._remove_more(s, signals)
        self._sync_ids(s, new, signals)
        s.total = total
        if more and not s.more:
            row = self._offset(s) + s.size
            if signals:
                self.beginInsertRows(QModelIndex(), row, row)
            s.more = True
            self._count = None
            if signals:
                self.endInsertRows()
        elif more and signals:
            last = self.index(self._offset(s) + s.size - 1)
            self.dataChanged.emit(last, last)
        if s.header and not header:
            first = self._offset(s)
            if signals:
                self.beginRemoveRows(QModelIndex(), first, first)
            s.header, s.title = False, ""
            self._count = None
            if signals:
                self.endRemoveRows()
        if s.header and title != s.title:
            s.title = title
            if signals:
                top = self.index(self._offset(s))
                self.dataChanged.emit(top, top)

    def _remove_more(self, s: _Section, signals: bool) -> None:
        row = self._offset(s) + s.size - 1
        if signals:
            self.beginRemoveRows(QModelIndex(), row, row)
        s.more = False
        self._count = None
        if signals:
            self.endRemoveRows()

    def _insert(self, s: _Section, at: int, count: int, signals: bool, change: Any) -> None:
        """Rows at ``at`` of the section's people (-1: the header's row), as one insert."""
        first = self._offset(s) + (0 if at < 0 else int(s.header) + at)
        if signals:
            self.beginInsertRows(QModelIndex(), first, first + count - 1)
        change()
        self._count = None
        if signals:
            self.endInsertRows()

    def _sync_ids(self, s: _Section, new: list[str], signals: bool) -> None:
        old = s.ids
        if old == new:
            return
        base = self._offset(s) + int(s.header)
        keep = set(new) if len(new) < len(old) or new[: len(old)] != old else None
        gone = [i for i, pid in enumerate(old) if pid not in keep] if keep is not None else []
        while gone:  # from the end, one contiguous run at a time
            last = gone.pop()
            first = last
            while gone and gone[-1] == first - 1:
                first = gone.pop()
            if signals:
                self.beginRemoveRows(QModelIndex(), base + first, base + last)
            for pid in old[first : last + 1]:
                self._rows.pop((s.id, pid), None)
            del old[first : last + 1]
            self._count = None
            if signals:
                self.endRemoveRows()
        if len(new) > len(old) and new[: len(old)] == old:  # arrivals at the end: the usual join
            self._insert(s, len(old), len(new) - len(old), signals, lambda: old.extend(new[len(old) :]))
            return
        if old == new:
            return
        present = set(old)
        i = _common_prefix(old, new)
        while i < len(new):
            pid = new[i]
            if i < len(old) and old[i] == pid:
                i += 1
                continue
            if pid in present:  # moved up (a role change reorders the stage)
                j = old.index(pid, i)
                if signals:
                    self.beginMoveRows(QModelIndex(), base + j, base + j, QModelIndex(), base + i)
                old.insert(i, old.pop(j))
                if signals:
                    self.endMoveRows()
                i += 1
                continue
            end = i + 1
            while end < len(new) and new[end] not in present:
                end += 1
            run = new[i:end]
            if signals:
                self.beginInsertRows(QModelIndex(), base + i, base + end - 1)
            old[i:i] = run
            self._count = None
            present.update(run)
            if signals:
                self.endInsertRows()
            i = end

    # --- where rows are ---

    def _offset(self, target: _Section) -> int:
        offset = 0
        for s in self._sections:
            if s is target:
                return offset
            offset += s.size
        raise KeyError(target.id)

    def _locate(self, row: int) -> tuple[_Section, Kind, int] | None:
        for s in self._sections:
            if row < s.size:
                if s.header and row == 0:
                    return s, Kind.HEADER, 0
                position = row - int(s.header)
                if position < len(s.ids):
                    return s, Kind.PERSON, position
                return s, Kind.MORE, 0
            row -= s.size
        return None

    def _describe(self, section: SectionId, pid: str) -> PersonRow | None:
        state = self._state
        if section is SectionId.WAITING:
            waiting = state.waiting.get(pid)
            if waiting is None:
                return None
            admit = (Action.ADMIT, Action.DENY)
            return PersonRow(
                waiting,
                QCoreApplication.translate("SpaceModel", "Waiting to be let in"),
                False,
                admit,
                (),
                online(state),
            )
        member = state.members.get(pid)
        if member is None:
            return None
        buttons, menu = actions_for(state, member)
        detail = person_detail(member, state)
        return PersonRow(member, detail, member.id == state.me, buttons, menu, online(state))


def _changed(before: Mapping[str, Member], after: Mapping[str, Member]) -> list[str]:
    """Who is new or different in ``after``: the reducer keeps everyone else's very object.

    The reducer keeps the members in insertion order, so when nobody left the ids line up and the
    identity check runs in C (about 0.2 ms for 10,000 listeners instead of 2-3 ms a state).
    """
    n = len(before)
    if len(after) >= n:
        ids = list(after)
        if ids[:n] == list(before):
            differs = map(operator.is_not, after.values(), before.values())
            return [*itertools.compress(ids, differs), *ids[n:]]
    return [pid for pid, m in after.items() if before.get(pid) is not m]


def _common_prefix(a: list[str], b: list[str]) -> int:
    """How many leading ids ``a`` and ``b`` share (slice comparisons run in C: no loop per id)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo

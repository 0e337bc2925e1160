"""Who the People panel lists, section by section, from what the app knows (no widgets).

The panel's input is an `Audience`: the session state plus, when the backend
sends a coalesced count instead of every listener, that count. Moderators know
every row; a listener may know only the stage and how many listen, and then
the listeners' section is one line ("1,234 listening"). Everything here is
pure so the rules are tested without Qt.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from PySide6.QtCore import QCoreApplication

from spaces_desktop.domain import Role, is_moderator
from spaces_desktop.domain.state import Member, SessionState
from spaces_desktop.ui.viewmodels.i18n import QT_TRANSLATE_NOOP
from spaces_desktop.ui.viewmodels.space_model import Translated, tr


class SectionId(StrEnum):
    WAITING = "waiting"
    REQUESTS = "requests"
    STAGE = "stage"
    LISTENERS = "listeners"


SECTION_ORDER = (SectionId.WAITING, SectionId.REQUESTS, SectionId.STAGE, SectionId.LISTENERS)
"""The lobby first: with thousands of listeners a host must not scroll past them to let someone in."""

ALWAYS_SHOWN = frozenset({SectionId.STAGE, SectionId.LISTENERS})
"""Sections with a line even when empty; the others vanish when nobody is in them."""

TITLES = {  # "%n" is the number of people: the plural form follows it
    SectionId.WAITING: QT_TRANSLATE_NOOP("SpaceModel", "Waiting to join · %n"),
    SectionId.REQUESTS: QT_TRANSLATE_NOOP("SpaceModel", "Requests to speak · %n"),
    SectionId.STAGE: QT_TRANSLATE_NOOP("SpaceModel", "On stage · %n"),
    SectionId.LISTENERS: QT_TRANSLATE_NOOP("SpaceModel", "Listeners · %n"),
}

EMPTY_TEXT = Translated(
    {
        SectionId.WAITING: QT_TRANSLATE_NOOP("SpaceModel", "Nobody waiting"),
        SectionId.REQUESTS: QT_TRANSLATE_NOOP("SpaceModel", "No requests"),
        SectionId.STAGE: QT_TRANSLATE_NOOP("SpaceModel", "Nobody on stage yet"),
        SectionId.LISTENERS: QT_TRANSLATE_NOOP("SpaceModel", "No listeners yet"),
    }
)

STAGE_ORDER = {Role.HOST: 0, Role.COHOST: 1, Role.SPEAKER: 2}


@dataclass(frozen=True)
class Audience:
    """The People panel's input: the state, and the backend's listener count when it sends no rows."""

    state: SessionState
    listener_total: int | None = None
    """How many listen, as the backend counts them, when ``state.members`` holds only some listeners
    (or none: a listener's view of a big Space). None: every listener is in ``state.members``."""

    @property
    def moderator(self) -> bool:
        me = self.state.myself
        return me is not None and is_moderator(me.role)


def counted(text: str, n: int) -> str:
    """``text`` translated for ``n`` people, the number written with grouped digits ("10,000").

    Qt's ``%Ln`` would group by the system locale, and the C locale (tests, servers) does not.
    """
    return tr(text, n).replace(str(n), f"{n:,}")


def header_text(section: SectionId, rows: int, total: int, searching: bool) -> str:
    """The one line at the top of a section; its number is the number of rows below it."""
    if section is SectionId.LISTENERS and total > rows and not searching:
        return counted("%n listening", total) if rows == 0 else counted(TITLES[section], total)
    if rows == 0:
        return QCoreApplication.translate("SpaceModel", "No matches") if searching else EMPTY_TEXT[section]
    return counted(TITLES[section], rows)


def more_text(shown: int, total: int) -> str:
    """The last line of a listeners' section the app knows only part of."""
    return counted("and %n more listening", total - shown)


def fold(text: str) -> str:
    """How names compare in search: composed (NFC) and case-folded, so "É" finds "é" however typed."""
    return unicodedata.normalize("NFC", text).casefold()


def sort_stage(members: list[Member]) -> list[Member]:
    """Host, co-hosts, then speakers, each group in join order (a stable sort keeps join order)."""
    return sorted(members, key=lambda m: STAGE_ORDER[m.role])

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

from spaces_desktop.domain import Role, is_moderator
from spaces_desktop.domain.state import Member, SessionState


class SectionId(StrEnum):
    WAITING = "waiting"
    REQUESTS = "requests"
    STAGE = "stage"
    LISTENERS = "listeners"


SECTION_ORDER = (SectionId.WAITING, SectionId.REQUESTS, SectionId.STAGE, SectionId.LISTENERS)
"""The lobby first: with thousands of listeners a host must not scroll past them to let someone in."""

ALWAYS_SHOWN = frozenset({SectionId.STAGE, SectionId.LISTENERS})
"""Sections with a line even when empty; the others vanish when nobody is in them."""

TITLES = {
    SectionId.WAITING: "Waiting to join",
    SectionId.REQUESTS: "Requests to speak",
    SectionId.STAGE: "On stage",
    SectionId.LISTENERS: "Listeners",
}

EMPTY_TEXT = {
    SectionId.WAITING: "Nobody waiting",
    SectionId.REQUESTS: "No requests",
    SectionId.STAGE: "Nobody on stage yet",
    SectionId.LISTENERS: "No listeners yet",
}

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


def count_text(n: int) -> str:
    return f"{n:,}"


def header_text(section: SectionId, rows: int, total: int, searching: bool) -> str:
    """The one line at the top of a section; its number is the number of rows below it."""
    if section is SectionId.LISTENERS and total > rows and not searching:
        return f"{count_text(total)} listening" if rows == 0 else f"{TITLES[section]} · {count_text(total)}"
    if rows == 0:
        return "No matches" if searching else EMPTY_TEXT[section]
    return f"{TITLES[section]} · {count_text(rows)}"


def more_text(shown: int, total: int) -> str:
    """The last line of a listeners' section the app knows only part of."""
    return f"and {count_text(total - shown)} more listening"


def fold(text: str) -> str:
    """How names compare in search: composed (NFC) and case-folded, so "É" finds "é" however typed."""
    return unicodedata.normalize("NFC", text).casefold()


def sort_stage(members: list[Member]) -> list[Member]:
    """Host, co-hosts, then speakers, each group in join order (a stable sort keeps join order)."""
    return sorted(members, key=lambda m: STAGE_ORDER[m.role])

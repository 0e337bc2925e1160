"""Why the stage director did what it did, as typed notes (pure; no I/O).

`media/stage_director.py` makes the decisions and writes these notes; the session
keeps the last few in `SessionState.director_log`; the host's director panel puts
them in words (ui/viewmodels/director_text.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ReasonKind(StrEnum):
    FLOOR_FREE = "floor_free"  # took the stage: spoke long enough while nobody held the floor
    TAKEOVER = "takeover"  # took the stage: out-talked the person on it on every time scale
    HELD = "held"  # no switch: a short remark over the person holding the floor (a backchannel)
    TOO_SHORT = "too_short"  # no switch: a sound on a free floor shorter than the onset
    PINNED = "pinned"  # a pin chose the stage
    UNPINNED = "unpinned"  # the pin ended: automatic choice again
    LEFT = "left"  # the person on stage left


SWITCHING = frozenset({ReasonKind.FLOOR_FREE, ReasonKind.TAKEOVER, ReasonKind.PINNED, ReasonKind.UNPINNED})


@dataclass(frozen=True)
class DirectorNote:
    """One decision of the stage director."""

    time_s: float
    kind: ReasonKind
    subject: str | None
    """Whom the decision is about: who took the stage, or whose sound was not enough."""
    previous: str | None = None
    """Who was on stage before (or, for a held floor, who kept it)."""
    speech_s: float = 0.0
    """The subject's speech in the talkspurt that decided."""
    silence_s: float = 0.0
    """How long the previous person had been silent (a free floor)."""
    needed_s: float = 0.0
    """The threshold the decision compared with: the onset for a free floor, the hold for a takeover."""

    @property
    def switched(self) -> bool:
        return self.kind in SWITCHING or (self.kind is ReasonKind.LEFT and self.subject is not None)

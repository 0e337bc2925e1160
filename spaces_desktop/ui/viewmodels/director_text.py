"""The stage director's notes in words for the host's director panel (pure; any thread)."""

from __future__ import annotations

import math
from collections.abc import Mapping

from spaces_desktop.domain.director import DirectorNote, ReasonKind
from spaces_desktop.domain.scenes import SceneKind
from spaces_desktop.ui.viewmodels.i18n import translate

BACKCHANNEL_S = 1.0
"""A remark over the floor shorter than this reads as a backchannel ("mm-hm")."""

SCENE_NAMES: Mapping[SceneKind, str] = {
    SceneKind.AUTO: "Auto",
    SceneKind.PERSON: "Person",
    SceneKind.PRODUCT: "Product",
    SceneKind.PRODUCT_PIP: "Product + speaker",
    SceneKind.SIDE_BY_SIDE: "Side by side",
    SceneKind.GRID: "Grid",
}


def tr(text: str) -> str:
    return translate("DirectorPanel", text)


def _s(seconds: float) -> str:
    return f"{seconds:.1f} s"


def explain(note: DirectorNote, names: Mapping[str, str]) -> str:
    """One line, e.g. "Ava spoke 0.6 s over a free floor" or "Held: Ben's backchannel was 0.3 s"."""
    who = names.get(note.subject or "", tr("Someone"))
    before = names.get(note.previous or "", "")
    if note.kind is ReasonKind.FLOOR_FREE:
        if before and math.isfinite(note.silence_s) and note.silence_s > 0:
            return (
                tr("%1 spoke %2 after %3 was silent %4")
                .replace("%1", who)
                .replace("%2", _s(note.speech_s))
                .replace("%3", before)
                .replace("%4", _s(note.silence_s))
            )
        return tr("%1 spoke %2 over a free floor").replace("%1", who).replace("%2", _s(note.speech_s))
    if note.kind is ReasonKind.TAKEOVER:
        return tr("%1 took over from %2: kept talking over them").replace("%1", who).replace("%2", before)
    if note.kind is ReasonKind.HELD:
        if note.speech_s < BACKCHANNEL_S:
            text = tr("Held: %1's backchannel was %2").replace("%1", who).replace("%2", _s(note.speech_s))
        else:
            text = (
                tr("Held: %1 talked %2 but did not out-talk %3")
                .replace("%1", who)
                .replace("%2", _s(note.speech_s))
                .replace("%3", before or tr("the speaker"))
            )
        return text
    if note.kind is ReasonKind.TOO_SHORT:
        return (
            tr("Ignored: %1's sound was %2, under %3")
            .replace("%1", who)
            .replace("%2", _s(note.speech_s))
            .replace("%3", _s(note.needed_s))
        )
    if note.kind is ReasonKind.PINNED:
        return tr("Pinned %1").replace("%1", who)
    if note.kind is ReasonKind.UNPINNED:
        return tr("Unpinned: back to who holds the floor")
    return tr("%1 left the stage").replace("%1", before or tr("The speaker"))

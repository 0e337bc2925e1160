"""The stage director's notes in words for the host's director panel (pure; any thread)."""

from __future__ import annotations

import math
from collections.abc import Mapping

from PySide6.QtCore import QCoreApplication

from spaces_desktop.domain.director import DirectorNote, ReasonKind
from spaces_desktop.domain.scenes import SceneKind
from spaces_desktop.ui.viewmodels.i18n import QT_TRANSLATE_NOOP, translate

BACKCHANNEL_S = 1.0
"""A remark over the floor shorter than this reads as a backchannel ("mm-hm")."""

SCENE_NAMES: Mapping[SceneKind, str] = {
    SceneKind.AUTO: QT_TRANSLATE_NOOP("SceneBar", "Auto"),
    SceneKind.PERSON: QT_TRANSLATE_NOOP("SceneBar", "Person"),
    SceneKind.PRODUCT: QT_TRANSLATE_NOOP("SceneBar", "Product"),
    SceneKind.PRODUCT_PIP: QT_TRANSLATE_NOOP("SceneBar", "Product + speaker"),
    SceneKind.SIDE_BY_SIDE: QT_TRANSLATE_NOOP("SceneBar", "Side by side"),
    SceneKind.GRID: QT_TRANSLATE_NOOP("SceneBar", "Grid"),
}


def tr(text: str) -> str:
    return translate("DirectorPanel", text)


def _s(seconds: float) -> str:
    return f"{seconds:.1f} s"


def explain(note: DirectorNote, names: Mapping[str, str]) -> str:
    """One line, e.g. "Ava spoke 0.6 s over a free floor" or "Held: Ben's backchannel was 0.3 s"."""
    who = names.get(note.subject or "", QCoreApplication.translate("DirectorPanel", "Someone"))
    before = names.get(note.previous or "", "")
    if note.kind is ReasonKind.FLOOR_FREE:
        if before and math.isfinite(note.silence_s) and note.silence_s > 0:
            return (
                QCoreApplication.translate("DirectorPanel", "%1 spoke %2 after %3 was silent %4")
                .replace("%1", who)
                .replace("%2", _s(note.speech_s))
                .replace("%3", before)
                .replace("%4", _s(note.silence_s))
            )
        return (
            QCoreApplication.translate("DirectorPanel", "%1 spoke %2 over a free floor")
            .replace("%1", who)
            .replace("%2", _s(note.speech_s))
        )
    if note.kind is ReasonKind.TAKEOVER:
        return (
            QCoreApplication.translate("DirectorPanel", "%1 took over from %2: kept talking over them")
            .replace("%1", who)
            .replace("%2", before)
        )
    if note.kind is ReasonKind.HELD:
        if note.speech_s < BACKCHANNEL_S:
            text = (
                QCoreApplication.translate("DirectorPanel", "Held: %1's backchannel was %2")
                .replace("%1", who)
                .replace("%2", _s(note.speech_s))
            )
        else:
            text = (
                QCoreApplication.translate("DirectorPanel", "Held: %1 talked %2 but did not out-talk %3")
                .replace("%1", who)
                .replace("%2", _s(note.speech_s))
                .replace("%3", before or QCoreApplication.translate("DirectorPanel", "the speaker"))
            )
        return text
    if note.kind is ReasonKind.TOO_SHORT:
        return (
            QCoreApplication.translate("DirectorPanel", "Ignored: %1's sound was %2, under %3")
            .replace("%1", who)
            .replace("%2", _s(note.speech_s))
            .replace("%3", _s(note.needed_s))
        )
    if note.kind is ReasonKind.PINNED:
        return QCoreApplication.translate("DirectorPanel", "Pinned %1").replace("%1", who)
    if note.kind is ReasonKind.UNPINNED:
        return QCoreApplication.translate("DirectorPanel", "Unpinned: back to who holds the floor")
    return QCoreApplication.translate("DirectorPanel", "%1 left the stage").replace(
        "%1", before or QCoreApplication.translate("DirectorPanel", "The speaker")
    )

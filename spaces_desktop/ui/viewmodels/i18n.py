"""Marks words for translation where they are defined and translates them where they are shown.

``QT_TRANSLATE_NOOP`` here has Qt's name (``pyside6-lupdate`` finds the words by that name)
but a ``str`` type, which PySide6's own (typed ``object``) lacks.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:
    """``text`` unchanged, marked for the catalogue under ``context``; translate it when shown."""
    return text


def translate(context: str, text: str, n: int = -1) -> str:
    """``text`` in the user's language (``%n`` becomes ``n``, choosing the plural form)."""
    return QCoreApplication.translate(context, text, None, n)

"""Text that came from people or servers, shown exactly as typed, never as HTML (GUI thread).

Qt guesses: a QLabel, a QMessageBox or a tooltip whose text looks like markup
is rendered as rich text, so a display name like ``<img src=/some/file.png>``
would load that file (on Windows, ``\\\\host\\share`` paths reach the network).
A window title hides ``[*]``. The app's labels are PlainLabel and its
tooltips go through ``set_plain_tooltip``, so names, titles, links and server
messages read as typed wherever they appear.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import QLabel, QWidget


class PlainLabel(QLabel):
    """A QLabel that never interprets its text; the app's labels are all of this kind."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(text)


def plain_label(text: str = "", role: str | None = None) -> PlainLabel:
    """A plain label, optionally with a style role (see ``ui/theme.py``)."""
    label = PlainLabel(text)
    if role:
        label.setProperty("role", role)
    return label


def tooltip_markup(text: str) -> str:
    """What to pass to ``setToolTip`` so that ``text`` shows as written.

    Qt shows a tooltip as rich text when it looks like markup; such text is
    escaped (inside a span that keeps line breaks), anything else is already
    shown literally and passes unchanged.
    """
    if not GuiQt.mightBeRichText(text):
        return text
    return f'<span style="white-space: pre-wrap">{html.escape(text, quote=False)}</span>'


def set_plain_tooltip(target: QWidget | QAction, text: str) -> None:
    target.setToolTip(tooltip_markup(text))


def window_title(text: str) -> str:
    """A window title that shows ``text`` as typed: Qt takes ``[*]`` as the place of the "modified" mark."""
    return text.replace("[*]", "[*][*]")

"""Every word the app shows goes through Qt's translator: a literal handed straight to a widget is a defect.

An AST walk over ``spaces_desktop/ui``: a str literal (or f-string) passed to a text setter or to a
widget constructor that takes its text must be wrapped in ``tr``/``translate``. Non-words (glyphs,
emoji) and files not yet converted are listed below, explicitly.
"""

from __future__ import annotations

import ast
from pathlib import Path

import spaces_desktop.ui

UI = Path(spaces_desktop.ui.__file__).parent

# Methods whose first text argument is shown to people (index of that argument).
SETTERS: dict[str, tuple[int, ...]] = {
    "setText": (0,),
    "setToolTip": (0,),
    "setWindowTitle": (0,),
    "setPlaceholderText": (0,),
    "setAccessibleName": (0,),
    "setAccessibleDescription": (0,),
    "setStatusTip": (0,),
    "setTitle": (0,),
    "setInformativeText": (0,),
    "showMessage": (0,),
    "addAction": (0,),
    "addMenu": (0,),
    "addItem": (0,),
    "set_plain_tooltip": (1,),
    # The app's own text setters.
    "show_error": (0,),
    "set_busy": (0,),
    "set_server_status": (0,),
    "show_message": (0,),
    "show_note": (0,),
    "_action": (0,),
    "ask": (1, 2, 3),
    "confirm": (1, 2, 3),
    "addRow": (0,),
    "_line": (1, 2),
    "notify": (0, 1),
    "addButton": (0,),
    "question": (1, 2),
    "warning": (1, 2),
    "information": (1, 2),
    "critical": (1, 2),
}
# Constructors (and the label helpers) whose first argument is their text.
CONSTRUCTORS = {
    "QPushButton",
    "QCheckBox",
    "QRadioButton",
    "QLabel",
    "QAction",
    "QMenu",
    "QGroupBox",
    "PlainLabel",
    "plain_label",
    "_label",
}
# Not words: nothing to translate.
GLYPHS = {"✋", "×", "✕", "…", "·", "—", "▾", "⋯"}
# Files still being rewritten elsewhere; convert them and drop them from here.
NOT_YET: set[str] = set()


def literal_words(node: ast.expr) -> str | None:
    """The literal text of ``node`` when it is a str literal or f-string with words; None otherwise."""
    if isinstance(node, ast.IfExp):  # "a" if x else "b": either may be shown
        return literal_words(node.body) or literal_words(node.orelse)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    elif isinstance(node, ast.JoinedStr):
        text = "".join(
            v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
        )
    else:
        return None
    if not text.strip() or text.strip() in GLYPHS or not any(c.isalpha() for c in text):
        return None
    return text


def called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    if isinstance(call.func, ast.Name):
        return call.func.id
    return None


def untranslated(path: Path, root: Path = UI) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = called_name(node)
        positions: tuple[int, ...] = ()
        if name in SETTERS:
            positions = SETTERS[name]
        elif name in CONSTRUCTORS:
            positions = (0,)
        else:
            continue
        args = [node.args[i] for i in positions if i < len(node.args)]
        args += [k.value for k in node.keywords if k.arg in {"text", "title", "toolTip"}]
        for arg in args:
            text = literal_words(arg)
            if text is not None:
                found.append(f"{path.relative_to(root)}:{node.lineno}: {name}({text!r})")
    return found


def test_no_user_facing_literal_skips_the_translator() -> None:
    files = [p for p in sorted(UI.rglob("*.py")) if p.relative_to(UI).as_posix() not in NOT_YET]
    assert len(files) > 40  # the walk really covers ui/
    problems = [line for path in files for line in untranslated(path)]
    assert problems == [], "wrap these in self.tr / QCoreApplication.translate:\n" + "\n".join(problems)


def test_the_check_catches_a_bare_literal(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        'b.setText("Go live")\nb.setText(self.tr("Go live"))\n'
        'QPushButton(f"Hi {name}")\nlabel.setText("✋")\n'
        'b.setText(self.tr("On") if on else "Off")\n',
        encoding="utf-8",
    )
    found = [line.split(": ", 1)[1] for line in untranslated(sample, tmp_path)]
    assert found == ["setText('Go live')", "QPushButton('Hi ')", "setText('Off')"]

"""The app's words go through Qt's translator: a catalogue for the system language changes them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QApplication

from spaces_desktop.domain.state import Connection
from spaces_desktop.ui.qt.theme import Theme
from spaces_desktop.ui.qt.translations import install_translator
from spaces_desktop.ui.viewmodels.space_model import listener_count_text, status_badge_for
from spaces_desktop.ui.widgets.control_bar import ControlBar
from tests.gui.conftest import busy_room, space_state

CATALOGUE = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de">
<context><name>ControlBar</name>
<message><source>Leave</source><translation>Verlassen</translation></message>
</context>
<context><name>SpaceModel</name>
<message><source>LIVE</source><translation>LIVE-DE</translation></message>
<message numerus="yes"><source>%n listening</source>
<translation><numerusform>%n hört zu</numerusform><numerusform>%n hören zu</numerusform></translation>
</message>
</context>
</TS>
"""


def compile_catalogue(folder: Path) -> None:
    ts = folder / "spaces_desktop_de.ts"
    ts.write_text(CATALOGUE, encoding="utf-8")
    lrelease = Path(sys.executable).with_name("pyside6-lrelease")
    subprocess.run(
        [str(lrelease), str(ts), "-qm", str(folder / "spaces_desktop_de.qm")], check=True, timeout=60
    )


def test_a_shipped_catalogue_translates_widgets_and_plurals(
    qapp: QApplication, theme: Theme, tmp_path: Path
) -> None:
    assert install_translator(qapp, QLocale("de_DE"), tmp_path) is None  # nothing ships: English
    compile_catalogue(tmp_path)
    translator = install_translator(qapp, QLocale("de_DE"), tmp_path)
    assert translator is not None
    try:
        assert ControlBar(theme).leave.text() == "Verlassen"
        assert status_badge_for(space_state()).text == "LIVE-DE"
        room = busy_room()
        assert listener_count_text(room) == f"{len(room.listeners)} hören zu"
    finally:
        qapp.removeTranslator(translator)
    assert ControlBar(theme).leave.text() == "Leave"
    assert status_badge_for(space_state(connection=Connection.LIVE)).text == "LIVE"

"""The app's words go through Qt's translator: a catalogue for the system language changes them."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QApplication

from spaces_desktop.assets import resource
from spaces_desktop.domain.state import Connection
from spaces_desktop.ui.qt.theme import Theme
from spaces_desktop.ui.qt.translations import install_translator
from spaces_desktop.ui.screens.home import HomeScreen
from spaces_desktop.ui.viewmodels.errors import describe
from spaces_desktop.ui.viewmodels.space_model import listener_count_text, status_badge_for
from spaces_desktop.ui.viewmodels.when import day_and_time
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


SOURCE_CATALOGUE = resource("translations", "spaces_desktop.ts")
ROOT = Path(__file__).resolve().parents[2]


def tool(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def messages(ts: Path) -> set[tuple[str, str, str, bool]]:
    """(context, source, comment, plural) of every message in a catalogue."""
    found = set()
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            plural = message.get("numerus") == "yes"
            found.add((name, message.findtext("source") or "", message.findtext("comment") or "", plural))
    return found


def compile_catalogue(folder: Path, catalogue: str = CATALOGUE) -> None:
    ts = folder / "spaces_desktop_de.ts"
    ts.write_text(catalogue, encoding="utf-8")
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


def test_the_shipped_source_catalogue_lists_every_string_of_the_ui(tmp_path: Path) -> None:
    """A string added or changed without regenerating the catalogue fails (scripts/update-translations.sh)."""
    files = sorted(str(p) for p in (ROOT / "spaces_desktop" / "ui").rglob("*.py"))
    fresh = tmp_path / "fresh.ts"
    subprocess.run(
        [tool("pyside6-lupdate"), *files, "-source-language", "en", "-locations", "none", "-ts", str(fresh)],
        check=True,
        timeout=120,
        capture_output=True,
    )
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "mark_plurals.py"), str(fresh)], check=True, timeout=60
    )
    found = messages(fresh)
    assert len(found) > 300
    assert all(plural for _, source, _, plural in found if "%n" in source), "every count is a plural"
    # A context lupdate cannot see (a module-level tr() helper) would never match what runs.
    assert not [m for m in found if not m[0]], "use QCoreApplication.translate(context, ...) outside classes"
    shipped = messages(SOURCE_CATALOGUE)
    assert found - shipped == set(), "run scripts/update-translations.sh: these strings are missing"
    assert shipped - found == set(), "run scripts/update-translations.sh: these strings are gone"


def pseudo_translated(ts: Path) -> str:
    """The catalogue with every message "translated" as [[source]]: what the translator reaches shows up."""
    tree = ET.parse(ts)
    for message in tree.getroot().iter("message"):
        source = message.findtext("source") or ""
        translation = message.find("translation")
        assert translation is not None
        translation.attrib.pop("type", None)
        if message.get("numerus") == "yes":  # German has two forms: one and many
            for form in translation.findall("numerusform"):
                translation.remove(form)
            for _ in range(2):
                ET.SubElement(translation, "numerusform").text = f"[[{source}]]"
        else:
            translation.text = f"[[{source}]]"
    root = tree.getroot()
    root.set("language", "de")
    return ET.tostring(root, encoding="unicode")


def test_the_catalogue_s_contexts_are_the_ones_the_app_asks_for(
    qapp: QApplication, theme: Theme, tmp_path: Path
) -> None:
    """Every string lupdate found, translated, changes what the screens show: the contexts match."""
    compile_catalogue(tmp_path, pseudo_translated(SOURCE_CATALOGUE))
    translator = install_translator(qapp, QLocale("de_DE"), tmp_path)
    assert translator is not None
    try:
        home = HomeScreen(theme)
        assert home.start_button.text() == "[[Start a Space]]"
        assert status_badge_for(space_state()).text == "[[LIVE]]"
        room = busy_room()
        assert listener_count_text(room) == f"[[{len(room.listeners)} listening]]"
        now = datetime(2026, 3, 2, 12, 0)
        assert day_and_time(now + timedelta(days=1), now, QLocale("en_GB")) == "[[Tomorrow %1]]".replace(
            "%1", "12:00"
        )
        assert describe(TimeoutError()).startswith("[[That took too long.")
    finally:
        qapp.removeTranslator(translator)

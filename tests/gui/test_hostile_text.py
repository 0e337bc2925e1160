"""Names, titles, links and server messages that look like HTML are shown as typed, everywhere.

The real main window over the fake engine is driven through every screen with
hostile text in every field that comes from another person or a server. After
each step a generic walker visits every widget of every window (labels,
tooltips, buttons, menus, list items) and renders each text the way Qt would:
wherever a hostile string's visible word shows up, the whole string must show
up literally. One string is an ``<img>`` of a real local PNG: a label or
tooltip that loaded it would be at least as tall as the picture, which the
walker checks too, by showing each tooltip.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QAction, QColor, QImage, QTextDocument
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QLabel,
    QListWidget,
    QMenu,
    QMessageBox,
    QToolTip,
    QWidget,
)
from pytestqt.qtbot import QtBot

from spaces_desktop.domain import Role
from spaces_desktop.domain.state import Connection, Member, Reaction, SessionState
from spaces_desktop.signaling.errors import ApiError
from spaces_desktop.ui.main_window import MainWindow, ask
from spaces_desktop.ui.qt.devices import DeviceDirectory
from spaces_desktop.ui.qt.settings import AppSettings, ServerMode
from spaces_desktop.ui.qt.theme import Theme
from spaces_desktop.ui.stage import StageView
from spaces_desktop.ui.viewmodels.space_model import Action
from tests.gui.conftest import (
    HOST_ID,
    CountingDevices,
    FakeEngine,
    catalog_with_devices,
    member,
    reaction,
    space_state,
)

SERVER = "http://127.0.0.1:8470"
WAIT_MS = 20_000
"""Generous: the machine may be busy; each wait ends as soon as the screen is there."""
MAX_WIDTH = 1180
"""The window's size in these tests: long names and titles must fit, not widen a window past it."""
IMAGE_SIZE = (420, 300)
"""Larger than any line of text: a label or tooltip this tall has loaded the picture."""


@dataclass(frozen=True)
class Hostile:
    text: str
    word: str
    """A word of ``text`` that stays visible however Qt reads it; where it shows, all of ``text`` must."""


@pytest.fixture(scope="module")
def image_path() -> Iterator[str]:
    """A real PNG at a short path, so an ``<img>`` name fits the 50-character limit."""
    folder = tempfile.mkdtemp(prefix="hx", dir="/tmp")
    path = Path(folder) / "i.png"
    image = QImage(*IMAGE_SIZE, QImage.Format.Format_RGB32)
    image.fill(QColor("#ff00ff"))
    assert image.save(str(path))
    yield str(path)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def hostile(image_path: str) -> dict[str, Hostile]:
    strings = {
        "image": Hostile(f"<img src={image_path}>Ivan", "Ivan"),
        "bold": Hostile("<b>Bold</b> Bea", "Bea"),
        "link": Hostile("<a href=x>Link</a> Lou", "Lou"),
        "entity": Hostile("Tom &amp; Jerry", "Jerry"),
        "lt": Hostile("&lt;3 Lena", "Lena"),
        "amp": Hostile("A&B Ada", "Ada"),
        "rtl": Hostile("\u202eRuth evil", "Ruth"),
        "long": Hostile("<i>" + "M" * 39 + "</i> Max", "Max"),
        "plainlong": Hostile("W" * 44 + " Wendy", "Wendy"),
    }
    assert all(len(h.text) <= 50 for h in strings.values())
    strings["title"] = Hostile("<u>" + "Mmmmmm " * 17 + "[*]</u> Tess", "Tess")
    assert len(strings["title"].text) <= 140
    return strings


# --- how Qt shows a text --------------------------------------------------------------------


def _rendered_html(text: str) -> str:
    doc = QTextDocument()
    doc.setHtml(text)
    return doc.toPlainText()


def shown_label(label: QLabel) -> str:
    text, fmt = label.text(), label.textFormat()
    if fmt == Qt.TextFormat.MarkdownText:
        doc = QTextDocument()
        doc.setMarkdown(text)
        return doc.toPlainText()
    if fmt == Qt.TextFormat.RichText or (fmt == Qt.TextFormat.AutoText and GuiQt.mightBeRichText(text)):
        return _rendered_html(text)
    return _without_mnemonics(text) if label.buddy() is not None else text


def shown_tooltip(tip: str) -> str:
    """Qt shows a tooltip (and "What's this?") as rich text exactly when it might be rich text."""
    return _rendered_html(tip) if GuiQt.mightBeRichText(tip) else tip


def _without_mnemonics(text: str) -> str:
    return re.sub(r"&(.)", r"\1", text)


@dataclass(frozen=True)
class Shown:
    where: str
    text: str
    tooltip: str | None = None
    """The tooltip markup, to show it for real."""
    owner: QWidget | None = None
    guessed: bool = False
    """Qt decides per text whether this is markup (a label not set to plain text)."""


def _name(widget: QWidget) -> str:
    """Where a widget is, for the report: ``EndedScreen.detail``, or ``PersonRowWidget > ElidedLabel``."""
    own = type(widget).__name__ + (f"#{widget.objectName()}" if widget.objectName() else "")
    parent = widget.parentWidget()
    while parent is not None:
        for attr, value in vars(parent).items():
            if value is widget:
                return f"{type(parent).__name__}.{attr}"
        if type(parent).__module__.startswith("spaces_desktop"):
            return f"{type(parent).__name__} > {own}"
        parent = parent.parentWidget()
    return own


def everything_shown() -> Iterator[Shown]:
    """Every text of every widget of every window, as the user would read it."""
    widgets: list[QWidget] = []
    for top in QApplication.topLevelWidgets():
        widgets.append(top)
        widgets.extend(top.findChildren(QWidget))
    for top in QApplication.topLevelWidgets():
        handle = top.windowHandle()
        yield Shown(f"{_name(top)} window title", handle.title() if handle is not None else top.windowTitle())
    for widget in widgets:
        if widget.metaObject().className() == "QTipLabel":
            continue  # a tooltip being shown: its text is checked as the tooltip it is
        where = _name(widget)
        if isinstance(widget, QLabel):
            guessed = widget.textFormat() != Qt.TextFormat.PlainText
            yield Shown(f"{where} text", shown_label(widget), guessed=guessed)
        if isinstance(widget, QAbstractButton):
            yield Shown(f"{where} text", _without_mnemonics(widget.text()))
        if isinstance(widget, QMenu):
            yield Shown(f"{where} title", _without_mnemonics(widget.title()))
        for tip, kind in ((widget.toolTip(), "tooltip"), (widget.whatsThis(), "what's this")):
            if tip:
                yield Shown(f"{where} {kind}", shown_tooltip(tip), tip if kind == "tooltip" else None, widget)
        if widget.statusTip():
            yield Shown(f"{where} status tip", widget.statusTip())
        for action in widget.actions():
            yield from _action_texts(action, where)
        if isinstance(widget, QAbstractItemView) and not isinstance(widget, QListWidget | QHeaderView):
            yield from _model_texts(widget, where)
        if isinstance(widget, QListWidget):
            for row in range(widget.count()):
                item = widget.item(row)
                yield Shown(f"{where} item", item.text())
                if item.toolTip():
                    yield Shown(
                        f"{where} item tooltip", shown_tooltip(item.toolTip()), item.toolTip(), widget
                    )


def _model_texts(view: QAbstractItemView, where: str) -> Iterator[Shown]:
    """What a view's delegate paints: each row's text and tooltip as the model hands them over.

    The app's delegates draw text with ``QPainter.drawText``/``QStaticText`` in plain
    format (checked in test_the_app_paints_its_rows_plain), so the model's text is the text shown.
    """
    model = view.model()
    if model is None:
        return
    viewport = view.viewport()
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if isinstance(text, str):
            yield Shown(f"{where} row", text)
        tip = index.data(Qt.ItemDataRole.ToolTipRole)
        if isinstance(tip, str) and tip:
            yield Shown(f"{where} row tooltip", shown_tooltip(tip), tip, viewport)


def _action_texts(action: QAction, where: str) -> Iterator[Shown]:
    yield Shown(f"{where} action", _without_mnemonics(action.text()))
    if action.toolTip():
        yield Shown(f"{where} action tooltip", shown_tooltip(action.toolTip()))


# --- the checks ----------------------------------------------------------------------------


class Walker:
    """Collects every place a hostile string is not shown as typed."""

    def __init__(self, hostile: dict[str, Hostile]) -> None:
        self.hostile = hostile
        self.problems: dict[str, str] = {}
        self.seen: set[str] = set()
        """Which hostile strings were found on screen at all (so a step that shows none is noticed)."""

    def walk(self, step: str) -> None:
        QApplication.processEvents()
        for top in QApplication.topLevelWidgets():
            if top.isVisible() and top.width() > MAX_WIDTH:
                self.problems.setdefault(f"{_name(top)} [too wide]", f"{step}: {top.width()} px")
        everything = list(everything_shown())
        for shown in everything:
            for key, h in self.hostile.items():
                if h.word not in shown.text:
                    continue
                self.seen.add(key)
                if h.text not in shown.text:
                    self.problems.setdefault(f"{shown.where} [{key}]", f"{step}: {shown.text!r}")
                elif shown.guessed:
                    # Shown right by luck of Qt's guess: the same label would render the next name.
                    self.problems.setdefault(
                        f"{shown.where} [{key}, not plain text]", f"{step}: {shown.text!r}"
                    )
        for widget in QApplication.allWidgets():
            if (
                isinstance(widget, QLabel)
                and widget.metaObject().className() != "QTipLabel"
                and widget.isVisible()
                and self.hostile["image"].word in widget.text()
                and widget.sizeHint().height() >= IMAGE_SIZE[1]
            ):
                self.problems.setdefault(
                    f"{_name(widget)} text [picture loaded]", f"{step}: {widget.sizeHint()}"
                )
        for shown in everything:
            if shown.tooltip is not None and self.hostile["image"].word in shown.text:
                self._show_tooltip(step, shown)

    def _show_tooltip(self, step: str, shown: Shown) -> None:
        """Shows the tooltip the way hovering does and measures it: the picture must not be in it."""
        assert shown.owner is not None and shown.tooltip is not None
        if not shiboken6.isValid(shown.owner):
            return  # deleted by an event the previous tooltip let through
        QToolTip.showText(shown.owner.mapToGlobal(QPoint(2, 2)), shown.tooltip, shown.owner)
        QApplication.processEvents()
        tips = [w for w in QApplication.topLevelWidgets() if w.metaObject().className() == "QTipLabel"]
        for tip in tips:
            if tip.sizeHint().height() >= IMAGE_SIZE[1]:
                self.problems.setdefault(f"{shown.where} [picture loaded]", f"{step}: {tip.sizeHint()}")
        QToolTip.hideText()
        QApplication.processEvents()

    def assert_clean(self) -> None:
        report = "\n".join(f"{where}: {what}" for where, what in sorted(self.problems.items()))
        sinks = {where.rsplit(" [", 1)[0] for where in self.problems}
        assert not self.problems, f"{len(sinks)} places show untrusted text wrongly or too wide:\n{report}"


# --- the window ---------------------------------------------------------------------------


class FailingServer:
    """A built-in server that cannot start, with a hostile reason."""

    url: str | None = None
    network_address: str | None = None
    firewall_note: str | None = None
    port_note: str | None = None

    def __init__(self, message: str) -> None:
        self.message = message

    def start(
        self, on_ready: Callable[[str], None], on_failed: Callable[[str], None], *, lan: bool = False
    ) -> None:
        on_failed(self.message)

    def stop(self, timeout: float = 8.0) -> None:
        pass


@pytest.fixture
def make_window(
    qtbot: QtBot, theme: Theme, app_settings: AppSettings, devices: CountingDevices
) -> Iterator[Callable[..., MainWindow]]:
    """The real main window over a fake engine; its device directory is closed after the test."""
    made: list[MainWindow] = []

    def make(engine: FakeEngine, **options: object) -> MainWindow:
        directory = DeviceDirectory(catalog_with_devices)
        directory.load_now()
        window = MainWindow(
            engine,
            app_settings,
            theme,
            directory=directory,
            preview_devices=devices,
            confirm=lambda *_: True,
            **options,  # type: ignore[arg-type]
        )
        qtbot.addWidget(window)
        window.resize(MAX_WIDTH, 760)
        window.show()
        made.append(window)
        return window

    yield make
    for window in made:
        window.directory.close()


def hostile_room(h: dict[str, Hostile], me: str, title: str, **fields: object) -> SessionState:
    """Every participant has a hostile name: on stage (host, co-host, speakers), asking, listening."""
    people = [
        member(HOST_ID, h["image"].text, Role.HOST, camera_on=True),
        member("p_co", h["bold"].text, Role.COHOST),
        member("p_sp", h["long"].text, Role.SPEAKER, muted=True, hand_raised=True),
        member("p_sp2", h["lt"].text, Role.SPEAKER),
        member("p_req", h["link"].text, Role.LISTENER, speak_requested=True),
        member("p_amp", h["amp"].text, Role.LISTENER),
        member("p_ent", h["entity"].text, Role.LISTENER),
        member("p_rtl", h["rtl"].text, Role.LISTENER),
        member("p_wide", h["plainlong"].text, Role.LISTENER),
    ]
    return space_state(me, members=people, title=title, **fields)  # type: ignore[arg-type]


def with_member(state: SessionState, updated: Member) -> SessionState:
    return replace(state, members={**state.members, updated.id: updated})


def reactions_from_everyone(state: SessionState) -> tuple[Reaction, ...]:
    return tuple(reaction(pid, "👏", second) for second, pid in enumerate(state.members))


def test_hostile_text_is_shown_as_typed_on_every_screen(
    qtbot: QtBot,
    make_window: Callable[..., MainWindow],
    app_settings: AppSettings,
    hostile: dict[str, Hostile],
    shot: Callable[[QWidget, str], Path],
) -> None:
    h = hostile
    walker = Walker(h)

    # Home: a recent Space with a hostile title and link, a built-in server failing with a hostile reason.
    app_settings.display_name = h["rtl"].text
    app_settings.server_mode = ServerMode.EMBEDDED
    app_settings.remember(h["bold"].text, f"{SERVER}/s/AbC123?{h['link'].text}", hosted=False)
    app_settings.remember(h["image"].text, f"{SERVER}/s/AbC123?{h['image'].text}", hosted=True)
    home_engine = FakeEngine()
    home = make_window(home_engine, embedded=FailingServer(h["lt"].text))
    home.home.show_error(h["link"].text)
    walker.walk("home")
    # A pasted link that is markup: the join dialog's error repeats it.
    join = home.open_join(h["image"].text)
    assert join is not None
    walker.walk("join dialog, bad link")
    join.reject()
    settings = home.open_settings()
    walker.walk("settings")
    settings.reject()
    home.hide()

    engine = FakeEngine()
    window = make_window(engine, server_url=SERVER, stage_factory=StageView)

    # Joining with a hostile name typed in (a link whose path is markup is refused outright, above).
    dialog = window.open_join(f"{SERVER}/s/AbC123")
    assert dialog is not None
    dialog.name_edit.setText(h["amp"].text)
    walker.walk("join dialog")
    room = hostile_room(h, "p_amp", h["title"].text)
    engine.push(room)
    dialog.join_button.click()
    qtbot.waitUntil(
        lambda: window.space_screen is not None and window.space_screen.isVisible(), timeout=WAIT_MS
    )
    walker.walk("listener in the Space")

    # The host invites us: the prompt names the Space.
    engine.push(with_member(room, replace(room.members["p_amp"], invited=True)))
    qtbot.waitUntil(
        lambda: window.invite_prompt is not None and window.invite_prompt.isVisible(), timeout=WAIT_MS
    )
    walker.walk("invite prompt")
    assert window.invite_prompt is not None
    window.invite_prompt.decline_button.click()

    # Removed, with a hostile reason from the server.
    engine.push(replace(room, connection=Connection.REMOVED, reason=h["image"].text))
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.ended, timeout=WAIT_MS)
    walker.walk("removed screen")
    window.ended.home_button.click()

    # Hosting: a hostile title, everyone with hostile names, reactions from all of them.
    setup = window.open_setup()
    assert setup is not None
    setup.title_edit.setText(h["long"].text)
    walker.walk("setup dialog")
    host_room = hostile_room(h, HOST_ID, h["title"].text)
    engine.push(host_room)
    setup.go_button.click()
    qtbot.waitUntil(
        lambda: window.space_screen is not None and window.space_screen.isVisible(), timeout=WAIT_MS
    )
    screen = window.space_screen
    assert screen is not None
    engine.push(replace(host_room, reactions=reactions_from_everyone(host_room)))
    qtbot.waitUntil(lambda: screen.people.row("requests", "p_req") is not None, timeout=WAIT_MS)
    stage = screen.stage
    assert isinstance(stage, StageView)
    qtbot.waitUntil(lambda: len(stage.tiles()) >= 4, timeout=WAIT_MS)
    walker.walk("host in the Space")

    # A refusal and a copied link carry server text.
    engine.fail["remove"] = ApiError(409, "conflict", h["image"].text)
    row = screen.people.row("listeners", "p_amp")
    assert row is not None
    row.menu_actions[Action.REMOVE].trigger()  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: screen.people.error.isVisible(), timeout=WAIT_MS)
    screen.show_message(f"Link copied: {h['bold'].text}")
    walker.walk("host with a refusal")
    shot(window, "hostile-space-host")
    shot(screen.people, "hostile-people-panel")
    tile = next(t for t in stage.tiles().values() if t.info.participant_id == HOST_ID)
    shot(tile, "hostile-tile")

    # Connection trouble, with hostile reasons.
    engine.push(replace(host_room, connection=Connection.RECONNECTING, reason=h["lt"].text))
    walker.walk("reconnecting banner")
    engine.push(replace(host_room, connection=Connection.FAILED, reason=h["link"].text))
    walker.walk("failed banner")

    # The Space ends for a listener, with a hostile reason.
    engine.push(
        replace(hostile_room(h, "p_amp", h["long"].text), connection=Connection.ENDED, reason=h["bold"].text)
    )
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.ended, timeout=WAIT_MS)
    walker.walk("ended screen")

    walker.assert_clean()
    assert walker.seen == set(h), f"never shown: {set(h) - walker.seen}"


def test_a_question_box_shows_its_text_as_typed(qtbot: QtBot, hostile: dict[str, Hostile]) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    labels: list[tuple[Qt.TextFormat, str]] = []

    def read_and_close() -> None:
        for box in QApplication.topLevelWidgets():
            if isinstance(box, QMessageBox) and box.isVisible():
                labels.extend((label.textFormat(), shown_label(label)) for label in box.findChildren(QLabel))
                box.reject()

    closer = QTimer()
    closer.setInterval(100)
    closer.timeout.connect(read_and_close)
    closer.start()
    try:
        assert not ask(parent, hostile["bold"].text, hostile["image"].text, "Go")
    finally:
        closer.stop()
    shown = [text for _, text in labels]
    assert hostile["bold"].text in shown and hostile["image"].text in shown
    assert all(fmt == Qt.TextFormat.PlainText for fmt, text in labels if text)


def test_the_app_paints_its_rows_plain() -> None:
    """Rows painted by a delegate never go through Qt's rich-text machinery: plain QStaticText or drawText."""
    ui = Path(__file__).resolve().parents[2] / "spaces_desktop" / "ui"
    rich = re.compile(r"QTextDocument|setHtml|RichText|AutoText|mightBeRichText|QLabel")
    painted = [path for path in sorted(ui.rglob("*.py")) if "QStyledItemDelegate" in path.read_text()]
    assert painted, "the People panel's delegate is gone: update this test"
    for path in painted:
        text = path.read_text()
        assert not rich.search(text), f"{path.name} may render markup"
        if "QStaticText(" in text:
            plain = "setTextFormat(Qt.TextFormat.PlainText)" in text
            assert plain, f"{path.name}: QStaticText guesses markup"


def test_the_app_builds_its_labels_plain() -> None:
    """A label added on a screen the walk above does not reach is still plain: no bare QLabel in ui/."""
    ui = Path(__file__).resolve().parents[2] / "spaces_desktop" / "ui"
    bare = [
        f"{path.relative_to(ui)}:{number}"
        for path in sorted(ui.rglob("*.py"))
        if path.name != "plain.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\bQLabel\(", line)
    ]
    assert not bare, f"use PlainLabel (ui/widgets/plain.py) instead of QLabel at {bare}"

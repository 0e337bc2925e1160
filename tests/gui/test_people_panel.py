"""The People panel as a model and a painted list: rows, counts, diffs, search, keyboard, actions.

States come from the real reducer fed real protocol events (the way the engine
makes them), so what is tested is what a host's app sees.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QModelIndex, QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QMenu, QWidget
from pytestqt.qtbot import QtBot

from spaces_desktop.bench.audience_gui import HOST, Events, join_snapshot
from spaces_desktop.domain import Role
from spaces_desktop.domain.state import Connection, SessionState
from spaces_desktop.protocol import Event, EventType, ParticipantView
from spaces_desktop.session.frames import FrameBoard
from spaces_desktop.session.reducer import apply, from_snapshot
from spaces_desktop.ui.qt.theme import Theme, ThemeChoice
from spaces_desktop.ui.stage import StageView
from spaces_desktop.ui.stage.colors import StageColors, avatar_colors
from spaces_desktop.ui.viewmodels.roster import Audience, SectionId, fold
from spaces_desktop.ui.viewmodels.space_model import Action
from spaces_desktop.ui.widgets.people_delegate import geometry
from spaces_desktop.ui.widgets.people_model import Kind, PeopleModel, PeopleRole
from spaces_desktop.ui.widgets.people_panel import PeoplePanel
from tests.gui.conftest import HOST_ID, busy_room, member, space_state

# --- helpers -----------------------------------------------------------------------------------


class Log(Events):
    """Real protocol events for any change a participant goes through."""

    def update(self, view: ParticipantView) -> Event:
        return self._event(EventType.PARTICIPANT_UPDATED, {"participant": view.model_dump(mode="json")})

    def left(self, view: ParticipantView) -> Event:
        return self._event(EventType.PARTICIPANT_LEFT, {"participant": view.model_dump(mode="json")})


def view_of(state: SessionState, pid: str, **changes: Any) -> ParticipantView:
    m = state.members[pid]
    fields = {
        "id": m.id,
        "display_name": m.display_name,
        "role": m.role,
        "speak_requested": m.speak_requested,
        "hand_raised": m.hand_raised,
        "muted": m.muted,
        "camera_on": m.camera_on,
    }
    return ParticipantView(**{**fields, **changes})


def sections(model: PeopleModel) -> dict[str, tuple[str, list[str]]]:
    """What the list shows, read row by row: each section's header line and the ids below it."""
    shown: dict[str, tuple[str, list[str]]] = {}
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        section = str(index.data(PeopleRole.SECTION))
        kind = index.data(PeopleRole.KIND)
        if kind == Kind.HEADER:
            assert section not in shown, f"two headers for {section}"
            shown[section] = (str(index.data()), [])
        elif kind == Kind.PERSON:
            assert section in shown, f"a row of {section} above its header"
            shown[section][1].append(str(index.data(PeopleRole.PERSON_ID)))
    return shown


def header_count(text: str) -> int:
    """The number a header line shows (its "nobody" wordings count as 0)."""
    number = re.search(r"\d[\d,]*", text)
    return int(number.group().replace(",", "")) if number else 0


def assert_counts_agree(model: PeopleModel) -> None:
    for section, (header, ids) in sections(model).items():
        assert header_count(header) == len(ids), f"{section}: {header!r} over {len(ids)} rows"


def expected(state: SessionState, asked: list[str]) -> dict[str, list[str]]:
    """The sections as the rules say, worked out independently of the model."""
    order = {Role.HOST: 0, Role.COHOST: 1, Role.SPEAKER: 2}
    everyone = list(state.members.values())
    out = {
        "requests": [pid for pid in asked if state.members[pid].speak_requested],
        "stage": [m.id for m in sorted((m for m in everyone if m.on_stage), key=lambda m: order[m.role])],
        "listeners": [m.id for m in everyone if m.role is Role.LISTENER and not m.speak_requested],
    }
    return {k: v for k, v in out.items() if v or k in ("stage", "listeners")}


class Signals:
    """Every change signal a model sends, in order."""

    def __init__(self, model: PeopleModel) -> None:
        self.seen: list[tuple[Any, ...]] = []
        model.dataChanged.connect(lambda a, b, roles=(): self.seen.append(("changed", a.row(), b.row())))
        model.rowsInserted.connect(lambda _p, a, b: self.seen.append(("inserted", a, b)))
        model.rowsRemoved.connect(lambda _p, a, b: self.seen.append(("removed", a, b)))
        model.rowsMoved.connect(lambda *a: self.seen.append(("moved",)))
        model.modelReset.connect(lambda: self.seen.append(("reset",)))
        model.layoutChanged.connect(lambda *a: self.seen.append(("layout",)))


@pytest.fixture
def panel(qtbot: QtBot, theme: Theme) -> Iterator[PeoplePanel]:
    p = PeoplePanel(theme)
    p.resize(360, 720)
    p.show()
    yield p
    p.close()
    p.deleteLater()  # gone before the next test walks every window
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def show(panel: PeoplePanel, state: SessionState | Audience) -> None:
    panel.set_audience(state if isinstance(state, Audience) else Audience(state))
    panel.flush()
    QApplication.processEvents()


# --- the model ---------------------------------------------------------------------------------


def test_the_model_passes_qts_model_tester_through_changes(qtmodeltester: Any) -> None:
    model = PeopleModel()
    snapshot = join_snapshot(30)
    state = from_snapshot(snapshot)
    model.set_audience(Audience(state))
    qtmodeltester.check(model)  # stays attached: every later signal is checked too
    log = Log(snapshot.last_event_id)
    for i in range(10):
        state = apply(state, log.joined(f"p_new{i}"))
        model.set_audience(Audience(state))
    state = apply(state, log.update(view_of(state, "p_l3", speak_requested=True)))
    state = apply(state, log.update(view_of(state, "p_l4", role=Role.SPEAKER)))
    state = apply(state, log.left(view_of(state, "p_sp0")))
    model.set_audience(Audience(state))
    model.set_query("listener 1")
    model.set_query("")
    qtmodeltester.check(model)


def test_sections_and_counts_agree_under_random_arrivals_departures_and_role_changes() -> None:
    rng = random.Random(1311)
    snapshot = join_snapshot(60)
    state = from_snapshot(snapshot)
    log = Log(snapshot.last_event_id)
    model = PeopleModel()
    asked = [m.id for m in state.members.values() if m.speak_requested]
    model.set_audience(Audience(state))
    for step in range(400):
        pids = [pid for pid in state.members if pid != HOST]
        pid = rng.choice(pids)
        m = state.members[pid]
        move = rng.randrange(8)
        if move == 0 or len(pids) < 5:
            event = log.joined(f"p_r{step}")
        elif move == 1:
            event = log.left(view_of(state, pid))
        elif move == 2 and m.role is Role.LISTENER:
            event = log.update(view_of(state, pid, speak_requested=not m.speak_requested))
            if not m.speak_requested:
                asked.append(pid)
        elif move == 3:
            role = rng.choice([Role.LISTENER, Role.SPEAKER, Role.COHOST])
            event = log.update(view_of(state, pid, role=role, speak_requested=False))
        elif move == 4 and m.on_stage:
            event = log.talking(pid, not m.talking)
        else:
            event = log.update(view_of(state, pid, muted=not m.muted, hand_raised=rng.random() < 0.5))
        state = apply(state, event)
        asked = [p for p in dict.fromkeys(asked) if p in state.members and state.members[p].speak_requested]
        if rng.random() < 0.7:  # sometimes several events arrive before the panel looks
            model.set_audience(Audience(state))
            shown = sections(model)
            got = {k: ids for k, (_, ids) in shown.items()}
            assert got == expected(state, asked), (
                f"step {step}: {got.get('requests')} {expected(state, asked).get('requests')}"
            )
            assert_counts_agree(model)
    fresh = PeopleModel()
    model.set_audience(Audience(state))
    fresh.set_audience(Audience(state))
    diffed, rebuilt = sections(model), sections(fresh)
    assert sorted(diffed["requests"][1]) == sorted(rebuilt["requests"][1]) if "requests" in diffed else True
    assert {k: v for k, v in diffed.items() if k != "requests"} == {
        k: v for k, v in rebuilt.items() if k != "requests"
    }


def test_requests_are_listed_in_the_order_they_were_made() -> None:
    snapshot = join_snapshot(20)
    state = from_snapshot(snapshot)
    log = Log(snapshot.last_event_id)
    model = PeopleModel()
    model.set_audience(Audience(state))
    for pid in ("p_l9", "p_l2", "p_l14"):
        state = apply(state, log.update(view_of(state, pid, speak_requested=True)))
        model.set_audience(Audience(state))
    header, ids = sections(model)["requests"]
    assert ids == ["p_l5", "p_l9", "p_l2", "p_l14"]  # p_l5 asked before we came; then not join order
    assert header == "Requests to speak · 4"


def test_a_talking_flip_touches_its_stage_row_only() -> None:
    snapshot = join_snapshot(500)
    state = from_snapshot(snapshot)
    log = Log(snapshot.last_event_id)
    model = PeopleModel()
    model.set_audience(Audience(state))
    signals = Signals(model)
    state = apply(state, log.talking("p_sp2", True))
    model.set_audience(Audience(state))
    row = model.index_of(SectionId.STAGE, "p_sp2").row()
    assert signals.seen == [("changed", row, row)]
    assert model.index(row, 0).data(PeopleRole.ROW).member.talking


def test_a_listener_arriving_inserts_one_row_and_renumbers_the_header() -> None:
    snapshot = join_snapshot(500)
    state = from_snapshot(snapshot)
    log = Log(snapshot.last_event_id)
    model = PeopleModel()
    model.set_audience(Audience(state))
    signals = Signals(model)
    state = apply(state, log.joined("p_late"))
    model.set_audience(Audience(state))
    last = model.index_of(SectionId.LISTENERS, "p_late").row()
    header = model.index_of(SectionId.LISTENERS, "p_l0").row() - 1
    assert signals.seen == [("inserted", last, last), ("changed", header, header)]
    assert model.index(header, 0).data() == "Listeners · 500"  # 500 + 1 newcomer - 1 asking to speak
    state = apply(state, log.left(view_of(state, "p_l7")))
    model.set_audience(Audience(state))
    assert ("removed", header + 7, header + 7) in signals.seen


def test_an_empty_section_is_one_line_and_requests_are_not_counted_as_listeners(theme: Theme) -> None:
    room = space_state(
        HOST_ID,
        members=[member(HOST_ID, "Dana Host", Role.HOST), member("p_r", "Robin", speak_requested=True)],
    )
    model = PeopleModel()
    model.set_audience(Audience(room))
    shown = sections(model)
    assert shown["requests"] == ("Requests to speak · 1", ["p_r"])
    assert shown["listeners"] == ("No listeners yet", [])
    assert "waiting" not in shown
    listeners_header = [
        r for r in range(model.rowCount()) if model.index(r, 0).data(PeopleRole.SECTION) == "listeners"
    ]
    assert len(listeners_header) == 1  # one line, not a header and a "nobody" line under it


def test_a_listener_who_knows_only_counts_sees_a_count_not_rows() -> None:
    stage_only = space_state("p_me", members=[member(HOST_ID, "Dana Host", Role.HOST), member("p_me", "Me")])
    model = PeopleModel()
    model.set_audience(Audience(stage_only, listener_total=1234))
    shown = sections(model)
    assert shown["stage"] == ("On stage · 1", [HOST_ID])
    assert shown["listeners"] == ("Listeners · 1,234", ["p_me"])
    more = model.index(model.rowCount() - 1, 0)
    assert more.data(PeopleRole.KIND) == Kind.MORE and more.data() == "and 1,233 more listening"
    nobody_known = replace(stage_only, members=MappingProxyType({HOST_ID: stage_only.members[HOST_ID]}))
    model.set_audience(Audience(nobody_known, listener_total=1234))
    assert sections(model)["listeners"] == ("1,234 listening", [])
    assert model.rowCount() == 3  # stage header, the host, the one listeners' line
    model.set_audience(Audience(nobody_known, listener_total=1300))
    assert sections(model)["listeners"] == ("1,300 listening", [])
    model.set_audience(Audience(stage_only))  # every row known again: counted, not reported
    assert sections(model)["listeners"] == ("Listeners · 1", ["p_me"])


def test_search_finds_names_whatever_their_case_and_unicode_form() -> None:
    people = [
        member(HOST_ID, "Dana Host", Role.HOST),
        member("p_nfc", unicodedata.normalize("NFC", "Émile Zola")),
        member("p_nfd", unicodedata.normalize("NFD", "Émile Roux")),
        member("p_up", "ÉMILE UPPER"),
        member("p_other", "Lee Listener"),
        member("p_sp", "Emil Speaker", Role.SPEAKER),
    ]
    model = PeopleModel()
    model.set_audience(Audience(space_state(HOST_ID, members=people)))
    model.set_query(unicodedata.normalize("NFD", "émile"))
    shown = sections(model)
    assert shown["listeners"] == ("Listeners · 3", ["p_nfc", "p_nfd", "p_up"])
    assert shown["stage"] == ("No matches", [])
    assert_counts_agree(model)
    model.set_query("zzz")
    assert {k: v[0] for k, v in sections(model).items()} == {"stage": "No matches", "listeners": "No matches"}
    model.set_query("")
    assert len(sections(model)["listeners"][1]) == 4
    assert fold("STRASSE") == fold("straße")


def test_the_search_box_filters_the_panel(qtbot: QtBot, panel: PeoplePanel) -> None:
    show(panel, busy_room(HOST_ID))
    qtbot.keyClicks(panel.search, "LEE")
    assert sections(panel.model)["listeners"][1] == ["p_lee"]
    panel.search.clear()
    assert sections(panel.model)["listeners"][1] == ["p_lee", "p_inv"]


# --- the panel ---------------------------------------------------------------------------------


def avatar_pixel(panel: PeoplePanel, pid: str) -> QColor:
    view = panel.view
    index = panel.model.index_of(SectionId.STAGE, pid)
    picture = view.viewport().grab().toImage()
    avatar = geometry(view.visualRect(index), index.data(PeopleRole.ROW)).avatar
    ratio = picture.devicePixelRatio()
    return QColor(picture.pixel(int((avatar.left() + 4) * ratio), int(avatar.center().y() * ratio)))


def close_to(a: QColor, b: QColor) -> bool:
    return max(abs(a.red() - b.red()), abs(a.green() - b.green()), abs(a.blue() - b.blue())) <= 3


@pytest.mark.parametrize("choice", [ThemeChoice.DARK, ThemeChoice.LIGHT])
def test_rows_are_painted_with_the_stage_colours(
    qapp: QApplication, theme: Theme, choice: ThemeChoice, shot: Callable[[QWidget, str], Path]
) -> None:
    theme.apply(qapp, choice)
    panel = PeoplePanel(theme)
    try:
        panel.resize(360, 720)
        panel.show()
        show(panel, busy_room(HOST_ID))
        stage = StageView(FrameBoard())
        stage_dark = StageColors.from_palette(stage.palette()).dark
        assert stage_dark is (choice is ThemeChoice.DARK)
        for pid in ("p_sam", HOST_ID):
            fill, _ = avatar_colors(pid, stage_dark)  # what the stage's tile paints for them
            sample = avatar_pixel(panel, pid)
            assert close_to(sample, fill), (pid, sample.name(), fill.name())
        shot(panel, f"people-{choice.value}")
        stage.shutdown()
        stage.deleteLater()
    finally:
        panel.close()
        panel.deleteLater()
        qapp.processEvents()  # deleted before the app is restyled: restyling polishes every live widget
        theme.apply(qapp, ThemeChoice.DARK)


def test_a_long_name_is_elided_and_whole_in_its_tooltip(panel: PeoplePanel) -> None:
    name = "Bartholomew Wolfeschlegelsteinhausenbergerdorff"
    show(panel, space_state(HOST_ID, members=[member(HOST_ID, "Dana Host", Role.HOST), member("p_w", name)]))
    index = panel.model.index_of(SectionId.LISTENERS, "p_w")
    row = index.data(PeopleRole.ROW)
    rect = panel.view.visualRect(index)
    g = geometry(rect, row)
    metrics = panel.view.fontMetrics()
    assert metrics.horizontalAdvance(name) > g.name.width()  # it does not fit: it gets elided
    assert g.name.right() < min(box.left() for _, box in g.buttons)  # and never runs under the buttons
    assert panel.delegate.tooltip_at(rect, row, g.name.center()).startswith(name)
    assert index.data(Qt.ItemDataRole.ToolTipRole) == name


def test_arrow_keys_move_between_people_and_enter_opens_their_actions(
    qtbot: QtBot, panel: PeoplePanel
) -> None:
    show(panel, busy_room(HOST_ID))
    requested: list[tuple[str, str]] = []
    panel.action_requested.connect(lambda a, pid: requested.append((a, pid)))
    view = panel.view
    view.setFocus()
    view.setCurrentIndex(panel.model.index_of(SectionId.REQUESTS, "p_req"))
    qtbot.keyClick(view, Qt.Key.Key_Down)  # over the "On stage" header
    assert view.currentIndex().data(PeopleRole.PERSON_ID) == HOST_ID
    for _ in range(4):
        qtbot.keyClick(view, Qt.Key.Key_Down)  # host, co-host, two speakers, over a header
    assert view.currentIndex().data(PeopleRole.PERSON_ID) == "p_lee"
    qtbot.keyClick(view, Qt.Key.Key_Up)
    assert view.currentIndex().data(PeopleRole.PERSON_ID) == "p_ari"

    menus: list[QMenu] = []
    qtbot.keyClick(view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(menus.extend(m for m in view.findChildren(QMenu) if m.isVisible()) or menus))
    menu = menus[0]
    labels = [a.text() for a in menu.actions()]
    assert labels[0] == "Mute" and "Make co-host" in labels and "Move to listeners" in labels
    qtbot.keyClick(menu, Qt.Key.Key_Down)
    qtbot.keyClick(menu, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(requested))
    assert requested == [(Action.MUTE.value, "p_ari")]
    qtbot.waitUntil(lambda: not menu.isVisible())

    qtbot.keyClick(view, Qt.Key.Key_Menu)  # the menu key opens the same menu
    qtbot.waitUntil(lambda: any(m.isVisible() for m in view.findChildren(QMenu)))
    for m in view.findChildren(QMenu):
        m.close()


def test_painted_buttons_and_menus_request_the_actions(qtbot: QtBot, panel: PeoplePanel) -> None:
    show(panel, busy_room(HOST_ID))
    requested: list[tuple[str, str]] = []
    panel.action_requested.connect(lambda a, pid: requested.append((a, pid)))
    request = panel.row("requests", "p_req")
    assert request is not None and request.buttons == (Action.ACCEPT, Action.DECLINE)
    request.click(Action.DECLINE)
    listener = panel.row("listeners", "p_lee")
    assert listener is not None
    listener.click(Action.INVITE)
    listener.menu_actions[Action.PROMOTE].trigger()
    assert requested == [("decline", "p_req"), ("invite", "p_lee"), ("promote", "p_lee")]
    panel.set_pending({"invite:p_lee"})
    assert not listener.enabled(Action.INVITE) and listener.enabled(Action.PROMOTE)
    listener.click(Action.INVITE)  # pending: a second click does nothing
    assert len(requested) == 3
    more = QPoint(listener.button_rect("more").center())
    qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=more)
    qtbot.waitUntil(lambda: any(m.isVisible() for m in panel.view.findChildren(QMenu)))
    shown = next(m for m in panel.view.findChildren(QMenu) if m.isVisible())
    assert [a.text() for a in shown.actions()] == [
        "Invite backstage (green room)",
        "Make speaker",
        "Remove from Space",
        "Remove and block their network address",
    ]
    shown.close()
    listener.menu_actions[Action.INVITE_BACKSTAGE].trigger()
    assert requested[-1] == ("invite_backstage", "p_lee")


def test_a_listener_sees_rows_without_buttons(panel: PeoplePanel) -> None:
    show(panel, busy_room("p_lee"))
    shown = sections(panel.model)
    assert "requests" not in shown and "waiting" not in shown
    row = panel.row("stage", HOST_ID)
    assert row is not None and row.buttons == () and row.menu == ()
    assert panel.actions_menu(row.index).isEmpty()


def test_screenshots_of_a_ten_thousand_listener_space(
    qtbot: QtBot, panel: PeoplePanel, shot: Callable[[QWidget, str], Path]
) -> None:
    snapshot = join_snapshot(10_000)
    state = from_snapshot(snapshot)
    state = apply(state, Events(snapshot.last_event_id).talking("p_sp1", True))
    show(panel, state)
    header, ids = sections(panel.model)["listeners"]
    assert header == "Listeners · 9,989" and len(ids) == 9989  # 11 of them asked to speak
    assert sections(panel.model)["requests"][0] == "Requests to speak · 11"
    shot(panel, "people-10000-listeners-top")
    panel.view.scrollToBottom()
    shot(panel, "people-10000-listeners-bottom")
    stage_and_me = {pid: m for pid, m in state.members.items() if m.on_stage or pid == "p_l1"}
    listener_view = replace(state, me="p_l1", members=MappingProxyType(stage_and_me))
    show(panel, Audience(listener_view, listener_total=10_000))
    panel.view.scrollToTop()
    assert sections(panel.model)["listeners"] == ("Listeners · 10,000", ["p_l1"])
    shot(panel, "people-listener-view-count-only")


def test_screenshot_of_hostile_names(panel: PeoplePanel, shot: Callable[[QWidget, str], Path]) -> None:
    people = [
        member(HOST_ID, "<img src=/tmp/x.png>Igor", Role.HOST, camera_on=True),
        member("p_b", "<b>Bold</b> Bea", Role.COHOST),
        member("p_l", "<a href=x>Link</a> Lou", speak_requested=True),
        member("p_rtl", "\u202eRuth evil"),
        member("p_long", "<i>" + "M" * 39 + "</i> Max", hand_raised=True),
        member("p_amp", "A&B Ada"),
    ]
    show(panel, space_state(HOST_ID, members=people))
    assert panel.model.index_of(SectionId.REQUESTS, "p_l").data() == "<a href=x>Link</a> Lou"
    shot(panel, "people-hostile-names")


def test_model_rows_are_not_editable(panel: PeoplePanel) -> None:
    show(panel, busy_room(HOST_ID))
    header = panel.model.index(0, 0)
    assert header.data(PeopleRole.KIND) == Kind.HEADER
    assert header.flags() == Qt.ItemFlag.NoItemFlags  # not a stop for the keyboard
    person = panel.model.index_of(SectionId.STAGE, HOST_ID)
    assert not person.flags() & Qt.ItemFlag.ItemIsEditable
    assert panel.model.index(0, 0, person).isValid() is False
    assert panel.model.data(QModelIndex()) is None


def test_actions_are_unusable_while_the_connection_is_down(panel: PeoplePanel) -> None:
    room = busy_room(HOST_ID)
    show(panel, replace(room, connection=Connection.RECONNECTING))
    requested: list[tuple[str, str]] = []
    panel.action_requested.connect(lambda a, pid: requested.append((a, pid)))
    row = panel.row("requests", "p_req")
    assert row is not None and row.buttons == (Action.ACCEPT, Action.DECLINE)
    assert not row.enabled(Action.ACCEPT) and not row.enabled(Action.REMOVE)
    row.click(Action.ACCEPT)
    assert not any(a.isEnabled() for a in row.menu_actions.values())
    assert requested == []
    show(panel, room)
    assert row.enabled(Action.ACCEPT)
    row.click(Action.ACCEPT)
    assert requested == [("accept", "p_req")]

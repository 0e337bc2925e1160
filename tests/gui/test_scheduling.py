"""Scheduling for later in the window, over the product's fake engine.

Schedule from the setup dialog, see it under Upcoming on Home in plain local
words, be reminded shortly before, start it (into the Space) or call it off.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QDateTime
from pytestqt.qtbot import QtBot

from spaces_desktop.session.fake import FakeEngine
from spaces_desktop.session.port import ScheduledSpace, Upcoming
from spaces_desktop.ui.main_window import MainWindow
from spaces_desktop.ui.qt.settings import AppSettings
from spaces_desktop.ui.viewmodels.upcoming import UpcomingRow
from spaces_desktop.ui.widgets.upcoming_list import when_text
from tests.gui.conftest import space_state
from tests.gui.test_app import SERVER, Confirmations, confirm, make_window

FIXTURES = (confirm, make_window)
"""The window fixtures of test_app, shared here by name."""

LONG_TITLE = (
    "Quarterly all-hands: roadmap, hiring, the new office, and a very long question and answer session"
)


def tomorrow_at(hour: int, minute: int) -> datetime:
    local = (datetime.now() + timedelta(days=1)).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return local.astimezone(UTC)


def schedule(qtbot: QtBot, window: MainWindow, title: str, when: datetime) -> None:
    dialog = window.open_setup()
    assert dialog is not None
    dialog.title_edit.setText(title)
    dialog.schedule_check.setChecked(True)
    dialog.schedule_edit.setDateTime(QDateTime.fromSecsSinceEpoch(int(when.timestamp())))
    assert dialog.go_button.text() == "Schedule"
    before = len(window.home.upcoming.items)
    dialog.go_button.click()
    qtbot.waitUntil(lambda: len(window.home.upcoming.items) == before + 1)
    qtbot.waitUntil(lambda: not window.controller.pending)


def test_schedule_for_later_shows_under_upcoming_and_starts(
    qtbot: QtBot, make_window: Callable[..., MainWindow], engine: FakeEngine, app_settings: AppSettings, shot
) -> None:
    app_settings.remember("Morning news roundup", "http://127.0.0.1:8470/s/news1", hosted=False)
    app_settings.remember(LONG_TITLE, "http://127.0.0.1:8470/s/long1", hosted=True)
    later = tomorrow_at(9, 15) + timedelta(days=3)
    app_settings.scheduled = [ScheduledSpace(f"{SERVER}/s/later1", LONG_TITLE, later, "t" * 43)]
    window = make_window()
    when = tomorrow_at(18, 30)
    schedule(qtbot, window, "Launch Q&A", when)

    [args] = engine.called("create_space")
    assert args[0] == SERVER and args[1] == "Launch Q&A" and args[6] == when
    assert window.stack.currentWidget() is window.home and window.space_screen is None
    item, other = window.home.upcoming.items
    assert other.title.text() == LONG_TITLE and LONG_TITLE in other.title.toolTip()
    assert other.when.text().startswith(
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Sat", "Sun")
    )
    assert item.title.text() == "Launch Q&A"
    assert item.when.text() == "Tomorrow 18:30"
    assert item.start_button.text() == "Start now"  # not due yet: starting early is allowed
    kept, _ = app_settings.scheduled
    assert kept.token and kept.starts_at == when
    assert "Tomorrow 18:30" in window.statusBar().currentMessage()
    # The recent list speaks in local words too, and a long title is cut with its tooltip whole.
    assert window.home.recent.item(0).text().splitlines()[1].startswith("hosted · Just now")
    assert LONG_TITLE in window.home.recent.item(0).toolTip()
    shot(window, "home-upcoming")

    engine.push(space_state(title="Launch Q&A"))  # what the engine will have said once live
    item.start_button.click()
    [(link, token, devices)] = engine.called("start_space")
    assert (link, token) == (kept.link, kept.token) and devices.label == "Dana Host"
    qtbot.waitUntil(lambda: window.space_screen is not None and window.space_screen.isVisible())
    assert [s.link for s in app_settings.scheduled] == [f"{SERVER}/s/later1"]
    assert app_settings.recent[0].title == "Launch Q&A" and app_settings.recent[0].hosted


def test_cancel_asks_first_and_calls_it_off(
    qtbot: QtBot,
    make_window: Callable[..., MainWindow],
    engine: FakeEngine,
    app_settings: AppSettings,
    confirm: Confirmations,
) -> None:
    window = make_window()
    schedule(qtbot, window, "Maybe later", tomorrow_at(9, 0))
    confirm.answer = False
    window.home.upcoming.items[0].cancel_button.click()
    assert confirm.asked == ["Call off this Space?"] and engine.called("cancel_space") == []
    confirm.answer = True
    window.home.upcoming.items[0].cancel_button.click()
    [(link, token)] = engine.called("cancel_space")
    assert token and link.startswith(SERVER)
    qtbot.waitUntil(lambda: not window.home.upcoming.items)
    assert not window.home.upcoming_card.isVisible() and app_settings.scheduled == []


def test_a_failed_cancel_keeps_the_space_and_says_why(
    qtbot: QtBot, make_window: Callable[..., MainWindow], engine: FakeEngine, app_settings: AppSettings
) -> None:
    from spaces_desktop.signaling.errors import BackendUnreachable

    window = make_window()
    schedule(qtbot, window, "Keep me", tomorrow_at(9, 0))
    engine.fail["cancel_space"] = BackendUnreachable(SERVER)
    window.home.upcoming.items[0].cancel_button.click()
    qtbot.waitUntil(lambda: window.home.error.isVisible())
    assert len(app_settings.scheduled) == 1 and len(window.home.upcoming.items) == 1


def test_the_servers_answer_drops_gone_spaces_and_marks_unreachable_ones(
    qtbot: QtBot, make_window: Callable[..., MainWindow], engine: FakeEngine, app_settings: AppSettings
) -> None:
    when = tomorrow_at(10, 0)
    app_settings.scheduled = [
        ScheduledSpace(f"{SERVER}/s/stays1", "Old title", when, "t" * 43),
        ScheduledSpace(f"{SERVER}/s/gone22", "Started elsewhere", when, "u" * 43),
        ScheduledSpace(
            "http://10.0.0.9:8470/s/far333", "On a far server", when + timedelta(hours=1), "v" * 43
        ),
    ]
    engine.upcoming_answer = Upcoming(
        spaces=(ScheduledSpace(f"{SERVER}/s/stays1", "New title", when + timedelta(minutes=30)),),
        gone=frozenset({f"{SERVER}/s/gone22"}),
        unreachable=frozenset({"http://10.0.0.9:8470/s/far333"}),
    )
    window = make_window()
    [asked] = engine.called("upcoming")
    assert asked[0] == {
        f"{SERVER}/s/stays1": "t" * 43,
        f"{SERVER}/s/gone22": "u" * 43,
        "http://10.0.0.9:8470/s/far333": "v" * 43,
    }
    qtbot.waitUntil(lambda: len(window.home.upcoming.items) == 2)
    first, second = window.home.upcoming.items
    assert first.title.text() == "New title" and first.when.text() == "Tomorrow 10:30"
    assert second.when.text().endswith("its server isn't answering")
    assert [s.token for s in app_settings.scheduled] == ["t" * 43, "v" * 43]  # tokens stay ours


def test_a_reminder_shows_shortly_before_the_start_once(
    qtbot: QtBot, make_window: Callable[..., MainWindow], engine: FakeEngine, app_settings: AppSettings
) -> None:
    soon = datetime.now(UTC) + timedelta(minutes=20)
    app_settings.scheduled = [ScheduledSpace(f"{SERVER}/s/soon11", "Stand-up", soon, "t" * 43)]
    window = make_window()
    model = window.upcoming
    model.clock = lambda: soon - timedelta(minutes=10)
    with qtbot.assertNotEmitted(model.due_soon):
        model.tick()
    model.clock = lambda: soon - timedelta(minutes=4)
    with qtbot.waitSignal(model.due_soon):
        model.tick()
    # No system tray offscreen: the reminder shows in the window.
    assert window.home.reminder.isVisible() and "Stand-up" in window.home.reminder.text()
    with qtbot.assertNotEmitted(model.due_soon):
        model.tick()
    assert [r.due(model.clock()) for r in model.rows] == [True]


def test_when_text_speaks_plainly() -> None:
    now = datetime(2026, 3, 2, 12, 0).astimezone(UTC)  # a Monday, local noon
    row = UpcomingRow(ScheduledSpace("l", "t", now + timedelta(minutes=25)))
    assert when_text(row, now) == "Today 12:25 · in 25 min"
    late = UpcomingRow(ScheduledSpace("l", "t", now - timedelta(minutes=10)), reachable=False)
    assert when_text(late, now) == "Today 11:50 · 10 min late · its server isn't answering"

"""Times in plain local words (ui/viewmodels/when.py): the locale names days, months and the clock."""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import QLocale

from spaces_desktop.ui.viewmodels.when import ago, day_and_time, until

UK = QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom)

NOW = datetime(2026, 3, 2, 12, 0)  # a Monday, local time


def test_day_and_time_names_the_day() -> None:
    assert day_and_time(NOW.replace(hour=18, minute=30), NOW) == "Today 18:30"
    assert day_and_time(NOW + timedelta(days=1, hours=6, minutes=30), NOW) == "Tomorrow 18:30"
    assert day_and_time(NOW - timedelta(days=1), NOW) == "Yesterday 12:00"
    assert day_and_time(NOW + timedelta(days=4), NOW) == "Friday 12:00"
    assert day_and_time(NOW + timedelta(days=9), NOW) == "11 Mar, 12:00"
    assert day_and_time(datetime(2025, 12, 24, 9, 5), NOW, UK) == "24 Dec 2025, 09:05"


def test_an_aware_time_reads_in_local_time() -> None:
    aware = (NOW + timedelta(days=1)).astimezone()  # the same moment, with the local offset
    assert day_and_time(aware, NOW, UK) == "Tomorrow 12:00"


def test_ago_and_until() -> None:
    assert ago(NOW - timedelta(seconds=20), NOW) == "Just now"
    assert ago(NOW - timedelta(minutes=12), NOW) == "12 min ago"
    assert ago(NOW - timedelta(hours=3), NOW) == "Today 09:00"
    assert until(NOW + timedelta(minutes=25), NOW) == "in 25 min"
    assert until(NOW + timedelta(hours=5), NOW) == "in 5 h"
    assert until(NOW + timedelta(days=2), NOW) == ""
    assert until(NOW, NOW) == "now"
    assert until(NOW - timedelta(minutes=15), NOW) == "15 min late"


def test_day_and_month_names_come_from_the_locale() -> None:
    german = QLocale(QLocale.Language.German, QLocale.Country.Germany)
    assert day_and_time(NOW + timedelta(days=4), NOW, german) == "Freitag 12:00"
    assert day_and_time(NOW + timedelta(days=9), NOW, german).startswith("11 März")
    us = QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
    assert day_and_time(NOW.replace(hour=18, minute=30), NOW, us) == "Today 6:30\u202fPM"

"""Times as a person says them: "Today 18:30", "Tomorrow 09:00", "5 min ago", in the user's language.

Both arguments are turned into local time first (a naive datetime is taken
as local already), so a Space scheduled in UTC reads in the clock on the wall.
Day and month names and the clock come from the locale (default: the app's,
``QLocale()``); the words around them go through the translator.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import QCoreApplication, QDate, QLocale, QTime


def local(at: datetime) -> datetime:
    """``at`` in local wall-clock time, naive."""
    return at.astimezone().replace(tzinfo=None) if at.tzinfo is not None else at


def day_and_time(at: datetime, now: datetime, locale: QLocale | None = None) -> str:
    """A moment near ``now``, named by its day: "Today 18:30", "Tomorrow 18:30", "Friday 18:30"."""
    locale = locale or QLocale()
    at, now = local(at), local(now)
    clock = locale.toString(QTime(at.hour, at.minute), QLocale.FormatType.ShortFormat)
    days = (at.date() - now.date()).days
    if days == 0:
        return QCoreApplication.translate("When", "Today %1").replace("%1", clock)
    if days == 1:
        return QCoreApplication.translate("When", "Tomorrow %1").replace("%1", clock)
    if days == -1:
        return QCoreApplication.translate("When", "Yesterday %1").replace("%1", clock)
    if -6 <= days <= 6:
        day = locale.standaloneDayName(at.isoweekday(), QLocale.FormatType.LongFormat)
        return (
            QCoreApplication.translate("When", "%1 %2", "weekday, clock")
            .replace("%1", day)
            .replace("%2", clock)
        )
    # Qt date patterns (d = day, MMM = short month name, yyyy = year): a translation may reorder them.
    if at.year == now.year:
        pattern = QCoreApplication.translate("When", "d MMM", "date pattern, this year")
    else:
        pattern = QCoreApplication.translate("When", "d MMM yyyy", "date pattern, another year")
    date = locale.toString(QDate(at.year, at.month, at.day), pattern)
    return (
        QCoreApplication.translate("When", "%1, %2", "date, clock").replace("%1", date).replace("%2", clock)
    )


def ago(at: datetime, now: datetime, locale: QLocale | None = None) -> str:
    """A moment in the past: "Just now", "12 min ago", then as ``day_and_time``."""
    at, now = local(at), local(now)
    gap = now - at
    if timedelta(0) <= gap < timedelta(minutes=1):
        return QCoreApplication.translate("When", "Just now")
    if timedelta(0) <= gap < timedelta(hours=1):
        # Plural counts are plain names: lupdate drops a plural whose count is an expression.
        minutes = gap.seconds // 60
        return QCoreApplication.translate("When", "%n min ago", None, minutes)
    return day_and_time(at, now, locale)


def until(at: datetime, now: datetime) -> str:
    """How far off a start is: "in 25 min", "in 3 h", "now", "20 min late" ("" when days away)."""
    gap = local(at) - local(now)
    minutes = round(gap.total_seconds() / 60)
    if -1 <= minutes <= 0:
        return QCoreApplication.translate("When", "now")
    if minutes < 0:
        late = -minutes
        if late < 60:
            return QCoreApplication.translate("When", "%n min late", None, late)
        hours = late // 60
        return QCoreApplication.translate("When", "%n h late", None, hours)
    if minutes < 60:
        return QCoreApplication.translate("When", "in %n min", None, minutes)
    if minutes < 24 * 60:
        hours = minutes // 60
        return QCoreApplication.translate("When", "in %n h", None, hours)
    return ""

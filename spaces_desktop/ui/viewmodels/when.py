"""Times as a person says them: "Today 18:30", "Tomorrow 09:00", "5 min ago" (no Qt).

Both arguments are turned into local time first (a naive datetime is taken
as local already), so a Space scheduled in UTC reads in the clock on the wall.
"""

from __future__ import annotations

from datetime import datetime, timedelta

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def local(at: datetime) -> datetime:
    """``at`` in local wall-clock time, naive."""
    return at.astimezone().replace(tzinfo=None) if at.tzinfo is not None else at


def day_and_time(at: datetime, now: datetime) -> str:
    """A moment near ``now``, named by its day: "Today 18:30", "Tomorrow 18:30", "Friday 18:30"."""
    at, now = local(at), local(now)
    clock = at.strftime("%H:%M")
    days = (at.date() - now.date()).days
    if days == 0:
        return f"Today {clock}"
    if days == 1:
        return f"Tomorrow {clock}"
    if days == -1:
        return f"Yesterday {clock}"
    if -6 <= days <= 6:
        return f"{WEEKDAYS[at.weekday()]} {clock}"
    date = f"{at.day} {MONTHS[at.month - 1]}" + (f" {at.year}" if at.year != now.year else "")
    return f"{date}, {clock}"


def ago(at: datetime, now: datetime) -> str:
    """A moment in the past: "Just now", "12 min ago", then as ``day_and_time``."""
    at, now = local(at), local(now)
    gap = now - at
    if timedelta(0) <= gap < timedelta(minutes=1):
        return "Just now"
    if timedelta(0) <= gap < timedelta(hours=1):
        return f"{gap.seconds // 60} min ago"
    return day_and_time(at, now)


def until(at: datetime, now: datetime) -> str:
    """How far off a start is: "in 25 min", "in 3 h", "now", "20 min late" ("" when days away)."""
    gap = local(at) - local(now)
    minutes = round(gap.total_seconds() / 60)
    if -1 <= minutes <= 0:
        return "now"
    if minutes < 0:
        late = -minutes
        return f"{late} min late" if late < 60 else f"{late // 60} h late"
    if minutes < 60:
        return f"in {minutes} min"
    if minutes < 24 * 60:
        return f"in {minutes // 60} h"
    return ""

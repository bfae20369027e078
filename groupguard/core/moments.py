"""One way to show a moment to a person: the day, the time and the zone's name, in the
practice's zone ("3 Nov 2026, 19:40 PST"). Pages, PDFs and signed copies use it; JSON for
machines keeps UTC (ISO 8601). Month names are written here, not taken from the machine's
locale, so the same moment prints the same everywhere."""

from __future__ import annotations

import datetime

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_text(day: datetime.date) -> str:
    """ "3 Nov 2026"."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def moment_text(moment: datetime.datetime, tz: datetime.tzinfo) -> str:
    """ "3 Nov 2026, 19:40 PST": ``moment`` (aware; naive is read as UTC) in ``tz``."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    local = moment.astimezone(tz)
    return f"{day_text(local.date())}, {local:%H:%M} {local.tzname()}"

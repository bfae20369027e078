"""One way to show a moment to a person: the practice's zone, named, months not from the
machine's locale."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from groupguard.core.moments import day_text, moment_text

LA = ZoneInfo("America/Los_Angeles")


def test_a_moment_is_shown_in_the_zone_with_its_name() -> None:
    winter = datetime.datetime(2026, 12, 4, 21, 8, tzinfo=datetime.UTC)
    summer = datetime.datetime(2026, 7, 1, 6, 30, tzinfo=datetime.UTC)
    assert moment_text(winter, LA) == "4 Dec 2026, 13:08 PST"
    # Early morning in UTC is still the day before in Los Angeles.
    assert moment_text(summer, LA) == "30 Jun 2026, 23:30 PDT"


def test_a_naive_moment_is_read_as_utc_and_a_day_has_no_time() -> None:
    naive = datetime.datetime(2026, 1, 2, 3, 4)  # noqa: DTZ001 (on purpose)
    assert moment_text(naive, datetime.UTC) == "2 Jan 2026, 03:04 UTC"
    assert day_text(datetime.date(2026, 3, 9)) == "9 Mar 2026"

"""The demo practice is dated on its own calendar (Los Angeles), not the server's (UTC)."""

from __future__ import annotations

import datetime
import zoneinfo

import time_machine
from django.utils import timezone

from groupguard.demo.practice import DEMO_TIMEZONE, build_demo
from groupguard.practice.models import Attendance, GroupSession
from groupguard.practice.models.sessions import SessionStatus


def test_an_evening_session_later_today_is_not_recorded_as_held(db: None) -> None:
    # 16:30 on a Tuesday in Los Angeles is already Wednesday in UTC; the process group meets
    # on Tuesdays at 18:00, so its session today has not happened yet.
    zone = zoneinfo.ZoneInfo(DEMO_TIMEZONE)
    now = timezone.now().astimezone(zone)
    tuesday = now.date() + datetime.timedelta(days=(1 - now.weekday()) % 7 or 7)
    moment = datetime.datetime.combine(tuesday, datetime.time(16, 30), tzinfo=zone)
    assert moment.astimezone(datetime.UTC).date() != tuesday
    with time_machine.travel(moment, tick=False):
        demo = build_demo()
        tonight = GroupSession.objects.get(
            group=demo.groups["process"],
            starts_at__gt=moment,
            starts_at__lt=moment + datetime.timedelta(hours=12),
        )
        assert tonight.status == SessionStatus.SCHEDULED
        assert not Attendance.objects.filter(session=tonight).exists()
        assert not GroupSession.objects.filter(
            group__practice=demo.practice, status=SessionStatus.HELD, starts_at__gt=moment
        ).exists()

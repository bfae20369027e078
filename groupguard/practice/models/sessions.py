from __future__ import annotations

import datetime
import zoneinfo

from django.conf import settings
from django.db import models

from groupguard.core.models import DomainModel


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    HELD = "held", "Held"
    CANCELLED = "cancelled", "Cancelled"


class GroupSession(DomainModel):
    """One meeting of a group."""

    group = models.ForeignKey("practice.Group", on_delete=models.PROTECT, related_name="sessions")
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=90)
    location = models.CharField(max_length=200, blank=True)
    telehealth = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED
    )

    class Meta:
        ordering = ["-starts_at"]
        indexes = [
            models.Index(fields=["group", "-starts_at"], name="session_group_start"),
            # The dashboard's next sessions across every group an admin sees, in time order.
            models.Index(fields=["starts_at"], name="session_start"),
        ]

    def __str__(self) -> str:
        return f"{self.group} – {self.starts_at:%Y-%m-%d %H:%M}"

    def local_day(self) -> datetime.date:
        """The calendar day of the session where the practice is (not in UTC)."""
        tz = zoneinfo.ZoneInfo(self.group.practice.timezone)
        return self.starts_at.astimezone(tz).date()


class AttendanceStatus(models.TextChoices):
    ATTENDED = "attended", "Attended"
    LATE = "late", "Late"
    ABSENT = "absent", "Absent"
    CANCELLED = "cancelled", "Cancelled in advance"


class Attendance(DomainModel):
    session = models.ForeignKey(GroupSession, on_delete=models.PROTECT, related_name="attendance")
    member = models.ForeignKey(
        "practice.Member", on_delete=models.PROTECT, related_name="attendance"
    )
    status = models.CharField(max_length=10, choices=AttendanceStatus.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "member"], name="attendance_once_per_session"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()}"

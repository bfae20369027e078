from __future__ import annotations

import datetime
import re
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone as dj_timezone

from groupguard.core.models import DomainModel

JURISDICTION_RE = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")


def validate_jurisdiction(value: str) -> None:
    if not JURISDICTION_RE.match(value):
        raise ValidationError(
            f"{value!r} is not a jurisdiction code: use a country code, optionally with a "
            "region, such as US-CA, US-NY or GB"
        )


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            f"{value!r} is not an IANA time zone such as America/Los_Angeles"
        ) from None


class Practice(DomainModel):
    """A clinic or solo practice: the unit that owns groups, members and the audit log."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    jurisdiction = models.CharField(
        max_length=6,
        validators=[validate_jurisdiction],
        help_text="Where the practice's licences apply, e.g. US-CA. Decides the legal rules used.",
    )
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    referral_reminder_days = models.PositiveSmallIntegerField(
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Remind facilitators of a referral still unanswered after this many days.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def today(self) -> datetime.date:
        """The calendar day where the practice is (not where the server is)."""
        return dj_timezone.now().astimezone(self.tz).date()

    def day_of(self, moment: datetime.datetime) -> datetime.date:
        return moment.astimezone(self.tz).date()


class LicenseType(models.TextChoices):
    MFT = "MFT", "Marriage and family therapist (MFT)"
    LCSW = "LCSW", "Clinical social worker (LCSW)"
    LPCC = "LPCC", "Professional clinical counselor (LPCC)"
    PSYCHOLOGIST = "psychologist", "Psychologist"
    COUNSELOR = "counselor", "Counselor"
    ASSOCIATE = "associate", "Associate / pre-licensed"
    OTHER = "other", "Other"


class EthicsCode(models.TextChoices):
    AAMFT = "AAMFT", "AAMFT Code of Ethics"
    NASW = "NASW", "NASW Code of Ethics"
    ACA = "ACA", "ACA Code of Ethics"
    APA = "APA", "APA Ethical Principles"
    OTHER = "other", "Other"


class PractitionerProfile(DomainModel):
    """The licence and ethics code of a clinician: they decide which professional rules bind."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practitioner"
    )
    license_type = models.CharField(max_length=16, choices=LicenseType.choices)
    license_number = models.CharField(max_length=40, blank=True)
    license_jurisdiction = models.CharField(
        max_length=6, blank=True, validators=[validate_jurisdiction]
    )
    ethics_code = models.CharField(max_length=8, choices=EthicsCode.choices)

    def __str__(self) -> str:
        return f"{self.user} ({self.license_type})"

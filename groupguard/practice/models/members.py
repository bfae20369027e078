from __future__ import annotations

import datetime

from django.db import models

from groupguard.core.fields import EncryptedDateField, EncryptedTextField
from groupguard.core.models import DomainModel


class Member(DomainModel):
    """A person who takes part in one or more groups. Identity and contact are encrypted."""

    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.PROTECT, related_name="members"
    )
    given_name = EncryptedTextField()
    family_name = EncryptedTextField()
    preferred_name = EncryptedTextField(blank=True, default="")
    date_of_birth = EncryptedDateField(null=True, blank=True)
    email = EncryptedTextField(blank=True, default="")
    phone = EncryptedTextField(blank=True, default="")
    is_minor = models.BooleanField(
        default=False, help_text="Minors need a guardian's consent as well as their own assent."
    )
    guardian_name = EncryptedTextField(blank=True, default="")
    guardian_contact = EncryptedTextField(blank=True, default="")

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.given_name
        return f"{first} {self.family_name}".strip()

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    def age_on(self, day: datetime.date) -> int | None:
        dob = self.date_of_birth
        if dob is None:
            return None
        return int(day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day)))


class EnrollmentQuerySet(models.QuerySet["Enrollment"]):
    def current(self, on: datetime.date | None = None) -> EnrollmentQuerySet:
        from django.utils import timezone

        day = on or timezone.localdate()
        return self.filter(joined_on__lte=day).filter(
            models.Q(left_on__isnull=True) | models.Q(left_on__gte=day)
        )


class Enrollment(DomainModel):
    """A member's place in a group, from the day they joined to the day they left."""

    group = models.ForeignKey(
        "practice.Group", on_delete=models.PROTECT, related_name="enrollments"
    )
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="enrollments")
    joined_on = models.DateField()
    left_on = models.DateField(null=True, blank=True)

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        ordering = ["joined_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "member"],
                condition=models.Q(left_on__isnull=True),
                name="one_open_enrollment_per_member_and_group",
            ),
            models.CheckConstraint(
                condition=models.Q(left_on__isnull=True)
                | models.Q(left_on__gte=models.F("joined_on")),
                name="enrollment_leaves_after_joining",
            ),
        ]

    def __str__(self) -> str:
        return f"enrollment {self.pk}"

    def is_current(self, on: datetime.date) -> bool:
        return self.joined_on <= on and (self.left_on is None or self.left_on >= on)

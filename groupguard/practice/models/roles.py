from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models

from groupguard.core.models import DomainModel


class RoleKind(models.TextChoices):
    GROUP_ONLY = "group_facilitator_only", "Group facilitator only"
    INDIVIDUAL = "individual_therapist", "Also individual therapist"
    COUPLE_FAMILY = "couple_family_therapist", "Also couple or family therapist"
    SUPERVISOR = "supervisor", "Supervisor"
    OTHER = "other", "Other"


# Roles beyond facilitating the group: a member who confides in someone who is also their
# individual or family therapist may reasonably expect an individual confidence.
DUAL_ROLES = frozenset(
    {RoleKind.INDIVIDUAL, RoleKind.COUPLE_FAMILY, RoleKind.SUPERVISOR, RoleKind.OTHER}
)


class RoleRelationshipQuerySet(models.QuerySet["RoleRelationship"]):
    def on(self, day: datetime.date) -> RoleRelationshipQuerySet:
        return self.filter(starts_on__lte=day).filter(
            models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=day)
        )


class RoleRelationship(DomainModel):
    """The documented role a practitioner has with a member, for a period of time.

    This is the first fact a licensing board asks about: was the practitioner only the
    group's facilitator, or also this member's individual therapist?
    """

    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="member_roles"
    )
    member = models.ForeignKey("practice.Member", on_delete=models.PROTECT, related_name="roles")
    kind = models.CharField(max_length=32, choices=RoleKind.choices)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    note = models.CharField(
        max_length=300, blank=True, help_text="No clinical detail: a role, not a note."
    )

    objects = RoleRelationshipQuerySet.as_manager()

    class Meta:
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="role_ends_after_it_starts",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.starts_on}"

    @property
    def is_dual(self) -> bool:
        return self.kind in DUAL_ROLES

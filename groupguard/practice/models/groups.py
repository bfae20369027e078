from __future__ import annotations

from django.conf import settings
from django.db import models

from groupguard.core.models import DomainModel


class Modality(models.TextChoices):
    THERAPY = "therapy", "Group therapy"
    COUNSELING = "counseling", "Group counseling"
    PSYCHOEDUCATION = "psychoeducation", "Psychoeducation"
    SUPPORT = "support", "Support group"


class Membership(models.TextChoices):
    OPEN = "open", "Open (members join over time)"
    CLOSED = "closed", "Closed (fixed membership)"


class GroupStatus(models.TextChoices):
    FORMING = "forming", "Forming"
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


class Group(DomainModel):
    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.PROTECT, related_name="groups"
    )
    name = models.CharField(max_length=200)
    modality = models.CharField(max_length=20, choices=Modality.choices)
    part2_program = models.BooleanField(
        default=False,
        verbose_name="42 CFR Part 2 program",
        help_text="Run by a federally assisted substance-use program, so 42 CFR Part 2 applies.",
    )
    membership = models.CharField(
        max_length=8, choices=Membership.choices, default=Membership.CLOSED
    )
    status = models.CharField(
        max_length=8, choices=GroupStatus.choices, default=GroupStatus.FORMING
    )
    schedule = models.CharField(
        max_length=200, blank=True, help_text="When the group meets, e.g. Tuesdays 18:00–19:30."
    )
    facilitators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="practice.GroupFacilitator",
        related_name="facilitated_groups",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "name"], name="group_name_unique_in_practice"
            )
        ]

    def __str__(self) -> str:
        return self.name


class FacilitatorRole(models.TextChoices):
    LEAD = "lead", "Lead facilitator"
    CO = "co", "Co-facilitator"


class GroupFacilitator(DomainModel):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="facilitator_links")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="facilitator_links"
    )
    role = models.CharField(max_length=4, choices=FacilitatorRole.choices)

    class Meta:
        ordering = ["-role", "created_at"]  # the lead ("lead" > "co") first
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="facilitator_once_per_group"),
            models.UniqueConstraint(
                fields=["group"], condition=models.Q(role="lead"), name="one_lead_per_group"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} of {self.group}"

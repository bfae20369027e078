"""Complaints to a licensing board (or another body) and the evidence packets built for them.

A **complaint** names the member who complained, the board, when it arrived, the allegation
(encrypted) and the response deadline. A **packet** is the folder groupguard builds for a
member (usually for a complaint): every relevant record in order, each provably unaltered, and
nothing that identifies the other members. Building one is audited; the files themselves are
not kept in the database (they can be rebuilt from the records and the checkpoint).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models

from groupguard.core.fields import EncryptedBytesField, EncryptedTextField
from groupguard.core.models import DomainModel


class ComplaintStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESPONDED = "responded", "Response sent"
    CLOSED = "closed", "Closed"


class Complaint(DomainModel):
    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.PROTECT, related_name="complaints"
    )
    member = models.ForeignKey(
        "practice.Member", on_delete=models.PROTECT, related_name="complaints"
    )
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
        help_text="The practitioner the complaint is about, if one is named.",
    )
    board = models.CharField(max_length=200, help_text="The board or body it came from.")
    reference = models.CharField(max_length=100, blank=True, help_text="The board's case number.")
    received_on = models.DateField()
    deadline = models.DateField(null=True, blank=True, help_text="When the response is due.")
    allegation = EncryptedTextField(help_text="What the complaint alleges, in summary.")
    status = models.CharField(
        max_length=10, choices=ComplaintStatus.choices, default=ComplaintStatus.OPEN
    )
    notes = EncryptedTextField(blank=True, default="")
    period_start = models.DateField(
        null=True, blank=True, help_text="The packet covers records from this day (optional)."
    )
    period_end = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-received_on", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(deadline__isnull=True)
                | models.Q(deadline__gte=models.F("received_on")),
                name="complaint_deadline_after_receipt",
            )
        ]

    def __str__(self) -> str:
        return f"complaint {self.pk}"

    def days_left(self, today: datetime.date) -> int | None:
        return (self.deadline - today).days if self.deadline else None


class PacketBuild(DomainModel):
    """A packet that was built, kept (encrypted) so it can be downloaded again as it was."""

    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.PROTECT, related_name="packet_builds"
    )
    member = models.ForeignKey(
        "practice.Member", on_delete=models.PROTECT, related_name="packet_builds"
    )
    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, null=True, blank=True, related_name="builds"
    )
    built_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    checkpoint_size = models.BigIntegerField()
    files = models.JSONField(help_text="File name -> SHA-256, as in manifest.json.")
    seconds = models.JSONField(default=dict)
    archive = EncryptedBytesField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"packet {self.pk}"

"""Emergency access ("breaking the glass") to a member outside a clinician's groups."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models

from groupguard.core.fields import EncryptedTextField
from groupguard.core.models import DomainModel


class BreakGlassGrant(DomainModel):
    """A clinician's access to one member they would not otherwise see, for a limited time.

    A clinician sees the members of the groups they facilitate. In an emergency (a member of a
    colleague's group in crisis on the phone, the colleague away) they can open that member
    with a written reason: the grant lasts ``GROUPGUARD_BREAK_GLASS_MINUTES``, is audited with
    severity high, and waits on the practice admins' list until one of them reviews it.
    """

    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.PROTECT, related_name="break_glass_grants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="break_glass_grants"
    )
    member = models.ForeignKey(
        "practice.Member", on_delete=models.PROTECT, related_name="break_glass_grants"
    )
    reason = EncryptedTextField(help_text="Why, in the clinician's words (it may hold PHI).")
    expires_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    review_note = EncryptedTextField(blank=True, default="")

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "expires_at"], name="break_glass_user_active"),
            models.Index(fields=["practice", "reviewed_at"], name="break_glass_to_review"),
        ]

    def __str__(self) -> str:
        return f"break-glass grant {self.pk}"

    def is_active(self, now: datetime.datetime) -> bool:
        return now < self.expires_at

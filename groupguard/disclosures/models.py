"""Disclosure decisions, authorizations and the accounting of disclosures.

Terms:
- An **assessment** is one evaluation of "may I share this?": the facts the engine saw (taken
  from the records where they hold them, asked for the rest), the decision it gave and the
  rules version. Assessments are append-only: a decision log.
- A **choice** is what the practitioner decided after reading the assessment (proceed, hold,
  talk with the member first, seek authorization, consult). A later choice supersedes an
  earlier one; both are kept (append-only).
- A **disclosure** is what was actually shared, when and with whom, usually as the outcome of
  an assessment. Disclosures outside the group make up the member's **accounting of
  disclosures** (45 CFR 164.528). Append-only.
- An **authorization** is a member's written permission for a disclosure to a kind of
  recipient, for a purpose, until an expiry, revocable. The engine's ``authorization`` fact is
  true when an authorization in force covers the recipient.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models

from groupguard.core.fields import EncryptedBytesField, EncryptedTextField
from groupguard.core.models import DomainModel


class Recipient(models.TextChoices):
    GROUP = "group", "The group, in session"
    FAMILY = "family", "Family"
    FORMER_MEMBER = "former_member", "A former member"
    EMPLOYER = "employer", "Employer"
    OTHER_PROVIDER = "other_provider", "Another provider"
    INSURER = "insurer", "Insurer"
    COURT = "court", "A court"
    LAW_ENFORCEMENT = "law_enforcement", "Law enforcement"
    POTENTIAL_VICTIM = "potential_victim", "A potential victim"
    PROTECTIVE_SERVICES = "protective_services", "Protective services"
    OTHER = "other", "Someone else"


THIRD_PARTIES = [c for c in Recipient if c != Recipient.GROUP]


class Assessment(DomainModel):
    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.PROTECT, related_name="assessments"
    )
    member = models.ForeignKey(
        "practice.Member", on_delete=models.PROTECT, related_name="assessments"
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessments",
    )
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    question = EncryptedTextField(
        blank=True, default="", help_text="What the practitioner wants to share, in a line."
    )
    facts = models.JSONField(help_text="Exactly the facts the engine evaluated.")
    prefilled = models.JSONField(
        default=dict, help_text="Which facts came from the records, and from which record."
    )
    decision = models.JSONField(help_text="The engine's decision, as it returned it.")
    level = models.CharField(max_length=16)
    rules_version = models.CharField(max_length=20)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["member", "-created_at"], name="assessment_member")]

    def __str__(self) -> str:
        return f"assessment {self.pk}"

    @property
    def recipient(self) -> str:
        facts = self.facts
        if facts.get("recipient") == "group":
            return "group"
        return str(facts.get("third_party") or "other")


class ChoiceKind(models.TextChoices):
    PROCEED = "proceed", "Proceed"
    HOLD = "hold", "Hold: do not share"
    TALK_FIRST = "talk_first", "Talk with the member first"
    SEEK_AUTHORIZATION = "seek_authorization", "Seek written authorization"
    CONSULT = "consult", "Consult first"


class Choice(DomainModel):
    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="choices")
    kind = models.CharField(max_length=20, choices=ChoiceKind.choices)
    note = EncryptedTextField(blank=True, default="")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"choice {self.pk}"


class Disclosure(DomainModel):
    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.PROTECT, related_name="disclosures"
    )
    member = models.ForeignKey(
        "practice.Member", on_delete=models.PROTECT, related_name="disclosures"
    )
    assessment = models.ForeignKey(
        Assessment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="disclosures",
    )
    recipient = models.CharField(max_length=24, choices=Recipient.choices)
    recipient_detail = EncryptedTextField(
        blank=True, default="", help_text="Who exactly (a name, an agency, a court)."
    )
    disclosed_at = models.DateTimeField()
    what = EncryptedTextField(help_text="What was shared, briefly.")
    purpose = EncryptedTextField(blank=True, default="")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-disclosed_at"]
        indexes = [models.Index(fields=["member", "-disclosed_at"], name="disclosure_member")]

    def __str__(self) -> str:
        return f"disclosure {self.pk}"

    @property
    def outside_group(self) -> bool:
        return self.recipient != Recipient.GROUP


class Authorization(DomainModel):
    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.PROTECT, related_name="authorizations"
    )
    member = models.ForeignKey(
        "practice.Member", on_delete=models.PROTECT, related_name="authorizations"
    )
    recipient = models.CharField(max_length=24, choices=Recipient.choices)
    recipient_detail = EncryptedTextField(blank=True, default="")
    purpose = EncryptedTextField()
    signed_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revocation_note = EncryptedTextField(blank=True, default="")
    scan = EncryptedBytesField(null=True, blank=True)
    scan_content_type = models.CharField(max_length=40, blank=True)
    scan_sha256 = models.CharField(max_length=64, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-signed_on", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True)
                | models.Q(expires_on__gte=models.F("signed_on")),
                name="authorization_expires_after_signing",
            )
        ]

    def __str__(self) -> str:
        return f"authorization {self.pk}"

    def in_force(self, day: datetime.date) -> bool:
        return (
            self.revoked_at is None
            and self.signed_on <= day
            and (self.expires_on is None or self.expires_on >= day)
        )

"""Out-of-session contacts with group members, and what came of them.

Terms:
- A **contact** is one conversation or message between a facilitator and one or more members
  of a group outside the group's session: after group, on the phone, in a message. Its summary
  is encrypted. The facilitator records whether the member asked for confidentiality
  (``request``) and how they answered (reminded of the agreement, offered a referral, promised
  confidentiality). The request is the facilitator's answer, never the detector's guess: until
  they give one it is **unanswered** ("Not answered yet"), and they answer it later by editing
  the entry or by an amendment. ``detected_request`` and ``detected_rules`` keep what the
  detector suggested on save, so corrections can be counted, and ``detection`` the detector's
  whole output as it returned it (``detect(summary).as_record()``: the suggestion, the version
  of the rules and model, the matches without their words).
- An entry is **signed** when it is saved: its content hash goes into the audit log, whose
  entries are signed. It can be edited for ``EDIT_WINDOW`` (24 hours); then it is **locked**
  and later changes are **amendments**, which are append-only and never replace the original.
- A **promise** is a confidentiality promise the facilitator made to a member, with its scope.
  It stays open until the member releases it or the facilitator withdraws it after telling the
  member. Disclosure decisions read open promises.
- A **referral** points a member to an individual therapist (someone in the practice or
  outside) for what needs a confidential space. Its status moves from offered to accepted or
  declined, and from accepted to completed.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.conf import settings
from django.db import models

from groupguard.core.fields import EncryptedTextField
from groupguard.core.models import DomainModel

EDIT_WINDOW = datetime.timedelta(hours=24)


class Setting(models.TextChoices):
    AFTER_SESSION = "after_session", "Right after a session"
    BEFORE_SESSION = "before_session", "Right before a session"
    PHONE = "phone", "Phone call"
    TEXT = "text", "Text message"
    EMAIL = "email", "Email"
    PORTAL = "portal", "Portal message"
    CHANCE = "chance", "Chance meeting"
    ONE_TO_ONE = "one_to_one", "Scheduled one-to-one"
    INDIVIDUAL = "individual_therapy", "Individual therapy session"


# Settings where the words were written, not spoken.
WRITTEN_SETTINGS = frozenset({Setting.TEXT, Setting.EMAIL, Setting.PORTAL})


class Initiator(models.TextChoices):
    MEMBER = "member", "The member"
    FACILITATOR = "facilitator", "I did"
    OTHER = "other", "Someone else"


class Request(models.TextChoices):
    """Did the member ask for confidentiality? The facilitator's answer, or not yet answered."""

    NONE = "none", "None"
    IMPLIED = "implied", "Implied"
    EXPLICIT = "explicit", "Explicit"
    UNANSWERED = "unanswered", "Not answered yet"


# The answers proper: what the detector suggests, and what an amendment may correct a request
# to (an amendment answers or corrects; it never takes an answer back).
ANSWERS = [(value, label) for value, label in Request.choices if value != Request.UNANSWERED]


class Contact(DomainModel):
    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.PROTECT, related_name="contacts"
    )
    group = models.ForeignKey("practice.Group", on_delete=models.PROTECT, related_name="contacts")
    members = models.ManyToManyField(
        "practice.Member", through="contacts.ContactMember", related_name="contacts"
    )
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contacts"
    )
    occurred_at = models.DateTimeField()
    setting = models.CharField(max_length=20, choices=Setting.choices)
    initiated_by = models.CharField(max_length=12, choices=Initiator.choices)
    others_present = EncryptedTextField(blank=True, default="")
    summary = EncryptedTextField()
    request = models.CharField(max_length=10, choices=Request.choices, default=Request.UNANSWERED)
    detected_request = models.CharField(max_length=8, choices=ANSWERS)
    detected_rules = models.JSONField(default=list, blank=True)
    # The detector's output on save (JSON, without the note's words). Encrypted: its risk
    # flags and promises are health information read from the summary.
    detection = EncryptedTextField(
        null=True, blank=True, help_text="The detector's output on save, as it returned it."
    )
    reminded_agreement = models.BooleanField(default=False)
    offered_referral = models.BooleanField(default=False)
    promised_confidentiality = models.BooleanField(default=False)
    follow_up = EncryptedTextField(blank=True, default="")
    follow_up_on = models.DateField(null=True, blank=True)
    content_sha256 = models.CharField(max_length=64)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [
            models.Index(fields=["group", "-occurred_at"], name="contact_group_when"),
            models.Index(fields=["practice", "-occurred_at"], name="contact_practice_when"),
            # The dashboard's contacts whose request is not answered yet: a small index.
            models.Index(
                fields=["practice", "occurred_at"],
                name="contact_unanswered",
                condition=models.Q(request="unanswered"),
            ),
        ]

    def __str__(self) -> str:
        return f"contact {self.pk}"

    @property
    def locks_at(self) -> datetime.datetime:
        return self.created_at + EDIT_WINDOW

    def is_locked(self, now: datetime.datetime) -> bool:
        return now >= self.locks_at

    @property
    def detector_version(self) -> str | None:
        """The rules and model that made the stored suggestion (None for an entry saved before
        the detector's whole output was kept)."""
        version = self.detection_record.get("model")
        return str(version) if version else None

    @property
    def detection_record(self) -> dict[str, Any]:
        """The stored detector output, read back ({} for an entry saved before it was kept)."""
        if not self.detection:
            return {}
        found = json.loads(self.detection)
        return found if isinstance(found, dict) else {}

    @property
    def responses(self) -> list[str]:
        labels = []
        if self.reminded_agreement:
            labels.append("Reminded of the group agreement")
        if self.offered_referral:
            labels.append("Offered a referral")
        if self.promised_confidentiality:
            labels.append("Promised confidentiality")
        return labels


class ContactMember(DomainModel):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="member_links")
    member = models.ForeignKey(
        "practice.Member", on_delete=models.PROTECT, related_name="contact_links"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact", "member"], name="contact_member_once")
        ]

    def __str__(self) -> str:
        return f"contact member {self.pk}"


class Amendment(DomainModel):
    """A later addition or correction to a locked contact. Append-only."""

    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="amendments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = EncryptedTextField()
    request = models.CharField(
        max_length=8,
        choices=ANSWERS,
        blank=True,
        help_text="A corrected confidentiality request, or blank if unchanged.",
    )
    content_sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"amendment {self.pk}"


class PromiseStatus(models.TextChoices):
    OPEN = "open", "Open"
    RELEASED = "released", "Released by the member"
    WITHDRAWN = "withdrawn", "Withdrawn, member told"


class Promise(DomainModel):
    """A promise of confidentiality to a member: later disclosure decisions must see it."""

    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.PROTECT, related_name="promises"
    )
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="promises")
    member = models.ForeignKey("practice.Member", on_delete=models.PROTECT, related_name="promises")
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    made_at = models.DateTimeField()
    scope = EncryptedTextField(help_text="What the promise covers, in the words used.")
    acknowledged_conflict = models.BooleanField(
        help_text="The facilitator confirmed they read why the promise can conflict."
    )
    status = models.CharField(
        max_length=10, choices=PromiseStatus.choices, default=PromiseStatus.OPEN
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closing_note = EncryptedTextField(blank=True, default="")

    class Meta:
        ordering = ["-made_at"]
        # The dashboard's open promises, newest first, read in index order.
        indexes = [
            models.Index(fields=["practice", "status", "-made_at"], name="promise_status_made_at")
        ]

    def __str__(self) -> str:
        return f"promise {self.pk}"


class ReferralStatus(models.TextChoices):
    OFFERED = "offered", "Offered"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    COMPLETED = "completed", "Completed"


# Where a referral may go next. Declined and completed are final; a member who declined can
# be offered a new referral.
REFERRAL_MOVES: dict[str, frozenset[str]] = {
    ReferralStatus.OFFERED: frozenset({ReferralStatus.ACCEPTED, ReferralStatus.DECLINED}),
    ReferralStatus.ACCEPTED: frozenset({ReferralStatus.COMPLETED, ReferralStatus.DECLINED}),
    ReferralStatus.DECLINED: frozenset(),
    ReferralStatus.COMPLETED: frozenset(),
}


class Referral(DomainModel):
    """A referral to an individual therapist for a confidential space."""

    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.PROTECT, related_name="referrals"
    )
    member = models.ForeignKey(
        "practice.Member", on_delete=models.PROTECT, related_name="referrals"
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    to_practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals_received",
    )
    to_name = EncryptedTextField(blank=True, default="", help_text="An outside therapist.")
    to_contact = EncryptedTextField(blank=True, default="")
    reason = EncryptedTextField()
    status = models.CharField(
        max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.OFFERED
    )
    offered_on = models.DateField()
    accepted_on = models.DateField(null=True, blank=True)
    declined_on = models.DateField(null=True, blank=True)
    completed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-offered_on", "-created_at"]
        # The dashboard's referrals awaiting an answer, oldest offer first, in index order.
        indexes = [
            models.Index(
                fields=["practice", "status", "offered_on"], name="referral_status_offered_on"
            )
        ]

    def __str__(self) -> str:
        return f"referral {self.pk}"

    @property
    def is_addressed(self) -> bool:
        """True once the therapist is named."""
        return self.to_practitioner_id is not None or bool(self.to_name)

    @property
    def recipient(self) -> str:
        if self.to_practitioner is not None:
            return str(self.to_practitioner.display_name)
        return self.to_name or "Not chosen yet"

    def status_on(self) -> datetime.date | None:
        return {
            ReferralStatus.OFFERED: self.offered_on,
            ReferralStatus.ACCEPTED: self.accepted_on,
            ReferralStatus.DECLINED: self.declined_on,
            ReferralStatus.COMPLETED: self.completed_on,
        }[ReferralStatus(self.status)]

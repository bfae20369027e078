"""The group agreement: a versioned disclosure statement ("no secrets" policy) and signatures.

Terms:
- A **draft** is the facilitator's working copy of a group's statement: the policy, the chosen
  clauses and the role statement. It can change freely and nobody signs it.
- Publishing a draft freezes a **statement version**: its full text, a version number and the
  SHA-256 of the text. Versions are never edited (the database refuses UPDATE and DELETE).
- A **signature** names one version and copies its hash, so it always covers exactly the text
  the member read. Signatures are append-only too; withdrawing consent is a new record.
- A member's **consent status** for a group: ``signed`` (the current version), ``reconsent``
  (an older version only), ``pending`` (none), or ``withdrawn``.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone

from groupguard.core.fields import EncryptedBytesField, EncryptedTextField
from groupguard.core.models import DomainModel


class Policy(models.TextChoices):
    NO_SECRETS = "no_secrets", "No secrets"
    LIMITED_SECRETS = "limited_secrets", "Limited secrets"
    DISCRETION = "discretion", "Facilitator's discretion"


class StatementDraft(DomainModel):
    group = models.OneToOneField(
        "practice.Group", on_delete=models.CASCADE, related_name="statement_draft"
    )
    policy = models.CharField(max_length=20, choices=Policy.choices, default=Policy.NO_SECRETS)
    clause_ids = models.JSONField(default=list)
    role_statement = models.TextField(blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"draft of {self.group}"


class PracticeClause(DomainModel):
    """A practice's own clause, offered beside the built-in library."""

    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.PROTECT, related_name="custom_clauses"
    )
    clause_id = models.SlugField(max_length=60)
    title = models.CharField(max_length=200)
    text = models.TextField()
    rationale = models.TextField(blank=True)
    sources = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "clause_id"], name="custom_clause_id_unique"
            )
        ]

    def __str__(self) -> str:
        return self.title


class StatementVersion(DomainModel):
    group = models.ForeignKey(
        "practice.Group", on_delete=models.PROTECT, related_name="statement_versions"
    )
    number = models.PositiveIntegerField()
    policy = models.CharField(max_length=20, choices=Policy.choices)
    clause_ids = models.JSONField()
    role_statement = models.TextField()
    text = models.TextField(help_text="The full text members read and sign, exactly.")
    sha256 = models.CharField(max_length=64)
    effective_on = models.DateField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["group", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "number"], name="statement_version_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.group} v{self.number}"

    def text_matches_hash(self) -> bool:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest() == self.sha256


class IdentityCheck(models.TextChoices):
    DATE_OF_BIRTH = "dob", "Date of birth"
    CODE = "code", "A code the facilitator gives"


class SigningLinkQuerySet(models.QuerySet["SigningLink"]):
    def outstanding(self) -> SigningLinkQuerySet:
        """Links the facilitator still has to follow: not used, withdrawn or replaced, and
        either still working or stopped (a stopped link stays until a new one replaces it or
        the facilitator withdraws it, however old it is)."""
        return self.filter(used_at__isnull=True, revoked_at__isnull=True).filter(
            models.Q(stopped_at__isnull=False) | models.Q(expires_at__gt=timezone.now())
        )


class SigningLink(DomainModel):
    """A single-use link for one member to sign one version, without an account.

    Only the SHA-256 of the token is stored; the token itself is shown once, as a link and a
    QR code. Identity is confirmed with the date of birth or a code given in person.

    A link **stops** for good after a few wrong identity answers in its whole life
    (``actions.MAX_IDENTITY_FAILURES``): someone may be guessing. A stopped link takes no
    answer, not even the right one; the facilitator sees it and sends a new link, which
    replaces (withdraws) the member's earlier ones.
    """

    member = models.ForeignKey(
        "practice.Member", on_delete=models.PROTECT, related_name="signing_links"
    )
    version = models.ForeignKey(StatementVersion, on_delete=models.PROTECT, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    identity_check = models.CharField(max_length=4, choices=IdentityCheck.choices)
    code_hash = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Wrong identity answers over the link's whole life (never reset)."
    )
    stopped_at = models.DateTimeField(
        null=True, blank=True, help_text="When too many wrong identity answers stopped the link."
    )

    objects = SigningLinkQuerySet.as_manager()

    def __str__(self) -> str:
        return f"signing link {self.pk}"


class SignatureMethod(models.TextChoices):
    LINK = "link", "Signed through a link"
    IN_PERSON = "in_person", "Signed in person (recorded by the facilitator)"
    PAPER = "paper", "Signed on paper (scan uploaded)"


class Signature(DomainModel):
    member = models.ForeignKey(
        "practice.Member", on_delete=models.PROTECT, related_name="signatures"
    )
    version = models.ForeignKey(
        StatementVersion, on_delete=models.PROTECT, related_name="signatures"
    )
    version_sha256 = models.CharField(max_length=64, help_text="The hash of the text signed.")
    signed_at = models.DateTimeField()
    method = models.CharField(max_length=10, choices=SignatureMethod.choices)
    typed_name = EncryptedTextField()
    guardian_name = EncryptedTextField(blank=True, default="")
    minor_assent = models.BooleanField(default=False)
    ip = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    answers = models.JSONField(default=dict, blank=True)
    link = models.OneToOneField(
        SigningLink, on_delete=models.PROTECT, null=True, blank=True, related_name="signature"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    scan = EncryptedBytesField(null=True, blank=True)
    scan_content_type = models.CharField(max_length=40, blank=True)
    scan_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-signed_at"]
        indexes = [models.Index(fields=["member", "version"], name="signature_member_version")]

    def __str__(self) -> str:
        return f"signature {self.pk}"


class ConsentWithdrawal(DomainModel):
    member = models.ForeignKey(
        "practice.Member", on_delete=models.PROTECT, related_name="withdrawals"
    )
    group = models.ForeignKey(
        "practice.Group", on_delete=models.PROTECT, related_name="withdrawals"
    )
    withdrawn_at = models.DateTimeField()
    reason = EncryptedTextField(blank=True, default="")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"withdrawal {self.pk}"


class AttendanceOverride(DomainModel):
    """Attendance recorded without a valid signature, with the facilitator's written reason."""

    session = models.ForeignKey(
        "practice.GroupSession", on_delete=models.PROTECT, related_name="overrides"
    )
    member = models.ForeignKey(
        "practice.Member", on_delete=models.PROTECT, related_name="overrides"
    )
    reason = EncryptedTextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["session", "member"], name="override_once_per_session")
        ]

    def __str__(self) -> str:
        return f"override {self.pk}"


class LimitsRevisit(DomainModel):
    """The facilitator re-explained the limits of confidentiality to the group.

    Prompted when a member joins an active group that already has an agreement.
    """

    group = models.ForeignKey("practice.Group", on_delete=models.PROTECT, related_name="revisits")
    revisited_on = models.DateField()
    covers_joins_until = models.DateField(
        help_text="Members who joined up to this day are covered."
    )
    note = EncryptedTextField(blank=True, default="")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-revisited_on"]

    def __str__(self) -> str:
        return f"revisit {self.pk}"

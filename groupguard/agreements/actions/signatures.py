"""Signatures: through a link or recorded in person (with a scan), withdrawals of consent and
revisits.
"""

from __future__ import annotations

import datetime
import hashlib
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from groupguard.accounts.models import User
from groupguard.agreements import selectors
from groupguard.agreements.actions.common import signing_actor
from groupguard.agreements.actions.links import ensure_usable, require_current_member
from groupguard.agreements.models import (
    ConsentWithdrawal,
    LimitsRevisit,
    Signature,
    SignatureMethod,
    SigningLink,
)
from groupguard.audit.log import Actor, record
from groupguard.practice.models import Group, Member

MAX_SCAN_BYTES = 5 * 1024 * 1024


SCAN_TYPES = {
    b"%PDF-": "application/pdf",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}


def _check_names(member: Member, typed_name: str, guardian_name: str, minor_assent: bool) -> None:
    errors: dict[str, str] = {}
    if not typed_name.strip():
        errors["typed_name"] = "Type your full name to sign."
    elif len(typed_name) > 200:
        errors["typed_name"] = "That name is too long."
    if member.is_minor:
        if not guardian_name.strip():
            errors["guardian_name"] = (
                "A parent or guardian signs for a minor: type their full name."
            )
        if not minor_assent:
            errors["minor_assent"] = "The young person's own agreement (assent) is needed too."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def sign_with_link(
    link: SigningLink,
    *,
    typed_name: str,
    answers: dict[str, Any],
    guardian_name: str = "",
    minor_assent: bool = False,
    ip: str = "",
    user_agent: str = "",
) -> Signature:
    link = (
        SigningLink.objects.select_for_update().select_related("member", "version").get(pk=link.pk)
    )
    ensure_usable(link)
    member = link.member
    _check_names(member, typed_name, guardian_name, minor_assent)
    version = link.version
    if not version.text_matches_hash():
        raise ValidationError("The statement's text does not match its hash; it cannot be signed.")
    now = timezone.now()
    signature = Signature.objects.create(
        member=member,
        version=version,
        version_sha256=version.sha256,
        signed_at=now,
        method=SignatureMethod.LINK,
        typed_name=typed_name.strip(),
        guardian_name=guardian_name.strip(),
        minor_assent=minor_assent if member.is_minor else False,
        ip=ip[:45],
        user_agent=user_agent[:300],
        answers=answers,
        link=link,
    )
    link.used_at = now
    link.save(update_fields=["used_at", "updated_at"])
    record(
        practice_id=member.practice_id,
        actor=signing_actor(link),
        action="signature.create",
        obj=signature,
        member_id=member.id,
        fields=["typed_name", "guardian_name"] if member.is_minor else ["typed_name"],
        detail={"version": version.number, "sha256": version.sha256, "method": "link"},
    )
    return signature


def detect_scan_type(data: bytes) -> str | None:
    for magic, content_type in SCAN_TYPES.items():
        if data.startswith(magic):
            return content_type
    return None


def check_scan(scan: bytes, declared_type: str = "") -> str:
    """The content type of an uploaded scan, read from its first bytes; a ValidationError on
    ``scan`` for an empty file, one over 5 MB, anything but a PDF, PNG or JPEG, or a file whose
    content is not the type it was sent as (an HTML page renamed ``.pdf``)."""
    if len(scan) == 0:
        raise ValidationError({"scan": "The uploaded file is empty."})
    if len(scan) > MAX_SCAN_BYTES:
        raise ValidationError(
            {"scan": f"The scan is larger than {MAX_SCAN_BYTES // (1024 * 1024)} MB."}
        )
    detected = detect_scan_type(scan)
    if detected is None:
        raise ValidationError({"scan": "Upload a PDF, PNG or JPEG file."})
    if declared_type and declared_type != detected:
        raise ValidationError(
            {"scan": "The file's content does not match its type (PDF, PNG or JPEG)."}
        )
    return detected


@transaction.atomic
def record_signature(
    group: Group,
    member: Member,
    *,
    typed_name: str,
    method: str,
    acting_user: User,
    scan: bytes | None = None,
    declared_type: str = "",
    guardian_name: str = "",
    minor_assent: bool = False,
    signed_at: datetime.datetime | None = None,
) -> Signature:
    """A signature given in person or on paper, recorded by the facilitator."""
    version = selectors.current_version(group)
    if version is None:
        raise ValidationError("Publish the group agreement before recording signatures.")
    require_current_member(group, member)
    if method not in (SignatureMethod.IN_PERSON, SignatureMethod.PAPER):
        raise ValidationError({"method": "Choose in person or paper."})
    _check_names(member, typed_name, guardian_name, minor_assent)
    content_type = ""
    if scan is not None:
        content_type = check_scan(scan, declared_type)
    elif method == SignatureMethod.PAPER:
        raise ValidationError({"scan": "Upload the scan of the signed paper copy."})
    now = timezone.now()
    when = signed_at or now
    if when > now + datetime.timedelta(minutes=5):
        raise ValidationError({"signed_at": "A signature cannot be in the future."})
    signature = Signature.objects.create(
        member=member,
        version=version,
        version_sha256=version.sha256,
        signed_at=when,
        method=method,
        typed_name=typed_name.strip(),
        guardian_name=guardian_name.strip(),
        minor_assent=minor_assent if member.is_minor else False,
        recorded_by=acting_user,
        scan=scan,
        scan_content_type=content_type,
        scan_sha256=hashlib.sha256(scan).hexdigest() if scan else "",
    )
    record(
        practice_id=group.practice_id,
        actor=Actor.user(acting_user),
        action="signature.create",
        obj=signature,
        member_id=member.id,
        fields=["typed_name", *(["scan"] if scan else [])],
        detail={"version": version.number, "sha256": version.sha256, "method": method},
    )
    return signature


@transaction.atomic
def withdraw_consent(
    group: Group, member: Member, *, reason: str = "", acting_user: User
) -> ConsentWithdrawal:
    if selectors.consent_status(group, member) not in (selectors.SIGNED, selectors.RECONSENT):
        raise ValidationError("There is no signed consent to withdraw.")
    withdrawal = ConsentWithdrawal.objects.create(
        member=member,
        group=group,
        withdrawn_at=timezone.now(),
        reason=reason.strip(),
        recorded_by=acting_user,
    )
    record(
        practice_id=group.practice_id,
        actor=Actor.user(acting_user),
        action="consent.withdraw",
        obj=withdrawal,
        member_id=member.id,
        fields=["reason"] if reason.strip() else [],
        detail={"group": str(group.id)},
    )
    return withdrawal


@transaction.atomic
def record_revisit(
    group: Group, *, revisited_on: datetime.date, note: str = "", acting_user: User
) -> LimitsRevisit:
    if revisited_on > timezone.localdate():
        raise ValidationError({"revisited_on": "The date cannot be in the future."})
    revisit = LimitsRevisit.objects.create(
        group=group,
        revisited_on=revisited_on,
        covers_joins_until=revisited_on,
        note=note.strip(),
        recorded_by=acting_user,
    )
    record(
        practice_id=group.practice_id,
        actor=Actor.user(acting_user),
        action="agreement.revisit",
        obj=revisit,
        fields=["note"] if note.strip() else [],
        detail={"group": str(group.id)},
    )
    return revisit

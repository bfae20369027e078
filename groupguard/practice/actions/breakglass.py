"""Emergency access (break-glass): a written reason, a time limit and the admin's review."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone as dj_timezone

from groupguard.accounts.models import User
from groupguard.audit.log import Actor, record
from groupguard.audit.models import Severity
from groupguard.practice.models import (
    BreakGlassGrant,
    Member,
)

BREAK_GLASS_MIN_REASON = 20


@transaction.atomic
def break_glass(member: Member, *, reason: str, acting_user: User) -> BreakGlassGrant:
    """Open a member outside the clinician's groups for ``GROUPGUARD_BREAK_GLASS_MINUTES``,
    with a written reason; audited with severity high, for the practice admins to review."""
    from django.conf import settings

    from groupguard.practice.access import visible_members

    if acting_user.practice_id != member.practice_id:
        raise ValidationError("Emergency access is only to members of your own practice.")
    if acting_user.is_practice_admin:
        raise ValidationError("Practice admins already see every member of the practice.")
    if visible_members(acting_user).filter(pk=member.pk).exists():
        raise ValidationError("You can already see this member.")
    reason = (reason or "").strip()
    if len(reason) < BREAK_GLASS_MIN_REASON:
        raise ValidationError(
            {
                "reason": "Write why you need this member's record now "
                f"({BREAK_GLASS_MIN_REASON} characters or more)."
            }
        )
    if len(reason) > 2000:
        raise ValidationError({"reason": "Keep the reason under 2,000 characters."})
    minutes: int = settings.GROUPGUARD_BREAK_GLASS_MINUTES
    now = dj_timezone.now()
    grant = BreakGlassGrant.objects.create(
        practice_id=member.practice_id,
        user=acting_user,
        member=member,
        reason=reason,
        expires_at=now + datetime.timedelta(minutes=minutes),
    )
    record(
        practice_id=member.practice_id,
        actor=Actor.user(acting_user),
        action="break_glass.open",
        obj=grant,
        member_id=member.id,
        fields=["reason"],
        severity=Severity.HIGH,
        detail={"minutes": minutes},
    )
    return grant


@transaction.atomic
def review_break_glass(grant: BreakGlassGrant, *, note: str = "", acting_user: User) -> None:
    """A practice admin has looked at an emergency access and why it was needed."""
    if not acting_user.is_practice_admin or acting_user.practice_id != grant.practice_id:
        raise ValidationError("Only the practice's admins review emergency access.")
    grant = BreakGlassGrant.objects.select_for_update().get(pk=grant.pk)
    if grant.reviewed_at is not None:
        raise ValidationError("This emergency access was already reviewed.")
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationError({"note": "Keep the note under 2,000 characters."})
    grant.reviewed_at = dj_timezone.now()
    grant.reviewed_by = acting_user
    grant.review_note = note
    grant.save(update_fields=["reviewed_at", "reviewed_by", "review_note", "updated_at"])
    record(
        practice_id=grant.practice_id,
        actor=Actor.user(acting_user),
        action="break_glass.review",
        obj=grant,
        member_id=grant.member_id,
        fields=["review_note"] if note else [],
    )

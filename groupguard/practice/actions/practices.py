"""Practices: creating one, and changing its name, jurisdiction, time zone and reminder period."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from groupguard.accounts.models import User
from groupguard.audit.log import Actor, log_for, record
from groupguard.practice.actions.common import apply_changes, validate
from groupguard.practice.models import (
    Practice,
)


@transaction.atomic
def create_practice(
    *, name: str, slug: str, jurisdiction: str, timezone: str = "UTC", acting_user: User | None
) -> Practice:
    practice = Practice(name=name, slug=slug, jurisdiction=jurisdiction, timezone=timezone)
    validate(practice)
    practice.save()
    log_for(practice.id)
    record(
        practice_id=practice.id,
        actor=Actor.user(acting_user) if acting_user else Actor("system"),
        action="practice.create",
        obj=practice,
        fields=["name", "slug", "jurisdiction", "timezone"],
    )
    return practice


@transaction.atomic
def update_practice(practice: Practice, *, acting_user: User, **changes: Any) -> Practice:
    changed = apply_changes(
        practice, changes, {"name", "jurisdiction", "timezone", "referral_reminder_days"}
    )
    if not changed:
        return practice
    validate(practice)
    practice.save(update_fields=[*changed, "updated_at"])
    record(
        practice_id=practice.id,
        actor=Actor.user(acting_user),
        action="practice.update",
        obj=practice,
        fields=changed,
    )
    return practice

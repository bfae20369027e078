"""Promises of confidentiality: recorded from a contact, closed with a note."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from groupguard.accounts.models import User
from groupguard.audit.log import Actor, record
from groupguard.contacts.models import (
    Contact,
    Promise,
    PromiseStatus,
)
from groupguard.core.text import MAX_TEXT, clean_text
from groupguard.practice.models import Member


def promise_scope_text(scope: str, confirmed: bool) -> str:
    problems: dict[str, str] = {}
    if not confirmed:
        problems["promise_confirmed"] = (
            "A promise of confidentiality can conflict with your duty to the group: "
            "confirm that you made it and that you read why."
        )
    scope = (scope or "").strip()
    if not scope:
        problems["promise_scope"] = "Say what the promise covers, in the words you used."
    if problems:
        raise ValidationError(problems)
    if len(scope) > MAX_TEXT:
        raise ValidationError({"promise_scope": "The scope is too long."})
    return scope


def create_promise(contact: Contact, member: Member, scope: str, user: User) -> Promise:
    promise = Promise.objects.create(
        practice_id=contact.practice_id,
        contact=contact,
        member=member,
        made_by=user,
        made_at=contact.occurred_at,
        scope=scope,
        acknowledged_conflict=True,
    )
    record(
        practice_id=contact.practice_id,
        actor=Actor.user(user),
        action="promise.create",
        obj=promise,
        member_id=member.id,
        fields=["scope"],
        severity="high",
        detail={"contact": str(contact.id), "acknowledged_conflict": True},
    )
    return promise


@transaction.atomic
def close_promise(promise: Promise, *, status: str, note: str, acting_user: User) -> Promise:
    promise = Promise.objects.select_for_update().get(pk=promise.pk)
    if promise.status != PromiseStatus.OPEN:
        raise ValidationError(f"This promise is already closed ({promise.get_status_display()}).")
    if status not in (PromiseStatus.RELEASED, PromiseStatus.WITHDRAWN):
        raise ValidationError(
            {"status": "Choose released (by the member) or withdrawn (after telling them)."}
        )
    note = (note or "").strip()
    if len(note) < 10:
        raise ValidationError(
            {
                "note": "Write how and when the member released it, or was told "
                "(10 characters or more)."
            }
        )
    promise.status = status
    promise.closed_at = timezone.now()
    promise.closed_by = acting_user
    promise.closing_note = clean_text(note, "note", required=True, label="note")
    promise.save()
    record(
        practice_id=promise.practice_id,
        actor=Actor.user(acting_user),
        action="promise.close",
        obj=promise,
        member_id=promise.member_id,
        fields=["status", "closing_note"],
        detail={"status": status},
    )
    return promise

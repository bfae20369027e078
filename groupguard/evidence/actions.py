"""Writes of complaints, atomic and audited (never the allegation, only that it changed)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from groupguard.accounts.models import User
from groupguard.audit.log import Actor, record
from groupguard.core.text import MAX_TEXT
from groupguard.evidence.models import Complaint, ComplaintStatus
from groupguard.practice.models import Enrollment, Member


def _check(values: dict[str, Any], member: Member) -> None:
    today = member.practice.today()
    if not (values.get("board") or "").strip():
        raise ValidationError({"board": "Name the board or body the complaint came from."})
    if not (values.get("allegation") or "").strip():
        raise ValidationError({"allegation": "Summarise what the complaint alleges."})
    for name in ("allegation", "notes"):
        if len(values.get(name) or "") > MAX_TEXT:
            raise ValidationError({name: f"Longer than {MAX_TEXT:,} characters."})
    received = values.get("received_on")
    if received is None:
        raise ValidationError({"received_on": "Give the day the complaint arrived."})
    if received > today:
        raise ValidationError({"received_on": "The day received cannot be in the future."})
    joined = (
        Enrollment.objects.filter(member=member)
        .order_by("joined_on")
        .values_list("joined_on", flat=True)
        .first()
    )
    if joined is not None and received < joined:
        raise ValidationError(
            {
                "received_on": f"{member.display_name} first joined a group on "
                f"{joined:%-d %B %Y}: a complaint about their group treatment cannot have "
                "arrived before that. Check the day it was received."
            }
        )
    deadline = values.get("deadline")
    if deadline is not None and deadline < received:
        raise ValidationError({"deadline": "The deadline cannot be before the day received."})
    start, end = values.get("period_start"), values.get("period_end")
    if start and end and end < start:
        raise ValidationError({"period_end": "The period cannot end before it starts."})
    if values.get("status", ComplaintStatus.OPEN) not in ComplaintStatus.values:
        raise ValidationError({"status": f"Choose one of: {', '.join(ComplaintStatus.values)}."})


@transaction.atomic
def record_complaint(
    *,
    member: Member,
    acting_user: User,
    board: str,
    received_on: datetime.date,
    allegation: str,
    deadline: datetime.date | None = None,
    reference: str = "",
    practitioner: User | None = None,
    notes: str = "",
    period_start: datetime.date | None = None,
    period_end: datetime.date | None = None,
) -> Complaint:
    if member.practice_id != acting_user.practice_id:
        raise ValidationError("You can record complaints only for your own practice's members.")
    _check_admin(acting_user)
    if practitioner is not None and practitioner.practice_id != member.practice_id:
        raise ValidationError({"practitioner": "Choose a practitioner of your practice."})
    values = {
        "board": board,
        "received_on": received_on,
        "allegation": allegation,
        "deadline": deadline,
        "notes": notes,
        "period_start": period_start,
        "period_end": period_end,
    }
    _check(values, member)
    complaint = Complaint.objects.create(
        practice_id=member.practice_id,
        member=member,
        practitioner=practitioner,
        board=board.strip(),
        reference=reference.strip(),
        received_on=received_on,
        deadline=deadline,
        allegation=allegation.strip(),
        notes=notes.strip(),
        period_start=period_start,
        period_end=period_end,
        created_by=acting_user,
    )
    record(
        practice_id=member.practice_id,
        actor=Actor.user(acting_user),
        action="complaint.create",
        obj=complaint,
        member_id=member.id,
        fields=["allegation", *(["notes"] if notes.strip() else [])],
        severity="high",
        detail={"deadline": str(deadline) if deadline else None},
    )
    return complaint


def _check_admin(user: User) -> None:
    if not user.is_practice_admin:
        raise PermissionDenied("Only the practice admin records and updates complaints.")


EDITABLE = ("status", "deadline", "notes", "reference", "period_start", "period_end")


@transaction.atomic
def update_complaint(complaint: Complaint, *, acting_user: User, **changes: Any) -> Complaint:
    _check_admin(acting_user)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(f"These cannot be changed: {', '.join(sorted(unknown))}.")
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    values = {
        "board": complaint.board,
        "received_on": complaint.received_on,
        "allegation": complaint.allegation,
        **{k: getattr(complaint, k) for k in EDITABLE},
        **changes,
    }
    _check(values, complaint.member)
    changed = [k for k in changes if getattr(complaint, k) != changes[k]]
    if not changed:
        return complaint
    for k in changed:
        setattr(complaint, k, changes[k])
    complaint.save()
    record(
        practice_id=complaint.practice_id,
        actor=Actor.user(acting_user),
        action="complaint.update",
        obj=complaint,
        member_id=complaint.member_id,
        fields=changed,
        detail={"status": complaint.status},
    )
    return complaint

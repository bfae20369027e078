"""Attendance, gated on the group agreement: a member is recorded as attending only with a
valid signature of the version in force, or with an override that gives a written reason.

The gate is the agreements app's rule, so attendance is written here (above ``practice``,
whose sessions and attendance rows it uses), in one place for the pages, the API, the CLI and
the demo.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from groupguard.accounts.models import User
from groupguard.agreements import selectors as agreements
from groupguard.agreements.models import AttendanceOverride
from groupguard.audit.log import Actor, record
from groupguard.practice.actions.sessions import set_session_status
from groupguard.practice.models import Attendance, Enrollment, GroupSession, Member
from groupguard.practice.models.sessions import AttendanceStatus, SessionStatus

__all__ = [
    "ATTENDING",
    "AgreementRequired",
    "SessionPage",
    "SessionRow",
    "record_attendance",
    "record_override",
    "record_with_override",
    "session_page",
]


ATTENDING = frozenset({"attended", "late"})


class AgreementRequired(ValidationError):
    """Attendance refused: the member has no valid signature of the group's current agreement."""

    def __init__(self, message: str, *, status: str) -> None:
        super().__init__({"member": message}, code="agreement_required")
        self.consent_status = status


def _check_agreement_gate(session: GroupSession, member: Member) -> None:
    """Group treatment needs the member's signature of the current group agreement first."""
    if agreements.may_attend(session, member):
        return
    status = agreements.consent_status(session.group, member)
    reason = {
        agreements.NO_AGREEMENT: "this group has no published group agreement yet",
        agreements.PENDING: "they have not signed the group agreement",
        agreements.RECONSENT: (
            "they signed an older version of the group agreement and need to sign the new one"
        ),
        agreements.WITHDRAWN: "they withdrew their consent to the group agreement",
    }[status]
    raise AgreementRequired(
        f"{member.display_name} cannot be recorded as attending: {reason}. Send a signing link, "
        "record a signature given in person, or record an override with a written reason.",
        status=status,
    )


@transaction.atomic
def record_attendance(
    session: GroupSession, member: Member, *, status: str, acting_user: User
) -> Attendance:
    """Record (or correct) one member's attendance at one session."""
    if status not in AttendanceStatus.values:
        raise ValidationError({"status": f"Choose one of {', '.join(AttendanceStatus.values)}."})
    if session.status == SessionStatus.CANCELLED:
        raise ValidationError(
            {"session": "The session was cancelled; attendance cannot be recorded."}
        )
    # Lock the session row so two simultaneous recordings for one member queue up instead
    # of both inserting (PostgreSQL; SQLite serialises writers already).
    locked = GroupSession.objects.select_for_update().filter(pk=session.pk).first() or session
    day = session.local_day()
    if (
        not Enrollment.objects.filter(group_id=session.group_id, member=member)
        .current(day)
        .exists()
    ):
        raise ValidationError({"member": "The member was not enrolled in this group on that day."})
    if status in ATTENDING:
        _check_agreement_gate(session, member)
    attendance = Attendance.objects.filter(session=session, member=member).first()
    if attendance is not None and attendance.status == status:
        return attendance
    created = attendance is None
    if attendance is None:
        attendance = Attendance(
            session=session, member=member, status=status, recorded_by=acting_user
        )
        attendance.save()
    else:
        attendance.status = status
        attendance.recorded_by = acting_user
        attendance.save(update_fields=["status", "recorded_by", "updated_at"])
    record(
        practice_id=session.group.practice_id,
        actor=Actor.user(acting_user),
        action="attendance.create" if created else "attendance.update",
        obj=attendance,
        member_id=member.id,
        fields=["status"],
        detail={"session": str(session.id), "status": status},
    )
    if (
        status in ATTENDING
        and locked.status == SessionStatus.SCHEDULED
        and locked.starts_at <= timezone.now()
    ):
        # Someone attended a session that has started: it was held (read from the row, not
        # from the caller's copy, which may be older).
        set_session_status(locked, status=SessionStatus.HELD, acting_user=acting_user)
        session.status = locked.status
    return attendance


@transaction.atomic
def record_override(
    session: GroupSession, member: Member, *, reason: str, acting_user: User
) -> AttendanceOverride:
    """Allow attendance without a valid signature, for one session, with a written reason."""
    if len(reason.strip()) < 10:
        raise ValidationError(
            {
                "reason": "Write why attendance is recorded without a signature "
                "(10 characters or more)."
            }
        )
    if AttendanceOverride.objects.filter(session=session, member=member).exists():
        raise ValidationError("An override for this member and session already exists.")
    override = AttendanceOverride.objects.create(
        session=session, member=member, reason=reason.strip(), created_by=acting_user
    )
    record(
        practice_id=session.group.practice_id,
        actor=Actor.user(acting_user),
        action="attendance.override",
        obj=override,
        member_id=member.id,
        fields=["reason"],
        severity="high",
        detail={"session": str(session.id)},
    )
    return override


@transaction.atomic
def record_with_override(
    session: GroupSession, member: Member, *, status: str, reason: str, acting_user: User
) -> Attendance:
    """Attendance without a valid signature: the override (its written reason) and the
    attendance in one transaction, so neither is kept without the other."""
    record_override(session, member, reason=reason, acting_user=acting_user)
    return record_attendance(session, member, status=status, acting_user=acting_user)


@dataclass
class SessionRow:
    member: Member
    attendance: Attendance | None
    consent: str  # see agreements.selectors: signed, reconsent, pending, withdrawn, no_agreement
    consent_label: str
    overridden: bool


@dataclass
class SessionPage:
    session: GroupSession
    rows: list[SessionRow]


def session_page(*, session: GroupSession) -> SessionPage:
    day = session.local_day()
    members = [
        e.member
        for e in Enrollment.objects.filter(group_id=session.group_id)
        .current(day)
        .select_related("member")
    ]
    attendance = {a.member_id: a for a in Attendance.objects.filter(session=session)}
    overridden = set(
        AttendanceOverride.objects.filter(session=session).values_list("member_id", flat=True)
    )
    rows = [
        SessionRow(
            c.member, attendance.get(c.member.id), c.status, c.label, c.member.id in overridden
        )
        for c in agreements.consent_rows(session.group, members)
    ]
    return SessionPage(session, rows)

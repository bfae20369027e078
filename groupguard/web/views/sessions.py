from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from groupguard.agreements import attendance
from groupguard.audit.reads import record_view
from groupguard.practice import actions
from groupguard.practice.access import access_member, access_session
from groupguard.practice.models import Attendance, GroupSession, Member
from groupguard.practice.models.sessions import AttendanceStatus, SessionStatus
from groupguard.web.views.common import is_htmx, login_required, staff_user


@login_required
def session_detail(request: HttpRequest, session_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    session = access_session(user, session_id)
    page = attendance.session_page(session=session)
    record_view(user=user, practice_id=session.group.practice_id, obj=session)
    return render(
        request,
        "web/session_detail.html",
        {
            "page": page,
            "session": session,
            "statuses": AttendanceStatus.choices,
            "session_statuses": SessionStatus.choices,
        },
    )


def _row(
    request: HttpRequest,
    session: GroupSession,
    member: Member,
    *,
    error: str | None,
    gate: bool,
    wanted: str,
    override_error: str | None = None,
) -> HttpResponse:
    row = next(r for r in attendance.session_page(session=session).rows if r.member.id == member.id)
    return render(
        request,
        "web/_attendance_row.html",
        {
            "session": session,
            "member": member,
            "row": row,
            "attendance": Attendance.objects.filter(session=session, member=member).first(),
            "statuses": AttendanceStatus.choices,
            "error": error,
            "gate": gate,
            "wanted": wanted,
            "override_error": override_error,
            "saved": error is None,
        },
        status=200 if error is None else 400,
    )


@require_POST
@login_required
def attendance_set(
    request: HttpRequest, session_id: uuid.UUID, member_id: uuid.UUID
) -> HttpResponse:
    user = staff_user(request)
    session = access_session(user, session_id)
    member = access_member(user, member_id)
    status = request.POST.get("status", "")
    error = None
    gate = False
    try:
        attendance.record_attendance(session, member, status=status, acting_user=user)
    except attendance.AgreementRequired as exc:
        error, gate = " ".join(exc.messages), True
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if is_htmx(request):
        return _row(request, session, member, error=error, gate=gate, wanted=status)
    if error:
        messages.error(request, f"{member.display_name}: {error}")
    else:
        messages.success(request, f"Attendance saved for {member.display_name}.")
    return redirect("session_detail", session_id=session.id)


@require_POST
@login_required
def attendance_override(
    request: HttpRequest, session_id: uuid.UUID, member_id: uuid.UUID
) -> HttpResponse:
    """Attendance without a valid signature: needs a written reason, audited and listed."""
    user = staff_user(request)
    session = access_session(user, session_id)
    member = access_member(user, member_id)
    status = request.POST.get("status", "attended")
    try:
        attendance.record_with_override(
            session, member, status=status, reason=request.POST.get("reason", ""), acting_user=user
        )
    except ValidationError as exc:
        message = " ".join(exc.messages)
        if is_htmx(request):
            return _row(
                request,
                session,
                member,
                error="A reason is needed.",
                gate=True,
                wanted=status,
                override_error=message,
            )
        messages.error(request, f"{member.display_name}: {message}")
    else:
        if is_htmx(request):
            return _row(request, session, member, error=None, gate=False, wanted=status)
        messages.success(request, f"Attendance saved for {member.display_name}, with your reason.")
    return redirect("session_detail", session_id=session.id)


@require_POST
@login_required
def session_status(request: HttpRequest, session_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    session = access_session(user, session_id)
    try:
        actions.set_session_status(session, status=request.POST.get("status", ""), acting_user=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Session marked {session.get_status_display().lower()}.")
    return redirect("session_detail", session_id=session.id)

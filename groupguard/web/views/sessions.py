from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from groupguard.audit.log import record_read
from groupguard.practice import actions, selectors
from groupguard.practice.access import access_session, visible_members
from groupguard.practice.models.sessions import AttendanceStatus, SessionStatus
from groupguard.web.views.common import is_htmx, login_required, staff_user


@login_required
def session_detail(request: HttpRequest, session_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    session = access_session(user, session_id)
    page = selectors.session_page(session=session)
    record_read(user=user, practice_id=session.group.practice_id, obj=session)
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


@require_POST
@login_required
def attendance_set(
    request: HttpRequest, session_id: uuid.UUID, member_id: uuid.UUID
) -> HttpResponse:
    user = staff_user(request)
    session = access_session(user, session_id)
    member = visible_members(user).filter(id=member_id).first()
    if member is None:
        raise Http404("No such member")
    status = request.POST.get("status", "")
    error = None
    attendance = None
    try:
        attendance = actions.record_attendance(session, member, status=status, acting_user=user)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if is_htmx(request):
        if attendance is None:
            from groupguard.practice.models import Attendance

            attendance = Attendance.objects.filter(session=session, member=member).first()
        return render(
            request,
            "web/_attendance_row.html",
            {
                "session": session,
                "member": member,
                "attendance": attendance,
                "statuses": AttendanceStatus.choices,
                "error": error,
                "saved": error is None,
            },
            status=200 if error is None else 400,
        )
    if error:
        messages.error(request, f"{member.display_name}: {error}")
    else:
        messages.success(request, f"Attendance saved for {member.display_name}.")
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

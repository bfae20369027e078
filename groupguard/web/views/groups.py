from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from groupguard.accounts.models import User
from groupguard.audit.reads import record_view
from groupguard.practice import actions, selectors
from groupguard.practice.access import access_group, access_member, require_admin, visible_members
from groupguard.practice.models import Enrollment, Group, Member
from groupguard.web.forms import EnrollForm, GroupForm, SessionForm, apply_errors
from groupguard.web.views.common import login_required, staff_user
from groupguard.web.views.members import record_member_list


def _addable_members(group: Group, user: User) -> list[Member]:
    """Members the user may see who are not currently in the group, leaving out those seen only
    through emergency access (an enrolment would outlive the grant)."""
    in_group = selectors.current_member_ids(group)
    return sorted(
        visible_members(user, with_grants=False).exclude(id__in=in_group),
        key=lambda m: m.display_name.casefold(),
    )


@require_http_methods(["GET", "POST"])
@login_required
def group_create(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    require_admin(user)
    form = GroupForm(request.POST or None, practice_id=user.practice_id)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            assert user.practice is not None  # noqa: S101  (require_admin checked)
            group = actions.create_group(
                practice=user.practice,
                name=data["name"],
                modality=data["modality"],
                membership=data["membership"],
                status=data["status"],
                part2_program=data["part2_program"],
                schedule=data["schedule"],
                lead=data["lead"],
                co_facilitators=list(data["co_facilitators"]),
                acting_user=user,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Group “{group.name}” created.")
            return redirect("group_detail", group_id=group.id)
    return render(request, "web/group_form.html", {"form": form, "title": "New group"})


@require_http_methods(["GET", "POST"])
@login_required
def group_edit(request: HttpRequest, group_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    group = access_group(user, group_id)
    initial = {
        "name": group.name,
        "modality": group.modality,
        "membership": group.membership,
        "status": group.status,
        "part2_program": group.part2_program,
        "schedule": group.schedule,
    }
    form = GroupForm(
        request.POST or None, initial=initial, practice_id=user.practice_id, editing=True
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_group(group, acting_user=user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Group saved.")
            return redirect("group_detail", group_id=group.id)
    return render(
        request,
        "web/group_form.html",
        {"form": form, "title": f"Edit {group.name}", "group": group},
    )


@login_required
def group_detail(request: HttpRequest, group_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    group = access_group(user, group_id)
    page = selectors.group_page(group=group)
    record_view(user=user, practice_id=group.practice_id, obj=group)
    return render(
        request,
        "web/group_detail.html",
        {
            "page": page,
            "group": group,
            "session_form": SessionForm(initial={"duration_minutes": 90}),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def group_enroll(request: HttpRequest, group_id: uuid.UUID) -> HttpResponse:
    """The enrollment form: loaded on demand, since listing every member is the slow part."""
    user = staff_user(request)
    group = access_group(user, group_id)
    members = _addable_members(group, user)
    form = EnrollForm(
        request.POST if request.method == "POST" else None,
        member_choices=[(str(m.id), m.display_name) for m in members],
        initial={"joined_on": timezone.localdate()},
    )
    if request.method == "GET" and members:
        record_member_list(user, len(members), group=group)
    if request.method == "POST" and form.is_valid():
        member = access_member(user, form.cleaned_data["member"])
        try:
            actions.enroll_member(
                group, member, joined_on=form.cleaned_data["joined_on"], acting_user=user
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{member.display_name} enrolled in {group.name}.")
            return redirect("group_detail", group_id=group.id)
    template = "web/_enroll_form.html" if request.GET.get("fragment") else "web/group_enroll.html"
    return render(
        request, template, {"group": group, "enroll_form": form}, status=400 if form.errors else 200
    )


@require_POST
@login_required
def group_schedule_session(request: HttpRequest, group_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    group = access_group(user, group_id)
    form = SessionForm(request.POST)
    if form.is_valid():
        try:
            session = actions.schedule_session(group, acting_user=user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Session scheduled.")
            return redirect("session_detail", session_id=session.id)
    page = selectors.group_page(group=group)
    return render(
        request,
        "web/group_detail.html",
        {
            "page": page,
            "group": group,
            "session_form": form,
        },
        status=400,
    )


@require_POST
@login_required
def enrollment_end(
    request: HttpRequest, group_id: uuid.UUID, enrollment_id: uuid.UUID
) -> HttpResponse:
    user = staff_user(request)
    group = access_group(user, group_id)
    enrollment = (
        Enrollment.objects.filter(group=group, id=enrollment_id)
        .select_related("group", "member")
        .first()
    )
    if enrollment is None:
        raise Http404("No such enrollment")
    try:
        actions.end_enrollment(enrollment, left_on=timezone.localdate(), acting_user=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{enrollment.member.display_name} has left {group.name}.")
    return redirect("group_detail", group_id=group.id)

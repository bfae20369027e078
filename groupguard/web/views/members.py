from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from groupguard.accounts.models import User
from groupguard.agreements.selectors import member_consent_rows
from groupguard.audit.reads import record_view
from groupguard.evidence import timeline as timeline_of
from groupguard.practice import actions, selectors
from groupguard.practice.access import access_member, visible_groups
from groupguard.practice.models import Group, RoleRelationship
from groupguard.web.forms import MemberForm, RoleForm, apply_errors
from groupguard.web.views.common import login_required, staff_user


def record_member_list(user: User, count: int, *, group: Group | None = None) -> None:
    """Audit a page that listed members by name (the member list, a group's members to pick
    from): one ``member.list`` entry for the page with the count, and the group whose members
    it listed. Like every list, one entry per page and not one per member, so showing a page
    stays one audit append however many members it lists."""
    if user.practice_id is None:
        return
    detail: dict[str, object] = {"count": count}
    if group is not None:
        detail["group"] = str(group.id)
    record_view(
        user=user,
        practice_id=user.practice_id,
        action="member.list",
        object_type="member",
        detail=detail,
    )


@require_GET
@login_required
def member_list(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    rows = selectors.member_list(user=user)
    # Names are sealed at rest, so the search runs on the names this user may see, opened.
    query = " ".join(request.GET.get("q", "").split())[:100]
    if query:
        wanted = query.casefold()
        rows = [
            r
            for r in rows
            if wanted in r.member.full_name.casefold() or wanted in r.member.display_name.casefold()
        ]
    record_member_list(user, len(rows))
    return render(request, "web/member_list.html", {"rows": rows, "query": query})


class NewMemberForm(MemberForm):
    group = forms.ChoiceField(label="Enroll in group", required=False)
    joined_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(
        self, *args: Any, groups: list[tuple[str, str]], require_group: bool, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        field: Any = self.fields["group"]
        field.choices = [("", "Not now"), *groups] if not require_group else groups
        field.required = require_group


@require_http_methods(["GET", "POST"])
@login_required
def member_create(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    if user.practice is None:
        raise Http404("not found")
    groups = list(visible_groups(user).order_by("name"))
    form = NewMemberForm(
        request.POST or None,
        groups=[(str(g.id), g.name) for g in groups],
        require_group=not user.is_practice_admin,
        initial={"joined_on": user.practice.today(), "group": request.GET.get("group", "")},
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        group_id = data.pop("group")
        joined_on = data.pop("joined_on")
        group = next((g for g in groups if str(g.id) == group_id), None)
        try:
            member = actions.add_member(
                practice=user.practice,
                acting_user=user,
                group=group,
                joined_on=joined_on,
                **data,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{member.display_name} added.")
            return redirect("member_detail", member_id=member.id)
    return render(request, "web/member_form.html", {"form": form, "title": "New member"})


MEMBER_FIELDS = list(MemberForm.base_fields)


@require_http_methods(["GET", "POST"])
@login_required
def member_edit(request: HttpRequest, member_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    member = access_member(user, member_id)
    initial = {name: getattr(member, name) for name in MEMBER_FIELDS}
    form = MemberForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_member(member, acting_user=user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Member saved.")
            return redirect("member_detail", member_id=member.id)
    else:
        record_view(user=user, practice_id=member.practice_id, obj=member, member_id=member.id)
    return render(
        request,
        "web/member_form.html",
        {"form": form, "title": f"Edit {member.display_name}", "member": member},
    )


@login_required
def member_detail(request: HttpRequest, member_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    member = access_member(user, member_id)
    page = selectors.member_page(user=user, member=member)
    timeline = timeline_of.member_timeline(user=user, member=member)
    record_view(user=user, practice_id=member.practice_id, obj=member, member_id=member.id)
    # A contact with several members shows on each one's timeline with its note and the
    # others' names: the page read those members' records too.
    for other in timeline_of.others_on_timeline(timeline, member):
        record_view(user=user, practice_id=member.practice_id, obj=member, member_id=other)
    role_form = RoleForm(
        practice_id=user.practice_id,
        initial={"starts_on": timezone.localdate(), "practitioner": user.pk},
    )
    # Where the member stands with each current group's agreement (signed, an older version,
    # withdrawn, not signed): the first fact a facilitator needs before raising anything.
    current = [e.group for e in page.enrollments if not e.left_on]
    consent = member_consent_rows(member, current)
    groups = [(e, None if e.left_on else consent[e.group_id]) for e in page.enrollments]
    return render(
        request,
        "web/member_detail.html",
        {
            "page": page,
            "member": member,
            "groups": groups,
            "role_form": role_form,
            "timeline": timeline,
        },
    )


@require_POST
@login_required
def role_create(request: HttpRequest, member_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    member = access_member(user, member_id)
    form = RoleForm(request.POST, practice_id=user.practice_id)
    if form.is_valid():
        try:
            actions.record_role(member=member, acting_user=user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Role recorded.")
            return redirect("member_detail", member_id=member.id)
    page = selectors.member_page(user=user, member=member)
    return render(
        request,
        "web/member_detail.html",
        {
            "page": page,
            "member": member,
            "role_form": form,
            "timeline": timeline_of.member_timeline(user=user, member=member),
        },
        status=400,
    )


@require_POST
@login_required
def role_end(request: HttpRequest, member_id: uuid.UUID, role_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    member = access_member(user, member_id)
    role = (
        RoleRelationship.objects.filter(member=member, id=role_id).select_related("member").first()
    )
    if role is None:
        raise Http404("No such role")
    try:
        actions.end_role(role, ends_on=timezone.localdate(), acting_user=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Role ended today.")
    return redirect("member_detail", member_id=member.id)

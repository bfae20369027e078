"""Complaints and evidence packets: the practice admin records them, changes their status and
builds packets; a clinician reads those about their own work or their groups' members."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from groupguard.accounts.models import User
from groupguard.audit.reads import record_view
from groupguard.evidence import actions, selectors
from groupguard.evidence.build import PacketError, build_packet
from groupguard.evidence.models import ComplaintStatus
from groupguard.evidence.packet import collect
from groupguard.evidence.pdf.tables import Clock
from groupguard.practice.access import require_admin, visible_members
from groupguard.practice.selectors import active_staff
from groupguard.web.forms import DateInput, apply_errors
from groupguard.web.views.common import is_htmx, login_required, staff_user


class ComplaintForm(forms.Form):
    member = forms.ChoiceField(label="Member who complained")
    practitioner = forms.ChoiceField(label="Practitioner named", required=False)
    board = forms.CharField(
        label="Board or body", max_length=200, help_text="e.g. Board of Behavioral Sciences"
    )
    reference = forms.CharField(label="Their case number", required=False, max_length=100)
    received_on = forms.DateField(label="Received on", widget=DateInput)
    deadline = forms.DateField(label="Response due", required=False, widget=DateInput)
    allegation = forms.CharField(
        label="What it alleges", max_length=5000, widget=forms.Textarea({"rows": 3})
    )
    period_start = forms.DateField(label="Packet covers from", required=False, widget=DateInput)
    period_end = forms.DateField(label="Packet covers to", required=False, widget=DateInput)
    notes = forms.CharField(
        label="Notes", required=False, max_length=5000, widget=forms.Textarea({"rows": 2})
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = sorted(visible_members(user), key=lambda m: m.display_name.casefold())
        self.members = {str(m.id): m for m in members}
        staff = active_staff(practice_id=user.practice_id)
        self.staff = {str(u.pk): u for u in staff}
        member_field: Any = self.fields["member"]
        member_field.choices = [(k, m.display_name) for k, m in self.members.items()]
        practitioner_field: Any = self.fields["practitioner"]
        practitioner_field.choices = [("", "None named")] + [
            (k, u.display_name) for k, u in self.staff.items()
        ]


@require_http_methods(["GET", "POST"])
@login_required
def complaint_list(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    practice = user.practice
    if practice is None:
        raise Http404("not found")
    may_act = selectors.may_act_on_complaints(user)
    if request.method == "POST" and not may_act:
        raise PermissionDenied("Only the practice admin records complaints.")
    form = ComplaintForm(
        request.POST or None,
        user=user,
        initial={"received_on": practice.today()},
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        member = form.members[data.pop("member")]
        practitioner = form.staff.get(data.pop("practitioner"))
        try:
            complaint = actions.record_complaint(
                member=member, acting_user=user, practitioner=practitioner, **data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Complaint recorded.")
            return redirect("complaint_detail", complaint_id=complaint.id)
    complaints = list(
        selectors.visible_complaints(user).select_related("member").order_by("-received_on")
    )
    if request.method == "GET":
        # The complaints with their members, and every member's name in the form's picker:
        # one entry for the list, as for every list.
        record_view(
            user=user,
            practice_id=practice.id,
            action="complaint.list",
            object_type="complaint",
            detail={"count": len(complaints)},
        )
    return render(
        request,
        "web/complaint_list.html",
        {
            "complaints": complaints,
            "form": form if may_act else None,
            "today": practice.today(),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@login_required
def complaint_detail(request: HttpRequest, complaint_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    complaint = selectors.access_complaint(user, complaint_id)
    record_view(
        user=user, practice_id=complaint.practice_id, obj=complaint, member_id=complaint.member_id
    )
    return render(request, "web/complaint_detail.html", _context(user, complaint))


def _context(user: User, complaint: Any, **extra: Any) -> dict[str, Any]:
    content = collect(
        complaint.member,
        checkpoint=None,
        complaint=complaint,
        start=complaint.period_start,
        end=complaint.period_end,
    )
    clock = Clock(complaint.member.practice.timezone)
    return {
        "complaint": complaint,
        "content": content,
        "summary": content["summary"],
        # Moments in the practice's zone, named, as the packet PDF prints them (the packet's
        # JSON keeps UTC).
        "timeline": [{**item, "when": clock.when(item["at"])} for item in content["timeline"]],
        "builds": list(complaint.builds.select_related("built_by").defer("archive")),
        "statuses": ComplaintStatus.choices,
        "today": complaint.member.practice.today(),
        "may_act": selectors.may_act_on_complaints(user),
        **extra,
    }


def _require_acting(user: User) -> None:
    if not selectors.may_act_on_complaints(user):
        raise PermissionDenied("Only the practice admin changes a complaint or builds its packet.")


@require_POST
@login_required
def complaint_status(request: HttpRequest, complaint_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    complaint = selectors.access_complaint(user, complaint_id)
    _require_acting(user)
    try:
        actions.update_complaint(complaint, acting_user=user, status=request.POST.get("status"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Status saved.")
    return redirect("complaint_detail", complaint_id=complaint.id)


@require_POST
@login_required
def complaint_build(request: HttpRequest, complaint_id: uuid.UUID) -> HttpResponse:
    """Build the packet now; keep the zip (encrypted) for download."""
    user = staff_user(request)
    complaint = selectors.access_complaint(user, complaint_id)
    _require_acting(user)
    try:
        packet = build_packet(
            member=complaint.member, acting_user=user, complaint=complaint, keep=True
        )
    except PacketError as error:
        messages.error(request, str(error))
        return redirect("complaint_detail", complaint_id=complaint.id)
    build = packet.kept
    if is_htmx(request):
        return render(request, "web/_packet_built.html", {"build": build, "complaint": complaint})
    messages.success(request, "Packet built: download it below.")
    return redirect("complaint_detail", complaint_id=complaint.id)


@require_GET
@login_required
def packet_download(request: HttpRequest, build_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    require_admin(user)
    build = selectors.access_packet_build(user, build_id)
    record_view(
        user=user,
        practice_id=build.practice_id,
        action="packet.download",
        obj=build,
        member_id=build.member_id,
        severity="high",
    )
    response = HttpResponse(build.archive, content_type="application/zip")
    name = f"packet-{build.created_at:%Y%m%d-%H%M%S}-{build.checkpoint_size}.zip"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response

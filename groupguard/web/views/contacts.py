"""Out-of-session contacts: quick entry on a phone, live detection, guidance, promises and
referrals. Every page works without JavaScript; with it, the note is scanned as it is typed."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from groupguard.accounts.models import User
from groupguard.contacts import actions
from groupguard.contacts.detect import detect
from groupguard.contacts.guidance import PROMISE_WARNING, guidance_for
from groupguard.contacts.models import (
    Contact,
    Initiator,
    Request,
    Setting,
)
from groupguard.core.text import MAX_TEXT
from groupguard.practice.access import access_member, visible_groups
from groupguard.practice.models import Group, Member
from groupguard.practice.selectors import current_members
from groupguard.web.forms import apply_errors
from groupguard.web.highlight import explain, highlight
from groupguard.web.views.common import login_required, staff_user
from groupguard.web.views.contact_forms import ContactForm
from groupguard.web.views.members import record_member_list


def _groups(user: User, member: Member | None) -> list[Group]:
    groups = visible_groups(user).order_by("name")
    if member is not None:
        groups = groups.filter(enrollments__member=member).distinct()
    return list(groups)


def _current_members(group: Group | None) -> list[Member]:
    return current_members(group) if group is not None else []


def _pick(groups: list[Group], group_id: str | None) -> Group | None:
    return next((g for g in groups if str(g.id) == group_id), groups[0] if groups else None)


def _detection_context(
    *,
    summary: str,
    group: Group | None,
    members: list[Member],
    request_value: str,
    touched: bool,
    setting: str,
) -> dict[str, Any]:
    detection = detect(summary)
    # The guidance follows the facilitator's answer once they gave one, else the suggestion.
    request_for_guidance = request_value if touched else detection.request
    if request_for_guidance == Request.UNANSWERED:
        request_for_guidance = detection.request
    guidance = None
    if group is not None:
        guidance = guidance_for(
            group=group,
            members=members,
            request=request_for_guidance,
            setting=setting,
            at=timezone.now(),
        )
    return {
        "detection": detection,
        "matches": explain(detection),
        "highlighted": highlight(summary, detection),
        "guidance": guidance,
        "live": True,
        # Until the facilitator chooses, the answer below follows the suggestion: say so.
        "prefilled": not touched,
    }


def form_context(
    form: ContactForm,
    group: Group | None,
    members_chosen: list[Member],
    check_data: QueryDict | None = None,
    **extra: Any,
) -> dict[str, Any]:
    data: Any = form.data if form.is_bound else (check_data or {})
    summary = str(data.get("summary", "")) if data else ""
    context: dict[str, Any] = {
        "form": form,
        "promise_warning": PROMISE_WARNING,
        "group": group,
        "members_list": members_chosen,
        **extra,
    }
    if summary.strip():
        context.update(
            _detection_context(
                summary=summary,
                group=group,
                members=members_chosen,
                request_value=str(data.get("request", "")),
                touched=form.is_bound or data.get("request_touched") == "1",
                setting=str(data.get("setting", "")),
            )
        )
    return context


@require_http_methods(["GET", "POST"])
@login_required
def contact_create(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    member_id = request.GET.get("member")
    member = access_member(user, member_id) if member_id else None
    groups = _groups(user, member)
    if not groups:
        messages.error(
            request,
            "You can log contacts for members of groups you facilitate; you have none here.",
        )
        return redirect("member_detail", member_id=member.id) if member else redirect("dashboard")
    data = request.POST.copy() if request.method == "POST" else None
    group = _pick(groups, (data or request.GET).get("group"))
    members = _current_members(group)
    if data is not None and "offer_referral" in data:
        data["offered_referral"] = "on"
    initial = {
        "group": str(group.id) if group else "",
        "members": [str(member.id)] if member else [],
        "occurred_at": timezone.localtime().replace(second=0, microsecond=0),
        "setting": Setting.AFTER_SESSION,
        "initiated_by": Initiator.MEMBER,
        "request": Request.NONE,
    }
    if data is None and members:
        record_member_list(user, len(members), group=group)
    chosen = [m for m in members if str(m.id) in (data.getlist("members") if data else [])]
    if data is not None and "check" in data:
        # Without JavaScript: scan the note and pre-fill the answer, without saving.
        form = ContactForm(initial=_initial_from(data), groups=groups, members=members)
        return render(
            request,
            "web/contact_form.html",
            form_context(
                form,
                group,
                chosen,
                title="Log a contact",
                member=member,
                group_members_url=reverse("contact_members"),
                check_data=data,
            ),
        )
    form = ContactForm(data, initial=initial, groups=groups, members=members)
    status = 200
    if data is not None:
        if form.is_valid():
            contact = _save_new(request, form, user, group, chosen)
            if contact is not None:
                return redirect(reverse("contact_detail", args=[contact.id]) + _anchor(contact))
        status = 400
    return render(
        request,
        "web/contact_form.html",
        form_context(
            form,
            group,
            chosen,
            title="Log a contact",
            member=member,
            group_members_url=reverse("contact_members"),
        ),
        status=status,
    )


def _initial_from(data: QueryDict) -> dict[str, Any]:
    initial: dict[str, Any] = {k: data.get(k) for k in data if k not in ("members", "check")}
    initial["members"] = data.getlist("members")
    for flag in ("reminded_agreement", "offered_referral", "promised_confidentiality"):
        initial[flag] = flag in data
    suggestion = detect(data.get("summary", "")).request
    initial["suggested"] = suggestion
    if data.get("request_touched") != "1":
        initial["request"] = suggestion
    return initial


def _anchor(contact: Contact) -> str:
    return "#referrals" if contact.offered_referral else ""


def _save_new(
    request: HttpRequest,
    form: ContactForm,
    user: User,
    group: Group | None,
    chosen: list[Member],
) -> Contact | None:
    data = form.cleaned_data
    detection = detect(data["summary"])
    # Without JavaScript the facilitator has not seen the suggestion yet: show it first.
    unseen = data["suggested"] != detection.request
    if detection.request != "none" and detection.request != data["request"] and unseen:
        original: Any = form.data
        changed = original.copy()
        changed["request"] = detection.request
        changed["suggested"] = detection.request
        form.data = changed
        form.add_error(
            "request",
            f"The detector reads the note as an {detection.request} request (highlighted "
            f"above) and pre-filled the answer with “{Request(detection.request).label}”. "
            "That is its suggestion, not your answer: check it against what the member said, "
            "correct it if it is wrong, and save again.",
        )
        return None
    if group is None:
        form.add_error("group", "Choose a group.")
        return None
    try:
        contact = actions.log_contact(
            group=group,
            members=chosen,
            acting_user=user,
            occurred_at=data["occurred_at"],
            setting=data["setting"],
            initiated_by=data["initiated_by"],
            others_present=data["others_present"],
            summary=data["summary"],
            request=data["request"],
            reminded_agreement=data["reminded_agreement"],
            offered_referral=data["offered_referral"],
            promised_confidentiality=data["promised_confidentiality"],
            promise_scope=data["promise_scope"],
            promise_confirmed=data["promise_confirmed"],
            follow_up=data["follow_up"],
            follow_up_on=data["follow_up_on"],
        )
    except ValidationError as exc:
        apply_errors(form, exc)
        return None
    locks = timezone.localtime(contact.locks_at)
    text = f"Contact saved and signed. You can edit it until {locks:%d %b %H:%M}."
    if contact.offered_referral:
        text += " A referral offer was recorded: name the therapist below when you know."
    messages.success(request, text)
    return contact


@require_GET
@login_required
def contact_members(request: HttpRequest) -> HttpResponse:
    """The member checkboxes for the group chosen in the contact form."""
    user = staff_user(request)
    groups = _groups(user, None)
    group = _pick(groups, request.GET.get("group"))
    members = _current_members(group)
    if members:
        record_member_list(user, len(members), group=group)
    form = ContactForm(
        initial={"group": str(group.id) if group else ""},
        groups=groups,
        members=members,
    )
    return render(request, "web/_contact_members.html", {"form": form})


@require_POST
@login_required
def contact_detect(request: HttpRequest) -> HttpResponse:
    """The live highlight: the note with its matches marked, the suggestion and guidance."""
    user = staff_user(request)
    summary = request.POST.get("summary", "")
    if len(summary) > MAX_TEXT:
        return HttpResponse(f"The note is longer than {MAX_TEXT:,} characters.", status=400)
    group, members = _group_and_members(user, request.POST)
    context = _detection_context(
        summary=summary,
        group=group,
        members=members,
        request_value=request.POST.get("request", ""),
        touched=request.POST.get("request_touched") == "1",
        setting=request.POST.get("setting", ""),
    )
    return render(request, "web/_contact_detection.html", {**context, "oob": True})


def _group_and_members(user: User, data: QueryDict) -> tuple[Group | None, list[Member]]:
    group_id = _uuid(data.get("group") or "")
    if group_id is None:
        return None, []
    group = visible_groups(user).filter(pk=group_id).first()
    if group is None:
        return None, []
    wanted = {_uuid(v) for v in data.getlist("members")} - {None}
    members = [m for m in _current_members(group) if m.id in wanted]
    return group, members


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None

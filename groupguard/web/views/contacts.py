"""Out-of-session contacts: quick entry on a phone, live detection, guidance, promises and
referrals. Every page works without JavaScript; with it, the note is scanned as it is typed."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from groupguard.accounts.models import User
from groupguard.contacts import actions, selectors
from groupguard.contacts.detect import detect
from groupguard.contacts.guidance import PROMISE_WARNING, guidance_for
from groupguard.contacts.models import (
    ANSWERS,
    REFERRAL_MOVES,
    Contact,
    Initiator,
    PromiseStatus,
    Request,
    Setting,
)
from groupguard.core.text import MAX_TEXT
from groupguard.practice.access import access_member, visible_groups
from groupguard.practice.models import Enrollment, Group, Member
from groupguard.web.forms import DateInput, DateTimeInput, apply_errors
from groupguard.web.highlight import explain, highlight
from groupguard.web.views.common import login_required, staff_user
from groupguard.web.views.members import record_member_list


class ContactForm(forms.Form):
    group = forms.ChoiceField(label="Group")
    members = forms.MultipleChoiceField(
        label="Who you spoke with", widget=forms.CheckboxSelectMultiple
    )
    occurred_at = forms.DateTimeField(label="When", widget=DateTimeInput)
    setting = forms.ChoiceField(label="Where or how", choices=Setting.choices)
    initiated_by = forms.ChoiceField(
        label="Who started it", choices=Initiator.choices, widget=forms.RadioSelect
    )
    others_present = forms.CharField(
        label="Who else heard it",
        required=False,
        max_length=2000,
        help_text="Leave empty if nobody else was there.",
    )
    summary = forms.CharField(
        label="What was said",
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="In a few plain sentences. Requests for secrecy are highlighted as you type.",
    )
    request = forms.ChoiceField(
        label="Did the member ask for confidentiality?",
        choices=ANSWERS,
        widget=forms.RadioSelect,
        help_text="Pre-filled by the detector from the note, not answered by you: check it "
        "against what the member said, and change it if it is wrong. What you choose is kept "
        "as your answer.",
    )
    reminded_agreement = forms.BooleanField(
        required=False, label="I reminded them of the group agreement"
    )
    offered_referral = forms.BooleanField(
        required=False, label="I offered a referral to an individual therapist"
    )
    promised_confidentiality = forms.BooleanField(
        required=False, label="I promised to keep it confidential"
    )
    promise_scope = forms.CharField(
        required=False,
        label="What the promise covers",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="In the words you used, and for how long.",
    )
    promise_confirmed = forms.BooleanField(
        required=False,
        label="I made this promise and I have read why it can conflict with my duty to the group",
    )
    follow_up = forms.CharField(
        required=False, label="Follow-up", max_length=2000, widget=forms.Textarea({"rows": 2})
    )
    follow_up_on = forms.DateField(required=False, label="Follow up by", widget=DateInput)
    suggested = forms.CharField(required=False, widget=forms.HiddenInput)
    request_touched = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        groups: list[Group],
        members: list[Member],
        editing: bool = False,
        contact: Contact | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        group_field: Any = self.fields["group"]
        group_field.choices = [(str(g.id), g.name) for g in groups]
        member_field: Any = self.fields["members"]
        member_field.choices = [(str(m.id), m.display_name) for m in members]
        self.fields["summary"].widget.attrs["aria-describedby"] = "id_summary_help detection"
        if editing:
            del self.fields["group"]
            del self.fields["members"]
        if contact is not None:
            # Editing: the choice is the facilitator's answer (the detector never changes it).
            request_field: Any = self.fields["request"]
            if contact.request == Request.UNANSWERED:
                request_field.choices = [*ANSWERS, (Request.UNANSWERED, Request.UNANSWERED.label)]
                request_field.help_text = (
                    "Not answered yet (the detector suggested "
                    f"{contact.detected_request}): answer it if you know what the member "
                    "asked. After the entry locks, an amendment can answer it."
                )
            else:
                request_field.help_text = "Your answer, as recorded; change it if it is wrong."


def _groups(user: User, member: Member | None) -> list[Group]:
    groups = visible_groups(user).order_by("name")
    if member is not None:
        groups = groups.filter(enrollments__member=member).distinct()
    return list(groups)


def _current_members(group: Group | None) -> list[Member]:
    if group is None:
        return []
    members = [
        e.member for e in Enrollment.objects.filter(group=group).current().select_related("member")
    ]
    members.sort(key=lambda m: m.display_name.casefold())
    return members


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


def _form_context(
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
            _form_context(
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
        _form_context(
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


@require_GET
@login_required
def contact_detail(request: HttpRequest, contact_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    contact = selectors.access_contact(user, contact_id)
    actions.record_view(contact, user=user)
    return render(request, "web/contact_detail.html", _detail_context(user, contact))


def _detail_context(user: User, contact: Contact, **extra: Any) -> dict[str, Any]:
    members = selectors.members_of(contact)
    request = selectors.effective_request(contact)
    unanswered = request == Request.UNANSWERED
    detection = detect(contact.summary)
    now = timezone.now()
    referrals = list(
        contact.referrals.select_related("member", "to_practitioner", "offered_by").order_by(
            "created_at"
        )
    )
    return {
        "contact": contact,
        "members": members,
        "request": request,
        "unanswered": unanswered,
        # While nobody has answered, the guidance follows the detector's suggestion.
        "guidance_from_suggestion": unanswered,
        "highlighted": highlight(contact.summary, detection),
        "matches": explain(detection),
        "locked": contact.is_locked(now),
        "can_edit": not contact.is_locked(now) and contact.facilitator_id == user.pk,
        "guidance": guidance_for(
            group=contact.group,
            members=members,
            request=selectors.request_for_guidance(contact),
            setting=contact.setting,
            at=contact.occurred_at,
        ),
        "promises": list(contact.promises.select_related("member", "closed_by")),
        "assessments": list(contact.assessments.select_related("member").order_by("-created_at")),
        "referrals": [(r, sorted(REFERRAL_MOVES[r.status])) for r in referrals],
        "amend_form": extra.pop("amend_form", AmendForm(unanswered=unanswered)),
        "referral_form": extra.pop(
            "referral_form", ReferralForm(practice_id=user.practice_id, members=members)
        ),
        "promise_statuses": [
            (PromiseStatus.RELEASED.value, PromiseStatus.RELEASED.label),
            (PromiseStatus.WITHDRAWN.value, PromiseStatus.WITHDRAWN.label),
        ],
        **extra,
    }


@require_http_methods(["GET", "POST"])
@login_required
def contact_edit(request: HttpRequest, contact_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    contact = selectors.access_contact(user, contact_id)
    if contact.is_locked(timezone.now()) or contact.facilitator_id != user.pk:
        messages.error(
            request,
            "This entry can no longer be edited (locked after 24 hours, or written by someone "
            "else). Add an amendment instead: the original stays as it was.",
        )
        return redirect("contact_detail", contact_id=contact.id)
    members = selectors.members_of(contact)
    initial = {name: getattr(contact, name) for name in actions.EDITABLE}
    initial["occurred_at"] = timezone.localtime(contact.occurred_at)
    initial["offered_referral"] = contact.offered_referral
    initial["promised_confidentiality"] = contact.promised_confidentiality
    initial["suggested"] = contact.detected_request
    initial["request_touched"] = "1"  # the stored answer stays unless the facilitator changes it
    data = request.POST.copy() if request.method == "POST" else None
    form = ContactForm(data, initial=initial, groups=[], members=[], editing=True, contact=contact)
    form.fields["offered_referral"].disabled = True
    if contact.promised_confidentiality:
        form.fields["promised_confidentiality"].disabled = True
    status = 200
    if data is not None:
        if form.is_valid():
            values = {k: form.cleaned_data[k] for k in actions.EDITABLE}
            try:
                actions.edit_contact(
                    contact,
                    acting_user=user,
                    promised_confidentiality=form.cleaned_data["promised_confidentiality"]
                    or contact.promised_confidentiality,
                    promise_scope=form.cleaned_data["promise_scope"],
                    promise_confirmed=form.cleaned_data["promise_confirmed"],
                    **values,
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, "Contact updated.")
                return redirect("contact_detail", contact_id=contact.id)
        status = 400
    else:
        actions.record_view(contact, user=user)
    return render(
        request,
        "web/contact_form.html",
        _form_context(
            form, contact.group, members, title="Edit contact", contact=contact, editing=True
        ),
        status=status,
    )


class AmendForm(forms.Form):
    text = forms.CharField(
        label="Amendment",
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Added below the entry with your name and the time; the entry stays as it was.",
    )
    request = forms.ChoiceField(
        label="Correct the confidentiality request",
        required=False,
        choices=[("", "No change"), *ANSWERS],
    )

    def __init__(self, *args: Any, unanswered: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if unanswered:
            field: Any = self.fields["request"]
            field.label = "Answer the confidentiality request"
            field.choices = [("", "Not answered yet"), *ANSWERS]
            field.help_text = (
                "Did the member ask for confidentiality? Your answer, not the detector's."
            )


@require_POST
@login_required
def contact_amend(request: HttpRequest, contact_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    contact = selectors.access_contact(user, contact_id)
    form = AmendForm(
        request.POST, unanswered=selectors.effective_request(contact) == Request.UNANSWERED
    )
    if form.is_valid():
        try:
            actions.amend_contact(contact, acting_user=user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Amendment added.")
            return redirect(reverse("contact_detail", args=[contact.id]) + "#amendments")
    return render(
        request,
        "web/contact_detail.html",
        _detail_context(user, contact, amend_form=form),
        status=400,
    )


class ReferralForm(forms.Form):
    member = forms.ChoiceField(label="Member")
    to_practitioner = forms.ChoiceField(label="Refer to a practitioner here", required=False)
    to_name = forms.CharField(label="…or an outside therapist", required=False, max_length=200)
    to_contact = forms.CharField(label="Their contact details", required=False, max_length=300)
    reason = forms.CharField(
        label="Reason",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        initial="A confidential space for what the member raised outside the group.",
    )

    def __init__(self, *args: Any, practice_id: Any, members: list[Member], **kwargs: Any):
        super().__init__(*args, **kwargs)
        staff = User.objects.filter(practice_id=practice_id, is_active=True).order_by(
            "last_name", "first_name"
        )
        field: Any = self.fields["to_practitioner"]
        field.choices = [("", "Not chosen yet")] + [(str(u.pk), u.display_name) for u in staff]
        member_field: Any = self.fields["member"]
        member_field.choices = [(str(m.id), m.display_name) for m in members]
        if len(members) == 1:
            self.fields["member"].widget = forms.HiddenInput()
            self.fields["member"].initial = str(members[0].id)
        self.staff = {str(u.pk): u for u in staff}


@require_POST
@login_required
def contact_referral(request: HttpRequest, contact_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    contact = selectors.access_contact(user, contact_id)
    members = selectors.members_of(contact)
    form = ReferralForm(request.POST, practice_id=user.practice_id, members=members)
    if form.is_valid():
        data = form.cleaned_data
        member = next(m for m in members if str(m.id) == data["member"])
        try:
            actions.offer_referral(
                member=member,
                contact=contact,
                acting_user=user,
                reason=data["reason"],
                to_practitioner=form.staff.get(data["to_practitioner"]),
                to_name=data["to_name"],
                to_contact=data["to_contact"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Referral offer recorded.")
            return redirect(reverse("contact_detail", args=[contact.id]) + "#referrals")
    return render(
        request,
        "web/contact_detail.html",
        _detail_context(user, contact, referral_form=form),
        status=400,
    )


@require_POST
@login_required
def referral_update(request: HttpRequest, referral_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    referral = selectors.access_referral(user, referral_id)
    staff = {str(u.pk): u for u in User.objects.filter(practice=user.practice, is_active=True)}
    target = request.POST.get("to_practitioner")
    try:
        if "status" in request.POST:
            actions.update_referral(referral, acting_user=user, status=request.POST["status"])
        else:
            actions.update_referral(
                referral,
                acting_user=user,
                to_practitioner=staff.get(target or ""),
                to_name=request.POST.get("to_name", "") if not target else "",
                to_contact=request.POST.get("to_contact", ""),
            )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Referral updated.")
    nxt = request.POST.get("next", "")
    if nxt == "member":
        return redirect(reverse("member_detail", args=[referral.member_id]) + "#timeline")
    if referral.contact_id:
        return redirect(reverse("contact_detail", args=[referral.contact_id]) + "#referrals")
    return redirect(reverse("member_detail", args=[referral.member_id]) + "#timeline")


@require_POST
@login_required
def promise_close(request: HttpRequest, promise_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    promise = selectors.access_promise(user, promise_id)
    try:
        actions.close_promise(
            promise,
            status=request.POST.get("status", ""),
            note=request.POST.get("note", ""),
            acting_user=user,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Promise closed.")
    return redirect(reverse("contact_detail", args=[promise.contact_id]) + "#promises")

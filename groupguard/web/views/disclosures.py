"""“May I raise this in group?”: assessments, choices, outcomes, authorizations and the
accounting of disclosures."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from groupguard.agreements.actions import MAX_SCAN_BYTES
from groupguard.audit.reads import record_view
from groupguard.contacts import selectors as contact_selectors
from groupguard.contacts.models import Contact
from groupguard.core import pdf
from groupguard.disclosures import actions, selectors
from groupguard.disclosures.engine import RULES_BY_ID
from groupguard.disclosures.engine.docs import LEVEL_MEANINGS
from groupguard.disclosures.engine.facts import CHOICES, MEANINGS
from groupguard.disclosures.models import THIRD_PARTIES, ChoiceKind, Recipient
from groupguard.disclosures.records import CONTACT_FACTS, prefill
from groupguard.practice.access import access_member
from groupguard.practice.models import Member
from groupguard.web.forms import DateInput, DateTimeInput, apply_errors
from groupguard.web.views.common import login_required, staff_user

LABELS = {
    "said_in": {
        "group_session": "In a group session",
        "outside_session_casual": "Outside the session, casually (after group, by phone)",
        "scheduled_one_on_one": "In a scheduled one-to-one",
        "individual_therapy": "In individual therapy with me",
        "written_message": "In a written message",
    },
    "agreement": {
        "signed_before": "Signed before it was said",
        "signed_after": "Signed only after it was said",
        "none": "No signed group agreement",
    },
    "promise": {"none": "No", "implied": "Implied", "express": "Yes, expressly"},
    "member_request": {"none": "No", "implied": "Implied", "explicit": "Explicitly"},
    "purpose": {
        "treatment": "The group's treatment",
        "safety": "Someone's safety",
        "legal_requirement": "A legal requirement",
        "other": "Something else",
    },
    "content": {
        "none": "None of these",
        "hiv": "An HIV test result or HIV status",
        "genetic": "A genetic test result",
        "minor_reproductive_health": "A minor's reproductive health care they consented to",
        "other_member": "Another member's information",
        "part2_record": "A record of substance-use treatment in a 42 CFR Part 2 program",
    },
    "referral": {
        "none": "None recorded",
        "offered": "Offered",
        "accepted": "Accepted",
        "declined": "Declined",
    },
    "policy": {
        "no_secrets": "No secrets",
        "limited_secrets": "Limited secrets",
        "discretion": "Facilitator's discretion",
    },
    "abuse": {
        "none": "No",
        "child": "Abuse or neglect of a child",
        "elder": "Abuse or neglect of an elder",
        "dependent_adult": "Abuse or neglect of a dependent adult",
        "domestic_violence": "Violence by a partner against an adult (domestic violence)",
    },
    "danger": {
        "none": "No",
        "threat_to_identifiable_victim": "A threat to an identifiable person",
        "danger_to_self": "A danger to themselves",
    },
}


FACT_LABELS = {
    "recipient": "Recipient",
    "third_party": "Who outside the group",
    "jurisdiction": "Jurisdiction",
    "member_location": "Where the member was",
    "profession": "Your licence",
    "ethics_code": "Your ethics code",
    "said_in": "Where it was said",
    "relationship": "Your role with the member",
    "agreement": "Group agreement",
    "promise": "Promise of confidentiality",
    "member_request": "Member asked for privacy",
    "member_objects": "Member objected",
    "reminded_at_time": "Reminded at the time",
    "member_told_in_advance": "Told in advance",
    "purpose": "Purpose",
    "relevant_to_treatment": "Matters to the group's work",
    "authorization": "Written authorization",
    "court_order": "Court order",
    "minor": "Member is a minor",
    "part2_program": "42 CFR Part 2 program",
    "sensitive": "Highly sensitive",
    "content": "Content with its own law",
    "policy": "Agreement's policy",
    "told_first_promised": "Agreement promises to tell first",
    "referral": "Referral to an individual therapist",
    "danger": "Danger",
    "reportable_abuse": "Report known to be required",
    "abuse": "Abuse",
    "documented_rationale": "Rationale written down",
}
LABELS["relationship"] = {
    "group_only": "Group facilitator only",
    "also_individual_therapist": "Also their individual therapist",
    "also_couple_or_family_therapist": "Also their couple or family therapist",
}


def _choices(name: str) -> list[tuple[str, str]]:
    labels = LABELS.get(name, {})
    return [(value, labels.get(value, value)) for value in CHOICES[name]]


class AssessForm(forms.Form):
    question = forms.CharField(
        label="What do you want to share?",
        required=False,
        max_length=500,
        help_text="A line for your own record, e.g. “her relapse, in Thursday's group”.",
    )
    recipient = forms.ChoiceField(label="With whom?", choices=Recipient.choices)
    purpose = forms.ChoiceField(label="Why?", choices=_choices("purpose"))
    relevant_to_treatment = forms.BooleanField(
        required=False, initial=True, label="It matters to the group's work"
    )
    member_objects = forms.BooleanField(
        required=False, label="The member objected, or asked for a restriction"
    )
    member_told_in_advance = forms.BooleanField(
        required=False,
        label="I told the member, or gave them the chance to raise it first",
    )
    sensitive = forms.BooleanField(
        required=False, label="Highly sensitive (an affair, HIV status, a crime)"
    )
    content = forms.ChoiceField(
        label="Does it include any of these?",
        choices=_choices("content"),
        required=False,
        initial="none",
        help_text="Each has a law of its own (HIV results, genetic results, ...).",
    )
    danger = forms.ChoiceField(label="Did it reveal a danger?", choices=_choices("danger"))
    abuse = forms.ChoiceField(
        label="Did it reveal abuse?", choices=_choices("abuse"), required=False, initial="none"
    )
    reportable_abuse = forms.BooleanField(
        required=False, label="I already know the law requires me to report it"
    )
    member_location = forms.CharField(
        label="Where was the member, if not in your licence's state?",
        required=False,
        max_length=10,
        help_text="For telehealth: a state code such as US-CA. Both states' laws are weighed.",
    )
    court_order = forms.BooleanField(
        required=False, label="A court order requires it (a subpoena is not one)"
    )
    documented_rationale = forms.BooleanField(
        required=False, label="I have written down why, and what, I will share"
    )
    # Asked only when there is no contact entry to read them from.
    said_in = forms.ChoiceField(label="Where did the member say it?", choices=_choices("said_in"))
    agreement = forms.ChoiceField(label="The group agreement", choices=_choices("agreement"))
    promise = forms.ChoiceField(
        label="Did you promise to keep it confidential?", choices=_choices("promise")
    )
    member_request = forms.ChoiceField(
        label="Did the member ask to keep it private?", choices=_choices("member_request")
    )
    reminded_at_time = forms.BooleanField(
        required=False, label="I reminded them of the group's policy at the time"
    )

    def __init__(
        self,
        *args: Any,
        with_contact: bool,
        asked: dict[str, str] | None = None,
        proposed: dict[str, tuple[Any, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        asked = asked or {}
        for name, (value, why) in (proposed or {}).items():
            self._propose(name, value, why)
        if with_contact:
            # The contact answers these, except what it left unanswered (``asked``: why).
            for name in CONTACT_FACTS:
                if name in asked:
                    field: Any = self.fields[name]
                    field.help_text = f"The records do not say: {asked[name]}."
                    if isinstance(field, forms.ChoiceField):
                        # No answer chosen for them: a first option would be a guess.
                        choices: Any = field.choices
                        field.choices = [("", "Choose…"), *choices]
                else:
                    del self.fields[name]

    def _propose(self, name: str, value: Any, why: str) -> None:
        """Pre-select what the detector's flags propose, marked as its suggestion in the control
        itself (the chosen option, or the box's label) and beside it (``why``, which the
        control's aria-describedby names). Saving the form is the practitioner's answer."""
        field: Any = self.fields.get(name)
        if field is None:
            return
        field.initial = value
        field.help_text = why
        field.proposed = True  # _field.html marks the field
        mark = " (the detector's suggestion)"
        if isinstance(field, forms.ChoiceField):
            choices: Any = field.choices
            field.choices = [(v, f"{label}{mark}" if v == value else label) for v, label in choices]
        else:
            field.label = f"{field.label}{mark}"

    def answers(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("question")
        recipient = data.pop("recipient")
        answers: dict[str, Any] = {k: v for k, v in data.items()}
        answers["member_location"] = (answers.get("member_location") or "").strip() or None
        answers["abuse"] = answers.get("abuse") or None  # not sent: the engine's "none"
        answers["content"] = answers.get("content") or None
        if recipient == Recipient.GROUP:
            answers["recipient"] = "group"
        else:
            answers["recipient"] = "third_party"
            answers["third_party"] = recipient
        return answers


def _assess(request: HttpRequest, member: Member, contact: Contact | None) -> HttpResponse:
    user = staff_user(request)
    filled = prefill(member=member, practitioner=user, contact=contact, now=timezone.now())
    form = AssessForm(
        request.POST or None,
        with_contact=contact is not None,
        asked=filled.asked,
        proposed=filled.proposed,
    )
    if request.method == "POST" and form.is_valid():
        try:
            assessment = actions.assess(
                member=member,
                acting_user=user,
                answers=form.answers(),
                contact=contact,
                question=form.cleaned_data["question"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("assessment_detail", assessment_id=assessment.id)
    if request.method == "GET":
        # The form shows the member and what the records say about them (and the contact).
        record_view(
            user=user, practice_id=member.practice_id, obj=contact or member, member_id=member.id
        )
    # (label, value, source, a note from the detector's flags beside it)
    known = [
        (
            FACT_LABELS.get(name, name),
            _label(name, value),
            filled.sources.get(name, ""),
            filled.notes.get(name, ""),
        )
        for name, value in filled.facts.items()
    ] + [
        (FACT_LABELS.get(name, name), "Not answered: you answer it below", why, "")
        for name, why in filled.asked.items()
    ]
    return render(
        request,
        "web/assessment_form.html",
        {"form": form, "member": member, "contact": contact, "known": known},
        status=400 if request.method == "POST" else 200,
    )


def _label(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return LABELS.get(name, {}).get(str(value), str(value).replace("_", " "))


@require_http_methods(["GET", "POST"])
@login_required
def assess_contact(request: HttpRequest, contact_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    contact = contact_selectors.access_contact(user, contact_id)
    members = contact_selectors.members_of(contact)
    wanted = request.GET.get("member")
    member = next((m for m in members if str(m.id) == wanted), members[0])
    return _assess(request, member, contact)


@require_http_methods(["GET", "POST"])
@login_required
def assess_member(request: HttpRequest, member_id: uuid.UUID) -> HttpResponse:
    member = access_member(staff_user(request), member_id)
    return _assess(request, member, None)


class ChoiceForm(forms.Form):
    kind = forms.ChoiceField(
        label="What you decided", choices=[("", "Choose…"), *ChoiceKind.choices]
    )
    note = forms.CharField(
        label="Note", required=False, max_length=2000, widget=forms.Textarea({"rows": 2})
    )


class DisclosureForm(forms.Form):
    recipient = forms.ChoiceField(label="Shared with", choices=Recipient.choices)
    recipient_detail = forms.CharField(
        label="Who exactly", required=False, max_length=300, help_text="A name, an agency, a court."
    )
    disclosed_at = forms.DateTimeField(label="When", widget=DateTimeInput)
    what = forms.CharField(
        label="What you shared", max_length=2000, widget=forms.Textarea({"rows": 2})
    )
    purpose = forms.CharField(label="Purpose", required=False, max_length=300)


def _detail_context(user: Any, assessment: Any, **extra: Any) -> dict[str, Any]:
    decision = assessment.decision
    determining = set(decision["determining"])
    facts = [
        (
            FACT_LABELS.get(name, name),
            _label(name, value),
            assessment.prefilled.get(name, "your answer"),
        )
        for name, value in assessment.facts.items()
    ]
    recipient = (
        assessment.facts.get("third_party") or "other"
        if assessment.facts.get("recipient") == "third_party"
        else "group"
    )
    return {
        "assessment": assessment,
        "member": assessment.member,
        "decision": decision,
        "meaning": LEVEL_MEANINGS.get(decision["level"], ""),
        "factors": [
            {**f, "determining": f["id"] in determining, "known": f["id"] in RULES_BY_ID}
            for f in decision["factors"]
        ],
        "facts": facts,
        "meanings": MEANINGS,
        "choices": list(assessment.choices.select_related("decided_by")),
        "disclosures": list(assessment.disclosures.select_related("recorded_by")),
        "choice_form": extra.pop("choice_form", ChoiceForm()),
        "disclosure_form": extra.pop(
            "disclosure_form",
            DisclosureForm(
                initial={
                    "recipient": recipient,
                    "disclosed_at": timezone.localtime().replace(second=0, microsecond=0),
                }
            ),
        ),
        **extra,
    }


@require_GET
@login_required
def assessment_detail(request: HttpRequest, assessment_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    assessment = selectors.access_assessment(user, assessment_id)
    record_view(
        user=user,
        practice_id=assessment.practice_id,
        obj=assessment,
        member_id=assessment.member_id,
    )
    return render(request, "web/assessment_detail.html", _detail_context(user, assessment))


@require_POST
@login_required
def assessment_choice(request: HttpRequest, assessment_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    assessment = selectors.access_assessment(user, assessment_id)
    form = ChoiceForm(request.POST)
    if form.is_valid():
        try:
            actions.record_choice(assessment, acting_user=user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Decision recorded.")
            return redirect(reverse("assessment_detail", args=[assessment.id]) + "#decision")
    return render(
        request,
        "web/assessment_detail.html",
        _detail_context(user, assessment, choice_form=form),
        status=400,
    )


@require_POST
@login_required
def assessment_disclosure(request: HttpRequest, assessment_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    assessment = selectors.access_assessment(user, assessment_id)
    form = DisclosureForm(request.POST)
    if form.is_valid():
        try:
            actions.record_disclosure(
                member=assessment.member,
                acting_user=user,
                assessment=assessment,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Disclosure recorded.")
            return redirect(reverse("assessment_detail", args=[assessment.id]) + "#outcome")
    return render(
        request,
        "web/assessment_detail.html",
        _detail_context(user, assessment, disclosure_form=form),
        status=400,
    )


class AuthorizationForm(forms.Form):
    recipient = forms.ChoiceField(
        label="Who may receive it", choices=[(r.value, r.label) for r in THIRD_PARTIES]
    )
    recipient_detail = forms.CharField(label="Who exactly", required=False, max_length=300)
    purpose = forms.CharField(label="For what purpose", max_length=500)
    signed_on = forms.DateField(label="Signed on", widget=DateInput)
    expires_on = forms.DateField(label="Expires on", required=False, widget=DateInput)
    scan = forms.FileField(label="Scan of the signed form (PDF, PNG or JPEG)", required=False)


@require_http_methods(["GET", "POST"])
@login_required
def member_disclosures(request: HttpRequest, member_id: uuid.UUID) -> HttpResponse:
    """The member's authorizations, assessments and accounting of disclosures."""
    user = staff_user(request)
    member = access_member(user, member_id)
    form = AuthorizationForm(
        request.POST or None, request.FILES or None, initial={"signed_on": member.practice.today()}
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            upload = data.pop("scan")
            try:
                actions.record_authorization(
                    member=member,
                    acting_user=user,
                    # One byte past the limit is enough to refuse it; the rest stays unread.
                    scan=upload.read(MAX_SCAN_BYTES + 1) if upload else None,
                    declared_type=getattr(upload, "content_type", "") if upload else "",
                    **data,
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, "Authorization recorded.")
                return redirect("member_disclosures", member_id=member.id)
        status = 400
    else:
        record_view(user=user, practice_id=member.practice_id, obj=member, member_id=member.id)
    today = member.practice.today()
    return render(
        request,
        "web/member_disclosures.html",
        {
            "member": member,
            "form": form,
            "authorizations": [
                (a, a.in_force(today)) for a in selectors.authorizations_for(member)
            ],
            "assessments": selectors.assessments_for(user, member),
            "accounting": selectors.accounting(member, among=selectors.visible_disclosures(user)),
        },
        status=status,
    )


@require_POST
@login_required
def authorization_revoke(request: HttpRequest, authorization_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    authorization = selectors.access_authorization(user, authorization_id)
    try:
        actions.revoke_authorization(
            authorization, note=request.POST.get("note", ""), acting_user=user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Authorization revoked.")
    return redirect("member_disclosures", member_id=authorization.member_id)


@require_GET
@login_required
def accounting_pdf(request: HttpRequest, member_id: uuid.UUID) -> HttpResponse:
    """The accounting of disclosures outside the group, printable (45 CFR 164.528)."""
    user = staff_user(request)
    member = access_member(user, member_id)
    rows = selectors.accounting(member, among=selectors.visible_disclosures(user))
    tz = member.practice.tz
    table = pdf.table(
        ["When", "Recipient", "What", "Purpose", "Recorded by"],
        [
            (
                d.disclosed_at.astimezone(tz).strftime("%d %b %Y %H:%M"),
                d.get_recipient_display()
                + (f": {d.recipient_detail}" if d.recipient_detail else ""),
                d.what,
                d.purpose or "—",
                d.recorded_by.display_name,
            )
            for d in rows
        ],
        widths=(1.3, 1.6, 3, 1.6, 1.3),
    )
    today = member.practice.today()
    document = pdf.Document(
        title=f"Accounting of disclosures: {member.full_name}",
        subtitle=f"{member.practice.name} · as of {today:%d %B %Y}",
        blocks=(
            pdf.paragraph(
                "Disclosures of this member's information to anyone outside their therapy "
                "group, as recorded in groupguard (45 CFR 164.528). Sharing within the group, "
                "in session, for the group's treatment is not listed."
                + (
                    ""
                    if user.is_practice_admin
                    else " It lists what you may see: disclosures recorded from contacts in "
                    "groups you do not run are left out. A practice admin can produce the "
                    "complete accounting for the member."
                )
            ),
            table if rows else pdf.paragraph("No disclosures outside the group are recorded."),
        ),
        footer=f"{member.practice.name} · accounting of disclosures",
    )
    body = pdf.render_pdf(document)
    record_view(
        user=user,
        practice_id=member.practice_id,
        action="accounting.export",
        obj=member,
        member_id=member.id,
        detail={"rows": len(rows)},
    )
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="accounting-{today.isoformat()}.pdf"'
    return response

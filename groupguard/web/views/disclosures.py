"""“May I raise this in group?”: assessments, choices, outcomes, authorizations and the
accounting of disclosures."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from groupguard.audit.reads import record_view
from groupguard.contacts import selectors as contact_selectors
from groupguard.contacts.models import Contact
from groupguard.disclosures import actions, selectors
from groupguard.disclosures.engine import RULES_BY_ID
from groupguard.disclosures.engine.docs import LEVEL_MEANINGS
from groupguard.disclosures.engine.facts import MEANINGS
from groupguard.disclosures.records import prefill
from groupguard.practice.access import access_member
from groupguard.practice.models import Member
from groupguard.web.forms import apply_errors
from groupguard.web.views.common import login_required, staff_user
from groupguard.web.views.disclosure_forms import AssessForm, ChoiceForm, DisclosureForm
from groupguard.web.views.disclosure_labels import FACT_LABELS, LABELS


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

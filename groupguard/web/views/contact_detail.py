"""A contact's page: what was logged, its guidance and history, editing within the window and
amending later.
"""

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

from groupguard.accounts.models import User
from groupguard.contacts import actions, selectors
from groupguard.contacts.detect import detect
from groupguard.contacts.guidance import guidance_for
from groupguard.contacts.models import (
    REFERRAL_MOVES,
    Contact,
    PromiseStatus,
    Request,
)
from groupguard.web.forms import apply_errors
from groupguard.web.highlight import explain, highlight
from groupguard.web.views.common import login_required, staff_user
from groupguard.web.views.contact_forms import AmendForm, ContactForm, ReferralForm
from groupguard.web.views.contacts import form_context


@require_GET
@login_required
def contact_detail(request: HttpRequest, contact_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    contact = selectors.access_contact(user, contact_id)
    actions.record_view(contact, user=user)
    return render(request, "web/contact_detail.html", detail_context(user, contact))


def detail_context(user: User, contact: Contact, **extra: Any) -> dict[str, Any]:
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
        form_context(
            form, contact.group, members, title="Edit contact", contact=contact, editing=True
        ),
        status=status,
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
        detail_context(user, contact, amend_form=form),
        status=400,
    )

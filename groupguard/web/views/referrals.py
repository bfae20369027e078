"""Referral and promise pages: offering a referral from a contact, its later answers, and closing a
promise of confidentiality.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from groupguard.contacts import actions, selectors
from groupguard.practice.selectors import active_staff
from groupguard.web.forms import apply_errors
from groupguard.web.views.common import login_required, staff_user
from groupguard.web.views.contact_detail import detail_context
from groupguard.web.views.contact_forms import ReferralForm


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
        detail_context(user, contact, referral_form=form),
        status=400,
    )


@require_POST
@login_required
def referral_update(request: HttpRequest, referral_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    referral = selectors.access_referral(user, referral_id)
    staff = {str(u.pk): u for u in active_staff(practice_id=user.practice_id)}
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

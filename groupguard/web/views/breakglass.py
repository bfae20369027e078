"""Emergency access ("breaking the glass"): a clinician opens a member outside their groups
with a written reason, for a limited time; practice admins review every such access."""

from __future__ import annotations

import uuid

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from groupguard.audit.reads import record_view
from groupguard.practice import actions, selectors
from groupguard.practice.access import (
    access_grant,
    break_glass_candidate,
    require_admin,
    visible_members,
)
from groupguard.web.forms import apply_errors
from groupguard.web.views.common import login_required, staff_user


class BreakGlassForm(forms.Form):
    member = forms.UUIDField(
        label="Member id", help_text="From the member's page link, a referral or the on-call sheet."
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=(
            f"Why you need this record now ({actions.BREAK_GLASS_MIN_REASON} characters or "
            "more). It is kept with your name, and the practice admins review it."
        ),
    )


class ReviewForm(forms.Form):
    note = forms.CharField(required=False, max_length=2000)


@require_http_methods(["GET", "POST"])
@login_required
def break_glass(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    if user.practice_id is None:
        raise Http404("not found")
    form = BreakGlassForm(request.POST or None, initial={"member": request.GET.get("member", "")})
    if request.method == "POST" and form.is_valid():
        # Nothing about the member is shown before the grant: the form asks for an id only.
        member = break_glass_candidate(user, form.cleaned_data["member"])
        if user.is_practice_admin or visible_members(user).filter(pk=member.pk).exists():
            return redirect("member_detail", member_id=member.id)
        try:
            grant = actions.break_glass(
                member, reason=form.cleaned_data["reason"], acting_user=user
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            until = timezone.localtime(grant.expires_at)
            messages.warning(
                request, f"Emergency access until {until:%H:%M}, recorded with your reason."
            )
            return redirect("member_detail", member_id=member.id)
    return render(
        request,
        "web/break_glass_form.html",
        {"form": form, "minutes": settings.GROUPGUARD_BREAK_GLASS_MINUTES},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET"])
@login_required
def break_glass_list(request: HttpRequest) -> HttpResponse:
    """Emergency accesses for the practice admins to review, those not yet reviewed first."""
    user = staff_user(request)
    require_admin(user)
    assert user.practice_id is not None  # noqa: S101  (an admin has a practice)
    grants = selectors.grants_for_review(practice_id=user.practice_id)
    # The list shows members' names and the reasons written for them.
    record_view(
        user=user,
        practice_id=user.practice_id,
        action="break_glass.list",
        object_type="breakglassgrant",
        detail={"count": len(grants)},
    )
    return render(
        request,
        "web/break_glass_list.html",
        {
            "to_review": [g for g in grants if g.reviewed_at is None],
            "reviewed": [g for g in grants if g.reviewed_at is not None],
            "form": ReviewForm(),
        },
    )


@require_POST
@login_required
def break_glass_review(request: HttpRequest, grant_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    grant = access_grant(user, grant_id)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Keep the note under 2,000 characters.")
        return redirect("break_glass_list")
    try:
        actions.review_break_glass(grant, note=form.cleaned_data["note"], acting_user=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Marked as reviewed.")
    return redirect("break_glass_list")

"""The group agreement pages for facilitators: builder, versions, consent, links, signatures."""

from __future__ import annotations

import datetime
import io
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

from groupguard.agreements import actions, clauses, selectors
from groupguard.agreements import render as statement_render
from groupguard.agreements.models import (
    IdentityCheck,
    SignatureMethod,
)
from groupguard.audit.reads import record_view
from groupguard.practice.access import access_group, access_member
from groupguard.web.forms import DateInput, apply_errors
from groupguard.web.views.common import login_required, staff_user


class DraftForm(forms.Form):
    policy = forms.ChoiceField(
        choices=[(p, clauses.POLICY_LABELS[p]) for p in clauses.POLICIES],
        widget=forms.RadioSelect,
        label="How private communications are handled",
    )
    clause_ids = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, label="Clauses")
    role_statement = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Your role with the group and its members",
        help_text=(
            "Members read this first. Say plainly whether you are anyone's individual therapist."
        ),
    )

    def __init__(
        self, *args: Any, available: list[clauses.Clause], required: set[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["clause_ids"]
        field.choices = [
            (c.id, f"{c.title}{' (required)' if c.id in required else ''}") for c in available
        ]
        self.required_ids = required

    def clean_clause_ids(self) -> list[str]:
        chosen: list[str] = list(self.cleaned_data["clause_ids"])
        # Required clauses stay in whatever the browser sent.
        return chosen + [c for c in self.required_ids if c not in chosen]


class CustomClauseForm(forms.Form):
    title = forms.CharField(max_length=200)
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class LinkForm(forms.Form):
    identity_check = forms.ChoiceField(
        choices=IdentityCheck.choices, label="They confirm who they are with"
    )
    valid_days = forms.IntegerField(min_value=1, max_value=30, initial=7, label="Valid for (days)")


class SignatureForm(forms.Form):
    method = forms.ChoiceField(choices=[c for c in SignatureMethod.choices if c[0] != "link"])
    typed_name = forms.CharField(max_length=200, label="Full name as signed")
    guardian_name = forms.CharField(
        max_length=200, required=False, label="Parent or guardian (for a minor)"
    )
    minor_assent = forms.BooleanField(required=False, label="The young person also agreed (assent)")
    signed_on = forms.DateField(widget=DateInput, label="Signed on")
    scan = forms.FileField(
        required=False, help_text="PDF, PNG or JPEG, up to 5 MB. Required for paper."
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class RevisitForm(forms.Form):
    revisited_on = forms.DateField(widget=DateInput, label="Re-explained on")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


def _context(request: HttpRequest, group: Any, **extra: Any) -> dict[str, Any]:
    context = selectors.group_context(group)
    available = clauses.applicable(context, selectors.extra_clauses(group.practice))
    required = clauses.required_ids(context)
    draft = actions.draft_for(group)
    form = extra.pop("draft_form", None) or DraftForm(
        initial={
            "policy": draft.policy,
            "clause_ids": draft.clause_ids,
            "role_statement": draft.role_statement,
        },
        available=available,
        required=required,
    )
    return {
        "group": group,
        "draft": draft,
        "draft_form": form,
        "required": required,
        "current": selectors.current_version(group),
        "versions": list(selectors.versions(group)),
        # Each row's signing-link form with its own element ids (one page, many forms).
        "rows": [
            (row, LinkForm(auto_id=f"link-{row.member.id}-%s"))
            for row in selectors.consent_rows(group)
        ],
        "revisit": selectors.pending_revisit(group),
        "links": list(selectors.open_links(group)),
        "overrides": list(selectors.overrides(group)[:20]),
        "custom_form": CustomClauseForm(),
        "revisit_form": RevisitForm(initial={"revisited_on": timezone.localdate()}),
        **extra,
    }


@require_GET
@login_required
def agreement(request: HttpRequest, group_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    group = access_group(user, group_id)
    record_view(user=user, practice_id=group.practice_id, obj=group)
    return render(request, "web/agreement.html", _context(request, group))


@require_POST
@login_required
def agreement_draft(request: HttpRequest, group_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    group = access_group(user, group_id)
    context = selectors.group_context(group)
    form = DraftForm(
        request.POST,
        available=clauses.applicable(context, selectors.extra_clauses(group.practice)),
        required=clauses.required_ids(context),
    )
    preview_text = None
    if form.is_valid():
        try:
            actions.save_draft(group, acting_user=user, **form.cleaned_data)
            if request.POST.get("then") == "publish":
                version = actions.publish(group, acting_user=user)
                messages.success(
                    request,
                    f"Version {version.number} published. Members who signed an earlier version "
                    "now need to sign this one.",
                )
                return redirect("agreement", group_id=group.id)
            preview_text = actions.preview(group)
        except ValidationError as exc:
            apply_errors(form, exc)
    status = 200 if not form.errors else 400
    return render(
        request,
        "web/agreement.html",
        _context(request, group, draft_form=form, preview=preview_text),
        status=status,
    )


@require_POST
@login_required
def agreement_custom_clause(request: HttpRequest, group_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    group = access_group(user, group_id)
    form = CustomClauseForm(request.POST)
    if form.is_valid():
        try:
            actions.add_custom_clause(group.practice, acting_user=user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Clause added: tick it in the clause list to use it.")
            return redirect("agreement", group_id=group.id)
    return render(
        request, "web/agreement.html", _context(request, group, custom_form=form), status=400
    )


@require_GET
@login_required
def agreement_version(request: HttpRequest, group_id: uuid.UUID, number: int) -> HttpResponse:
    user = staff_user(request)
    group = access_group(user, group_id)
    version = selectors.access_version(group, number)
    other_number = request.GET.get("compare")
    diff = None
    other = None
    if other_number and other_number.isdigit():
        other = selectors.versions(group).filter(number=int(other_number)).first()
        if other is not None:
            diff = statement_render.diff_lines(other.text, version.text)
    return render(
        request,
        "web/agreement_version.html",
        {"group": group, "version": version, "other": other, "diff": diff},
    )


def qr_svg(url: str) -> str:
    import segno

    buffer = io.BytesIO()
    segno.make(url, error="m").save(
        buffer, kind="svg", scale=5, xmldecl=False, svgns=True, title="QR code of the signing link"
    )
    return buffer.getvalue().decode("utf-8")


@require_POST
@login_required
def agreement_link(request: HttpRequest, group_id: uuid.UUID, member_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    group = access_group(user, group_id)
    member = access_member(user, member_id)
    form = LinkForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "Choose how they confirm who they are, and for how many days the link works."
        )
        return redirect("agreement", group_id=group.id)
    try:
        link, token, code = actions.issue_signing_link(
            group, member, acting_user=user, **form.cleaned_data
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("agreement", group_id=group.id)
    url = request.build_absolute_uri(reverse("sign_start", args=[token]))
    return render(
        request,
        "web/agreement_link.html",
        {
            "group": group,
            "member": member,
            "link": link,
            "url": url,
            "code": code,
            "qr": qr_svg(url),
        },
    )


@require_POST
@login_required
def agreement_link_revoke(
    request: HttpRequest, group_id: uuid.UUID, link_id: uuid.UUID
) -> HttpResponse:
    user = staff_user(request)
    group = access_group(user, group_id)
    link = selectors.access_link(group, link_id)
    actions.revoke_signing_link(link, acting_user=user)
    messages.success(request, "Link withdrawn.")
    return redirect("agreement", group_id=group.id)


@require_http_methods(["GET", "POST"])
@login_required
def agreement_signature(
    request: HttpRequest, group_id: uuid.UUID, member_id: uuid.UUID
) -> HttpResponse:
    user = staff_user(request)
    group = access_group(user, group_id)
    member = access_member(user, member_id)
    form = SignatureForm(
        request.POST or None,
        request.FILES or None,
        initial={"signed_on": timezone.localdate(), "typed_name": "", "method": "in_person"},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["scan"]
        scan = upload.read(actions.MAX_SCAN_BYTES + 1) if upload else None
        signed_on = data["signed_on"]
        when = None
        if signed_on and signed_on != timezone.localdate():
            when = timezone.make_aware(datetime.datetime.combine(signed_on, datetime.time(12, 0)))
        try:
            actions.record_signature(
                group,
                member,
                typed_name=data["typed_name"],
                method=data["method"],
                acting_user=user,
                scan=scan,
                declared_type=getattr(upload, "content_type", "") if upload else "",
                guardian_name=data["guardian_name"],
                minor_assent=data["minor_assent"],
                signed_at=when,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Signature of {member.display_name} recorded.")
            return redirect("agreement", group_id=group.id)
    if request.method == "GET":
        record_view(user=user, practice_id=member.practice_id, obj=member, member_id=member.id)
    return render(
        request,
        "web/agreement_signature.html",
        {
            "group": group,
            "member": member,
            "form": form,
            "current": selectors.current_version(group),
        },
        status=400 if form.errors else 200,
    )


@require_POST
@login_required
def agreement_withdraw(
    request: HttpRequest, group_id: uuid.UUID, member_id: uuid.UUID
) -> HttpResponse:
    user = staff_user(request)
    group = access_group(user, group_id)
    member = access_member(user, member_id)
    form = WithdrawForm(request.POST)
    form.is_valid()
    try:
        actions.withdraw_consent(
            group, member, reason=form.cleaned_data.get("reason", ""), acting_user=user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Consent withdrawal of {member.display_name} recorded.")
    return redirect("agreement", group_id=group.id)


@require_POST
@login_required
def agreement_revisit(request: HttpRequest, group_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    group = access_group(user, group_id)
    form = RevisitForm(request.POST)
    if form.is_valid():
        try:
            actions.record_revisit(group, acting_user=user, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, "Recorded: you re-explained the limits of confidentiality to the group."
            )
    else:
        messages.error(request, "Give the date you re-explained the limits.")
    return redirect("agreement", group_id=group.id)


@require_GET
@login_required
def agreement_copy(
    request: HttpRequest, group_id: uuid.UUID, signature_id: uuid.UUID
) -> HttpResponse:
    """The signed copy as a PDF (the same bytes every time)."""
    from groupguard.agreements.copies import signed_copy_pdf

    user = staff_user(request)
    group = access_group(user, group_id)
    signature = selectors.access_signature(group, signature_id)
    access_member(user, signature.member_id)  # the same 404 when the member is not theirs
    record_view(
        user=user, practice_id=group.practice_id, obj=signature, member_id=signature.member_id
    )
    response = HttpResponse(signed_copy_pdf(signature), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="agreement-v{signature.version.number}-signed.pdf"'
    )
    return response

"""A member's disclosures: the accounting page and its PDF, and revoking an authorization."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from groupguard.agreements.actions import MAX_SCAN_BYTES
from groupguard.audit.reads import record_view
from groupguard.core import pdf
from groupguard.disclosures import actions, selectors
from groupguard.practice.access import access_member
from groupguard.web.forms import apply_errors
from groupguard.web.views.common import login_required, staff_user
from groupguard.web.views.disclosure_forms import AuthorizationForm


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

from __future__ import annotations

from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_safe

from groupguard.agreements import selectors as agreement_selectors
from groupguard.audit.reads import record_view
from groupguard.contacts import selectors as contact_selectors
from groupguard.evidence import selectors as complaint_selectors
from groupguard.practice import selectors
from groupguard.web.views.common import login_required, staff_user


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    page = selectors.groups_for_dashboard(user=user, page=request.GET.get("page", 1))
    groups = list(page.object_list)
    sessions = selectors.upcoming_sessions(user=user)
    consent = agreement_selectors.dashboard_summaries(groups)
    # "Today" is the practice's, as for every date a page shows.
    conflicts = agreement_selectors.role_conflicts(
        groups, user.practice.today() if user.practice else None
    )
    rows = [(g, consent[g.id]) for g in groups]
    promises = contact_selectors.open_promises(user)
    awaiting = contact_selectors.referrals_awaiting(user)
    unanswered = contact_selectors.unanswered_contacts(user)
    complaints = (
        complaint_selectors.deadlines_soon(user, user.practice.today()) if user.practice else []
    )
    if user.practice_id is not None and (
        promises or awaiting or unanswered or complaints or conflicts
    ):
        # The reminders name members (open promises, unanswered referrals, contacts whose
        # request is not answered, complaints due): one entry for the page with how many of
        # each, as for a list.
        record_view(
            user=user,
            practice_id=user.practice_id,
            action="dashboard.view",
            object_type="dashboard",
            detail={
                "promises": len(promises),
                "referrals": len(awaiting),
                "unanswered_contacts": len(unanswered),
                "complaints": len(complaints),
                "role_conflicts": len(conflicts),
            },
        )
    return render(
        request,
        "web/dashboard.html",
        {
            "rows": rows,
            "page": page,
            "sessions": sessions,
            "practice": user.practice,
            "promises": promises,
            "awaiting": awaiting,
            "unanswered": unanswered,
            "complaints": complaints,
            "conflicts": conflicts,
        },
    )


@require_safe  # GET or HEAD: load balancers' health checks use either
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """Pages name their icon; browsers that ask for /favicon.ico anyway (the admin's pages
    have no icon link, older Safari ignores SVG icons) are sent to it."""
    return redirect(staticfiles_storage.url("web/icon.svg"))

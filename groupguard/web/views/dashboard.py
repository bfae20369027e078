from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from groupguard.practice import selectors
from groupguard.web.views.common import login_required, staff_user


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    groups = selectors.groups_for_dashboard(user=user)
    sessions = selectors.upcoming_sessions(user=user)
    return render(
        request,
        "web/dashboard.html",
        {"groups": groups, "sessions": sessions, "practice": user.practice},
    )


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")

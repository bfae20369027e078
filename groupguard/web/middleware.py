from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone


class NoStoreMiddleware:
    """Pages and API answers may hold PHI: no browser or proxy cache may keep them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/static/"):
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
        return response


class PracticeTimezoneMiddleware:
    """Show and read times in the practice's time zone (stored times stay in UTC)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        practice = (
            getattr(user, "practice", None) if getattr(user, "is_authenticated", False) else None
        )
        if practice is not None:
            timezone.activate(zoneinfo.ZoneInfo(practice.timezone))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

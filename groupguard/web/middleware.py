from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
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


def activate_practice_timezone(user: object) -> None:
    """Make the user's practice's zone the current one for this request, so dates such as
    "today" are the practice's. The middleware undoes it when the request ends."""
    practice = getattr(user, "practice", None) if getattr(user, "is_authenticated", False) else None
    if practice is not None:
        timezone.activate(zoneinfo.ZoneInfo(practice.timezone))


class PracticeTimezoneMiddleware:
    """Show and read times in the practice's time zone (stored times stay in UTC). API calls
    with a token are signed in only by the API's auth, which calls activate_practice_timezone
    too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        activate_practice_timezone(getattr(request, "user", None))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class OperatorAdminMiddleware:
    """The Django admin is the site operators' read-only window (``core.admin``), not part of
    the product: a signed-in practice user who is not an operator gets the product's own "not
    found" there, not the admin's sign-in page saying they are not authorised."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            request.path.startswith("/admin/")
            and user is not None
            and user.is_authenticated
            and not user.is_staff
        ):
            raise Http404("not found")
        return self.get_response(request)

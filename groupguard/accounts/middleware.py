"""Sign-in rules applied to every request: the session time limits, two-step sign-in, and a
new password after a reset."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from groupguard.accounts import mfa, sessions
from groupguard.accounts.models import User

View = Callable[..., HttpResponse]


def passive(view: View) -> View:
    """Mark a view whose requests do not count as activity (the session-timer check)."""
    view.passive_session = True  # type: ignore[attr-defined]
    return view


class SessionLimitsMiddleware:
    """End a signed-in session past its idle or absolute limit (accounts.sessions), and
    restart the idle timer on activity, at most once a minute so a page view is not a
    database write."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        if sessions.is_signed_in(session) and sessions.time_left(session).expired:
            session.flush()
            request.user = AnonymousUser()
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: View, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if sessions.is_signed_in(request.session) and not getattr(view, "passive_session", False):
            sessions.touch(request.session)
        return None


# What a signed-in session that has not given its code yet may reach. Everything else is
# refused (deny by default), so a new page needs nothing to be protected. Members' signing
# links are public and guarded by their token; setting up an authenticator checks its own
# rules (mfa_setup); the session timer and the API answer 401 themselves (api.auth).
ALLOWED_BEFORE_CODE = frozenset(
    {
        "login",
        "logout",
        "healthz",
        "mfa_verify",
        "mfa_setup",
        "session_status",
        "sign_start",
        "sign_read",
        "sign_finish",
    }
)


# What a signed-in session whose user must choose a new password (after a reset by an admin
# or an operator: User.must_change_password) may reach besides: the page to choose it.
ALLOWED_BEFORE_NEW_PASSWORD = ALLOWED_BEFORE_CODE | {"account_security"}


class MfaRequiredMiddleware:
    """Send a session that has only given its password to the code step (or, without an
    authenticator yet, to setting one up) before any other page; then, when the password was
    reset, to choosing a new one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: View, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        user = request.user
        if not isinstance(user, User):
            return None
        match = request.resolver_match
        if match is None or "api" in match.namespaces:
            return None
        if not mfa.is_verified(request):
            if match.url_name in ALLOWED_BEFORE_CODE:
                return None
            step = "mfa_verify" if mfa.has_authenticator(user) else "mfa_setup"
            return _send_to(request, reverse(step), htmx_status=401, with_next=True)
        if user.must_change_password and match.url_name not in ALLOWED_BEFORE_NEW_PASSWORD:
            # No ?next=: the account page stays put after the change, and every page is open.
            return _send_to(request, reverse("account_security"), htmx_status=403)
        return None


def _send_to(
    request: HttpRequest, target: str, *, htmx_status: int, with_next: bool = False
) -> HttpResponse:
    if request.headers.get("HX-Request") == "true":
        # htmx would swap the whole page into a fragment: make it navigate instead.
        response = HttpResponse(status=htmx_status)
        response["HX-Redirect"] = target
        return response
    if with_next and request.method == "GET":
        target += "?next=" + quote(request.get_full_path(), safe="/")
    return HttpResponseRedirect(target)

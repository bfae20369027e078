"""Response headers Django does not set, and the sign-in lockout at the door.

Django's own middleware sends the rest: HSTS, X-Content-Type-Options, Referrer-Policy and
Cross-Origin-Opener-Policy (``SecurityMiddleware``), X-Frame-Options (``XFrameOptionsMiddleware``),
and ``web.middleware.NoStoreMiddleware`` keeps pages with PHI out of caches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from groupguard.audit.middleware import client_ip
from groupguard.lockout.selectors import lockout_for

# No inline script or style anywhere: an injected <script> or style attribute does nothing.
# Templates keep their CSS in web/app.css and their code in static .js files; htmx is told
# not to add its indicator <style> (includeIndicatorStyles: false in web/base.html).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
# Nothing in groupguard needs these browser features; a page that asks is not ours.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)

# Views whose POST checks a password: refused while the name is locked out (see lockout).
PASSWORD_VIEWS = frozenset({"login", "admin:login"})


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response.

    Listed before WhiteNoise so static files carry them too. A view that needs another policy
    sets the header itself; it is not replaced.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


def refuse_if_locked_out(request: HttpRequest, username: str) -> HttpResponse | None:
    """The 429 page if sign-in as ``username`` from this client is locked out, else None.

    Call it before checking a password or a second-factor code. Count a wrong one by sending
    ``django.contrib.auth.signals.user_login_failed`` with ``credentials={"username": ...}``
    and the request (``authenticate()`` does this for passwords).
    """
    lockout = lockout_for(username=username, client=client_ip(request))
    if lockout is None:
        return None
    response = render(request, "429.html", {"minutes": lockout.minutes_left()}, status=429)
    response["Retry-After"] = str(lockout.seconds_left())
    return response


class LoginThrottleMiddleware:
    """Refuse a password POST to the login views while its user name is locked out."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        match = request.resolver_match
        if request.method != "POST" or match is None or match.view_name not in PASSWORD_VIEWS:
            return None
        return refuse_if_locked_out(request, request.POST.get("username", ""))

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

import groupguard
from groupguard.accounts import mfa, sessions


def site(request: HttpRequest) -> dict[str, Any]:
    context: dict[str, Any] = {
        "demo_mode": settings.DEMO_MODE,
        "version": groupguard.__version__,
        "session_limits": {
            "idle": _duration(sessions.idle_limit()),
            "absolute": _duration(sessions.absolute_limit()),
        },
    }
    if settings.DEMO_MODE:
        from groupguard.accounts.demo_accounts import DEMO_TOTP_SECRET

        context["demo_totp_secret"] = DEMO_TOTP_SECRET
    session = getattr(request, "session", None)
    if session is not None and mfa.is_verified(request):
        context["signed_in"] = True
        # Read by web/static/web/session-timeout.js, which warns before the idle limit.
        left = sessions.time_left(session)
        context["session_timer"] = {
            "idle_left": max(left.idle, 0),
            "absolute_left": max(left.absolute, 0),
            "idle_limit": sessions.idle_limit(),
            "warn_before": min(sessions.WARN_BEFORE, sessions.idle_limit() // 2),
        }
    return context


def _duration(seconds: int) -> str:
    """12 hours, 15 minutes, 90 seconds: the largest whole unit."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"

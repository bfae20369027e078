from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from groupguard.accounts.actions import authenticate_token
from groupguard.accounts.mfa import is_verified
from groupguard.accounts.models import User
from groupguard.web.middleware import activate_practice_timezone


class TokenAuth(HttpBearer):
    """``Authorization: Bearer gg_…`` with a token from Account → API tokens."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = authenticate_token(token)
        if user is None:
            return None
        request.user = user
        activate_practice_timezone(user)  # "today" is the practice's, as on its pages
        return user


class SessionAuth(APIKeyCookie):
    """The browser session, for the web UI's own calls (CSRF-checked). Only a session that
    went through both steps of sign-in counts: one that gave only its password gets 401."""

    param_name = "sessionid"

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest) -> str | None:
        # Without a signed-in session there is nothing for CSRF to protect: answer 401 like
        # any other missing credential, rather than a 403 about a token the caller never had.
        if not is_verified(request):  # password-only sessions too: 401, not a CSRF 403
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        # A session told to choose a new password (an admin's reset) reaches only the page
        # for that, not the API behind the pages.
        if is_verified(request) and not getattr(request.user, "must_change_password", False):
            return request.user
        return None


def staff_of(request: HttpRequest) -> User:
    """The staff user an authenticated API call runs as (every handler starts here); a user
    outside any practice is "not found", like a row they may not see."""
    user = request.auth  # type: ignore[attr-defined]
    if not isinstance(user, User) or user.practice_id is None:
        raise Http404("not found")
    return user

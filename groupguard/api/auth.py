from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from groupguard.accounts.actions import authenticate_token


class TokenAuth(HttpBearer):
    """``Authorization: Bearer gg_…`` with a token from Account → API tokens."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = authenticate_token(token)
        if user is None:
            return None
        request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The browser session, for the web UI's own calls (CSRF-checked)."""

    param_name = "sessionid"

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None

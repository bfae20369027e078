from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest

from groupguard.accounts.models import User


def staff_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101  (login_required ran first)
    return user


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


__all__: list[Any] = ["login_required", "staff_user", "is_htmx"]

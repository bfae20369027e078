"""Every failed ``authenticate()`` with a request counts towards a lockout; a sign-in clears.

Django sends ``user_login_failed`` for the login page and the admin's login; a second-factor
step counts its wrong codes by sending the same signal (see ``groupguard.web.security``).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from groupguard.audit.middleware import client_ip
from groupguard.lockout import actions


@receiver(user_login_failed)
def _count_failure(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    # No request: a script or a test called authenticate() directly, not someone at the door.
    if request is None:
        return
    username = str(credentials.get(get_user_model().USERNAME_FIELD) or "")
    if username:
        actions.record_failure(username=username, client=client_ip(request))


@receiver(user_logged_in)
def _clear_failures(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None:
        actions.clear_failures(username=user.get_username(), client=client_ip(request))

"""Authentication events go into the audit log of the user's practice (or the site log); a
sign-in also starts the session's clock (accounts.sessions)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver

from groupguard.accounts import sessions
from groupguard.accounts.usernames import normalize_username
from groupguard.audit.log import Actor, record


@receiver(user_logged_in)
def _on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        sessions.start_clock(request.session)  # the idle and absolute limits count from here
    with transaction.atomic():
        record(practice_id=user.practice_id, actor=Actor.user(user), action="auth.login", obj=user)


@receiver(user_logged_out)
def _on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    with transaction.atomic():
        record(practice_id=user.practice_id, actor=Actor.user(user), action="auth.logout", obj=user)


@receiver(user_login_failed)
def _on_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    from groupguard.accounts.models import User

    username = normalize_username(str(credentials.get("username", "")))[:150]
    user = User.objects.filter(username=username).only("id", "practice_id").first()
    with transaction.atomic():
        # The attempted name is not recorded when no such user exists: it may be a password
        # typed into the wrong box.
        record(
            practice_id=user.practice_id if user else None,
            actor=Actor("anonymous"),
            action="auth.login_failed",
            object_type="user",
            object_id=str(user.pk) if user else "",
            severity="high" if user else "info",
        )

"""Authentication events go into the audit log of the user's practice (or the site log); a
sign-in also starts the session's clock (accounts.sessions)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver

from groupguard.accounts import sessions
from groupguard.audit.log import Actor, record
from groupguard.core.usernames import normalize_username


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


def _refuse_a_plain_secret(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Authenticator secrets are kept sealed (accounts.models.TOTPSeed). django-otp makes up a
    secret for its key column when none is given, so a device created anywhere but through
    accounts.mfa.new_authenticator would keep one in plain text: refuse it."""
    if instance.key:
        raise ValueError(
            "an authenticator's secret is kept sealed, never in TOTPDevice.key: create devices "
            "with accounts.mfa.new_authenticator"
        )


def _connect_device_guard() -> None:
    from django.db.models.signals import pre_save
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from groupguard.accounts.models import Authenticator

    # A proxy sends signals as itself, not as the model it stands for: connect both.
    for model in (TOTPDevice, Authenticator):
        pre_save.connect(
            _refuse_a_plain_secret, sender=model, dispatch_uid=f"sealed-seed-{model._meta.label}"
        )


_connect_device_guard()

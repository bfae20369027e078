"""Counting failed sign-ins and forgetting them after a success."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from groupguard.audit.log import Actor, record
from groupguard.core.usernames import normalize_username
from groupguard.lockout.models import LoginFailure
from groupguard.lockout.selectors import Lockout, account_key, lockout_for, window


@transaction.atomic
def record_failure(*, username: str, client: str | None) -> Lockout | None:
    """Count one failed sign-in step; return the lockout it leaves in force, if any.

    The failure that starts a lockout goes into the audit log (of the user's practice when the
    name is a user's), as the failure itself already does through ``user_login_failed``.
    """
    now = timezone.now()
    LoginFailure.objects.filter(failed_at__lte=now - window()).delete()
    before = lockout_for(username=username, client=client, now=now)
    LoginFailure.objects.create(account=account_key(username), client=client or "", failed_at=now)
    after = lockout_for(username=username, client=client, now=now)
    if after is not None and (before is None or before.scope != after.scope):
        user = (
            get_user_model()
            .objects.filter(username=normalize_username(username)[:150])
            .only("id", "practice_id")
            .first()
        )
        record(
            practice_id=getattr(user, "practice_id", None),
            actor=Actor("anonymous"),
            action="auth.lockout",
            object_type="user",
            object_id=str(user.pk) if user else "",
            severity="high" if user else "info",
            detail={"scope": after.scope, "minutes": after.minutes_left(now)},
        )
    return after


def clear_failures(*, username: str, client: str | None) -> None:
    """After a successful sign-in: forget this name's failures from this address.

    The account counter is left to age out, so a guesser spread over many addresses cannot
    reset it by waiting for the real user to sign in.
    """
    LoginFailure.objects.filter(account=account_key(username), client=client or "").delete()

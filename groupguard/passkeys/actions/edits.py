"""Renaming and removing a passkey (removing one ends the user's other sessions)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from groupguard.accounts.models import User
from groupguard.accounts.sessions import end_sessions
from groupguard.audit.log import Actor, record
from groupguard.audit.models import Severity
from groupguard.passkeys.actions.common import clean_name
from groupguard.passkeys.models import Passkey


@transaction.atomic
def rename_passkey(passkey: Passkey, *, name: str, acting_user: User) -> Passkey:
    cleaned = clean_name(name)
    if not cleaned:
        raise ValidationError({"name": "Give the passkey a name, such as the device it is on."})
    if cleaned != passkey.name:
        passkey.name = cleaned
        passkey.save(update_fields=["name"])
        record(
            practice_id=passkey.user.practice_id,
            actor=Actor.user(acting_user),
            action="passkey.rename",
            obj=passkey,
            fields=["name"],
        )
    return passkey


@transaction.atomic
def remove_passkey(passkey: Passkey, *, acting_user: User, keep_session: str | None) -> None:
    """Delete a passkey and end the user's other sessions (one may have been opened with it)."""
    user = passkey.user
    passkey_id = passkey.pk
    passkey.delete()
    ended = end_sessions(user.pk, keep=keep_session)
    record(
        practice_id=user.practice_id,
        actor=Actor.user(acting_user),
        action="passkey.remove",
        object_type="passkey",
        object_id=str(passkey_id),
        severity=Severity.HIGH,
        detail={"user": user.pk, "sessions_ended": ended},
    )


# --- Helpers ------------------------------------------------------------------------------

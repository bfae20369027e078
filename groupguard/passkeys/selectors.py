"""Reading passkeys."""

from __future__ import annotations

import json

from django.db.models import QuerySet

from groupguard.accounts.models import User
from groupguard.passkeys.models import Passkey

# Far above any real answer from an authenticator (a few kilobytes at most), far below what
# would cost anything to parse.
MAX_RESPONSE_CHARS = 64 * 1024


def passkeys_of(*, user: User) -> QuerySet[Passkey]:
    """A user's passkeys, oldest first."""
    return Passkey.objects.filter(user=user, confirmed=True).order_by("created_at", "id")


def has_passkey(*, user: User) -> bool:
    return bool(passkeys_of(user=user).exists())


def passkey_of(*, user: User, passkey_id: int) -> Passkey | None:
    """One of the user's passkeys; None for another user's, as for one that does not exist."""
    return passkeys_of(user=user).filter(pk=passkey_id).first()


def credential_id_in(response: str) -> str | None:
    """The credential id an authenticator's answer (JSON text) claims, unchecked."""
    if len(response) > MAX_RESPONSE_CHARS:
        return None
    try:
        data = json.loads(response)
    except ValueError:
        return None
    raw_id = data.get("rawId") if isinstance(data, dict) else None
    return raw_id if isinstance(raw_id, str) and 0 < len(raw_id) <= 1400 else None


def claimed_passkey(response: str) -> Passkey | None:
    """The passkey an answer claims to come from, with its user: to check that user's lockout
    before the signature is checked. Claims nothing about the answer being genuine."""
    credential_id = credential_id_in(response)
    if credential_id is None:
        return None
    return (
        Passkey.objects.filter(credential_id=credential_id, confirmed=True)
        .select_related("user")
        .first()
    )

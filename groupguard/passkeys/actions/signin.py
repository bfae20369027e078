"""Signing in with a passkey (authentication): as the second step after a password, or
without a password. A failure counts towards the user's sign-in lockout."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.utils import timezone
from webauthn import (
    generate_authentication_options,
    options_to_json,
    verify_authentication_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_authentication_credential_json,
)
from webauthn.helpers.structs import AuthenticationCredential, UserVerificationRequirement

from groupguard.accounts import mfa
from groupguard.accounts.backends import PracticeBackend
from groupguard.accounts.models import User
from groupguard.audit.log import Actor, record
from groupguard.audit.models import Severity
from groupguard.passkeys import selectors
from groupguard.passkeys.actions.common import MALFORMED, descriptor
from groupguard.passkeys.models import Passkey
from groupguard.passkeys.relying_party import RelyingParty
from groupguard.passkeys.session import (
    CEREMONY_TIMEOUT_MS,
    Challenge,
    Purpose,
    keep,
    new_expiry,
    take,
)


def begin_authentication(user: User | None, *, session: SessionBase, rp: RelyingParty) -> str:
    """Options for ``navigator.credentials.get()``, as JSON.

    With a ``user`` (who has given their password): the second step, with that user's
    passkeys named. Without one: sign-in without a password, where the authenticator offers
    the passkeys it keeps for us and must check who holds it (user verification).
    """
    purpose: Purpose = "passwordless" if user is None else "second_step"
    options = generate_authentication_options(
        rp_id=rp.id,
        timeout=CEREMONY_TIMEOUT_MS,
        allow_credentials=(
            [] if user is None else [descriptor(p) for p in selectors.passkeys_of(user=user)]
        ),
        user_verification=(
            UserVerificationRequirement.REQUIRED
            if user is None
            else UserVerificationRequirement.PREFERRED
        ),
    )
    keep(
        session,
        Challenge(
            purpose=purpose,
            value=bytes_to_base64url(options.challenge),
            user_id=None if user is None else user.pk,
            rp=rp,
            expires=new_expiry(),
        ),
    )
    return str(options_to_json(options))


@dataclass(frozen=True)
class SignIn:
    """The outcome of checking a passkey's answer: the passkey that signed, or why none did.

    ``user`` is whom the attempt was for, when known (the signed-in user at the second step,
    the owner of the claimed passkey without a password): a failure counts towards that
    user's sign-in lockout.
    """

    passkey: Passkey | None
    user: User | None
    reason: str = ""  # expired | malformed | unknown | invalid | not_allowed | no_authenticator

    @property
    def ok(self) -> bool:
        return self.passkey is not None


def finish_authentication(
    response: str, *, session: SessionBase, user: User | None = None
) -> SignIn:
    """Check an answer to ``begin_authentication`` (with the same ``user``, or None).

    On success the passkey's sign count and last use are updated; the caller then marks the
    session (``accounts.mfa.mark_verified``, after ``django.contrib.auth.login`` without a
    password). Success and failure are both audited, as ``auth.mfa`` and ``auth.mfa_failed``
    with ``method: passkey``, like a code.
    """
    passwordless = user is None
    challenge = take(session, "passwordless" if passwordless else "second_step")
    with transaction.atomic():
        passkey: Passkey | None = None
        try:
            credential = _authentication_credential(response)
        except MALFORMED:
            return _refused(user, None, "malformed", passwordless)
        found = (
            Passkey.objects.select_for_update()
            .select_related("user")
            .filter(credential_id=credential.id, confirmed=True)
            .first()
        )
        # At the second step, only the signed-in user's own passkeys count.
        if found is not None and (user is None or found.user_id == user.pk):
            passkey = found
        if passkey is None:
            return _refused(user, None, "unknown", passwordless)
        owner = passkey.user
        expected_user = None if user is None else user.pk
        if challenge is None or challenge.expired or challenge.user_id != expected_user:
            return _refused(owner, passkey, "expired", passwordless)
        try:
            verified = verify_authentication_response(
                credential=credential,
                expected_challenge=base64url_to_bytes(challenge.value),
                expected_rp_id=challenge.rp.id,
                expected_origin=challenge.rp.origin,
                credential_public_key=bytes(passkey.public_key),
                credential_current_sign_count=passkey.sign_count,
                require_user_verification=passwordless,
            )
        except MALFORMED:
            return _refused(owner, passkey, "invalid", passwordless)
        if passwordless:
            # The authenticator names the account it keeps the key for: it must be this one.
            handle = credential.response.user_handle
            if handle is None or bytes_to_base64url(handle) != passkey.user_handle:
                return _refused(owner, passkey, "invalid", passwordless)
            # The password step's rules: active, and no demo account outside demo mode. And
            # a code remains the way back in: an account whose authenticator app was reset
            # (a lost phone) sets up a new one first, with its password.
            if not PracticeBackend().user_can_authenticate(passkey.user):
                return _refused(owner, passkey, "not_allowed", passwordless)
            if not mfa.has_authenticator(passkey.user):
                return _refused(owner, passkey, "no_authenticator", passwordless)
        passkey.sign_count = verified.new_sign_count
        passkey.backed_up = verified.credential_backed_up
        passkey.last_used_at = timezone.now()
        passkey.save(update_fields=["sign_count", "backed_up", "last_used_at"])
        record(
            practice_id=passkey.user.practice_id,
            actor=Actor.user(passkey.user),
            action="auth.mfa",
            obj=passkey.user,
            detail={"method": "passkey", "passkey": passkey.pk, "passwordless": passwordless},
        )
    return SignIn(passkey, passkey.user)


def _refused(user: User | None, passkey: Passkey | None, reason: str, passwordless: bool) -> SignIn:
    detail: dict[str, Any] = {"method": "passkey", "reason": reason, "passwordless": passwordless}
    if passkey is not None:
        detail["passkey"] = passkey.pk
    record(
        practice_id=user.practice_id if user else None,
        actor=Actor("anonymous") if passwordless or user is None else Actor.user(user),
        action="auth.mfa_failed",
        object_type="user",
        object_id=str(user.pk) if user else "",
        # Unknown keys tried without a password name nobody: the site log, like a wrong
        # password for a user name that does not exist.
        severity=Severity.HIGH if user else Severity.INFO,
        detail=detail,
    )
    return SignIn(None, user, reason)


# --- Naming and removing ------------------------------------------------------------------


def _authentication_credential(response: str) -> AuthenticationCredential:
    if len(response) > selectors.MAX_RESPONSE_CHARS:
        raise ValueError("answer too long")
    credential = parse_authentication_credential_json(response)
    if bytes_to_base64url(credential.raw_id) != credential.id:
        raise ValueError("id and rawId differ")
    return credential

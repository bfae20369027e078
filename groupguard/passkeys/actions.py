"""Writes of passkeys: making one, signing in with one, renaming and removing one.

Making a passkey (*registration*) and signing in with one (*authentication*) each take two
requests: ``begin_*`` gives the browser options with a new challenge, kept in the session
(``passkeys.session``), and ``finish_*`` checks the authenticator's answer against it. Only a
finish changes records, and it writes its audit entry in the same transaction. A begin
writes nothing but the session, so it is not audited (anyone may ask for a sign-in
challenge).

Like every change to how a user signs in (``accounts.actions``), making or removing a passkey
ends the user's other sessions.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_authentication_credential_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticationCredential,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    RegistrationCredential,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)
from webauthn.registration.verify_registration_response import VerifiedRegistration

from groupguard.accounts import mfa
from groupguard.accounts.backends import PracticeBackend
from groupguard.accounts.models import User
from groupguard.accounts.sessions import end_sessions
from groupguard.audit.log import Actor, record
from groupguard.audit.models import Severity
from groupguard.passkeys import selectors
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

NAME_MAX = 64
NO_AAGUID = "00000000-0000-0000-0000-000000000000"
# What a malformed answer can raise beyond the library's own errors (cbor, base64, lookups).
_MALFORMED = (WebAuthnException, ValueError, TypeError, KeyError, IndexError)


# --- Registration -------------------------------------------------------------------------


def begin_registration(user: User, *, session: SessionBase, rp: RelyingParty) -> str:
    """Options for ``navigator.credentials.create()``, as JSON.

    Every passkey must be able to sign in on its own, so it must be *discoverable* (kept with
    the account on the authenticator) and the authenticator must check who holds it (a PIN,
    a fingerprint, a face). No attestation is asked for: we do not vet authenticators by
    maker, and asking would tell us which device each person uses.
    """
    existing = list(selectors.passkeys_of(user=user))
    # One WebAuthn user id per account, so an authenticator keeps one passkey per account
    # for us, not one per registration. 32 random bytes: nothing about the person.
    handle = existing[0].user_handle if existing else bytes_to_base64url(secrets.token_bytes(32))
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_name=user.get_username(),
        user_id=base64url_to_bytes(handle),
        user_display_name=user.display_name or user.get_username(),
        timeout=CEREMONY_TIMEOUT_MS,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[_descriptor(passkey) for passkey in existing],
    )
    keep(
        session,
        Challenge(
            purpose="register",
            value=bytes_to_base64url(options.challenge),
            user_id=user.pk,
            rp=rp,
            expires=new_expiry(),
            user_handle=handle,
        ),
    )
    return str(options_to_json(options))


def finish_registration(
    user: User,
    response: str,
    *,
    name: str,
    session: SessionBase,
    acting_user: User,
    keep_session: str | None,
) -> Passkey:
    """Check the authenticator's answer to ``begin_registration`` and keep the new passkey.

    Raises ``ValidationError`` (nothing stored) when the challenge is missing, spent, expired
    or another user's, or when the answer does not check out.
    """
    name = _clean_name(name) or f"Passkey {selectors.passkeys_of(user=user).count() + 1}"
    challenge = take(session, "register")
    if challenge is None or challenge.expired or challenge.user_id != user.pk:
        raise ValidationError("That request to make a passkey has expired. Try again.")
    try:
        credential = _registration_credential(response)
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge.value),
            expected_rp_id=challenge.rp.id,
            expected_origin=challenge.rp.origin,
            require_user_verification=True,
        )
    except _MALFORMED as exc:
        raise ValidationError(
            "Your device's answer could not be checked, so no passkey was added. Try again."
        ) from exc
    credential_id = bytes_to_base64url(verified.credential_id)
    if Passkey.objects.filter(credential_id=credential_id).exists():
        raise ValidationError("That passkey is already set up.")
    try:
        return _keep_passkey(
            user,
            credential,
            verified,
            name=name,
            challenge=challenge,
            acting_user=acting_user,
            keep_session=keep_session,
        )
    except IntegrityError as exc:  # the same passkey sent twice at once
        raise ValidationError("That passkey is already set up.") from exc


@transaction.atomic
def _keep_passkey(
    user: User,
    credential: RegistrationCredential,
    verified: VerifiedRegistration,
    *,
    name: str,
    challenge: Challenge,
    acting_user: User,
    keep_session: str | None,
) -> Passkey:
    passkey = Passkey.objects.create(
        user=user,
        name=name,
        confirmed=True,
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=[t.value for t in credential.response.transports or []],
        aaguid="" if verified.aaguid == NO_AAGUID else verified.aaguid,
        user_handle=challenge.user_handle,
        backup_eligible=verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
        backed_up=verified.credential_backed_up,
    )
    ended = end_sessions(user.pk, keep=keep_session)
    # High: a new key to the account, worth a look (a stolen session could add one).
    record(
        practice_id=user.practice_id,
        actor=Actor.user(acting_user),
        action="passkey.enrol",
        obj=passkey,
        severity=Severity.HIGH,
        detail={
            "user": user.pk,
            "backed_up": passkey.backed_up,
            "aaguid": passkey.aaguid,
            "sessions_ended": ended,
        },
    )
    return passkey


# --- Authentication -----------------------------------------------------------------------


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
            [] if user is None else [_descriptor(p) for p in selectors.passkeys_of(user=user)]
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
        except _MALFORMED:
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
        except _MALFORMED:
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


@transaction.atomic
def rename_passkey(passkey: Passkey, *, name: str, acting_user: User) -> Passkey:
    cleaned = _clean_name(name)
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


def _clean_name(name: str) -> str:
    return " ".join(name.split())[:NAME_MAX]


def _descriptor(passkey: Passkey) -> PublicKeyCredentialDescriptor:
    transports = []
    for value in passkey.transports:
        try:
            transports.append(AuthenticatorTransport(value))
        except ValueError:
            continue  # a transport newer than this library: the browser finds the key anyway
    return PublicKeyCredentialDescriptor(
        id=base64url_to_bytes(passkey.credential_id), transports=transports or None
    )


def _registration_credential(response: str) -> RegistrationCredential:
    if len(response) > selectors.MAX_RESPONSE_CHARS:
        raise ValueError("answer too long")
    return parse_registration_credential_json(response)


def _authentication_credential(response: str) -> AuthenticationCredential:
    if len(response) > selectors.MAX_RESPONSE_CHARS:
        raise ValueError("answer too long")
    credential = parse_authentication_credential_json(response)
    if bytes_to_base64url(credential.raw_id) != credential.id:
        raise ValueError("id and rawId differ")
    return credential

"""Making a passkey (registration): the options with a new challenge, then the authenticator's
answer checked against it and the passkey kept."""

from __future__ import annotations

import secrets

from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from webauthn import generate_registration_options, options_to_json, verify_registration_response
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_registration_credential_json,
)
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    CredentialDeviceType,
    RegistrationCredential,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)
from webauthn.registration.verify_registration_response import VerifiedRegistration

from groupguard.accounts.models import User
from groupguard.accounts.sessions import end_sessions
from groupguard.audit.log import Actor, record
from groupguard.audit.models import Severity
from groupguard.passkeys import selectors
from groupguard.passkeys.actions.common import MALFORMED, NO_AAGUID, clean_name, descriptor
from groupguard.passkeys.models import Passkey
from groupguard.passkeys.relying_party import RelyingParty
from groupguard.passkeys.session import CEREMONY_TIMEOUT_MS, Challenge, keep, new_expiry, take


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
        exclude_credentials=[descriptor(passkey) for passkey in existing],
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
    name = clean_name(name) or f"Passkey {selectors.passkeys_of(user=user).count() + 1}"
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
    except MALFORMED as exc:
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


def _registration_credential(response: str) -> RegistrationCredential:
    if len(response) > selectors.MAX_RESPONSE_CHARS:
        raise ValueError("answer too long")
    return parse_registration_credential_json(response)

"""What the passkey actions share: limits, the errors a malformed answer raises, a passkey's
name and its descriptor for the browser."""

from __future__ import annotations

from webauthn.helpers import base64url_to_bytes
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import AuthenticatorTransport, PublicKeyCredentialDescriptor

from groupguard.passkeys.models import Passkey

NAME_MAX = 64
NO_AAGUID = "00000000-0000-0000-0000-000000000000"
# What a malformed answer can raise beyond the library's own errors (cbor, base64, lookups).
MALFORMED = (WebAuthnException, ValueError, TypeError, KeyError, IndexError)


def clean_name(name: str) -> str:
    return " ".join(name.split())[:NAME_MAX]


def descriptor(passkey: Passkey) -> PublicKeyCredentialDescriptor:
    transports = []
    for value in passkey.transports:
        try:
            transports.append(AuthenticatorTransport(value))
        except ValueError:
            continue  # a transport newer than this library: the browser finds the key anyway
    return PublicKeyCredentialDescriptor(
        id=base64url_to_bytes(passkey.credential_id), transports=transports or None
    )

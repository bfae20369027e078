"""A software authenticator: a real P-256 key pair giving real WebAuthn answers, for tests.

py_webauthn checks answers but cannot make them. This makes them the way an authenticator and
a browser do together, byte for byte: *authenticatorData* (the SHA-256 of the relying-party
id, the flags, the sign count and, at registration, the credential id with its COSE public
key), *clientDataJSON* (the ceremony's type, the challenge and the page's origin) and, for a
sign-in, an ECDSA P-256 / SHA-256 signature over authenticatorData ‖ SHA-256(clientDataJSON).
Nothing is mocked: the product checks these bytes exactly as it checks a browser's.

Registration uses the "none" attestation format, which is what groupguard asks for.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import struct
import uuid
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.contrib.sessions.backends.db import SessionStore
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.encode_cbor import encode_cbor

from groupguard.accounts.models import User
from groupguard.passkeys import actions
from groupguard.passkeys.models import Passkey
from groupguard.passkeys.relying_party import RelyingParty

# Django's test client asks for http://testserver/…: the relying party it makes.
TEST_RP = RelyingParty(id="testserver", origin="http://testserver", name="groupguard")
AAGUID = uuid.UUID("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@dataclass
class SoftAuthenticator:
    """One credential on one authenticator. ``counter_step`` 0 is a syncing authenticator
    (its sign count stays 0); ``backed_up`` sets the backup flags."""

    key: ec.EllipticCurvePrivateKey = field(default_factory=_new_key)
    credential_id: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    sign_count: int = 0
    counter_step: int = 1
    backed_up: bool = False
    user_handle: bytes | None = None

    # -- registration -----------------------------------------------------------------------

    def create(
        self,
        options_json: str,
        *,
        origin: str = TEST_RP.origin,
        user_verified: bool = True,
        challenge: str | None = None,
    ) -> str:
        """The answer to ``navigator.credentials.create()`` with these options, as the
        browser's JSON."""
        options = json.loads(options_json)
        self.user_handle = base64url_to_bytes(options["user"]["id"])
        client_data = self._client_data(
            "webauthn.create", challenge or options["challenge"], origin
        )
        auth_data = self._authenticator_data(
            options["rp"]["id"], user_verified=user_verified, attested=True
        )
        attestation = encode_cbor({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return self._answer(
            {
                "clientDataJSON": bytes_to_base64url(client_data),
                "attestationObject": bytes_to_base64url(attestation),
                "transports": ["internal", "hybrid"],
            }
        )

    # -- sign-in ----------------------------------------------------------------------------

    def get(
        self,
        options_json: str,
        *,
        origin: str = TEST_RP.origin,
        rp_id: str | None = None,
        user_verified: bool = True,
        challenge: str | None = None,
        signing_key: ec.EllipticCurvePrivateKey | None = None,
        user_handle: bytes | None = None,
    ) -> str:
        """The answer to ``navigator.credentials.get()``: signed with this credential's key
        (or ``signing_key``, to forge one), the sign count raised first."""
        options = json.loads(options_json)
        self.sign_count += self.counter_step
        auth_data = self._authenticator_data(
            rp_id or options["rpId"], user_verified=user_verified, attested=False
        )
        client_data = self._client_data("webauthn.get", challenge or options["challenge"], origin)
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = (signing_key or self.key).sign(signed, ec.ECDSA(hashes.SHA256()))
        handle = user_handle if user_handle is not None else self.user_handle
        response = {
            "clientDataJSON": bytes_to_base64url(client_data),
            "authenticatorData": bytes_to_base64url(auth_data),
            "signature": bytes_to_base64url(signature),
        }
        if handle is not None:
            response["userHandle"] = bytes_to_base64url(handle)
        return self._answer(response)

    # -- the bytes --------------------------------------------------------------------------

    def _answer(self, response: dict[str, Any]) -> str:
        credential_id = bytes_to_base64url(self.credential_id)
        return json.dumps(
            {
                "id": credential_id,
                "rawId": credential_id,
                "type": "public-key",
                "response": response,
                "clientExtensionResults": {},
                "authenticatorAttachment": "platform",
            }
        )

    @staticmethod
    def _client_data(kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False},
            separators=(",", ":"),
        ).encode()

    def _authenticator_data(self, rp_id: str, *, user_verified: bool, attested: bool) -> bytes:
        flags = UP | (UV if user_verified else 0) | (AT if attested else 0)
        if self.backed_up:
            flags |= BE | BS
        data = hashlib.sha256(rp_id.encode()).digest() + bytes([flags])
        data += struct.pack(">I", self.sign_count)
        if attested:
            data += AAGUID.bytes + struct.pack(">H", len(self.credential_id)) + self.credential_id
            data += encode_cbor(self._cose_public_key())
        return data

    def _cose_public_key(self) -> dict[int, Any]:
        numbers = self.key.public_key().public_numbers()
        return {
            1: 2,  # kty: EC2
            3: -7,  # alg: ES256
            -1: 1,  # crv: P-256
            -2: numbers.x.to_bytes(32, "big"),
            -3: numbers.y.to_bytes(32, "big"),
        }


def enrol(
    user: User,
    authenticator: SoftAuthenticator | None = None,
    *,
    name: str = "test passkey",
    keep_session: str | None = None,
) -> tuple[Passkey, SoftAuthenticator]:
    """A passkey for ``user`` made through the real actions (registration, both halves)."""
    authenticator = authenticator or SoftAuthenticator()
    session = SessionStore()
    options = actions.begin_registration(user, session=session, rp=TEST_RP)
    passkey = actions.finish_registration(
        user,
        authenticator.create(options),
        name=name,
        session=session,
        acting_user=user,
        keep_session=keep_session,
    )
    return passkey, authenticator

"""The practice's public key: read, chosen, and used to check signatures."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from groupguard.evidence.verify.formats import PROOFS, Report


@dataclass
class Key:
    key_id: str
    public: Ed25519PublicKey


def key_id_of(raw: bytes) -> str:
    """The audit key id: the first 16 hex characters of SHA-256 of the raw public key."""
    return hashlib.sha256(raw).hexdigest()[:16]


def _load_key(public_key_b64: str) -> Key:
    raw = base64.b64decode(public_key_b64, validate=True)
    return Key(key_id_of(raw), Ed25519PublicKey.from_public_bytes(raw))


def signature_ok(key: Key, signature_b64: object, body: bytes) -> bool:
    if not isinstance(signature_b64, str):
        return False
    try:
        key.public.verify(base64.b64decode(signature_b64, validate=True), body)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


def choose_key(report: Report, public_key_b64: str | None, proofs: Any) -> Key | None:
    embedded = proofs.get("public_key") if isinstance(proofs, dict) else None
    if public_key_b64 is not None:
        try:
            key = _load_key(public_key_b64)
        except (ValueError, binascii.Error):
            report.fail("the given public key is not a base64 raw Ed25519 public key")
            return None
        if isinstance(embedded, dict) and embedded.get("public_key") != public_key_b64:
            report.warnings.append(
                f"{PROOFS}: embeds public key {embedded.get('key_id')!r}, not the given key "
                f"{key.key_id}; the given key was used"
            )
        return key
    if not isinstance(embedded, dict) or not isinstance(embedded.get("public_key"), str):
        report.fail(
            f"{PROOFS}: no public key was given and none can be read from {PROOFS}, so no "
            "signature can be checked"
        )
        return None
    try:
        key = _load_key(embedded["public_key"])
    except (ValueError, binascii.Error):
        report.fail(f"{PROOFS}: field public_key.public_key is not a base64 Ed25519 key")
        return None
    if embedded.get("key_id") != key.key_id:
        report.fail(
            f"{PROOFS}: field public_key.key_id {embedded.get('key_id')!r} is not the id "
            f"{key.key_id} of the key it names"
        )
    report.warnings.append(
        f"no public key was given: signatures were checked against the key embedded in "
        f"{PROOFS} ({key.key_id}), which was not independently checked; pass --pubkey with "
        "the practice's published key to check who signed"
    )
    return key


def read_public_key(text: str) -> str:
    """The base64 raw public key from ``--pubkey``: the key itself, a file holding it, or the
    JSON that ``groupguard audit pubkey`` prints (``{"key_id", "public_key"}``, also in a file).

    Raises ``ValueError`` when none of those gives a 32-byte key, or the JSON's key id does not
    match its key.
    """
    value = text.strip()
    path = Path(value)
    try:
        if value and path.is_file():
            value = path.read_text(encoding="utf-8").strip()
    except (OSError, ValueError):
        pass  # too long or odd for a file name: it is the key itself
    key_id: object = None
    if value.startswith(("{", '"')):
        try:
            parsed = json.loads(value)
        except ValueError:
            raise ValueError("the public key JSON does not parse") from None
        if isinstance(parsed, dict):
            key_id = parsed.get("key_id")
            parsed = parsed.get("public_key")
        if not isinstance(parsed, str):
            raise ValueError('the public key JSON has no "public_key" string')
        value = parsed.strip()
    try:
        raw = base64.b64decode(value, validate=True)
    except (ValueError, binascii.Error):
        raise ValueError("the public key is not base64") from None
    if len(raw) != 32:
        raise ValueError(f"the public key is {len(raw)} bytes, not the 32 of an Ed25519 key")
    if key_id is not None and key_id != key_id_of(raw):
        raise ValueError(
            f"the public key JSON says key_id {key_id!r}, but the key's id is {key_id_of(raw)}"
        )
    return value

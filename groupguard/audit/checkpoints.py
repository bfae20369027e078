"""Signed checkpoints (tree heads) of the audit log.

A checkpoint is the JSON object ``{"origin", "tree_size", "root_hash", "timestamp", "key_id",
"signature"}``. The signature is Ed25519 over the RFC 8785 bytes of the object without
``signature``, base64-encoded. The key id is the hex SHA-256 of the raw 32-byte public key,
truncated to 16 characters. The private key lives in a PEM file outside the database.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import os
import sys
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from groupguard.audit.jcs import canonicalize
from groupguard.audit.keys import require_audit_key
from groupguard.audit.models import AuditLog, Checkpoint
from groupguard.core.crypto import KeyConfigurationError

_key_cache: dict[str, Ed25519PrivateKey] = {}


def signing_key() -> Ed25519PrivateKey:
    path = Path(settings.GROUPGUARD_AUDIT_KEY_FILE)
    cached = _key_cache.get(str(path))
    if cached is not None:
        return cached
    generating = not path.exists()
    if generating:
        # Only for an empty audit log: a new key would not verify what the old one signed.
        require_audit_key("", generating=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
            print(
                f"groupguard: generated an audit signing key at {path} (mode 0600).",
                file=sys.stderr,
            )
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise KeyConfigurationError(f"{path} does not hold an Ed25519 private key")
    require_audit_key(key_id_for(loaded.public_key()), generating=False)
    _key_cache[str(path)] = loaded
    return loaded


def raw_public_key(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id_for(public: Ed25519PublicKey) -> str:
    return hashlib.sha256(raw_public_key(public)).hexdigest()[:16]


def public_key_info() -> dict[str, str]:
    public = signing_key().public_key()
    return {
        "key_id": key_id_for(public),
        "public_key": base64.b64encode(raw_public_key(public)).decode("ascii"),
    }


def origin_for_name(name: str) -> str:
    return f"{settings.GROUPGUARD_AUDIT_ORIGIN}/{name}"


def origin_for(log: AuditLog) -> str:
    return origin_for_name(log.name)


def signed_body(checkpoint: dict[str, Any]) -> bytes:
    return canonicalize({k: v for k, v in checkpoint.items() if k != "signature"})


def entry_head_body(origin: str, tree_size: int, root: bytes, key_id: str) -> bytes:
    """The bytes an entry head signature covers (distinct from any checkpoint's bytes)."""
    return canonicalize(
        {
            "kind": "entry-head",
            "origin": origin,
            "tree_size": tree_size,
            "root_hash": root.hex(),
            "key_id": key_id,
        }
    )


def sign_entry_head(origin: str, tree_size: int, root: bytes) -> tuple[str, bytes]:
    key = signing_key()
    key_id = key_id_for(key.public_key())
    return key_id, key.sign(entry_head_body(origin, tree_size, root, key_id))


def make_checkpoint(log: AuditLog) -> Checkpoint:
    """Sign the log's current tree head and store it. Runs inside the caller's transaction."""
    from groupguard.audit.log import split_peaks
    from groupguard.audit.merkle import RootBuilder

    with transaction.atomic():
        log = AuditLog.objects.select_for_update().get(pk=log.pk)
        root = RootBuilder(log.size, split_peaks(bytes(log.peaks))).root()
        key = signing_key()
        body: dict[str, Any] = {
            "origin": origin_for(log),
            "tree_size": log.size,
            "root_hash": root.hex(),
            "timestamp": timezone.now().astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "key_id": key_id_for(key.public_key()),
        }
        body["signature"] = base64.b64encode(key.sign(signed_body(body))).decode("ascii")
        return Checkpoint.objects.create(log=log, **body)


def verify_checkpoint_signature(checkpoint: dict[str, Any], public_key_b64: str) -> bool:
    try:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64, validate=True))
        public.verify(
            base64.b64decode(str(checkpoint["signature"]), validate=True), signed_body(checkpoint)
        )
    except (InvalidSignature, ValueError, KeyError, TypeError):
        return False
    return True

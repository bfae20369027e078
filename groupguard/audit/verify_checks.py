"""What ``audit.verify`` reports, and the checks that read no entry rows: the keys a
verifier trusts, a signature, a checkpoint's form, signer, origin and size.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from groupguard.audit.checkpoints import key_id_for, signed_body, signing_key
from groupguard.audit.stored_values import Malformed, checkpoint_values


@dataclass
class VerifyReport:
    log: str
    size: int
    entries_checked: int = 0
    checkpoints_checked: int = 0
    faults: list[str] = field(default_factory=list)
    first_bad_index: int | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.faults

    def fault(self, message: str, index: int | None = None) -> None:
        self.faults.append(message)
        if index is not None and (self.first_bad_index is None or index < self.first_bad_index):
            self.first_bad_index = index

    def as_json(self) -> dict[str, Any]:
        return {
            "log": self.log,
            "ok": self.ok,
            "tree_size": self.size,
            "entries_checked": self.entries_checked,
            "checkpoints_checked": self.checkpoints_checked,
            "first_bad_index": self.first_bad_index,
            "faults": self.faults,
            "seconds": round(self.seconds, 3),
        }


def known_public_keys(extra_b64: Iterable[str] = ()) -> dict[str, Ed25519PublicKey]:
    keys = {}
    current = signing_key().public_key()
    keys[key_id_for(current)] = current
    for text in extra_b64:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
        keys[key_id_for(public)] = public
    return keys


def signature_ok(keys: dict[str, Ed25519PublicKey], key_id: str, sig: bytes, body: bytes) -> bool:
    public = keys.get(key_id)
    if public is None:
        return False
    try:
        public.verify(sig, body)
    except InvalidSignature:
        return False
    return True


def check_checkpoint(
    report: VerifyReport,
    cp: object,
    origin: str,
    keys: dict[str, Ed25519PublicKey],
    what: str,
) -> tuple[int, str] | None:
    """The checkpoint's size and root when it is well formed, signed by a known key, for this
    log and within it; otherwise a fault and None."""
    try:
        cp_origin, size, root, key_id, signature = checkpoint_values(cp)
        body = signed_body(cast(dict[str, Any], cp))
    except Malformed as exc:
        report.fault(f"{what}: {exc}")
        return None
    except (TypeError, ValueError) as exc:  # an extra key (trusted files) JCS cannot encode
        report.fault(f"{what}: it cannot be encoded to check its signature ({exc})")
        return None
    if not signature_ok(keys, key_id, signature, body):
        report.fault(f"{what} (size {size}) has a bad signature or an unknown key {key_id!r}")
        return None
    if cp_origin != origin:
        report.fault(f"{what} is for log {cp_origin!r}, not {origin!r}")
        return None
    if size > report.size:
        report.fault(
            f"{what} covers {size} entries but the log has {report.size}: the log shrank",
            report.size,
        )
        return None
    return size, root

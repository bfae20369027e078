"""The signed checkpoint and each cited entry's inclusion proof against it."""

from __future__ import annotations

import base64
import binascii
from typing import Any, TypeGuard

from groupguard.audit.jcs import canonicalize
from groupguard.audit.merkle import leaf_hash
from groupguard.audit.merkle_proofs import verify_inclusion
from groupguard.evidence.verify.formats import HEX64, PROOFS, PROOFS_FORMAT, UNREADABLE, Report
from groupguard.evidence.verify.keys import Key, signature_ok


def check_proofs(report: Report, proofs: Any, key: Key | None) -> tuple[dict[int, Any], set[int]]:
    """(c): the checkpoint's signature and every entry's leaf, hash, JSON and proof.

    Returns ``index -> parsed entry`` for the entries whose every check passed, and the set of
    every index listed.
    """
    proved: dict[int, Any] = {}
    seen: set[int] = set()
    if proofs is UNREADABLE:
        return proved, seen
    if not isinstance(proofs, dict):
        report.fail(f"{PROOFS}: not a JSON object")
        return proved, seen
    if proofs.get("format") != PROOFS_FORMAT:
        report.fail(f"{PROOFS}: field format is {proofs.get('format')!r}, not {PROOFS_FORMAT!r}")
    checkpoint = proofs.get("checkpoint")
    if not isinstance(checkpoint, dict):
        report.fail(f"{PROOFS}: field checkpoint is not an object")
        return proved, seen
    size = checkpoint.get("tree_size")
    root_hex = checkpoint.get("root_hash")
    if not is_count(size):
        report.fail(f"{PROOFS}: field checkpoint.tree_size is not a count")
        return proved, seen
    if not isinstance(root_hex, str) or not HEX64.fullmatch(root_hex):
        report.fail(f"{PROOFS}: field checkpoint.root_hash is not 64 lowercase hex digits")
        return proved, seen
    log = proofs.get("log")
    origin = checkpoint.get("origin")
    if not isinstance(log, str) or not isinstance(origin, str) or not origin.endswith("/" + log):
        report.fail(f"{PROOFS}: checkpoint origin {origin!r} is not for log {log!r}")
    if key is not None:
        if checkpoint.get("key_id") != key.key_id:
            report.fail(
                f"{PROOFS}: checkpoint signed with key {checkpoint.get('key_id')!r}, not the key "
                f"{key.key_id}"
            )
        else:
            body = {k: v for k, v in checkpoint.items() if k != "signature"}
            if not signature_ok(key, checkpoint.get("signature"), canonicalize_or_empty(body)):
                report.fail(f"{PROOFS}: field checkpoint.signature does not verify")
    root = bytes.fromhex(root_hex)

    entries = proofs.get("entries")
    if not isinstance(entries, list):
        report.fail(f"{PROOFS}: field entries is not a list")
        return proved, seen
    for position, item in enumerate(entries):
        if not isinstance(item, dict) or not is_count(item.get("index")):
            report.fail(f"{PROOFS}: entries[{position}] has no valid index")
            continue
        index: int = item["index"]
        if index in seen:
            report.fail(f"{PROOFS}: entry {index} appears twice")
            continue
        seen.add(index)
        if _check_entry(report, item, index, size, root, log):
            proved[index] = item["entry"]
            report.checked["entries"] += 1
    return proved, seen


def canonicalize_or_empty(value: Any) -> bytes:
    """RFC 8785 bytes of ``value``, or ``b""`` (which no signature covers) if it has none."""
    try:
        return canonicalize(value)
    except (TypeError, ValueError):
        return b""


def is_count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_entry(
    report: Report, item: dict[str, Any], index: int, size: int, root: bytes, log: Any
) -> bool:
    where = f"{PROOFS}: entry {index}"
    failures = len(report.failures)
    if index >= size:
        report.fail(f"{where}: index is not below the checkpoint's tree_size {size}")
    try:
        leaf = base64.b64decode(str(item.get("leaf")), validate=True)
    except (ValueError, binascii.Error):
        report.fail(f"{where}: field leaf is not base64")
        return False
    computed = leaf_hash(leaf)
    if item.get("leaf_hash") != computed.hex():
        report.fail(f"{where}: field leaf_hash is not SHA-256(0x00 || leaf)")
    entry = item.get("entry")
    if canonicalize_or_empty(entry) != leaf:
        report.fail(f"{where}: field entry is not the JSON of the leaf bytes")
    elif not isinstance(entry, dict):
        report.fail(f"{where}: field entry is not a JSON object")
    else:
        if entry.get("index") != index:
            report.fail(f"{where}: field entry.index is {entry.get('index')!r}")
        if entry.get("log") != log:
            report.fail(f"{where}: field entry.log is {entry.get('log')!r}, not {log!r}")
    proof = item.get("proof")
    path: list[bytes] | None = None
    if isinstance(proof, list) and all(isinstance(h, str) and HEX64.fullmatch(h) for h in proof):
        path = [bytes.fromhex(h) for h in proof]
    if path is None:
        report.fail(f"{where}: field proof is not a list of hex hashes")
    elif not verify_inclusion(computed, index, size, path, root):
        report.fail(f"{where}: field proof does not prove the leaf against the checkpoint root")
    return len(report.failures) == failures

"""Checking a stored log end to end.

``verify_log`` recomputes every leaf hash from the stored leaf bytes, rebuilds the Merkle tree
and compares its root with every stored checkpoint, with trusted checkpoints kept outside the
database, and with the signed entry head of the last entry. Any difference is a fault, named
with the first index that is wrong. See docs/audit-log.md for what each check catches.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import connection

from groupguard.audit.checkpoints import (
    entry_head_body,
    key_id_for,
    origin_for,
    signed_body,
    signing_key,
)
from groupguard.audit.merkle import RootBuilder
from groupguard.audit.models import AuditEntry, AuditLog, Checkpoint

BATCH = 20_000


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


def _signature_ok(keys: dict[str, Ed25519PublicKey], key_id: str, sig: bytes, body: bytes) -> bool:
    public = keys.get(key_id)
    if public is None:
        return False
    try:
        public.verify(sig, body)
    except InvalidSignature:
        return False
    return True


def _check_checkpoint(
    report: VerifyReport,
    cp: dict[str, Any],
    origin: str,
    keys: dict[str, Ed25519PublicKey],
    what: str,
) -> bool:
    try:
        signature = base64.b64decode(str(cp["signature"]), validate=True)
        size = int(cp["tree_size"])
        ok = _signature_ok(keys, str(cp["key_id"]), signature, signed_body(cp))
    except (KeyError, ValueError, TypeError):
        report.fault(f"{what} is malformed")
        return False
    if not ok:
        report.fault(
            f"{what} (size {size}) has a bad signature or an unknown key {cp.get('key_id')!r}"
        )
        return False
    if cp.get("origin") != origin:
        report.fault(f"{what} is for log {cp.get('origin')!r}, not {origin!r}")
        return False
    if size > report.size:
        report.fault(
            f"{what} covers {size} entries but the log has {report.size}: the log shrank",
            report.size,
        )
        return False
    return True


def verify_log(
    log: AuditLog,
    *,
    keys: dict[str, Ed25519PublicKey] | None = None,
    trusted: Iterable[dict[str, Any]] = (),
    progress: Callable[[int, int], None] | None = None,
) -> VerifyReport:
    started = time.perf_counter()
    keys = keys if keys is not None else known_public_keys()
    log.refresh_from_db()
    origin = origin_for(log)
    report = VerifyReport(log=log.name, size=log.size)

    # Roots the rebuilt tree must reproduce, by tree size.
    targets: dict[int, list[tuple[str, str]]] = {}
    last_size = -1
    for cp_row in Checkpoint.objects.filter(log=log).order_by("id"):
        cp = cp_row.as_dict()
        what = f"checkpoint {cp_row.pk}"
        report.checkpoints_checked += 1
        if cp_row.tree_size < last_size:
            report.fault(f"{what} has size {cp_row.tree_size}, smaller than an earlier checkpoint")
        last_size = max(last_size, cp_row.tree_size)
        if _check_checkpoint(report, cp, origin, keys, what):
            targets.setdefault(cp_row.tree_size, []).append((str(cp["root_hash"]), what))
    for n, cp in enumerate(trusted):
        what = f"trusted checkpoint {n + 1}"
        report.checkpoints_checked += 1
        if _check_checkpoint(report, cp, origin, keys, what):
            targets.setdefault(int(cp["tree_size"]), []).append((str(cp["root_hash"]), what))

    builder = RootBuilder()
    _check_target(report, builder, targets)
    sha256 = hashlib.sha256
    expected = 0
    last_good = 0  # largest size whose root matched a target
    stopped = False
    table = AuditEntry._meta.db_table
    # Only the entries the head read above covers: on a live server entries keep coming, and
    # those are for the next verify (reading them here would report a longer log than its
    # head as a fault). One batch per query, from the last index read: memory stays one batch
    # on PostgreSQL too (a plain cursor there fetches the whole result), and no query needs a
    # server-side cursor (which a transaction-mode pooler cannot keep).
    batch = (
        f'SELECT "index", leaf, leaf_hash FROM {table} '  # noqa: S608
        'WHERE log_id = %s AND "index" >= %s AND "index" < %s ORDER BY "index" LIMIT %s'
    )
    with connection.cursor() as cursor:
        while not stopped:
            cursor.execute(batch, [log.pk, expected, report.size, BATCH])
            rows = cursor.fetchall()
            if not rows:
                break
            # Whole-batch list operations: this loop is the verifier's hot path.
            count = len(rows)
            indexes = [r[0] for r in rows]
            hashes = [r[2] if type(r[2]) is bytes else bytes(r[2]) for r in rows]
            computed = [sha256(b"\x00" + bytes(r[1])).digest() for r in rows]
            good = count
            if indexes != list(range(expected, expected + count)):
                good = next(i for i in range(count) if indexes[i] != expected + i)
            if computed != hashes:
                good = min(good, next(i for i in range(count) if computed[i] != hashes[i]))
            if good < count:
                at = expected + good
                if indexes[good] != at:
                    found = indexes[good]
                    what = "missing" if found > at else "duplicated or out of order"
                    report.fault(f"entry {at} is {what} (found index {found})", at)
                else:
                    report.fault(f"entry {at}: leaf bytes do not match their stored hash", at)
                stopped = True
                hashes = hashes[:good]
            expected += len(hashes)
            last_good = _feed(report, builder, hashes, targets, last_good)
            report.entries_checked = expected
            if report.faults:
                if report.first_bad_index is None:  # a checkpoint's root was not reproduced
                    report.first_bad_index = _first_bad_since(log, last_good, keys, origin)
                stopped = True
            if progress:
                progress(expected, report.size)

    if not report.faults and expected != report.size:
        report.fault(f"the log head says {report.size} entries but {expected} are stored", expected)
    if not report.faults and report.size:
        _check_last_head(report, log, builder.root(), keys, origin, last_good)
    report.seconds = time.perf_counter() - started
    return report


def _feed(
    report: VerifyReport,
    builder: RootBuilder,
    hashes: list[bytes],
    targets: dict[int, list[tuple[str, str]]],
    last_good: int,
) -> int:
    """Add leaf hashes, stopping at each size that has a target root to compare."""
    start = builder.size
    end = start + len(hashes)
    stops = sorted(s for s in targets if start < s <= end)
    offset = 0
    for size in stops:
        builder.extend(hashes[offset : size - start])
        offset = size - start
        if not _check_target(report, builder, targets):
            return last_good
        last_good = size
    builder.extend(hashes[offset:])
    return last_good


def _check_target(
    report: VerifyReport, builder: RootBuilder, targets: dict[int, list[tuple[str, str]]]
) -> bool:
    root = builder.root().hex()
    for expected_root, what in targets.get(builder.size, []):
        if expected_root != root:
            report.fault(f"{what}: the entries do not reproduce its root at size {builder.size}")
            return False
    return True


def _check_last_head(
    report: VerifyReport,
    log: AuditLog,
    root: bytes,
    keys: dict[str, Ed25519PublicKey],
    origin: str,
    last_good: int,
) -> None:
    last = AuditEntry.objects.filter(log=log, index=report.size - 1).first()
    if last is None:
        report.fault("the last entry is missing", report.size - 1)
        return
    body = entry_head_body(origin, report.size, bytes(last.tree_root), last.key_id)
    if not _signature_ok(keys, last.key_id, bytes(last.head_signature), body):
        report.fault(
            f"entry {last.index}: its signed entry head does not verify",
            _first_bad_since(log, last_good, keys, origin),
        )
        return
    if bytes(last.tree_root) != root:
        first = _first_bad_since(log, last_good, keys, origin)
        report.fault(
            "the entries do not reproduce the signed head of the last entry "
            "(entries since the last checkpoint were changed)",
            first,
        )


def _first_bad_since(
    log: AuditLog, start: int, keys: dict[str, Ed25519PublicKey], origin: str
) -> int:
    """Replay from ``start`` comparing each entry's signed head with the rebuilt root."""
    builder = RootBuilder()
    hashes = AuditEntry.objects.filter(log=log, index__lt=start).order_by("index")
    builder.extend(bytes(h) for h in hashes.values_list("leaf_hash", flat=True))
    rows = (
        AuditEntry.objects.filter(log=log, index__gte=start)
        .order_by("index")
        .values_list("index", "leaf_hash", "tree_root", "head_signature", "key_id")
    )
    for index, leaf_hash, tree_root, signature, key_id in rows.iterator(chunk_size=2000):
        builder.append(bytes(leaf_hash))
        root = builder.root()
        body = entry_head_body(origin, index + 1, bytes(tree_root), key_id)
        if bytes(tree_root) != root or not _signature_ok(keys, key_id, bytes(signature), body):
            return int(index)
    return start

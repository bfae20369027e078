"""Checking a stored log end to end.

``verify_log`` recomputes every leaf hash from the stored leaf bytes, rebuilds the Merkle tree
and compares its root with every stored checkpoint, with trusted checkpoints kept outside the
database, and with the signed entry head of the last entry. Any difference is a fault, named
with the first index that is wrong. See docs/audit-log.md for what each check catches.

Someone who can write to the database can also store a value of the wrong kind: text where
bytes belong, a NULL, a hash of the wrong length, or (on SQLite, which stores whatever it is
given) bytes that are not UTF-8 in a text column. Every value is therefore read with plain SQL
and checked before use, and a bad one is a fault naming the entry or checkpoint and the column,
never an exception out of the verifier.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from typing import Any, cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import connection

from groupguard.audit.checkpoints import entry_head_body, origin_for
from groupguard.audit.merkle import RootBuilder
from groupguard.audit.models import AuditEntry, AuditLog, Checkpoint
from groupguard.audit.stored_values import (
    CHECKPOINT_FIELDS,
    HASH_SIZE,
    Malformed,
    as_bytes,
    checked_bytes,
    checked_count,
    checked_text,
    describe,
    head_values,
    undecodable_text_as_values,
)
from groupguard.audit.verify_checks import (
    VerifyReport,
    check_checkpoint,
    known_public_keys,
    signature_ok,
)

__all__ = ["VerifyReport", "known_public_keys", "verify_log"]

BATCH = 20_000
_ENTRIES = AuditEntry._meta.db_table
_MAX_INDEX = 2**63 - 1


# --- The verify --------------------------------------------------------------------------


def verify_log(
    log: AuditLog,
    *,
    keys: dict[str, Ed25519PublicKey] | None = None,
    trusted: Iterable[object] = (),
    progress: Callable[[int, int], None] | None = None,
) -> VerifyReport:
    """Check ``log`` as stored now; sets ``log.name`` and ``log.size`` from its head row."""
    started = time.perf_counter()
    keys = keys if keys is not None else known_public_keys()
    with undecodable_text_as_values(), connection.cursor() as cursor:
        report = _verify(cursor, log, keys, trusted, progress)
    report.seconds = time.perf_counter() - started
    return report


def _verify(
    cursor: Any,
    log: AuditLog,
    keys: dict[str, Ed25519PublicKey],
    trusted: Iterable[object],
    progress: Callable[[int, int], None] | None,
) -> VerifyReport:
    cursor.execute(
        f"SELECT name, size, peaks FROM {AuditLog._meta.db_table} WHERE id = %s",  # noqa: S608
        [log.pk],
    )
    head = cursor.fetchone()
    report = VerifyReport(log=f"log #{log.pk}", size=0)
    if head is None:
        report.fault("the log's head row is missing")
        return report
    try:
        report.log = checked_text(head[0], "its name")
        report.size = checked_count(head[1], "its size")
    except Malformed as exc:
        report.fault(f"the log's head row is malformed: {exc}")
        return report
    log.name, log.size = report.log, report.size
    origin = origin_for(log)

    # Roots the rebuilt tree must reproduce, by tree size.
    targets: dict[int, list[tuple[str, str]]] = {}
    last_size = -1
    quote = connection.ops.quote_name
    cursor.execute(
        f"SELECT id, {', '.join(quote(c) for c in CHECKPOINT_FIELDS)} "  # noqa: S608
        f"FROM {Checkpoint._meta.db_table} WHERE log_id = %s ORDER BY id",
        [log.pk],
    )
    for pk, *values in cursor.fetchall():
        what = f"checkpoint {pk}"
        report.checkpoints_checked += 1
        row = dict(zip(CHECKPOINT_FIELDS, values, strict=True))
        checked = check_checkpoint(report, row, origin, keys, what)
        if checked is None:
            continue
        size, root = checked
        if size < last_size:
            report.fault(f"{what} has size {size}, smaller than an earlier checkpoint")
        last_size = max(last_size, size)
        targets.setdefault(size, []).append((root, what))
    for n, cp in enumerate(trusted):
        what = f"trusted checkpoint {n + 1}"
        report.checkpoints_checked += 1
        checked = check_checkpoint(report, cp, origin, keys, what)
        if checked is not None:
            targets.setdefault(checked[0], []).append((checked[1], what))

    # Faults found so far are the checkpoints' own; the entries are still checked in full.
    before_scan = len(report.faults)
    builder = RootBuilder()
    _check_target(report, builder, targets)
    sha256 = hashlib.sha256
    expected = 0
    last_good = 0  # largest size whose root matched a target
    stopped = False
    # Only the entries the head read above covers: on a live server entries keep coming, and
    # those are for the next verify (reading them here would report a longer log than its
    # head as a fault). One batch per query, from the last index read: memory stays one batch
    # on PostgreSQL too (a plain cursor there fetches the whole result), and no query needs a
    # server-side cursor (which a transaction-mode pooler cannot keep).
    batch = (
        f'SELECT "index", leaf, leaf_hash FROM {_ENTRIES} '  # noqa: S608
        'WHERE log_id = %s AND "index" >= %s AND "index" < %s ORDER BY "index" LIMIT %s'
    )
    while not stopped:
        cursor.execute(batch, [log.pk, expected, report.size, BATCH])
        rows = cursor.fetchall()
        if not rows:
            break
        # Whole-batch list operations: this loop is the verifier's hot path. A value that is
        # not bytes becomes None here and is named below, at the first bad row.
        count = len(rows)
        indexes = [r[0] for r in rows]
        leaves = [r[1] if type(r[1]) is bytes else as_bytes(r[1]) for r in rows]
        hashes = [r[2] if type(r[2]) is bytes else as_bytes(r[2]) for r in rows]
        computed = [None if leaf is None else sha256(b"\x00" + leaf).digest() for leaf in leaves]
        good = count
        if indexes != list(range(expected, expected + count)):
            good = next(i for i in range(count) if indexes[i] != expected + i)
        if computed != hashes or None in leaves:
            good = min(
                good,
                next(i for i in range(count) if computed[i] is None or computed[i] != hashes[i]),
            )
        if good < count:
            report.fault(_entry_fault(cursor, log.pk, rows[good], expected + good), expected + good)
            stopped = True
        # Every hash before ``good`` equals a SHA-256 digest: 32 bytes.
        sound = cast(list[bytes], hashes[:good])
        expected += good
        last_good = _feed(report, builder, sound, targets, last_good)
        report.entries_checked = expected
        if len(report.faults) > before_scan:
            if report.first_bad_index is None:  # a checkpoint's root was not reproduced
                report.first_bad_index = _first_bad_since(
                    cursor, log.pk, last_good, report.size, keys, origin
                )
            stopped = True
        if progress:
            progress(expected, report.size)

    if len(report.faults) == before_scan and expected != report.size:
        report.fault(
            f"the log head says {report.size} entries but {expected} are stored"
            + _misplaced(cursor, log.pk),
            expected,
        )
    if len(report.faults) == before_scan and report.size:
        _check_last_head(report, cursor, log.pk, builder.root(), keys, origin, last_good)
    if len(report.faults) == before_scan:
        _check_peaks(report, head[2], builder)
    return report


def _entry_fault(cursor: Any, log_pk: int, row: tuple[Any, ...], at: int) -> str:
    """What is wrong with the row found where entry ``at`` belongs."""
    index, leaf, stored_hash = row
    if type(index) is int and index != at:
        what = "missing" if index > at else "duplicated or out of order"
        return f"entry {at} is {what} (found index {index}){_misplaced(cursor, log_pk)}"
    if type(index) is not int:
        return f"entry {at}: a row there has index {describe(index)}, not a whole number"
    try:
        checked_bytes(leaf, "its leaf")
        checked_bytes(stored_hash, "its leaf_hash", HASH_SIZE)
    except Malformed as exc:
        return f"entry {at}: {exc}"
    return f"entry {at}: leaf bytes do not match their stored hash"


def _misplaced(cursor: Any, log_pk: int) -> str:
    """Rows of the log whose index is not a whole number (NULL, negative, text, bytes): a
    read by index never finds them, so a missing entry may be one of them."""
    cursor.execute(
        f'SELECT id, "index" FROM {_ENTRIES} WHERE log_id = %s '  # noqa: S608
        'AND ("index" IS NULL OR "index" < 0 OR "index" > %s) ORDER BY id LIMIT 3',
        [log_pk, _MAX_INDEX],
    )
    found = [
        f"row id {pk} has index {describe(index)}, not a whole number"
        for pk, index in cursor.fetchall()
    ]
    return "; " + ", ".join(found) if found else ""


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
    cursor: Any,
    log_pk: int,
    root: bytes,
    keys: dict[str, Ed25519PublicKey],
    origin: str,
    last_good: int,
) -> None:
    last = report.size - 1
    cursor.execute(
        f"SELECT tree_root, head_signature, key_id FROM {_ENTRIES} "  # noqa: S608
        'WHERE log_id = %s AND "index" = %s',
        [log_pk, last],
    )
    row = cursor.fetchone()
    if row is None:
        report.fault("the last entry is missing", last)
        return
    try:
        tree_root, signature, key_id = head_values(*row)
    except Malformed as exc:
        first = _first_bad_since(cursor, log_pk, last_good, report.size, keys, origin)
        report.fault(f"entry {last}: {exc}", first)
        return
    body = entry_head_body(origin, report.size, tree_root, key_id)
    if not signature_ok(keys, key_id, signature, body):
        report.fault(
            f"entry {last}: its signed entry head does not verify",
            _first_bad_since(cursor, log_pk, last_good, report.size, keys, origin),
        )
        return
    if tree_root != root:
        first = _first_bad_since(cursor, log_pk, last_good, report.size, keys, origin)
        report.fault(
            "the entries do not reproduce the signed head of the last entry "
            "(entries since the last checkpoint were changed)",
            first,
        )


def _check_peaks(report: VerifyReport, stored: object, builder: RootBuilder) -> None:
    """The head's peaks are what the next append builds on: wrong ones would have it sign a
    root the entries do not reproduce."""
    try:
        peaks = checked_bytes(stored, "its peaks column")
    except Malformed as exc:
        report.fault(f"the log's head row is malformed: {exc}")
        return
    if peaks != b"".join(builder.peaks):
        report.fault("the log's head row holds peaks that do not match the tree of its entries")


def _first_bad_since(
    cursor: Any,
    log_pk: int,
    start: int,
    end: int,
    keys: dict[str, Ed25519PublicKey],
    origin: str,
) -> int:
    """Replay entries ``start`` to ``end`` comparing each signed head with the rebuilt root;
    the first whose head fails, or whose stored values are malformed, is the first bad one."""
    builder = RootBuilder()
    cursor.execute(
        f'SELECT leaf_hash FROM {_ENTRIES} WHERE log_id = %s AND "index" >= 0 '  # noqa: S608
        'AND "index" < %s ORDER BY "index"',
        [log_pk, start],
    )
    try:  # entries before ``start`` already passed the scan
        builder.extend([checked_bytes(h, "leaf_hash", HASH_SIZE) for (h,) in cursor.fetchall()])
    except Malformed:
        return start
    heads = (
        f'SELECT "index", leaf_hash, tree_root, head_signature, key_id FROM {_ENTRIES} '  # noqa: S608
        'WHERE log_id = %s AND "index" >= %s AND "index" < %s ORDER BY "index" LIMIT %s'
    )
    at = start
    while at < end:
        cursor.execute(heads, [log_pk, at, end, BATCH])
        rows = cursor.fetchall()
        if not rows:
            break
        for index, leaf_hash, *head in rows:
            if type(index) is not int or index != at:
                return at
            try:
                builder.append(checked_bytes(leaf_hash, "leaf_hash", HASH_SIZE))
                tree_root, signature, key_id = head_values(*head)
            except Malformed:
                return at
            body = entry_head_body(origin, at + 1, tree_root, key_id)
            if tree_root != builder.root() or not signature_ok(keys, key_id, signature, body):
                return at
            at += 1
    return start

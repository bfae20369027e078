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

import base64
import hashlib
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

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
HASH_SIZE = 32
SIGNATURE_SIZE = 64
CHECKPOINT_FIELDS = ("origin", "tree_size", "root_hash", "timestamp", "key_id", "signature")
_ROOT_HEX = re.compile(r"[0-9a-f]{64}")
_ENTRIES = AuditEntry._meta.db_table
_MAX_INDEX = 2**63 - 1


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


# --- Reading stored values ---------------------------------------------------------------


class Malformed(Exception):
    """A stored value of the wrong type, length or form; the message says which and how."""


class _BadText:
    """Stands in for SQLite text that is not UTF-8, so the row can be reported, not fetched
    with an exception."""

    __slots__ = ("raw",)

    def __init__(self, raw: bytes) -> None:
        self.raw = raw


def _decode_text(raw: bytes) -> str | _BadText:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return _BadText(raw)


@contextmanager
def _undecodable_text_as_values() -> Iterator[None]:
    """On SQLite, fetch text that is not UTF-8 as a ``_BadText`` value.

    Python's SQLite driver raises on such a row, which would end the whole verify without
    saying where. PostgreSQL refuses invalid text when it is written, so it needs nothing.
    """
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    previous = raw.text_factory
    raw.text_factory = _decode_text
    try:
        yield
    finally:
        raw.text_factory = previous


def _describe(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, _BadText):
        return "text that is not valid UTF-8"
    if isinstance(value, str):
        return f"text {value[:40] + '…' if len(value) > 40 else value!r}"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, bytes | bytearray | memoryview):
        return "1 byte" if len(value) == 1 else f"{len(value)} bytes"
    return f"a {type(value).__name__}"


def _as_bytes(value: object) -> bytes | None:
    """Bytes from any buffer a driver returns; None for anything that is not bytes."""
    return bytes(value) if isinstance(value, bytes | bytearray | memoryview) else None


def _bytes(value: object, what: str, size: int | None = None) -> bytes:
    data = _as_bytes(value)
    if data is None:
        raise Malformed(f"{what} is {_describe(value)}, not bytes")
    if size is not None and len(data) != size:
        raise Malformed(f"{what} is {len(data)} bytes long, not {size}")
    return data


def _count(value: object, what: str) -> int:
    if type(value) is not int or value < 0:
        raise Malformed(f"{what} is {_describe(value)}, not a whole number")
    return value


def _text(value: object, what: str) -> str:
    if isinstance(value, _BadText):
        raise Malformed(f"{what} is not valid UTF-8")
    if type(value) is not str:
        raise Malformed(f"{what} is {_describe(value)}, not text")
    return value


def _head_values(tree_root: object, signature: object, key_id: object) -> tuple[bytes, bytes, str]:
    """An entry's signed head: its tree root, signature and key id, each checked."""
    return (
        _bytes(tree_root, "its tree_root", HASH_SIZE),
        _bytes(signature, "its head_signature", SIGNATURE_SIZE),
        _text(key_id, "its key_id"),
    )


def _checkpoint_values(cp: object) -> tuple[str, int, str, str, bytes]:
    """A checkpoint's origin, tree size, root hash, key id and raw signature, each checked."""
    if not isinstance(cp, dict):
        raise Malformed(f"it is {_describe(cp)}, not a JSON object")
    missing = [name for name in CHECKPOINT_FIELDS if name not in cp]
    if missing:
        raise Malformed(f"it has no {', '.join(missing)}")
    size = _count(cp["tree_size"], "its tree_size")
    cp_origin = _text(cp["origin"], "its origin")
    _text(cp["timestamp"], "its timestamp")
    key_id = _text(cp["key_id"], "its key_id")
    root = _text(cp["root_hash"], "its root_hash")
    if not _ROOT_HEX.fullmatch(root):
        raise Malformed(f"its root_hash {_describe(root)} is not 64 lowercase hex digits")
    try:
        signature = base64.b64decode(_text(cp["signature"], "its signature"), validate=True)
    except ValueError:
        raise Malformed("its signature is not base64") from None
    if len(signature) != SIGNATURE_SIZE:
        raise Malformed(f"its signature is {len(signature)} bytes long, not {SIGNATURE_SIZE}")
    return cp_origin, size, root, key_id, signature


# --- Keys and checkpoints ----------------------------------------------------------------


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
    cp: object,
    origin: str,
    keys: dict[str, Ed25519PublicKey],
    what: str,
) -> tuple[int, str] | None:
    """The checkpoint's size and root when it is well formed, signed by a known key, for this
    log and within it; otherwise a fault and None."""
    try:
        cp_origin, size, root, key_id, signature = _checkpoint_values(cp)
        body = signed_body(cast(dict[str, Any], cp))
    except Malformed as exc:
        report.fault(f"{what}: {exc}")
        return None
    except (TypeError, ValueError) as exc:  # an extra key (trusted files) JCS cannot encode
        report.fault(f"{what}: it cannot be encoded to check its signature ({exc})")
        return None
    if not _signature_ok(keys, key_id, signature, body):
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
    with _undecodable_text_as_values(), connection.cursor() as cursor:
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
        report.log = _text(head[0], "its name")
        report.size = _count(head[1], "its size")
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
        checked = _check_checkpoint(report, row, origin, keys, what)
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
        checked = _check_checkpoint(report, cp, origin, keys, what)
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
        leaves = [r[1] if type(r[1]) is bytes else _as_bytes(r[1]) for r in rows]
        hashes = [r[2] if type(r[2]) is bytes else _as_bytes(r[2]) for r in rows]
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
        return f"entry {at}: a row there has index {_describe(index)}, not a whole number"
    try:
        _bytes(leaf, "its leaf")
        _bytes(stored_hash, "its leaf_hash", HASH_SIZE)
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
        f"row id {pk} has index {_describe(index)}, not a whole number"
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
        tree_root, signature, key_id = _head_values(*row)
    except Malformed as exc:
        first = _first_bad_since(cursor, log_pk, last_good, report.size, keys, origin)
        report.fault(f"entry {last}: {exc}", first)
        return
    body = entry_head_body(origin, report.size, tree_root, key_id)
    if not _signature_ok(keys, key_id, signature, body):
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
        peaks = _bytes(stored, "its peaks column")
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
        builder.extend([_bytes(h, "leaf_hash", HASH_SIZE) for (h,) in cursor.fetchall()])
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
                builder.append(_bytes(leaf_hash, "leaf_hash", HASH_SIZE))
                tree_root, signature, key_id = _head_values(*head)
            except Malformed:
                return at
            body = entry_head_body(origin, at + 1, tree_root, key_id)
            if tree_root != builder.root() or not _signature_ok(keys, key_id, signature, body):
                return at
            at += 1
    return start

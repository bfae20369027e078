"""Appending to the audit log, and reading tree hashes back from storage.

``record()`` is called by every action inside its ``transaction.atomic`` block, so an entry
commits or rolls back with the change it describes. Appends to one log are serialised: on
PostgreSQL by a row lock on the log's head row, on SQLite by the write lock that every
transaction takes when it begins (``transaction_mode = IMMEDIATE`` in settings).
"""

from __future__ import annotations

import datetime
import functools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.utils import timezone

from groupguard.audit import context
from groupguard.audit.checkpoints import make_checkpoint, origin_for_name, sign_entry_head
from groupguard.audit.jcs import canonicalize
from groupguard.audit.merkle import (
    EMPTY_ROOT,
    RootBuilder,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
)
from groupguard.audit.models import (
    NODE_LEVEL,
    AuditEntry,
    AuditLog,
    AuditNode,
    RowBinding,
    Severity,
)
from groupguard.audit.rows import take_pending

ENTRY_VERSION = 1
_MEMBER_FIELD: Any = AuditEntry._meta.get_field("member_id")
SITE_LOG = "site"


@dataclass(frozen=True)
class Actor:
    """Who did it: a staff user, a member through a signing link, or the system itself."""

    kind: str  # "user" | "signing_token" | "system"
    id: str | None = None

    @classmethod
    def user(cls, user: Any) -> Actor:
        if user is None or not getattr(user, "is_authenticated", False):
            return cls("anonymous")
        return cls("user", str(user.pk))

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id}


SYSTEM = Actor("system")


def log_name_for(practice_id: uuid.UUID | None) -> str:
    return f"practice/{practice_id}" if practice_id else SITE_LOG


def log_for(practice_id: uuid.UUID | None) -> AuditLog:
    """The log of a practice (or the site log), created on first use."""
    log, _ = AuditLog.objects.get_or_create(
        name=log_name_for(practice_id), defaults={"practice_id": practice_id}
    )
    return log


def rfc3339(ts: Any) -> str:
    return str(ts.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))


def record(
    *,
    practice_id: uuid.UUID | None,
    actor: Actor,
    action: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    fields: Iterable[str] = (),
    member_id: uuid.UUID | None = None,
    severity: str = Severity.INFO,
    detail: dict[str, Any] | None = None,
) -> int:
    """Append one entry and return its index.

    Must run inside the transaction that makes the change it records.

    ``fields`` names the fields that changed; values are never logged, so the log holds no PHI.
    ``detail`` takes small non-PHI facts (a status, a count, a reason code). The record rows
    saved in this transaction since the last entry are bound into this one (``audit.rows``).
    """
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record() must be called inside transaction.atomic()")
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = str(obj.pk)
    now = timezone.now()
    name = log_name_for(practice_id)
    # Plain SQL: this runs inside every write, and the ORM's per-statement overhead was
    # most of an append's cost (see bench/audit.py).
    with connection.cursor() as cursor:
        head = _lock_head(cursor, name)
        if head is None:
            log_for(practice_id)
            head = _lock_head(cursor, name)
        assert head is not None  # noqa: S101  (created just above)
        log_id, index, peaks_blob = head
        entry = {
            "v": ENTRY_VERSION,
            "log": name,
            "index": index,
            "time": rfc3339(now),
            "actor": actor.as_json(),
            "action": action,
            "object": {"type": object_type, "id": object_id},
            "fields": sorted(set(fields)),
            "member": str(member_id) if member_id else None,
            "ip": context.current().ip,
            "severity": str(severity),
            "detail": detail or {},
        }
        bindings = take_pending(connection)
        if bindings:
            entry["rows"] = bindings
        leaf = canonicalize(entry)
        lh = leaf_hash(leaf)
        peaks, new_nodes = append_to_peaks(split_peaks(bytes(peaks_blob)), index, lh)
        root = RootBuilder(index + 1, peaks).root()
        key_id, signature = sign_entry_head(origin_for_name(name), index + 1, root)
        ops = connection.ops
        values = [
            log_id,
            index,
            leaf,
            lh,
            root,
            signature,
            key_id,
            ops.adapt_datetimefield_value(now),
            action,
            int(actor.id) if actor.kind == "user" and actor.id else None,
            object_type or "",
            object_id or "",
            _MEMBER_FIELD.get_db_prep_value(member_id, connection),
            str(severity),
        ]
        vendor = connection.vendor
        cursor.execute(_insert_sql(vendor, AuditEntry._meta.db_table, ENTRY_COLUMNS), values)
        if new_nodes:
            cursor.executemany(
                _insert_sql(vendor, AuditNode._meta.db_table, NODE_COLUMNS),
                [[log_id, lv, ix, h] for lv, ix, h in new_nodes],
            )
        if bindings:
            cursor.executemany(
                _insert_sql(vendor, RowBinding._meta.db_table, BINDING_COLUMNS),
                [[log_id, index, b["table"], b["id"], b["sha256"] or ""] for b in bindings],
            )
        cursor.execute(
            f"UPDATE {AuditLog._meta.db_table} SET size = %s, peaks = %s WHERE id = %s",  # noqa: S608
            [index + 1, b"".join(peaks), log_id],
        )
    every: int = settings.GROUPGUARD_CHECKPOINT_EVERY
    if every and (index + 1) % every == 0:
        make_checkpoint(AuditLog.objects.get(pk=log_id))
    return index


def _lock_head(cursor: Any, name: str) -> tuple[int, int, bytes] | None:
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    cursor.execute(
        f"SELECT id, size, peaks FROM {AuditLog._meta.db_table} WHERE name = %s{lock}",  # noqa: S608
        [name],
    )
    row = cursor.fetchone()
    return (int(row[0]), int(row[1]), bytes(row[2])) if row else None


@functools.cache
def _insert_sql(vendor: str, table: str, columns: tuple[str, ...]) -> str:
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    return f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608


ENTRY_COLUMNS = (
    "log_id", "index", "leaf", "leaf_hash", "tree_root", "head_signature", "key_id",
    "recorded_at", "action", "actor_user_id", "object_type", "object_id", "member_id", "severity",
)  # fmt: skip
NODE_COLUMNS = ("log_id", "level", "index", "hash")
BINDING_COLUMNS = ("log_id", "index", "table", "row_id", "sha256")


def split_peaks(blob: bytes) -> list[bytes]:
    return [blob[i : i + 32] for i in range(0, len(blob), 32)]


def append_to_peaks(
    peaks: list[bytes], index: int, leaf: bytes
) -> tuple[list[bytes], list[tuple[int, int, bytes]]]:
    """Add leaf ``index`` to the peaks of a tree of ``index`` leaves.

    Returns the new peaks and the stored-level subtrees the leaf completed, as
    ``(level, node index, hash)``: adding a leaf merges equal-sized peaks like a carry in
    binary addition, and each merge at ``NODE_LEVEL`` or above is a node to store.
    """
    stack = list(peaks)
    size = index + 1
    h, level, carry = leaf, 0, size
    completed: list[tuple[int, int, bytes]] = []
    while not carry & 1:
        h = node_hash(stack.pop(), h)
        level += 1
        carry >>= 1
        if level >= NODE_LEVEL:
            completed.append((level, (size >> level) - 1, h))
    stack.append(h)
    return stack, completed


class StoredHashSource:
    """Merkle subtree hashes of one log, read from stored nodes and leaf hashes.

    Implements ``merkle.HashSource``: ``subtree_hash(start, end)`` is the RFC 9162 Merkle Tree
    Hash of leaves ``[start, end)``. Aligned subtrees of ``2**NODE_LEVEL`` leaves or more are
    read from ``AuditNode``; smaller ones are hashed from one read of their chunk's leaves.
    """

    def __init__(self, log: AuditLog) -> None:
        self.log = log
        self._chunks: dict[int, list[bytes]] = {}
        self._nodes: dict[tuple[int, int], bytes] = {}

    def subtree_hash(self, start: int, end: int) -> bytes:
        size = end - start
        if size <= 0:
            return EMPTY_ROOT
        if size & (size - 1) == 0 and start % size == 0:
            return self._perfect(size.bit_length() - 1, start // size)
        split = 1 << ((size - 1).bit_length() - 1)  # largest power of two below size
        return node_hash(
            self.subtree_hash(start, start + split), self.subtree_hash(start + split, end)
        )

    def root(self, size: int) -> bytes:
        return self.subtree_hash(0, size)

    def _perfect(self, level: int, index: int) -> bytes:
        if level >= NODE_LEVEL:
            key = (level, index)
            if key not in self._nodes:
                stored = (
                    AuditNode.objects.filter(log=self.log, level=level, index=index)
                    .values_list("hash", flat=True)
                    .first()
                )
                if stored is None:
                    raise LookupError(f"audit log {self.log.name}: node {level}/{index} is missing")
                self._nodes[key] = bytes(stored)
            return self._nodes[key]
        first = index << level
        chunk_index = first >> NODE_LEVEL
        leaves = self._chunk(chunk_index)
        offset = first - (chunk_index << NODE_LEVEL)
        return root_from_leaf_hashes(leaves[offset : offset + (1 << level)])

    def _chunk(self, chunk_index: int) -> list[bytes]:
        if chunk_index not in self._chunks:
            first = chunk_index << NODE_LEVEL
            self._chunks[chunk_index] = [
                bytes(h)
                for h in AuditEntry.objects.filter(
                    log=self.log, index__gte=first, index__lt=first + (1 << NODE_LEVEL)
                )
                .order_by("index")
                .values_list("leaf_hash", flat=True)
            ]
        return self._chunks[chunk_index]

"""The log's bulk append: many entries written at once, exactly as ``record()`` writes them.

``BulkAppender(practice_id).append(drafts)`` takes drafts in time order and stores real
entries (canonical leaf bytes, leaf hashes, the signed head of every entry, the completed
subtree nodes, a checkpoint every ``GROUPGUARD_CHECKPOINT_EVERY`` entries, the log's size and
peaks), so ``groupguard audit verify`` passes and later ``record()`` calls continue the same
tree. The demo's scale practice loads two years of history through it.
"""

from __future__ import annotations

import base64
import datetime
from collections.abc import Iterable
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, models

from groupguard.audit.checkpoints import (
    entry_head_body,
    key_id_for,
    origin_for_name,
    signed_body,
    signing_key,
)
from groupguard.audit.jcs import canonicalize
from groupguard.audit.log import (
    ENTRY_COLUMNS,
    ENTRY_VERSION,
    NODE_COLUMNS,
    append_to_peaks,
    log_name_for,
    rfc3339,
    split_peaks,
)
from groupguard.audit.merkle import RootBuilder, leaf_hash
from groupguard.audit.models import AuditEntry, AuditLog, AuditNode, Checkpoint

AUDIT_BATCH = 10_000  # entries per insert round
CHECKPOINT_BATCH = 2000


class Draft(NamedTuple):
    """One entry to append: what ``record()`` is given for a staff user's action."""

    when: datetime.datetime
    actor: int  # the staff user's id
    action: str
    object_type: str
    object_id: str
    fields: list[str]
    member_id: Any
    detail: dict[str, Any]
    ip: str | None = None


class BulkAppender:
    """Appends many entries to a practice's log at once, storing what ``record()`` stores.

    The same functions as ``record()`` make the leaf bytes, leaf hash, peaks, completed nodes
    and signed entry head, and a checkpoint is made wherever ``record()`` would make one; only
    the inserts are batched (COPY on PostgreSQL, executemany on SQLite). For loading history
    (the scale practice, an import), not for the product's own writes, which go one by one
    through ``record()`` inside their action's transaction.
    """

    def __init__(self, practice_id: Any) -> None:
        self.name = log_name_for(practice_id)
        self.origin = origin_for_name(self.name)
        self.key = signing_key()
        self.key_id = key_id_for(self.key.public_key())
        self.every: int = settings.GROUPGUARD_CHECKPOINT_EVERY

    def append(self, drafts: Iterable[Draft]) -> int:
        """Append the entries in order (inside the caller's transaction); returns how many."""
        log = AuditLog.objects.select_for_update().get(name=self.name)
        first = index = log.size
        peaks = split_peaks(bytes(log.peaks))
        adapt_time = connection.ops.adapt_datetimefield_value
        member_field: Any = AuditEntry._meta.get_field("member_id")
        entries: list[tuple[Any, ...]] = []
        nodes: list[tuple[Any, ...]] = []
        checkpoints: list[Checkpoint] = []
        for when, actor, action, object_type, object_id, fields, member_id, detail, ip in drafts:
            entry = {
                "v": ENTRY_VERSION,
                "log": self.name,
                "index": index,
                "time": rfc3339(when),
                "actor": {"kind": "user", "id": str(actor)},
                "action": action,
                "object": {"type": object_type, "id": object_id},
                "fields": fields,
                "member": str(member_id) if member_id else None,
                "ip": ip,
                "severity": "info",
                "detail": detail,
            }
            leaf = canonicalize(entry)
            lh = leaf_hash(leaf)
            peaks, completed = append_to_peaks(peaks, index, lh)
            size = index + 1
            root = RootBuilder(size, peaks).root()
            signature = self.key.sign(entry_head_body(self.origin, size, root, self.key_id))
            entries.append(
                (
                    log.pk, index, leaf, lh, root, signature, self.key_id, adapt_time(when),
                    action, actor, object_type, object_id,
                    member_field.get_db_prep_value(member_id, connection), "info",
                )
            )  # fmt: skip
            nodes.extend((log.pk, level, node, h) for level, node, h in completed)
            if self.every and size % self.every == 0:
                checkpoints.append(self._checkpoint(log, size, root, when))
            index = size
            if len(entries) >= AUDIT_BATCH:
                self._insert(AuditEntry, ENTRY_COLUMNS, entries)
                self._insert(AuditNode, NODE_COLUMNS, nodes)
                entries, nodes = [], []
        self._insert(AuditEntry, ENTRY_COLUMNS, entries)
        self._insert(AuditNode, NODE_COLUMNS, nodes)
        Checkpoint.objects.bulk_create(checkpoints, batch_size=CHECKPOINT_BATCH)
        AuditLog.objects.filter(pk=log.pk).update(size=index, peaks=b"".join(peaks))
        return index - first

    def _checkpoint(
        self, log: AuditLog, size: int, root: bytes, when: datetime.datetime
    ) -> Checkpoint:
        """The checkpoint ``checkpoints.make_checkpoint`` signs, stamped when it was due."""
        body: dict[str, Any] = {
            "origin": self.origin,
            "tree_size": size,
            "root_hash": root.hex(),
            "timestamp": when.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "key_id": self.key_id,
        }
        body["signature"] = base64.b64encode(self.key.sign(signed_body(body))).decode("ascii")
        return Checkpoint(log=log, **body)

    @staticmethod
    def _insert(model: type[models.Model], columns: tuple[str, ...], rows: list[Any]) -> None:
        if not rows:
            return
        table = model._meta.db_table
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        if connection.vendor == "postgresql":
            # COPY is several times faster than multi-row INSERTs for a million entries.
            with (
                connection.connection.cursor() as cursor,
                cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(columns))
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608

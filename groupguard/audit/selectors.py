"""Reads of the audit log: entries for the audit page, proofs for the CLI and packets."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from groupguard.audit import log as audit_log
from groupguard.audit.log import StoredHashSource, log_name_for
from groupguard.audit.merkle_proofs import consistency_proof, inclusion_proof
from groupguard.audit.models import AuditEntry, AuditLog


def log_for(practice_id: Any) -> AuditLog:
    """The log of a practice (or the site log), created on first use."""
    return audit_log.log_for(practice_id)


def log_name(practice_id: Any) -> str:
    """The name of a practice's log (``practice/<id>``), or the site log's."""
    return log_name_for(practice_id)


def log_of_practice(practice_id: Any) -> AuditLog | None:
    return AuditLog.objects.filter(name=log_name_for(practice_id)).first()


def export_lines(log: AuditLog, *, batch: int = 5000) -> Iterator[str]:
    """JSON Lines: ``{"index", "entry", "leaf_hash"}`` per entry, in index order."""
    last = -1
    while True:
        rows = list(
            AuditEntry.objects.filter(log=log, index__gt=last)
            .order_by("index")
            .values_list("index", "leaf", "leaf_hash")[:batch]
        )
        if not rows:
            return
        for index, leaf, leaf_hash in rows:
            # The entry is re-embedded from its exact stored bytes, so a reader can
            # recompute the leaf hash from the "entry" text it sees.
            yield (
                '{"index":'
                + str(index)
                + ',"entry":'
                + bytes(leaf).decode("utf-8")
                + ',"leaf_hash":"'
                + bytes(leaf_hash).hex()
                + '"}'
            )
        last = rows[-1][0]


def prove_inclusion(log: AuditLog, index: int, tree_size: int | None = None) -> dict[str, Any]:
    size = log.size if tree_size is None else tree_size
    if not 0 < size <= log.size:
        raise ValueError(f"tree size must be between 1 and {log.size}")
    if not 0 <= index < size:
        raise ValueError(f"index must be between 0 and {size - 1}")
    entry = (
        AuditEntry.objects.filter(log=log, index=index).values_list("leaf_hash", flat=True).first()
    )
    if entry is None:
        raise ValueError(f"entry {index} is missing")
    path = inclusion_proof(index, size, StoredHashSource(log))
    return {
        "leaf_index": index,
        "tree_size": size,
        "leaf_hash": bytes(entry).hex(),
        "audit_path": [h.hex() for h in path],
    }


def prove_consistency(log: AuditLog, first: int, second: int | None = None) -> dict[str, Any]:
    n = log.size if second is None else second
    if not 0 < first <= n <= log.size:
        raise ValueError(f"need 1 <= from <= to <= {log.size}")
    proof = consistency_proof(first, n, StoredHashSource(log))
    return {"first": first, "second": n, "proof": [h.hex() for h in proof]}


def filtered_entries(
    log: AuditLog,
    *,
    member_id: Any = None,
    user_id: int | None = None,
    action: str = "",
    since: datetime.date | None = None,
    until: datetime.date | None = None,
) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.filter(log=log)
    if member_id:
        entries = entries.filter(member_id=member_id)
    if user_id:
        entries = entries.filter(actor_user_id=user_id)
    if action:
        entries = entries.filter(action__startswith=action)
    if since:
        entries = entries.filter(recorded_at__date__gte=since)
    if until:
        entries = entries.filter(recorded_at__date__lte=until)
    return entries.order_by("-index").defer("tree_root", "head_signature")


def entry_object(entry: AuditEntry) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(bytes(entry.leaf))
    return data

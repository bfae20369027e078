"""The audit log's own actions, recorded in the log: an export and a verification.

Faces call these, never ``audit.log.record`` (make lint's import contracts hold them to it).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from groupguard.audit.log import SYSTEM, Actor, record
from groupguard.audit.models import AuditLog, Severity
from groupguard.audit.verify import VerifyReport

__all__ = ["record_export", "record_key_rotation", "record_verification"]


def record_export(log: AuditLog, *, user: Any = None, via: str) -> None:
    """Record that the log was exported (``user`` None: the system, from the CLI)."""
    with transaction.atomic():
        record(
            practice_id=log.practice_id,
            actor=SYSTEM if user is None else Actor.user(user),
            action="audit.export",
            detail={"via": via},
        )
    log.refresh_from_db()


def record_verification(log: AuditLog, report: VerifyReport, *, user: Any = None, via: str) -> None:
    """Record a verification and its verdict; a failed one is of high severity. Raises what
    appending raises: a log whose head row is damaged may not take the entry."""
    with transaction.atomic():
        record(
            practice_id=log.practice_id,
            actor=SYSTEM if user is None else Actor.user(user),
            action="audit.verify",
            detail={"ok": report.ok, "tree_size": report.size, "via": via},
            severity=Severity.INFO if report.ok else Severity.HIGH,
        )


def record_key_rotation(
    practice_ids: Iterable[uuid.UUID], *, active_key: str, rows_resealed: int
) -> None:
    """Record in every practice's log that the encryption keys were rotated (by the system)."""
    with transaction.atomic():
        for practice_id in practice_ids:
            record(
                practice_id=practice_id,
                actor=SYSTEM,
                action="keys.rotate",
                detail={"active_key": active_key, "rows_resealed": rows_resealed},
            )

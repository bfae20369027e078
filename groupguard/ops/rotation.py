"""Re-encrypting PHI under a new key.

Rotation adds a new key to the key file and makes it active, then re-seals every encrypted
value that is under another key, in primary-key order and in small transactions. It is
resumable: a run that stops part-way leaves rows under either key (both are held), and the
next run skips rows already under the active key. Old keys stay in the file until an
operator removes them after a complete run.

Re-sealing changes a record row's stored ciphertext, so each batch of record rows is bound
again by a ``key.reseal`` entry in its practice's log, in the same transaction
(``audit.rows``): ``audit verify --records`` and packets still hold after a rotation.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction

from groupguard.audit import records, triggers
from groupguard.audit import rows as row_binding
from groupguard.audit.log import SYSTEM, record
from groupguard.core import crypto
from groupguard.core.fields import _Stored, encrypted_fields, encrypted_models


@dataclass
class RotationReport:
    active_key: str
    rows_resealed: int
    rows_checked: int


def add_active_key(key_file: Path) -> str:
    keyring = crypto.Keyring.from_json(key_file.read_text(encoding="utf-8"), source=str(key_file))
    rotated = keyring.with_new_active_key()
    crypto.write_key_file(key_file, rotated, exclusive=False)
    crypto.reset_keyring_cache()
    return rotated.active


def reseal_all(
    *, batch_size: int = 500, progress: Callable[[str, int], None] | None = None
) -> RotationReport:
    keyring = crypto.configured_keyring()
    resealed = checked = 0
    for model in encrypted_models():
        fields = encrypted_fields(model)
        names = [f.attname for f in fields]
        last = None
        while True:
            page = model._default_manager.order_by("pk")
            if last is not None:
                page = page.filter(pk__gt=last)
            rows = list(page.values_list("pk", *names)[:batch_size])
            if not rows:
                break
            last = rows[-1][0]
            stale = [
                row[0]
                for row in rows
                if any(
                    isinstance(v, _Stored) and crypto.key_id_of(v.token) != keyring.active
                    for v in row[1:]
                )
            ]
            checked += len(rows)
            if stale:
                table = model._meta.db_table
                # Append-only tables (signatures) let the re-sealing through: only the
                # ciphertext changes, never the value, and the rotation is audited.
                guard = (
                    triggers.suspended(connection, only=[table])
                    if table in triggers.ALL_TABLES
                    else contextlib.nullcontext()
                )
                bound = row_binding.is_bound(model)
                groups = records.by_practice(model, stale) if bound else {None: stale}
                with transaction.atomic(), guard:
                    for practice_id, pks in groups.items():
                        for obj in model._default_manager.select_for_update().filter(pk__in=pks):
                            for f in fields:
                                getattr(obj, f.attname)  # open under the old key
                            obj.save(update_fields=names)
                            resealed += 1
                        if bound:  # bind the new ciphertext (audit.rows)
                            record(
                                practice_id=practice_id,
                                actor=SYSTEM,
                                action="key.reseal",
                                object_type=table,
                                fields=names,
                                detail={"rows": len(pks), "key": keyring.active},
                            )
            if progress:
                progress(model._meta.label, checked)
    return RotationReport(keyring.active, resealed, checked)

"""Binding rows written before row binding existed, or by a bulk load: the baseline entries a new
database, an upgrade or a seeded practice needs so that every record row is bound.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from groupguard.audit.models import AuditEntry
from groupguard.audit.records import ADDED_COLUMNS, by_practice, newest_bindings
from groupguard.audit.rows import (
    BASELINE,
    BATCH,
    all_states,
    baseline_done,
    bound_models,
    digest,
    note_written,
)


def bind_unbound_rows(*, batch_size: int = 500, own_bulk_load: Any = None) -> int:
    """Bind every record row no entry has bound yet (rows stored before row binding, or by a
    bulk loader), one ``records.baseline`` entry per practice and batch. Returns the count.

    ``groupguard serve`` runs it once, on the first start with row binding
    (``groupguard audit baseline`` for servers started otherwise); it ends with a site-log
    entry that marks the baseline done. Rows already bound are left to ``verify_records``:
    binding them again would hide an edit, and once the baseline is done it binds nothing more
    (a row no entry bound since was written outside the application), except for a bulk
    loader binding what it has just loaded: ``own_bulk_load`` is the id of the practice it
    loaded (``seed-scale``), and only that practice's unbound rows are bound.
    """
    from groupguard.audit.log import SYSTEM, record

    if baseline_done() and own_bulk_load is None:
        return 0  # once only: later unbound rows were written outside the application
    bound = {key for key, b in newest_bindings().items() if b.sha256 is not None}
    total = 0
    for model in bound_models():
        table = str(model._meta.db_table)
        pks = [
            pk
            for pk in model._base_manager.order_by("pk").values_list("pk", flat=True)
            if (table, str(pk)) not in bound
        ]
        for start in range(0, len(pks), batch_size):
            for practice_id, chunk in by_practice(model, pks[start : start + batch_size]).items():
                if own_bulk_load is not None and practice_id != own_bulk_load:
                    continue
                with transaction.atomic():
                    note_written(model, chunk)
                    record(
                        practice_id=practice_id,
                        actor=SYSTEM,
                        action=BASELINE,
                        object_type=table,
                        detail={"rows": len(chunk)},
                    )
                total += len(chunk)
    with transaction.atomic():  # the mark that the baseline ran, in the site log
        record(practice_id=None, actor=SYSTEM, action=BASELINE, detail={"rows": total})
    return total


def ensure_baseline() -> int:
    """Run the baseline if it has not run yet (``serve`` and the WSGI app, at start)."""
    return 0 if baseline_done() else bind_unbound_rows()


def mark_new_database(**kwargs: Any) -> None:
    """After ``migrate``: a database that holds no record row yet begins with row binding, so
    the baseline is marked done at once (post_migrate). One with rows waits for ``serve``."""
    from django.db import connection

    tables = set(connection.introspection.table_names())
    if not {"audit_auditentry", "audit_auditlog"} <= tables or baseline_done():
        return
    models_here = [m for m in bound_models() if m._meta.db_table in tables]
    if len(models_here) < len(bound_models()) or any(m._base_manager.exists() for m in models_here):
        return  # a partial migrate, or a database with records: serve binds them first
    from groupguard.audit.log import SYSTEM, record

    with transaction.atomic():
        record(practice_id=None, actor=SYSTEM, action=BASELINE, detail={"rows": 0})


COLUMNS_ADDED = "records.columns"


def bind_added_columns(*, batch_size: int = 500, **kwargs: Any) -> int:
    """After ``migrate`` (post_migrate): bind again, as stored with their new columns, the rows
    stored before a migration of ``ADDED_COLUMNS`` added them. Returns the count.

    A row is bound again only if, without the added columns, it still matches its newest
    binding: a row changed outside the application stays named by ``verify_records`` (binding
    it would launder the edit), and a row never bound is left to the baseline. One entry per
    practice and batch, then a mark in the site log naming the migration, so its rows are
    bound once. It waits while a migration is unapplied (the models must match the tables) and
    while the table is empty (then no row was bound before the columns existed; the next
    migrate, ``serve`` runs one, checks the rows once and marks it).
    """
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from groupguard.audit.log import SYSTEM, log_name_for, record

    tables = set(connection.introspection.table_names())
    if not {"audit_auditentry", "audit_auditlog", "audit_rowbinding"} <= tables:
        return 0
    done = set(
        AuditEntry.objects.filter(action=COLUMNS_ADDED, log__name=log_name_for(None)).values_list(
            "object_id", flat=True
        )
    )
    models_by_table = {str(m._meta.db_table): m for m in bound_models()}
    pending: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for migration, table, columns in ADDED_COLUMNS:
        if migration not in done and table in tables and table in models_by_table:
            if models_by_table[table]._base_manager.exists():
                pending.setdefault(table, []).append((migration, columns))
    if not pending:
        return 0
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        return 0  # a partial migrate: the models may not match the tables yet
    newest = newest_bindings()
    total = 0
    for table, changes in pending.items():
        model = models_by_table[table]
        # A row bound before the first of these migrations lacks all their columns; one bound
        # between two of them lacks only the later ones.
        missing = [
            {c for _migration, columns in changes[i:] for c in columns} for i in range(len(changes))
        ]
        again = []
        for pk, state in all_states(model, batch=BATCH):
            binding = newest.get((table, pk))
            if binding is None or binding.sha256 is None:
                continue  # never bound (the baseline's), or bound as deleted: a fault to name
            if binding.sha256 == digest(table, pk, state):
                continue  # bound as it is stored now
            older = ({k: v for k, v in state.items() if k not in gone} for gone in missing)
            if any(binding.sha256 == digest(table, pk, s) for s in older):
                again.append(pk)
        added = sorted(set().union(*missing))
        for start in range(0, len(again), batch_size):
            for practice_id, chunk in by_practice(model, again[start : start + batch_size]).items():
                with transaction.atomic():
                    note_written(model, chunk)
                    record(
                        practice_id=practice_id,
                        actor=SYSTEM,
                        action=COLUMNS_ADDED,
                        object_type=table,
                        detail={"rows": len(chunk), "columns": added},
                    )
        with transaction.atomic():  # the marks that these migrations' rows are bound again
            for migration, columns in changes:
                record(
                    practice_id=None,
                    actor=SYSTEM,
                    action=COLUMNS_ADDED,
                    object_type=table,
                    object_id=migration,
                    detail={"rows": len(again), "columns": sorted(columns)},
                )
        total += len(again)
    return total

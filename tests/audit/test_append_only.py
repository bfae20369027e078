from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction

from groupguard.audit import triggers
from groupguard.audit.checkpoints import make_checkpoint
from groupguard.audit.log import split_peaks
from groupguard.audit.merkle import RootBuilder
from groupguard.audit.models import AuditEntry, AuditLog, AuditNode
from tests.audit.factories import grow_log
from tests.conftest import Cast

APPEND_ONLY = ["audit_auditentry", "audit_auditnode", "audit_checkpoint"]


def refused(fn, match: str = "append-only") -> None:
    with pytest.raises(DatabaseError, match=match), transaction.atomic():
        fn()


def sql(statement: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def head(log: AuditLog) -> tuple[str, int, bytes]:
    log.refresh_from_db()
    return log.name, log.size, bytes(log.peaks)


@pytest.fixture
def log(cast: Cast) -> AuditLog:
    log = grow_log(cast.north, 300)
    make_checkpoint(log)
    assert AuditNode.objects.filter(log=log).exists()
    return log


def guarded_operations() -> dict[str, set[str]]:
    """The operations each table has a trigger on, read from the database's own catalog."""
    found: dict[str, set[str]] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
            for table, text in cursor.fetchall():
                for op in ("UPDATE", "DELETE"):
                    if f"BEFORE {op} ON {table}" in text:
                        found.setdefault(table, set()).add(op)
        else:
            cursor.execute(
                "SELECT event_object_table, event_manipulation FROM information_schema.triggers"
            )
            for table, op in cursor.fetchall():
                found.setdefault(table, set()).add(op)
    return found


def test_every_table_of_the_audit_app_has_update_and_delete_triggers(db: None) -> None:
    tables = {model._meta.db_table for model in apps.get_app_config("audit").get_models()}
    assert set(APPEND_ONLY) | {triggers.HEAD_TABLE} <= tables
    found = guarded_operations()
    unguarded = {t: sorted({"UPDATE", "DELETE"} - found.get(t, set())) for t in sorted(tables)}
    assert {t: ops for t, ops in unguarded.items() if ops} == {}


def test_the_orm_cannot_update_or_delete_entries(cast: Cast) -> None:
    entry = AuditEntry.objects.first()
    assert entry is not None
    refused(lambda: AuditEntry.objects.filter(pk=entry.pk).update(action="tampered"))
    refused(lambda: AuditEntry.objects.filter(pk=entry.pk).delete())
    entry.action = "tampered"
    refused(lambda: entry.save())
    assert AuditEntry.objects.get(pk=entry.pk).action != "tampered"


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_raw_sql_cannot_update_or_delete_an_append_only_table(log: AuditLog, table: str) -> None:
    before = sql_count(table)
    refused(lambda: sql(f"UPDATE {table} SET log_id = log_id"))  # noqa: S608
    refused(lambda: sql(f"DELETE FROM {table} WHERE log_id = %s", [log.pk]))  # noqa: S608
    assert sql_count(table) == before


def sql_count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
        return int(cursor.fetchone()[0])


def test_a_log_head_cannot_be_deleted(log: AuditLog) -> None:
    refused(lambda: sql("DELETE FROM audit_auditlog WHERE id = %s", [log.pk]), "DELETE refused")
    assert AuditLog.objects.filter(pk=log.pk).exists()
    # Not even one with no entries yet (the ORM stops at the entries' PROTECT otherwise).
    empty = AuditLog.objects.create(name="practice/empty")
    refused(lambda: AuditLog.objects.filter(pk=empty.pk).delete(), "DELETE refused")
    assert AuditLog.objects.filter(pk=empty.pk).exists()


def test_a_log_head_cannot_shrink(log: AuditLog) -> None:
    before = head(log)
    builder = RootBuilder()
    builder.extend(
        bytes(h)
        for h in AuditEntry.objects.filter(log=log, index__lt=100)
        .order_by("index")
        .values_list("leaf_hash", flat=True)
    )
    # Consistent peaks for the smaller size: only the shrinking is wrong.
    refused(
        lambda: sql(
            "UPDATE audit_auditlog SET size = %s, peaks = %s WHERE id = %s",
            [100, b"".join(builder.peaks), log.pk],
        ),
        "size of a log only grows",
    )
    refused(lambda: AuditLog.objects.filter(pk=log.pk).update(size=0, peaks=b""), "only grows")
    assert head(log) == before


def test_a_log_heads_peaks_change_only_when_it_grows(log: AuditLog) -> None:
    before = head(log)
    forged = bytes(32) * log.size.bit_count()
    refused(
        lambda: AuditLog.objects.filter(pk=log.pk).update(peaks=forged), "peaks change only with"
    )
    assert head(log) == before


def test_a_log_head_cannot_cover_entries_that_are_not_stored(log: AuditLog) -> None:
    before = head(log)
    size = log.size + 1
    refused(
        lambda: AuditLog.objects.filter(pk=log.pk).update(
            size=size, peaks=bytes(32) * size.bit_count()
        ),
        "covers entries that are stored",
    )
    assert head(log) == before


def test_a_log_heads_peaks_must_fit_its_size(log: AuditLog) -> None:
    # Grow by one entry the way an append does, but store peaks of the wrong length.
    before = head(log)
    row = AuditEntry.objects.filter(log=log, index=log.size - 1).values().get()
    with transaction.atomic():
        AuditEntry.objects.create(**{**row, "id": None, "index": log.size})  # INSERT is allowed
        for peaks in (b"", bytes(32) * 7, bytes(33) * 3, "text"):
            refused(
                lambda peaks=peaks: sql(
                    "UPDATE audit_auditlog SET size = size + 1, peaks = %s WHERE id = %s",
                    [peaks, log.pk],
                ),
                "peaks of a log are one 32-byte hash per set bit|bytea",
            )
        transaction.set_rollback(True)
    assert head(log) == before


def test_a_log_heads_name_and_practice_never_change(log: AuditLog) -> None:
    before = head(log)
    for change in ({"name": "practice/elsewhere"}, {"practice": None}):
        refused(
            lambda change=change: AuditLog.objects.filter(pk=log.pk).update(**change),
            "name and practice of a log never change",
        )
    assert head(log) == before
    assert AuditLog.objects.get(pk=log.pk).practice_id is not None


def test_appends_and_a_save_that_changes_nothing_still_pass(log: AuditLog, cast: Cast) -> None:
    size = log.size
    grown = grow_log(cast.north, 3)
    assert grown.size == size + 3
    grown.save()  # every column written back unchanged
    grown.refresh_from_db()
    builder = RootBuilder()
    builder.extend(
        bytes(h)
        for h in AuditEntry.objects.filter(log=log)
        .order_by("index")
        .values_list("leaf_hash", flat=True)
    )
    assert split_peaks(bytes(grown.peaks)) == list(builder.peaks)


def test_the_triggers_come_back_after_being_suspended(log: AuditLog) -> None:
    with transaction.atomic():
        with triggers.suspended(connection):
            sql("UPDATE audit_auditlog SET name = name || '-moved' WHERE id = %s", [log.pk])
        refused(lambda: sql("DELETE FROM audit_auditlog WHERE id = %s", [log.pk]), "refused")
        refused(lambda: sql("DELETE FROM audit_auditentry WHERE log_id = %s", [log.pk]))
        transaction.set_rollback(True)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("table", [*APPEND_ONLY, triggers.HEAD_TABLE])
def test_truncate_is_refused_on_postgresql(log: AuditLog, table: str) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("TRUNCATE is a PostgreSQL statement")
    before = sql_count(table)
    assert before > 0
    refused(lambda: sql(f"TRUNCATE {table} CASCADE"), "refused")
    assert sql_count(table) == before

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from groupguard.audit.checkpoints import make_checkpoint
from groupguard.audit.models import AuditEntry, AuditNode, Checkpoint
from tests.audit.factories import grow_log
from tests.conftest import Cast


def refused(fn) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        fn()


def test_the_orm_cannot_update_or_delete_entries(cast: Cast) -> None:
    entry = AuditEntry.objects.first()
    assert entry is not None
    refused(lambda: AuditEntry.objects.filter(pk=entry.pk).update(action="tampered"))
    refused(lambda: AuditEntry.objects.filter(pk=entry.pk).delete())
    entry.action = "tampered"
    refused(lambda: entry.save())
    assert AuditEntry.objects.get(pk=entry.pk).action != "tampered"


def test_raw_sql_cannot_update_or_delete_entries_nodes_or_checkpoints(cast: Cast) -> None:
    log = grow_log(cast.north, 300)
    make_checkpoint(log)
    assert AuditNode.objects.filter(log=log).exists()
    for table in ("audit_auditentry", "audit_auditnode", "audit_checkpoint"):

        def update(table: str = table) -> None:
            with connection.cursor() as cursor:
                cursor.execute(f"UPDATE {table} SET log_id = log_id")  # noqa: S608

        def delete(table: str = table) -> None:
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608

        refused(update)
        refused(delete)
    assert Checkpoint.objects.filter(log=log).count() == 1


@pytest.mark.django_db(transaction=True)
def test_truncate_is_refused_on_postgresql(cast: Cast) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("TRUNCATE is a PostgreSQL statement")

    def truncate() -> None:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE audit_auditentry")

    refused(truncate)

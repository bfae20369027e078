"""Records that prove they were not edited (audit.rows).

The attack (#15, finding 3): with sqlite3, a contact's ``promised_confidentiality``, ``request``
and ``occurred_at`` were changed without any audit entry, and both ``audit verify`` and
``packet verify`` said ok. Every record row is now bound, as stored, into the entry that wrote
it; a row changed, inserted or deleted outside the application is named by table and id.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from groupguard.audit import baseline, rows, triggers
from groupguard.audit.baseline import bind_unbound_rows, ensure_baseline
from groupguard.audit.models import AuditEntry, RowBinding
from groupguard.audit.records import verify_records
from groupguard.audit.rows import RecordAltered, baseline_done, bound_models
from groupguard.contacts import actions as contacts
from groupguard.contacts.models import Contact, Promise
from groupguard.demo.practice import build_demo
from groupguard.disclosures import actions as actions_disclosures
from groupguard.practice.models import Attendance
from tests.conftest import Cast


def _id(pk: object) -> str:
    """A primary key as the database stores it (SQLite keeps UUIDs as 32 hex digits)."""
    return pk.hex if connection.vendor == "sqlite" and isinstance(pk, uuid.UUID) else str(pk)


@contextlib.contextmanager
def outside(table: str) -> Iterator[None]:
    """SQL as someone with the database file would run it (triggers dropped if needed)."""
    guard = triggers.suspended(connection, only=[table]) if table in triggers.ALL_TABLES else None
    with transaction.atomic(), guard or contextlib.nullcontext():
        yield


def run_sql(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def demo(db: None) -> None:
    build_demo()


def test_the_demo_practice_verifies_row_by_row(demo: None) -> None:
    report = verify_records()
    assert report.ok, report.faults[:5]
    tables = {str(m._meta.db_table) for m in bound_models()}
    covered = {
        "practice_attendance",
        "practice_rolerelationship",
        "agreements_signature",
        "contacts_contact",
        "contacts_promise",
        "contacts_referral",
        "disclosures_assessment",
        "disclosures_disclosure",
        "evidence_complaint",
    }
    assert covered <= tables
    bound = set(RowBinding.objects.values_list("table", flat=True))
    assert covered <= bound, covered - bound


ATTACKS = [
    ("contacts_contact", "promised_confidentiality", "NOT promised_confidentiality"),
    ("contacts_contact", "request", "'none'"),
    ("contacts_contact", "occurred_at", "created_at"),
]


@pytest.mark.parametrize(("table", "column", "expression"), ATTACKS)
def test_the_attacks_edits_of_a_contact_are_named(
    cast: Cast, table: str, column: str, expression: str
) -> None:
    contact = contacts.log_contact(
        group=cast.thursday,
        members=[cast.mia],
        acting_user=cast.bob,
        occurred_at=timezone.now() - datetime.timedelta(hours=5),
        setting="after_session",
        initiated_by="member",
        summary="Please keep this between us.",
        request="explicit",
        promised_confidentiality=True,
        promise_scope="until_next_session",
        promise_confirmed=True,
    )
    assert verify_records().ok
    with outside(table):
        run_sql(f"UPDATE {table} SET {column} = {expression} WHERE id = %s", [_id(contact.pk)])  # noqa: S608
    report = verify_records()
    assert not report.ok
    assert report.changed == [(table, str(contact.pk))]
    assert f"{table} {contact.pk}: changed outside the application" in report.faults[0]


def test_an_edit_of_any_record_table_is_named(demo: None) -> None:
    """Every kind of record, one row each: changed in place, then put back."""
    for model in bound_models():
        table = str(model._meta.db_table)
        row = model._base_manager.order_by("pk").values_list("pk", flat=True).first()
        if row is None:
            continue
        sid = transaction.savepoint()
        with outside(table):
            run_sql(
                f"UPDATE {table} SET created_at = %s WHERE id = %s",  # noqa: S608
                [datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC), _id(row)],
            )
        report = verify_records(models_to_check=[model])
        assert report.changed == [(table, str(row))], table
        transaction.savepoint_rollback(sid)
    assert verify_records().ok


def test_a_row_inserted_or_deleted_outside_the_application_is_named(cast: Cast) -> None:
    promise_free = contacts.log_contact(
        group=cast.thursday,
        members=[cast.mia],
        acting_user=cast.bob,
        occurred_at=timezone.now() - datetime.timedelta(hours=5),
        setting="phone",
        initiated_by="member",
        summary="A call.",
        request="none",
    )
    link = promise_free.member_links.get()
    with outside("contacts_contactmember"):
        run_sql("DELETE FROM contacts_contactmember WHERE id = %s", [_id(link.pk)])
    report = verify_records()
    assert report.changed == [("contacts_contactmember", str(link.pk))]
    assert "deleted outside the application" in report.faults[0]


def test_a_later_save_does_not_launder_an_edit(cast: Cast) -> None:
    contact = contacts.log_contact(
        group=cast.thursday,
        members=[cast.mia],
        acting_user=cast.bob,
        occurred_at=timezone.now() - datetime.timedelta(hours=1),
        setting="after_session",
        initiated_by="member",
        summary="Asked me to keep it from the group.",
        request="explicit",
    )
    with outside("contacts_contact"):
        run_sql("UPDATE contacts_contact SET request = 'none' WHERE id = %s", [_id(contact.pk)])
    entries = AuditEntry.objects.count()
    with pytest.raises(RecordAltered, match="changed outside groupguard"):
        with transaction.atomic():
            contacts.edit_contact(contact, acting_user=cast.bob, follow_up="Call back Friday.")
    assert AuditEntry.objects.count() == entries
    assert verify_records().changed == [("contacts_contact", str(contact.pk))]


def test_a_rolled_back_write_binds_nothing(cast: Cast) -> None:
    promise_count = Promise.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        Contact.objects.filter(pk__isnull=True).exists()
        cast.mia.preferred_name = "Mimi"
        cast.mia.save()
        raise RuntimeError("changed my mind")
    # The next entry, in another transaction, must not bind mia's rolled-back save.
    bindings = RowBinding.objects.count()
    contacts.log_contact(
        group=cast.thursday,
        members=[cast.noah],
        acting_user=cast.bob,
        occurred_at=timezone.now() - datetime.timedelta(hours=1),
        setting="phone",
        initiated_by="member",
        summary="A call.",
        request="none",
    )
    new = set(RowBinding.objects.order_by("id")[bindings:].values_list("table", "row_id"))
    assert ("practice_member", str(cast.mia.pk)) not in new
    assert Promise.objects.count() == promise_count
    assert verify_records().ok


def test_audit_verify_records_names_the_row(cast: Cast) -> None:
    with outside("practice_member"):
        run_sql(
            "UPDATE practice_member SET created_at = %s WHERE id = %s",
            [datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC), _id(cast.noah.pk)],
        )
    out = io.StringIO()
    with pytest.raises(CommandError, match=f"records: practice_member {cast.noah.pk}: changed"):
        call_command("audit", "verify", "--records", stdout=out)
    data = json.loads(out.getvalue())
    assert data["ok"] is False and all(log["ok"] for log in data["logs"])
    assert data["records"]["ok"] is False
    assert any(f"practice_member {cast.noah.pk}" in f for f in data["records"]["faults"])


def as_before_row_binding() -> None:
    """The database of an earlier version: no baseline mark (migrate marked the new test
    database; this removes the mark inside the test's transaction)."""
    with outside("audit_auditentry"):
        run_sql("DELETE FROM audit_auditentry WHERE action = %s", ["records.baseline"])
    assert not baseline_done()


def test_a_new_database_begins_with_row_binding(db: None) -> None:
    """migrate marks an empty database's baseline done: from the first row on, a row no
    entry bound is one written outside the application."""
    assert baseline_done()
    assert ensure_baseline() == 0


def test_the_baseline_binds_only_rows_never_bound(cast: Cast) -> None:
    """Rows stored before row binding are bound once; an edited row that was bound before is
    left named, not bound again."""
    as_before_row_binding()
    [older] = Attendance.objects.bulk_create(
        [Attendance(session=cast.session, member=cast.mia, status="present", recorded_by=cast.bob)]
    )
    with outside("practice_member"):
        run_sql(
            "UPDATE practice_member SET created_at = %s WHERE id = %s",
            [datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC), _id(cast.noah.pk)],
        )
    assert set(verify_records().changed) == {
        ("practice_attendance", str(older.pk)),
        ("practice_member", str(cast.noah.pk)),
    }
    assert ensure_baseline() == 1
    [bound, mark] = AuditEntry.objects.filter(action="records.baseline").order_by("id")
    assert bound.log.practice_id == cast.north.id and mark.log.practice_id is None
    assert verify_records().changed == [("practice_member", str(cast.noah.pk))]
    # It runs once: a second run would bind rows inserted outside since, and hide them.
    Attendance.objects.bulk_create(
        [Attendance(session=cast.session, member=cast.noah, status="late", recorded_by=cast.bob)]
    )
    assert bind_unbound_rows() == 0
    assert len(verify_records().changed) == 2


def test_rows_bound_before_a_column_was_added_are_bound_again_once(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A binding covers every column: contacts 0004 added ``detection``, and each contact
    bound before no longer matched. After migrate they are bound again with it, except a row
    changed outside the application meanwhile, which stays named."""
    columns_of = rows.columns_of

    def before_the_column(model: Any) -> list[str]:
        columns = columns_of(model)
        if model._meta.db_table == "contacts_contact":
            return [c for c in columns if c != "detection"]
        return columns

    def log(summary: str) -> Contact:
        return contacts.log_contact(
            group=cast.thursday,
            members=[cast.mia],
            acting_user=cast.bob,
            occurred_at=timezone.now() - datetime.timedelta(hours=1),
            setting="phone",
            initiated_by="member",
            summary=summary,
            request="explicit",
        )

    with monkeypatch.context() as patched:
        patched.setattr(rows, "columns_of", before_the_column)  # bound as before 0004
        kept = log("Please don't tell the group.")
        edited = log("Nobody in the group knows.")
    with outside("contacts_contact"):
        run_sql("UPDATE contacts_contact SET request = 'none' WHERE id = %s", [_id(edited.pk)])
    assert set(verify_records().changed) == {
        ("contacts_contact", str(kept.pk)),
        ("contacts_contact", str(edited.pk)),
    }
    assert baseline.bind_added_columns() == 1
    assert verify_records().changed == [("contacts_contact", str(edited.pk))]
    [bound, mark] = AuditEntry.objects.filter(action=baseline.COLUMNS_ADDED).order_by("id")
    assert bound.log.practice_id == cast.north.id and mark.log.practice_id is None
    assert mark.object_id == "contacts.0004_unanswered_request_and_detection"
    assert json.loads(bytes(bound.leaf))["detail"] == {"columns": ["detection"], "rows": 1}
    # Once per migration: the edited row is never bound by a later migrate.
    assert baseline.bind_added_columns() == 0
    assert verify_records().changed == [("contacts_contact", str(edited.pk))]
    # The row bound again takes edits as usual.
    contacts.edit_contact(kept, acting_user=cast.bob, request="implied")
    assert verify_records().changed == [("contacts_contact", str(edited.pk))]


def test_an_empty_table_waits_for_rows_before_its_added_columns_are_marked(db: None) -> None:
    """A new database: no row was bound before the column existed, and migrate writes nothing
    (test databases and new installs keep their audit log as it was)."""
    entries = AuditEntry.objects.count()
    assert baseline.bind_added_columns() == 0
    assert AuditEntry.objects.count() == entries


def test_after_the_baseline_a_row_inserted_outside_is_refused_a_save(cast: Cast) -> None:
    assert bind_unbound_rows() == 0  # the cast was written through the actions: all bound
    [forged] = Attendance.objects.bulk_create(
        [Attendance(session=cast.session, member=cast.noah, status="absent", recorded_by=cast.bob)]
    )
    assert verify_records().changed == [("practice_attendance", str(forged.pk))]
    forged.status = "present"
    with pytest.raises(RecordAltered, match="never written by groupguard"):
        with transaction.atomic():
            forged.save()
    assert Attendance.objects.get(pk=forged.pk).status == "absent"


def test_the_lookup_copy_cannot_be_edited_to_launder_a_revert(cast: Cast) -> None:
    """Found by the review of this fix: put a row back to an older state, then make the lookup
    copy point at the older binding, and the next legitimate save bound the revert."""
    contact = contacts.log_contact(
        group=cast.thursday,
        members=[cast.mia],
        acting_user=cast.bob,
        occurred_at=timezone.now() - datetime.timedelta(hours=2),
        setting="phone",
        initiated_by="member",
        summary="First version.",
        request="explicit",
    )
    older = RowBinding.objects.filter(table="contacts_contact", row_id=str(contact.pk)).get()
    contacts.edit_contact(contact, acting_user=cast.bob, request="none")
    # A copy of the older binding row: refused by the unique constraint...
    with pytest.raises(IntegrityError), transaction.atomic():
        RowBinding.objects.create(
            log_id=older.log_id,
            index=older.index,
            table=older.table,
            row_id=older.row_id,
            sha256=older.sha256,
        )
    # ...and with the newest copy removed (triggers dropped), the revert is refused a save and
    # verify names the copy.
    with outside("contacts_contact"):
        run_sql("UPDATE contacts_contact SET request = 'explicit' WHERE id = %s", [_id(contact.pk)])
    with outside("audit_rowbinding"):
        run_sql(
            "DELETE FROM audit_rowbinding WHERE row_id = %s AND id <> %s",
            [str(contact.pk), older.pk],
        )
    report = verify_records()
    assert any("audit_rowbinding" in f and "missing" in f for f in report.faults), report.faults
    assert ("contacts_contact", str(contact.pk)) in report.changed


@pytest.mark.skipif(
    "connection.vendor != 'sqlite'", reason="PostgreSQL stores ids, times and booleans typed"
)
def test_an_edit_the_orm_would_not_see_is_named(cast: Cast) -> None:
    """Found by the review of this fix: on SQLite an id in capitals reads back as the same
    UUID through the ORM, yet drops the row from joins (a disclosure vanished from the
    accounting). The digest reads the row as stored."""
    disclosure = actions_disclosures.record_disclosure(
        member=cast.mia,
        acting_user=cast.bob,
        recipient="court",
        what="Court date.",
        disclosed_at=timezone.now(),
    )
    for column, expression in [
        ("member_id", "upper(member_id)"),
        ("disclosed_at", "replace(disclosed_at, ' ', 'T')"),
    ]:
        sid = transaction.savepoint()
        with outside("disclosures_disclosure"):
            run_sql(
                f"UPDATE disclosures_disclosure SET {column} = {expression} WHERE id = %s",  # noqa: S608
                [_id(disclosure.pk)],
            )
        assert verify_records().changed == [("disclosures_disclosure", str(disclosure.pk))]
        transaction.savepoint_rollback(sid)

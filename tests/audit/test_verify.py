from __future__ import annotations

import hashlib
import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groupguard.audit import triggers
from groupguard.audit.checkpoints import make_checkpoint
from groupguard.audit.log import split_peaks
from groupguard.audit.merkle import RootBuilder, node_hash
from groupguard.audit.models import AuditEntry, AuditLog, Checkpoint
from groupguard.audit.verify import verify_log
from tests.audit.factories import grow_log
from tests.conftest import Cast

SIZE = 300
CHECKPOINTS = (100, 200)


@pytest.fixture
def log(cast: Cast) -> AuditLog:
    current = grow_log(cast.north, 0).size
    return grow_log(cast.north, SIZE - current, checkpoint_at=CHECKPOINTS)


def rows(log: AuditLog) -> list[tuple[int, bytes, bytes]]:
    return [
        (i, bytes(leaf), bytes(h))
        for i, leaf, h in AuditEntry.objects.filter(log=log)
        .order_by("index")
        .values_list("index", "leaf", "leaf_hash")
    ]


def sql(statement: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def set_entry(log: AuditLog, at: int, **columns: object) -> None:
    assignments = ", ".join(f'"{name}" = %s' for name in columns)
    sql(
        f'UPDATE audit_auditentry SET {assignments} WHERE log_id = %s AND "index" = %s',  # noqa: S608
        [*columns.values(), log.pk, at],
    )


def set_head(log: AuditLog, size: int) -> None:
    builder = RootBuilder()
    builder.extend(h for _, _, h in rows(log)[:size])
    sql(
        "UPDATE audit_auditlog SET size = %s, peaks = %s WHERE id = %s",
        [size, b"".join(builder.peaks), log.pk],
    )


def rewrite(leaf: bytes) -> bytes:
    entry = json.loads(leaf)
    entry["action"] = "something.else"
    from groupguard.audit.jcs import canonicalize

    return canonicalize(entry)


def mutate(log: AuditLog, kind: str, index: int, bit: int) -> None:
    data = rows(log)
    i, leaf, h = data[index]
    if kind == "flip_leaf":
        flipped = bytearray(leaf)
        flipped[bit % len(flipped)] ^= 1 << (bit % 8)
        set_entry(log, i, leaf=bytes(flipped))
    elif kind == "flip_hash":
        flipped = bytearray(h)
        flipped[bit % 32] ^= 1 << (bit % 8)
        set_entry(log, i, leaf_hash=bytes(flipped))
    elif kind == "rewrite_with_hash":
        new = rewrite(leaf)
        set_entry(log, i, leaf=new, leaf_hash=hashlib.sha256(b"\x00" + new).digest())
    elif kind == "delete":
        sql('DELETE FROM audit_auditentry WHERE log_id = %s AND "index" = %s', [log.pk, i])
    elif kind == "reorder":
        j = (index + 1 + bit % (SIZE - 1)) % SIZE
        if j == i:
            j = (i + 1) % SIZE
        set_entry(log, i, index=-1)
        set_entry(log, j, index=i)
        set_entry(log, -1, index=j)
    elif kind == "insert":
        sql(
            'UPDATE audit_auditentry SET "index" = "index" + 1000000 WHERE log_id = %s AND "index" >= %s',
            [log.pk, i],
        )
        sql(
            'UPDATE audit_auditentry SET "index" = "index" - 999999 WHERE log_id = %s AND "index" >= 1000000',
            [log.pk],
        )
        forged = rewrite(leaf)
        sql(
            'INSERT INTO audit_auditentry (log_id, "index", leaf, leaf_hash, tree_root, head_signature, key_id,'
            " recorded_at, action, actor_user_id, object_type, object_id, member_id, severity)"
            " SELECT log_id, %s, %s, %s, tree_root, head_signature, key_id, recorded_at, action,"
            " actor_user_id, object_type, object_id, member_id, severity FROM audit_auditentry"
            ' WHERE log_id = %s AND "index" = %s',
            [i, forged, hashlib.sha256(b"\x00" + forged).digest(), log.pk, i + 1],
        )
        set_head(log, SIZE + 1)
    elif kind == "truncate":
        sql('DELETE FROM audit_auditentry WHERE log_id = %s AND "index" >= %s', [log.pk, i])
    elif kind == "truncate_and_fix_head":
        sql('DELETE FROM audit_auditentry WHERE log_id = %s AND "index" >= %s', [log.pk, max(i, 1)])
        set_head(log, max(i, 1))
    elif kind == "rewrite_tail":
        # Everything after the last checkpoint, recomputed consistently except for the
        # signatures, which need the key.
        start = max(CHECKPOINTS)
        builder = RootBuilder()
        builder.extend(hh for _, _, hh in data[:start])
        for j, old_leaf, _ in data[start:]:
            new = rewrite(old_leaf)
            new_hash = hashlib.sha256(b"\x00" + new).digest()
            builder.append(new_hash)
            set_entry(log, j, leaf=new, leaf_hash=new_hash, tree_root=builder.root())
        sql("UPDATE audit_auditlog SET peaks = %s WHERE id = %s", [b"".join(builder.peaks), log.pk])
    else:  # pragma: no cover
        raise AssertionError(kind)


MUTATIONS = [
    "flip_leaf",
    "flip_hash",
    "rewrite_with_hash",
    "delete",
    "reorder",
    "insert",
    "truncate",
    "truncate_and_fix_head",
    "rewrite_tail",
]


def test_an_untouched_log_verifies(log: AuditLog) -> None:
    report = verify_log(log)
    assert report.ok, report.faults
    assert report.entries_checked == SIZE
    assert report.checkpoints_checked == len(CHECKPOINTS)


def test_entries_written_while_it_runs_are_left_for_the_next_verify(
    log: AuditLog, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On a live server an entry can land between reading the log's head and reading its
    # entries. It is not a fault (it was once reported as "the log head says 300 entries but
    # 301 are stored"); the next verify covers it.
    from groupguard.audit.checkpoints import origin_for

    def and_meanwhile_a_write(arg: AuditLog) -> str:
        grow_log(cast.north, 1)
        return origin_for(arg)

    # origin_for runs right after verify_log reads the head.
    monkeypatch.setattr("groupguard.audit.verify.origin_for", and_meanwhile_a_write)
    report = verify_log(log)
    assert report.ok, report.faults
    assert report.entries_checked == SIZE
    monkeypatch.undo()
    assert verify_log(log).entries_checked == SIZE + 1


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(kind=st.sampled_from(MUTATIONS), index=st.integers(0, SIZE - 1), bit=st.integers(0, 10_000))
def test_every_mutation_is_detected(log: AuditLog, kind: str, index: int, bit: int) -> None:
    trusted = make_checkpoint(log).as_dict() if kind == "truncate_and_fix_head" else None
    with transaction.atomic():
        with triggers.suspended(connection):
            mutate(log, kind, index, bit)
        report = verify_log(AuditLog.objects.get(pk=log.pk), trusted=[trusted] if trusted else [])
        assert not report.ok, (kind, index)
        assert (
            report.first_bad_index is not None
            or "shrank" in " ".join(report.faults)
            or "checkpoint" in report.faults[0]
        )
        transaction.set_rollback(True)
    assert verify_log(log, trusted=[trusted] if trusted else []).ok


@pytest.mark.parametrize("kind", MUTATIONS)
def test_each_mutation_names_the_first_bad_index(log: AuditLog, kind: str) -> None:
    index = 150 if kind != "rewrite_tail" else 0
    trusted = [make_checkpoint(log).as_dict()] if kind == "truncate_and_fix_head" else []
    with transaction.atomic():
        with triggers.suspended(connection):
            mutate(log, kind, index, 3)
        report = verify_log(AuditLog.objects.get(pk=log.pk), trusted=trusted)
        transaction.set_rollback(True)
    assert not report.ok
    expected = {"rewrite_tail": max(CHECKPOINTS), "truncate_and_fix_head": 150}.get(kind, 150)
    if kind == "reorder":
        expected = min(150, report.first_bad_index or 0)
    assert report.first_bad_index == expected, (kind, report.faults)


def test_a_trusted_checkpoint_from_a_longer_log_fails_a_shrunk_log(log: AuditLog) -> None:
    trusted = make_checkpoint(log).as_dict()
    assert verify_log(log, trusted=[trusted]).ok
    forged = {**trusted, "root_hash": node_hash(b"\x00" * 32, b"\x01" * 32).hex()}
    report = verify_log(log, trusted=[forged])
    assert not report.ok and "bad signature" in report.faults[0]


def test_the_cli_exits_non_zero_naming_the_first_bad_index(log: AuditLog, tmp_path) -> None:
    out = io.StringIO()
    call_command("audit", "verify", "--practice", "north", stdout=out)
    assert json.loads(out.getvalue())["ok"] is True
    with transaction.atomic():
        with triggers.suspended(connection):
            mutate(log, "flip_leaf", 42, 5)
        with pytest.raises(CommandError, match="first bad index 42") as err:
            call_command("audit", "verify", "--practice", "north", stdout=io.StringIO())
        assert err.value.returncode == 1
        transaction.set_rollback(True)


def test_the_head_peaks_agree_with_the_entries(log: AuditLog) -> None:
    builder = RootBuilder()
    builder.extend(h for _, _, h in rows(log))
    assert split_peaks(bytes(log.peaks)) == list(builder.peaks)


def test_a_leaf_stored_as_text_is_a_fault_naming_its_index(log: AuditLog) -> None:
    # Found by an outside attack: the verifier died with a traceback instead of reporting.
    with transaction.atomic():
        with triggers.suspended(connection):
            set_entry(log, 42, leaf="not bytes")
        report = verify_log(AuditLog.objects.get(pk=log.pk))
        transaction.set_rollback(True)
    assert not report.ok
    assert report.first_bad_index == 42
    # PostgreSQL turns the text into bytes on the way in; SQLite keeps it as text.
    expected = {"sqlite": "its leaf is text 'not bytes', not bytes"}.get(
        connection.vendor, "leaf bytes do not match their stored hash"
    )
    assert report.faults == [f"entry 42: {expected}"]


class Raw(str):
    """A SQL expression to store as it is, for values no parameter can carry."""


# Text that is not UTF-8: only SQLite stores it (PostgreSQL refuses it on write).
BAD_UTF8 = Raw("CAST(x'ff00fe' AS TEXT)")
# Wrong values for a column, of every kind a database holding the wrong thing could return.
WRONG = [None, "text", "", 7, -1, 1.5, b"", b"\xff" * 5, BAD_UTF8]
WRONG_HASHES = [*WRONG, bytes(31), bytes(33), bytes(32)]
WRONG_SIGNATURES = [*WRONG, bytes(63), bytes(65), bytes(64)]
WRONG_TEXT = [*WRONG, "0" * 16, b"0" * 16]
# The columns verify reads, and the wrong values each gets.
ENTRY_COLUMNS = {
    "index": [None, "text", -1, 1.5, 2**62, b"\x01", BAD_UTF8],
    "leaf": WRONG,
    "leaf_hash": WRONG_HASHES,
    "tree_root": WRONG_HASHES,
    "head_signature": WRONG_SIGNATURES,
    "key_id": WRONG_TEXT,
}
# Copies of entry fields kept for filtering only: verify reads the leaf bytes, not these.
COPY_COLUMNS = [
    "recorded_at",
    "action",
    "actor_user_id",
    "object_type",
    "object_id",
    "member_id",
    "severity",
]
CHECKPOINT_COLUMNS = {
    "origin": WRONG_TEXT,
    "tree_size": [None, "text", -1, 1.5, 2**62, b"\x01", BAD_UTF8, 150],
    "root_hash": [*WRONG_TEXT, "0" * 64, "A" * 64],
    "timestamp": WRONG_TEXT,
    "key_id": WRONG_TEXT,
    "signature": [*WRONG_TEXT, "!!", "AAAA", "A" * 88],
}
HEAD_COLUMNS = {
    "name": [*WRONG_TEXT, "practice/elsewhere"],
    "size": [None, "text", -1, 1.5, 2**62, b"\x01", BAD_UTF8, 299, 301],
    "peaks": [*WRONG, bytes(32) * 4],
}


def store(table: str, column: str, value: object, where: str, params: list[Any]) -> bool:
    """Write ``value`` into one column the way someone bypassing the application could; False
    when the database refuses to hold it (a type it enforces, a NOT NULL)."""
    if isinstance(value, Raw) and connection.vendor != "sqlite":
        return False
    assignment = value if isinstance(value, Raw) else "%s"
    try:
        with transaction.atomic():
            sql(
                f'UPDATE {table} SET "{column}" = {assignment} WHERE {where}',  # noqa: S608
                params if isinstance(value, Raw) else [value, *params],
            )
    except DatabaseError:
        return False
    return True


def verify_with(
    log: AuditLog, table: str, column: str, value: object, where: str, params: list[Any]
):
    """The report on ``log`` with one stored value changed, or None if it could not be stored.
    Everything is rolled back after."""
    with transaction.atomic():
        with triggers.suspended(connection):
            stored = store(table, column, value, where, params)
            report = verify_log(AuditLog(pk=log.pk)) if stored else None
        transaction.set_rollback(True)
    if report is not None:
        assert all("\n" not in fault for fault in report.faults), report.faults
    return report


@pytest.mark.parametrize("column", list(ENTRY_COLUMNS))
def test_a_wrong_value_in_any_entry_column_verify_reads_is_a_fault(
    log: AuditLog, column: str
) -> None:
    # The last entry: its signed head is read too, so every column here is checked.
    last = SIZE - 1
    where = 'log_id = %s AND "index" = %s'
    faulted = []
    for value in ENTRY_COLUMNS[column]:
        report = verify_with(log, "audit_auditentry", column, value, where, [log.pk, last])
        if report is None:
            continue
        assert not report.ok, (column, value)
        assert report.first_bad_index is not None, (column, value, report.faults)
        faulted.append(value)
    assert faulted, f"no wrong value could be stored in {column}"


@pytest.mark.parametrize("column", ["index", "leaf", "leaf_hash"])
def test_a_wrong_value_in_a_middle_entry_names_where_the_log_breaks(
    log: AuditLog, column: str
) -> None:
    where = 'log_id = %s AND "index" = %s'
    faulted = 0
    for value in ENTRY_COLUMNS[column]:
        report = verify_with(log, "audit_auditentry", column, value, where, [log.pk, 150])
        if report is None:
            continue
        assert not report.ok, (column, value)
        # A fractional index sorts the row between two others; every other value is at 150.
        assert report.first_bad_index in ({150, 2} if value == 1.5 else {150}), (
            value,
            report.faults,
        )
        faulted += 1
    assert faulted


@pytest.mark.parametrize("column", COPY_COLUMNS)
def test_a_wrong_value_in_a_filter_copy_never_breaks_verify(log: AuditLog, column: str) -> None:
    where = 'log_id = %s AND "index" = %s'
    for value in WRONG:
        # The record is the leaf bytes: a damaged copy is not one of verify's faults (yet),
        # but it must not stop verify either.
        verify_with(log, "audit_auditentry", column, value, where, [log.pk, SIZE - 1])


@pytest.mark.parametrize("column", list(CHECKPOINT_COLUMNS))
def test_a_wrong_value_in_a_checkpoint_is_a_fault_naming_it(log: AuditLog, column: str) -> None:
    checkpoint = Checkpoint.objects.filter(log=log, tree_size=CHECKPOINTS[-1]).get()
    faulted = 0
    for value in CHECKPOINT_COLUMNS[column]:
        report = verify_with(log, "audit_checkpoint", column, value, "id = %s", [checkpoint.pk])
        if report is None:
            continue
        assert not report.ok, (column, value)
        assert f"checkpoint {checkpoint.pk}" in " ".join(report.faults), report.faults
        faulted += 1
    assert faulted


@pytest.mark.parametrize("column", list(HEAD_COLUMNS))
def test_a_wrong_value_in_the_log_head_is_a_fault(log: AuditLog, column: str) -> None:
    faulted = 0
    for value in HEAD_COLUMNS[column]:
        report = verify_with(log, "audit_auditlog", column, value, "id = %s", [log.pk])
        if report is None:
            continue
        assert not report.ok, (column, value)
        faulted += 1
    assert faulted


def test_a_row_with_a_text_index_is_named(log: AuditLog) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("only SQLite stores text in an integer column")
    report = verify_with(
        log, "audit_auditentry", "index", "text", 'log_id = %s AND "index" = %s', [log.pk, 150]
    )
    assert report is not None and report.first_bad_index == 150
    assert "entry 150 is missing" in report.faults[0]
    assert "has index text 'text', not a whole number" in report.faults[0]


def test_a_malformed_trusted_checkpoint_is_a_fault(log: AuditLog) -> None:
    good = make_checkpoint(log).as_dict()
    for trusted in (["a list"], 7, {**good, "tree_size": "300"}, {**good, "extra": 1.5}, {}):
        report = verify_log(log, trusted=[trusted])
        assert not report.ok and report.faults[0].startswith("trusted checkpoint 1: "), trusted


def test_peaks_that_do_not_match_the_entries_are_a_fault(log: AuditLog) -> None:
    report = verify_with(
        log, "audit_auditlog", "peaks", bytes(32) * SIZE.bit_count(), "id = %s", [log.pk]
    )
    assert report is not None
    assert report.faults == [
        "the log's head row holds peaks that do not match the tree of its entries"
    ]

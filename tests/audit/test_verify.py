from __future__ import annotations

import hashlib
import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groupguard.audit import triggers
from groupguard.audit.checkpoints import make_checkpoint
from groupguard.audit.log import split_peaks
from groupguard.audit.merkle import RootBuilder, node_hash
from groupguard.audit.models import AuditEntry, AuditLog
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

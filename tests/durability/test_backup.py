"""The backup-restore drill: ``groupguard backup`` while a writer keeps writing, then
``groupguard restore`` into a fresh data directory (and, on PostgreSQL, a fresh database), and
the refusals that keep a restore from doing harm.

Like test_crash.py, a pure subprocess test: no test database of pytest-django. The demo
practice is built once per module in its own data directory (SQLite, or a fresh PostgreSQL
database when the suite runs with ``DATABASE_URL``); each restore goes into another.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.durability.support import fresh_database, process_environment

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ENCRYPTION_KEYS = json.dumps(
    {"active": "kbackup1", "keys": {"kbackup1": base64.b64encode(b"b" * 32).decode()}}
)
SECRET_KEY = "backup-test-secret-key-" + "z" * 50
AUDIT_WRITTEN_BY_RESTORE = {"audit_auditentry", "audit_auditnode"}

# Writes members through the real action (ORM, audit entry in the same transaction) until the
# stop file appears, printing each id once its transaction has committed.
WRITER = """
import datetime, os, sys, time
import django
django.setup()
from groupguard.practice import actions
from groupguard.practice.models import Practice
demo = Practice.objects.get(slug="demo")
n = 0
while not os.path.exists(sys.argv[1]):
    n += 1
    member = actions.create_member(
        practice=demo, acting_user=None, given_name="Wren", family_name=f"Writer{n}",
        date_of_birth=datetime.date(1980, 1, 1),
    )
    print(member.id, flush=True)
    time.sleep(0.02)  # steady, not flat out: the drill needs overlap, not volume
"""

COUNTS = """
import json
import django
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    tables = connection.introspection.table_names(cursor)
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
        counts[table] = cursor.fetchone()[0]
print(json.dumps(counts))
"""

# Everything a restore must bring back: every decrypted PHI value, every log's leaf bytes.
STATE = """
import base64, datetime, json
import django
django.setup()
from groupguard.audit.models import AuditEntry, AuditLog
from groupguard.ops import rotation
from groupguard.core.fields import encrypted_fields, encrypted_models
def plain(value):
    if isinstance(value, (bytes, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value
values = {}
for model in encrypted_models():
    names = [f.attname for f in encrypted_fields(model)]
    for obj in model._default_manager.all():
        for name in names:
            values[f"{model._meta.label}|{obj.pk}|{name}"] = plain(getattr(obj, name))
logs = {
    log.name: [bytes(leaf).decode() for leaf in AuditEntry.objects.filter(log=log)
               .order_by("index").values_list("leaf", flat=True)]
    for log in AuditLog.objects.all()
}
print(json.dumps({"values": values, "logs": logs}))
"""


def _groupguard() -> list[str]:
    return [sys.executable, "-m", "groupguard.cli.main"]


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [*_groupguard(), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def _ok(env: dict[str, str], *args: str) -> str:
    result = _run(env, *args)
    assert result.returncode == 0, (
        f"groupguard {' '.join(args)} exited with {result.returncode}:\n"
        f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result.stdout


def _python(env: dict[str, str], code: str) -> Any:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"python snippet failed:\n{result.stderr[-3000:]}"
    return json.loads(result.stdout)


def _database() -> contextlib.AbstractContextManager[str | None]:
    return fresh_database("groupguard_backup", tools=("pg_dump", "pg_restore"))


def _environment(data_dir: Path, database_url: str | None, **extra: str) -> dict[str, str]:
    return process_environment(
        data_dir, database_url, encryption_keys=ENCRYPTION_KEYS, secret_key=SECRET_KEY, **extra
    )


@dataclass
class Writer:
    """A process writing members until told to stop; ``ids`` grows as commits are printed."""

    proc: subprocess.Popen[str]
    stop_file: Path
    ids: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self.lock:
                self.ids.append(line.strip())

    def written(self) -> set[str]:
        with self.lock:
            return set(self.ids)


@dataclass
class Source:
    env: dict[str, str]
    data_dir: Path
    backup: Path
    summary: dict[str, Any]
    manifest: dict[str, Any]
    before: set[str]  # members committed before the backup started
    written: set[str]  # every member the writer committed
    counts: dict[str, int]  # rows per table once the writer stopped


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    """The demo, backed up while a writer writes; the writer has stopped when tests run."""
    root = tmp_path_factory.mktemp("backup")
    data_dir = root / "source"
    with _database() as url:
        env = _environment(data_dir, url, GROUPGUARD_DEMO="1")
        _ok(env, "demo", "--quiet")
        stop = root / "stop-writer"
        proc = subprocess.Popen(  # noqa: S603
            [sys.executable, "-c", WRITER, str(stop)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        writer = Writer(proc, stop)
        reader = threading.Thread(target=writer.read, daemon=True)
        reader.start()
        try:
            deadline = time.monotonic() + 30
            while len(writer.written()) < 3:
                assert proc.poll() is None, "the writer died"
                assert time.monotonic() < deadline, "the writer wrote nothing in 30 s"
                time.sleep(0.05)
            before = writer.written()
            backup = root / "groupguard.tar"
            summary = json.loads(_ok(env, "backup", "--out", str(backup)))
            during = writer.written() - before
        finally:
            stop.touch()
            proc.wait(timeout=30)
            reader.join(timeout=10)
        assert during, "the writer wrote nothing while the backup ran: the drill proves less"
        with tarfile.open(backup) as tar:
            stream = tar.extractfile("manifest.json")
            assert stream is not None
            manifest = json.loads(stream.read())
        counts = _python(env, COUNTS)
        yield Source(env, data_dir, backup, summary, manifest, before, writer.written(), counts)


@contextlib.contextmanager
def _target(tmp_path: Path, source: Source, *, keys: bool = True, **extra: str) -> Iterator[Any]:
    """A fresh data directory (with the source's key files copied, as an operator would) and,
    on PostgreSQL, a fresh empty database."""
    data_dir = tmp_path / "restored"
    data_dir.mkdir()
    if keys:
        shutil.copytree(source.data_dir / "keys", data_dir / "keys")
    with _database() as url:
        yield _environment(data_dir, url, **extra), url


def _is_empty(env: dict[str, str], url: str | None) -> bool:
    data_dir = Path(env["GROUPGUARD_DATA_DIR"])
    if url is None:
        leftovers = [p.name for p in data_dir.iterdir() if p.name != "keys"]
        return leftovers == []
    import psycopg

    with psycopg.connect(url, connect_timeout=5) as db:
        relations = db.execute(
            "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
            " ON n.oid = c.relnamespace WHERE n.nspname = 'public'"
        ).fetchone()
    return relations == (0,)


def test_it_restores_a_backup_made_under_writes_and_every_check_passes(
    tmp_path: Path, source: Source
) -> None:
    manifest = source.manifest
    assert manifest["keys_included"] is False and source.summary["keys_included"] is False
    assert os.stat(source.backup).st_mode & 0o777 == 0o600
    with _target(tmp_path, source) as (env, _):
        report = json.loads(_ok(env, "restore", str(source.backup)))
        assert report["ok"], report
        checks = {c["check"]: c for c in report["checks"]}
        assert set(checks) == {
            "file",
            "integrity",
            "row_counts",
            "migrations",
            "audit",
            "encryption",
        }
        assert all(c["ok"] for c in checks.values()), checks
        assert checks["encryption"]["detail"]["values_opened"] > 50

        counts = _python(env, COUNTS)
        restored = _python(env, STATE)
    original = _python(source.env, STATE)

    # Row counts are the backup's, except the entries the restore itself writes to each log.
    assert {t: n for t, n in counts.items() if t not in AUDIT_WRITTEN_BY_RESTORE} == {
        t: n for t, n in manifest["tables"].items() if t not in AUDIT_WRITTEN_BY_RESTORE
    }
    # Every log holds exactly the backup's entries, the same bytes as the source's, then the
    # restore's own entry; the signed checkpoint covers the backup's own entry.
    assert set(restored["logs"]) == {log["name"] for log in manifest["logs"]}
    for log in manifest["logs"]:
        leaves = restored["logs"][log["name"]]
        size = log["size"]
        assert leaves[:size] == original["logs"][log["name"]][:size]
        actions = [json.loads(leaf)["action"] for leaf in leaves]
        if log["name"].startswith("practice/"):
            assert len(leaves) == size + 1 and actions[-1] == "backup.restore"
            assert "backup.create" in actions[: log["checkpoint"]["tree_size"]]
        assert log["checkpoint"]["tree_size"] <= size
    # Decrypted values are the source's, and the writer's members form a consistent snapshot:
    # all written before the backup started, and each one restored exactly when its audit
    # entry was (a transaction is in the copy whole or not at all).
    assert len(restored["values"]) > 100
    assert {k: original["values"].get(k) for k in restored["values"]} == restored["values"]
    members = {k.split("|")[1] for k in restored["values"] if k.startswith("practice.Member|")}
    assert (
        source.before
        <= members
        <= {k.split("|")[1] for k in original["values"] if k.startswith("practice.Member|")}
    )
    logged = {
        entry["object"]["id"]
        for leaves in restored["logs"].values()
        for entry in map(json.loads, leaves)
        if entry["action"] == "member.create"
    }
    assert members & source.written == logged & source.written


def test_it_refuses_to_restore_over_a_database_that_holds_data(source: Source) -> None:
    result = _run(source.env, "restore", str(source.backup))
    assert result.returncode != 0
    assert "is not empty" in result.stderr and "refusing to overwrite" in result.stderr
    assert _python(source.env, COUNTS) == source.counts


def _flip_payload_byte(data: bytes) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        payload = tar.getmembers()[2]
        at = payload.offset_data + payload.size // 2
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def _edit_manifest(data: bytes) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(data)) as tar, tarfile.open(fileobj=out, mode="w") as new:
        for member in tar.getmembers():
            content = tar.extractfile(member)
            assert content is not None
            raw = content.read()
            if member.name == "manifest.json":
                manifest = json.loads(raw)
                manifest["tables"]["practice_member"] += 1
                raw = json.dumps(manifest).encode()
                member.size = len(raw)
            new.addfile(member, io.BytesIO(raw))
    return out.getvalue()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_flip_payload_byte, "the payload does not match the manifest"),
        (lambda data: data[: len(data) // 2], "not a complete groupguard backup"),
        (_edit_manifest, "the manifest's signature does not verify"),
    ],
    ids=["a flipped payload byte", "truncated", "an edited manifest"],
)
def test_it_refuses_a_damaged_backup_and_writes_nothing(
    tmp_path: Path, source: Source, damage: Any, message: str
) -> None:
    damaged = tmp_path / "damaged.tar"
    damaged.write_bytes(damage(source.backup.read_bytes()))
    with _target(tmp_path, source) as (env, url):
        result = _run(env, "restore", str(damaged))
        assert result.returncode != 0
        assert message in result.stderr, result.stderr
        assert _is_empty(env, url)


OTHER_KEY = base64.b64encode(b"o" * 32).decode()


@pytest.mark.parametrize(
    ("keys", "extra", "message"),
    [
        (True, {"kbackup1": OTHER_KEY}, "kbackup1 are configured but are not the keys"),
        (True, {"kother": OTHER_KEY}, "kbackup1 are not configured"),
        (False, None, "no audit signing key"),
    ],
    ids=["another key under the same id", "another key id", "no audit key"],
)
def test_it_fails_closed_without_the_keys_the_backup_was_made_with(
    tmp_path: Path, source: Source, keys: bool, extra: dict[str, str] | None, message: str
) -> None:
    with _target(tmp_path, source, keys=keys) as (env, url):
        if extra:
            env["GROUPGUARD_ENCRYPTION_KEYS"] = json.dumps(
                {"active": next(iter(extra)), "keys": extra}
            )
        result = _run(env, "restore", str(source.backup))
        assert result.returncode != 0
        assert message in result.stderr, result.stderr
        assert "keys" in result.stderr
        assert _is_empty(env, url)
        if not keys:  # restore never makes a key of its own: a fresh key would verify nothing
            assert not (Path(env["GROUPGUARD_DATA_DIR"]) / "keys").exists()


def test_it_reports_a_failed_check_of_the_restored_data_and_exits_1(
    tmp_path: Path, source: Source
) -> None:
    # A manifest re-signed with the audit key (which this test holds) that promises one member
    # more than the payload has: every check before writing passes, the row counts do not.
    from cryptography.hazmat.primitives import serialization

    from groupguard.audit.jcs import canonicalize

    key = serialization.load_pem_private_key(
        (source.data_dir / "keys" / "audit-ed25519.pem").read_bytes(), password=None
    )
    manifest = json.loads(json.dumps(source.manifest))
    manifest["tables"]["practice_member"] += 1
    body = canonicalize({"kind": "backup-manifest", "manifest": manifest})
    signature = {
        "key_id": source.manifest["audit_key"]["key_id"],
        "signature": base64.b64encode(key.sign(body)).decode(),  # type: ignore[call-arg,union-attr]
    }
    resigned = tmp_path / "resigned.tar"
    with tarfile.open(source.backup) as tar, tarfile.open(resigned, mode="w") as new:
        for member in tar.getmembers():
            content = tar.extractfile(member)
            assert content is not None
            raw = content.read()
            if member.name in {"manifest.json", "manifest.sig"}:
                raw = json.dumps(manifest if member.name == "manifest.json" else signature).encode()
                member.size = len(raw)
            new.addfile(member, io.BytesIO(raw))
    with _target(tmp_path, source) as (env, _):
        result = _run(env, "restore", str(resigned))
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    failed = {c["check"]: c["detail"] for c in report["checks"] if not c["ok"]}
    assert report["ok"] is False and set(failed) == {"row_counts"}
    assert failed["row_counts"]["differ"]["practice_member"]["backup"] == (
        source.manifest["tables"]["practice_member"] + 1
    )
    assert "fails these checks: row_counts" in result.stderr


def test_it_refuses_to_overwrite_an_existing_out_file(tmp_path: Path, source: Source) -> None:
    out = tmp_path / "existing.tar"
    out.write_bytes(b"an earlier backup")
    result = _run(source.env, "backup", "--out", str(out))
    assert result.returncode != 0
    assert "already exists: refusing to overwrite it" in result.stderr
    assert out.read_bytes() == b"an earlier backup"
    assert _python(source.env, COUNTS) == source.counts  # not even an audit entry or a checkpoint


def test_the_postgresql_tools_reach_the_server_as_the_app_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # libpq settings only in the environment (TLS, a host when the URL names none) reach
    # pg_dump and pg_restore too; what the settings name wins.
    from groupguard.ops.backup_engines import _pg_env

    monkeypatch.setenv("PGSSLMODE", "verify-full")
    monkeypatch.setenv("PGHOST", "db.from.env")
    monkeypatch.setenv("PGDATABASE", "other")
    env = _pg_env({"NAME": "groupguard", "USER": "app", "HOST": "", "OPTIONS": {}})
    assert env["PGSSLMODE"] == "verify-full"
    assert env["PGHOST"] == "db.from.env"
    assert env["PGDATABASE"] == "groupguard"
    assert env["PGUSER"] == "app"

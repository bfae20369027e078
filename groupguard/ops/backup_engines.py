"""What differs between SQLite and PostgreSQL when backing up and restoring.

A **snapshot** is a consistent copy of the whole database taken while the server keeps
writing: SQLite's online backup API copies every page inside one read transaction (in WAL mode
writers carry on meanwhile); on PostgreSQL a repeatable-read transaction exports its snapshot
and ``pg_dump --snapshot`` dumps exactly what that transaction sees. The **facts** (row counts,
migrations, log sizes, encryption key ids) are read from the same snapshot, so the manifest
describes the payload and nothing written a moment later.
"""

from __future__ import annotations

import gzip
import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.request import pathname2url

from django.db.backends.base.base import BaseDatabaseWrapper

from groupguard.core.fields import encrypted_fields, encrypted_models
from groupguard.ops.backup_archive import CHUNK, BackupError


@dataclass
class Facts:
    tables: dict[str, int]
    migrations: list[list[str]]
    logs: dict[str, int]
    key_ids: list[str]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_names(cursor: Any, vendor: str) -> list[str]:
    if vendor == "sqlite":
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    else:
        cursor.execute("SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = 'public'")
    return sorted(str(row[0]) for row in cursor.fetchall())


def read_facts(cursor: Any, vendor: str) -> Facts:
    """Row counts, applied migrations, audit log sizes and the ids of the keys that sealed
    the stored PHI, read through a DB-API cursor (no parameters, so either paramstyle works)."""
    tables = {}
    for name in table_names(cursor, vendor):
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(name)}")  # noqa: S608  (introspected names)
        tables[name] = int(cursor.fetchone()[0])
    migrations: list[list[str]] = []
    if "django_migrations" in tables:
        cursor.execute("SELECT app, name FROM django_migrations")
        migrations = sorted([str(app), str(name)] for app, name in cursor.fetchall())
    logs: dict[str, int] = {}
    if "audit_auditlog" in tables:
        cursor.execute("SELECT name, size FROM audit_auditlog")
        logs = {str(name): int(size) for name, size in cursor.fetchall()}
    key_ids: set[str] = set()
    for model in encrypted_models():
        table = model._meta.db_table
        if table not in tables:
            continue
        for field in encrypted_fields(model):
            column = _quote(str(field.column))
            # Stored values are "gg1:<key id>:<ciphertext>": the key id is the second part.
            kid = (
                f"substr({column}, 5, instr(substr({column}, 5), ':') - 1)"
                if vendor == "sqlite"
                else f"split_part({column}, ':', 2)"
            )
            cursor.execute(
                f"SELECT DISTINCT {kid} FROM {_quote(table)} WHERE {column} IS NOT NULL"  # noqa: S608
            )
            key_ids.update(str(row[0]) for row in cursor.fetchall())
    return Facts(tables=tables, migrations=migrations, logs=logs, key_ids=sorted(key_ids))


def _sqlite_uri(path: Path, mode: str) -> str:
    return f"file:{pathname2url(str(path))}?mode={mode}"


# --- SQLite --------------------------------------------------------------------------------


def sqlite_snapshot(source: Path, work: Path) -> tuple[Path, Facts]:
    """A gzip of a consistent copy of the live database file, and the facts of that copy."""
    if not source.is_file():
        raise BackupError(f"no SQLite database at {source}")
    copy = work / "database.sqlite3"
    src = sqlite3.connect(_sqlite_uri(source, "rw"), uri=True, timeout=20)
    try:
        dst = sqlite3.connect(copy)
        try:
            # pages=-1: every page in one step, so one read transaction and a consistent copy.
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=DELETE")  # the copy is one self-contained file
            integrity = [row[0] for row in dst.execute("PRAGMA integrity_check").fetchall()]
            if integrity != ["ok"]:
                raise BackupError(
                    f"the copy of {source} fails PRAGMA integrity_check: {integrity[:5]}"
                )
            facts = read_facts(dst.cursor(), "sqlite")
        finally:
            dst.close()
    finally:
        src.close()
    payload = work / "database.sqlite3.gz"
    with copy.open("rb") as raw, gzip.open(payload, "wb", compresslevel=6) as packed:
        shutil.copyfileobj(raw, packed, CHUNK)
    copy.unlink()
    return payload, facts


def sqlite_is_empty(path: Path) -> tuple[bool, str]:
    """(empty, why): a missing or zero-byte file, or a database with no schema at all (Django
    may create an empty file when it first connects)."""
    if not path.exists():
        return True, "absent"
    if path.is_file() and path.stat().st_size == 0:
        return True, "an empty file"
    try:
        db = sqlite3.connect(_sqlite_uri(path, "rw"), uri=True, timeout=5)
        try:
            count = int(db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0])
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        return False, f"not an SQLite database ({exc})"
    return count == 0, f"{count} schema objects" if count else "a database with no tables"


def sqlite_place(payload: IO[bytes], target: Path) -> list[str]:
    """Decompress the payload beside ``target``, check it, then move it into place. Returns
    the integrity check's result; on any failure nothing is left at ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".restore")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out, gzip.GzipFile(fileobj=payload, mode="rb") as packed:
            try:
                shutil.copyfileobj(packed, out, CHUNK)
            except (OSError, EOFError) as exc:
                raise BackupError(f"the payload does not decompress: {exc}") from None
            out.flush()
            os.fsync(out.fileno())
        db = sqlite3.connect(_sqlite_uri(tmp, "rw"), uri=True)
        try:
            integrity = [row[0] for row in db.execute("PRAGMA integrity_check").fetchall()]
        finally:
            db.close()
        if integrity != ["ok"]:
            raise BackupError(f"the restored file fails PRAGMA integrity_check: {integrity[:5]}")
        empty, why = sqlite_is_empty(target)  # again: nothing may have appeared meanwhile
        if not empty:
            raise BackupError(f"{target} is not empty ({why}): refusing to overwrite it")
        # Side files of an empty database would be replayed into the restored one.
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        if target.exists():
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)
            except FileExistsError:
                raise BackupError(f"{target} appeared during the restore: refusing") from None
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return integrity
    finally:
        tmp.unlink(missing_ok=True)


# --- PostgreSQL ----------------------------------------------------------------------------


def client_tool(name: str) -> str:
    tool = shutil.which(name)
    if tool is None:
        raise BackupError(
            f"{name} is not on PATH: install the PostgreSQL client tools of the server's major "
            "version (Debian: apt-get install postgresql-client)"
        )
    return tool


def _pg_env(settings_dict: dict[str, Any]) -> dict[str, str]:
    """Connection settings for the client tools, through the environment (never argv).

    The process's own ``PG*`` variables stay (libpq reads them for the server's connection
    too: ``PGSSLMODE``, ``PGSSLROOTCERT``, ``PGHOST`` when the URL names none, ...), so the
    tools reach the same server the same way; what the settings name overrides them."""
    env = dict(os.environ)
    for var, key in (
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
        ("PGDATABASE", "NAME"),
    ):
        if settings_dict.get(key):
            env[var] = str(settings_dict[key])
    options = settings_dict.get("OPTIONS") or {}
    if options.get("sslmode"):
        env["PGSSLMODE"] = str(options["sslmode"])
    env["PGCONNECT_TIMEOUT"] = env.get("PGCONNECT_TIMEOUT", "10")
    return env


def postgres_snapshot(connection: BaseDatabaseWrapper, work: Path) -> tuple[Path, Facts]:
    """``pg_dump --format=custom`` of a snapshot exported by a repeatable-read transaction
    that also reads the facts, so both see the same moment."""
    tool = client_tool("pg_dump")
    payload = work / "database.pgdump"
    raw = connection.get_new_connection(connection.get_connection_params())
    try:
        raw.autocommit = True
        with raw.cursor() as cursor:
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = str(cursor.fetchone()[0])
            with tempfile.TemporaryFile() as errors:
                result = subprocess.run(  # noqa: S603
                    [tool, "--format=custom", f"--snapshot={snapshot}", f"--file={payload}"],
                    env=_pg_env(connection.settings_dict),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=errors,
                    check=False,
                )
                if result.returncode != 0:
                    errors.seek(0)
                    text = errors.read().decode("utf-8", "replace").strip()
                    raise BackupError(f"pg_dump exited with {result.returncode}: {text[-2000:]}")
            facts = read_facts(cursor, "postgresql")
            cursor.execute("COMMIT")
    finally:
        raw.close()
    os.chmod(payload, 0o600)
    return payload, facts


def postgres_tables(connection: BaseDatabaseWrapper) -> list[str]:
    with connection.cursor() as cursor:
        return table_names(cursor, "postgresql")


def _conninfo_dbname(name: str) -> str:
    return "dbname='" + name.replace("\\", "\\\\").replace("'", "\\'") + "'"


def postgres_restore(connection: BaseDatabaseWrapper, payload: IO[bytes]) -> None:
    """``pg_restore`` into the configured (empty) database in one transaction: it either
    restores everything or leaves the database as it was."""
    tool = client_tool("pg_restore")
    name = str(connection.settings_dict["NAME"])
    command = [
        tool,
        "--no-owner",
        "--exit-on-error",
        "--single-transaction",
        f"--dbname={_conninfo_dbname(name)}",
    ]
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(  # noqa: S603
            command,
            env=_pg_env(connection.settings_dict),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        assert proc.stdin is not None  # noqa: S101  (stdin=PIPE)
        try:
            while chunk := payload.read(CHUNK):
                proc.stdin.write(chunk)
        except BrokenPipeError:
            pass  # pg_restore stopped early; its exit status and message say why
        finally:
            try:
                proc.stdin.close()
            except BrokenPipeError:
                pass
        code = proc.wait()
        if code != 0:
            errors.seek(0)
            text = errors.read().decode("utf-8", "replace").strip()
            raise BackupError(
                f"pg_restore exited with {code}; the database was left as it was: {text[-2000:]}"
            )

"""``groupguard backup`` and ``groupguard restore``: an online, consistent copy of the database
with a signed audit checkpoint, and its restore into an empty database, checked end to end.

Backup: record a ``backup.create`` entry in every practice's log and sign a checkpoint of
every log, then take a snapshot (``backup_engines``) and package it (``backup_archive``). When
that fails, a ``backup.failed`` entry follows the ``backup.create`` one.

Restore: check everything that can be checked before writing (the file's signature and hash,
that the configured keys open the backup's data, that this code knows every migration, that
the target is empty), write the database, then check what was written: integrity, row counts,
migrations, every audit log against the checkpoint in the manifest, a sample of PHI values.

Keys are never in a backup; see docs/operations.md for what that means for the operator.
"""

from __future__ import annotations

import datetime
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from groupguard.audit.checkpoints import make_checkpoint, public_key_info
from groupguard.audit.log import SYSTEM, record
from groupguard.audit.models import AuditLog, Severity
from groupguard.audit.verify import known_public_keys, verify_log
from groupguard.core import crypto
from groupguard.core.fields import encrypted_fields, encrypted_models
from groupguard.ops import backup_engines as engines
from groupguard.ops.backup_archive import (
    FORMAT,
    PAYLOADS,
    VERSION,
    BackupError,
    open_archive,
    sha256_of,
    sign_manifest,
    write_archive,
)
from groupguard.practice.models import Practice

__all__ = ["BackupError", "create_backup", "default_backup_path", "restore_backup"]

logger = logging.getLogger(__name__)

KEY_CHECK_TEXT = "groupguard backup key check"
SAMPLE_PER_COLUMN = 20
KEYS_NOTE = (
    "The backup holds no keys. Restoring it needs the encryption keys "
    "(GROUPGUARD_ENCRYPTION_KEYS or its key file) and the audit signing key "
    "(GROUPGUARD_AUDIT_KEY_FILE) of this server: keep copies of them apart from the backups."
)


def _utc(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def default_backup_path(now: datetime.datetime | None = None) -> Path:
    moment = (now or timezone.now()).astimezone(datetime.UTC)
    return Path(settings.DATA_DIR) / "backups" / f"groupguard-backup-{moment:%Y%m%dT%H%M%SZ}.tar"


def _vendor() -> str:
    vendor = connections["default"].vendor
    if vendor not in PAYLOADS:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {vendor}")
    return vendor


# --- backup --------------------------------------------------------------------------------


def create_backup(out: Path | None = None) -> dict[str, Any]:
    """Write a backup file and return a summary of it (the command prints it as JSON)."""
    vendor = _vendor()
    connection = connections["default"]
    now = timezone.now()
    created_at = _utc(now)
    if out is None:
        out = default_backup_path(now)
        out.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    out = out.absolute()
    # Refuse before writing anything, not even an audit entry.
    if out.exists() or out.is_symlink():
        raise BackupError(f"{out} already exists: refusing to overwrite it")
    if not out.parent.is_dir():
        raise BackupError(f"the directory {out.parent} does not exist")
    if not os.access(out.parent, os.W_OK | os.X_OK):
        raise BackupError(f"this user cannot write to the directory {out.parent}")
    if vendor == "postgresql":
        engines.client_tool("pg_dump")

    _record_in_every_log("backup.create", {"file": out.name, "via": "cli"})
    # From here on the log says a backup was started: whatever stops it says so too.
    work: Path | None = None
    try:
        checkpoints = _checkpoint_every_log()
        work = Path(tempfile.mkdtemp(dir=out.parent, prefix=".groupguard-backup-"))
        if vendor == "sqlite":
            payload, facts = engines.sqlite_snapshot(Path(connection.settings_dict["NAME"]), work)
        else:
            payload, facts = engines.postgres_snapshot(connection, work)
        with payload.open("rb") as stream:
            digest, size = sha256_of(stream)
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "engine": vendor,
            "created_at": created_at,
            "payload": {"name": PAYLOADS[vendor], "sha256": digest, "bytes": size},
            "migrations": facts.migrations,
            "tables": facts.tables,
            "logs": [
                {"name": name, "size": facts.logs[name], "checkpoint": checkpoints.get(name)}
                for name in sorted(facts.logs)
            ],
            "audit_key": public_key_info(),
            "encryption": _key_checks(facts.key_ids, created_at),
            "keys_included": False,
        }
        write_archive(out, manifest, sign_manifest(manifest), payload)
    except BaseException as error:  # Ctrl-C too: the log must not show a backup that is not
        _record_failure(out.name, error)
        raise
    finally:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
    with out.open("rb") as stream:
        file_sha, file_bytes = sha256_of(stream)
    unreadable = [k for k, v in manifest["encryption"]["checks"].items() if v is None]
    return {
        "file": str(out),
        "bytes": file_bytes,
        "sha256": file_sha,
        "engine": vendor,
        "created_at": created_at,
        "logs": [
            {
                "name": log["name"],
                "size": log["size"],
                "checkpoint_tree_size": (log["checkpoint"] or {}).get("tree_size"),
                "checkpoint_root_hash": (log["checkpoint"] or {}).get("root_hash"),
            }
            for log in manifest["logs"]
        ],
        "encryption_key_ids": manifest["encryption"]["key_ids"],
        "unconfigured_key_ids": unreadable,
        "keys_included": False,
        "note": KEYS_NOTE,
    }


def _record_in_every_log(action: str, detail: dict[str, Any], severity: str = "info") -> None:
    with transaction.atomic():
        for practice_id in Practice.objects.order_by("id").values_list("id", flat=True):
            record(
                practice_id=practice_id,
                actor=SYSTEM,
                action=action,
                severity=severity,
                detail=detail,
            )


def _checkpoint_every_log() -> dict[str, dict[str, Any]]:
    """A signed checkpoint of every log, taken after the ``backup.create`` entries, so the
    backup carries a signed head that covers its own entry."""
    return {
        log.name: make_checkpoint(log).as_dict()
        for log in AuditLog.objects.filter(size__gt=0).order_by("name")
    }


def _record_failure(file_name: str, error: BaseException) -> None:
    """The ``backup.create`` entries are already in the logs: say that no file came of them.
    If that fails too (the database is what failed), it is logged and the first error stands:
    the failure entry is the best the log can do, not a guarantee."""
    message = (str(error).strip().splitlines() or [""])[0][:200]
    detail = {"file": file_name, "error": type(error).__name__, "message": message, "via": "cli"}
    try:
        _record_in_every_log("backup.failed", detail, severity=Severity.HIGH)
    except Exception:
        logger.exception("could not record the failed backup %s in the audit log", file_name)


def _key_checks(key_ids: list[str], created_at: str) -> dict[str, Any]:
    """For each key that sealed stored PHI, a known text sealed with it: restore opens these
    before writing anything, so the wrong keys are refused while nothing has changed."""
    keyring = crypto.configured_keyring()
    checks: dict[str, str | None] = {}
    for kid in key_ids:
        key = keyring.keys.get(kid)
        checks[kid] = (
            None
            if key is None
            else crypto.seal(
                crypto.Keyring(active=kid, keys={kid: key}),
                KEY_CHECK_TEXT,
                f"groupguard-backup|{created_at}|{kid}",
            )
        )
    return {"key_ids": key_ids, "checks": checks}


# --- restore -------------------------------------------------------------------------------


@dataclass
class RestoreReport:
    file: str
    engine: str
    backup_created_at: str
    checks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c["ok"] for c in self.checks)

    def add(self, name: str, ok: bool, detail: Any) -> None:
        self.checks.append({"check": name, "ok": ok, "detail": detail})

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "file": self.file,
            "engine": self.engine,
            "backup_created_at": self.backup_created_at,
            "checks": self.checks,
        }


def restore_backup(path: Path, *, pubkeys: list[str] | None = None) -> RestoreReport:
    """Restore ``path`` into the configured, empty database and check the result. Raises
    BackupError (with nothing written) when a check before writing fails; returns a report
    whose ``ok`` is false when a check of the restored data fails."""
    vendor = _vendor()
    connection = connections["default"]
    _require_keys()
    try:
        keys = known_public_keys(pubkeys or [])
    except ValueError as exc:
        raise BackupError(f"--pubkey is not a base64 Ed25519 public key: {exc}") from None
    with open_archive(path, keys) as archive:
        manifest = archive.manifest
        if manifest["engine"] != vendor:
            raise BackupError(
                f"{path} is a {manifest['engine']} backup, but the configured database is "
                f"{vendor}: set DATABASE_URL accordingly"
            )
        _check_migrations_known(manifest)
        _check_keys_open(manifest)
        report = RestoreReport(str(path), vendor, str(manifest["created_at"]))
        report.add(
            "file", True, {"sha256": manifest["payload"]["sha256"], "signed_by": archive.signer}
        )
        with archive.payload() as payload:
            if vendor == "sqlite":
                target = Path(connection.settings_dict["NAME"])
                connection.close()
                empty, why = engines.sqlite_is_empty(target)
                if not empty:
                    raise BackupError(
                        f"the database {target} is not empty ({why}): restore only into an "
                        "empty data directory; refusing to overwrite it"
                    )
                integrity = engines.sqlite_place(payload, target)
                report.add("integrity", True, {"pragma integrity_check": integrity})
            else:
                try:
                    tables = engines.postgres_tables(connection)
                except DatabaseError as exc:
                    raise BackupError(
                        f"cannot reach the database {connection.settings_dict['NAME']!r} "
                        f"({str(exc).strip()}): create it, empty, first (createdb)"
                    ) from None
                if tables:
                    raise BackupError(
                        f"the database {connection.settings_dict['NAME']!r} is not empty "
                        f"({len(tables)} tables in schema public, e.g. {tables[:3]}): restore "
                        "only into an empty database; refusing to overwrite it"
                    )
                engines.postgres_restore(connection, payload)
                report.add("integrity", True, {"pg_restore": "completed in one transaction"})
    _check_restored(report, manifest, keys)
    if report.ok:
        detail = {"backup_created_at": manifest["created_at"], "via": "cli"}
        _record_in_every_log("backup.restore", detail)
    return report


def _require_keys() -> None:
    """Restore never generates keys (the app would on first use): a fresh key opens nothing."""
    if (
        not settings.GROUPGUARD_ENCRYPTION_KEYS
        and not Path(settings.GROUPGUARD_ENCRYPTION_KEYS_FILE).is_file()
    ):
        raise BackupError(
            "no encryption keys are configured (GROUPGUARD_ENCRYPTION_KEYS, or the key file "
            f"{settings.GROUPGUARD_ENCRYPTION_KEYS_FILE}): the backup holds none; configure "
            "the keys of the server the backup was made on"
        )
    if not Path(settings.GROUPGUARD_AUDIT_KEY_FILE).is_file():
        raise BackupError(
            f"no audit signing key at {settings.GROUPGUARD_AUDIT_KEY_FILE} "
            "(GROUPGUARD_AUDIT_KEY_FILE): the backup holds none; copy the key of the server "
            "the backup was made on"
        )


def _check_migrations_known(manifest: dict[str, Any]) -> None:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    apps = {app for app, _ in loader.disk_migrations}
    unknown = sorted(
        f"{app}.{name}"
        for app, name in manifest["migrations"]
        if app in apps and (app, name) not in loader.disk_migrations
    )
    if unknown:
        raise BackupError(
            f"the backup was made by a newer groupguard: this code lacks {len(unknown)} of its "
            f"migrations ({', '.join(unknown[:5])}); install that version to restore it"
        )


def _check_keys_open(manifest: dict[str, Any]) -> None:
    keyring = crypto.configured_keyring()
    missing, wrong = [], []
    for kid, token in manifest["encryption"]["checks"].items():
        if kid not in keyring.keys:
            missing.append(kid)
            continue
        if token is None:
            continue  # the backup's server did not hold this key either; the sample decides
        ad = f"groupguard-backup|{manifest['created_at']}|{kid}"
        try:
            opened = crypto.open_sealed(keyring, token, ad)
        except crypto.EncryptionError:
            opened = None
        if opened != KEY_CHECK_TEXT:
            wrong.append(kid)
    if missing or wrong:
        parts = []
        if missing:
            parts.append(f"key(s) {', '.join(missing)} are not configured")
        if wrong:
            parts.append(
                f"key(s) {', '.join(wrong)} are configured but are not the keys the data "
                "was sealed with"
            )
        raise BackupError(
            f"the configured encryption keys cannot open this backup's PHI: {'; '.join(parts)} "
            f"(configured: {', '.join(sorted(keyring.keys))}); nothing was restored"
        )


def _check_restored(report: RestoreReport, manifest: dict[str, Any], keys: Any) -> None:
    connection = connections["default"]
    with connection.cursor() as cursor:
        facts = engines.read_facts(cursor, connection.vendor)

    differ = {
        name: {"backup": manifest["tables"].get(name), "restored": facts.tables.get(name)}
        for name in sorted(set(manifest["tables"]) | set(facts.tables))
        if manifest["tables"].get(name) != facts.tables.get(name)
    }
    report.add("row_counts", not differ, {"tables": len(facts.tables), "differ": differ})

    recorded = {tuple(m) for m in facts.migrations}
    same = recorded == {tuple(m) for m in manifest["migrations"]}
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    detail: dict[str, Any] = {"applied": len(recorded), "pending": [str(m) for m, _ in pending]}
    if not same:
        detail["error"] = "the restored migrations differ from the manifest's"
    elif pending:
        detail["error"] = (
            f"this code has {len(pending)} migrations the backup lacks: run 'groupguard migrate'"
        )
    report.add("migrations", same and not pending, detail)

    logs = []
    expected = {log["name"]: log for log in manifest["logs"]}
    ok = set(expected) == {name for name in AuditLog.objects.values_list("name", flat=True)}
    for log in AuditLog.objects.order_by("name"):
        wanted = expected.get(log.name)
        checkpoint = wanted["checkpoint"] if wanted else None
        result = verify_log(log, keys=keys, trusted=[checkpoint] if checkpoint else [])
        if wanted is None or log.size != wanted["size"]:
            result.fault(
                f"the log has {log.size} entries; the manifest says {wanted and wanted['size']}"
            )
        ok = ok and result.ok
        logs.append(result.as_json())
    report.add("audit", ok, {"logs": logs})

    report.add("encryption", *_sample_opens())


def _sample_opens() -> tuple[bool, dict[str, Any]]:
    """Open the first values of every encrypted column with the configured keys."""
    keyring = crypto.configured_keyring()
    opened, failures = 0, []
    for model in encrypted_models():
        fields = encrypted_fields(model)
        names = [f.attname for f in fields]
        rows = model._default_manager.order_by("pk").values_list("pk", *names)
        for row in rows[:SAMPLE_PER_COLUMN]:
            for f, stored in zip(fields, row[1:], strict=True):
                if stored is None:
                    continue
                ad = f"{model._meta.db_table}|{f.column}|{row[0]}"
                try:
                    crypto.open_sealed(keyring, stored.token, ad)
                    opened += 1
                except crypto.EncryptionError as exc:
                    failures.append(f"{model._meta.label}.{f.name} {row[0]}: {exc}")
    return not failures, {"values_opened": opened, "failures": failures[:10]}

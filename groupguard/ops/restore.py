"""``groupguard restore``: a backup (``ops.backup``) into an empty database, checked end to end.

Check everything that can be checked before writing (the file's signature and hash, that the
configured keys open the backup's data, that this code knows every migration, that the target
is empty), write the database, then check what was written: integrity, row counts, migrations,
every audit log against the checkpoint in the manifest, a sample of PHI values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

from groupguard.audit.models import AuditLog
from groupguard.audit.verify import known_public_keys, verify_log
from groupguard.core import crypto
from groupguard.core.fields import encrypted_fields, encrypted_models
from groupguard.ops import backup_engines as engines
from groupguard.ops.backup import KEY_CHECK_TEXT, database_vendor, record_in_every_log
from groupguard.ops.backup_archive import BackupError, open_archive

__all__ = ["BackupError", "RestoreReport", "restore_backup"]

SAMPLE_PER_COLUMN = 20


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
    vendor = database_vendor()
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
        record_in_every_log("backup.restore", detail)
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

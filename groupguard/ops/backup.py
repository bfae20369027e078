"""``groupguard backup``: an online, consistent copy of the database with a signed audit
checkpoint (its restore, checked end to end, is ``ops.restore``).

Backup: record a ``backup.create`` entry in every practice's log and sign a checkpoint of
every log, then take a snapshot (``backup_engines``) and package it (``backup_archive``). When
that fails, a ``backup.failed`` entry follows the ``backup.create`` one.

Keys are never in a backup; see docs/operations.md for what that means for the operator.
"""

from __future__ import annotations

import datetime
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from groupguard.audit.checkpoints import make_checkpoint, public_key_info
from groupguard.audit.log import SYSTEM, record
from groupguard.audit.models import AuditLog, Severity
from groupguard.core import crypto
from groupguard.ops import backup_engines as engines
from groupguard.ops.backup_archive import (
    FORMAT,
    PAYLOADS,
    VERSION,
    BackupError,
    sha256_of,
    sign_manifest,
    write_archive,
)
from groupguard.practice.models import Practice

__all__ = ["BackupError", "create_backup", "default_backup_path"]

logger = logging.getLogger(__name__)

KEY_CHECK_TEXT = "groupguard backup key check"
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


def database_vendor() -> str:
    vendor = connections["default"].vendor
    if vendor not in PAYLOADS:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {vendor}")
    return vendor


# --- backup --------------------------------------------------------------------------------


def create_backup(out: Path | None = None) -> dict[str, Any]:
    """Write a backup file and return a summary of it (the command prints it as JSON)."""
    vendor = database_vendor()
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

    record_in_every_log("backup.create", {"file": out.name, "via": "cli"})
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


def record_in_every_log(action: str, detail: dict[str, Any], severity: str = "info") -> None:
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
        record_in_every_log("backup.failed", detail, severity=Severity.HIGH)
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

"""A backup that fails after its ``backup.create`` entries were written says so in the log.

The snapshot is where a backup fails in practice (disk full, pg_dump cut off); the fault is
injected there, everything around it is the real code. The whole drill is in
tests/durability/test_backup.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from groupguard.audit.models import AuditEntry
from groupguard.ops import backup, backup_engines
from tests.conftest import Cast


def _disk_full(*args: object) -> None:
    raise OSError(28, "No space left on device")


def _fail_snapshots_with(monkeypatch: pytest.MonkeyPatch, fault: Any) -> None:
    monkeypatch.setattr(backup_engines, "sqlite_snapshot", fault)
    monkeypatch.setattr(backup_engines, "postgres_snapshot", fault)
    # The snapshot never runs: the PostgreSQL pass needs no pg_dump on PATH for this.
    monkeypatch.setattr(backup_engines, "client_tool", lambda name: name)


def last_two(practice: Any) -> list[AuditEntry]:
    entries = AuditEntry.objects.filter(log__practice_id=practice.id).order_by("-index")[:2]
    return list(reversed(entries))


def test_a_failed_backup_is_recorded_after_its_create_entry(
    cast: Cast, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail_snapshots_with(monkeypatch, _disk_full)
    out = tmp_path / "nightly.tar"

    with pytest.raises(OSError, match="No space left on device"):
        backup.create_backup(out)

    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # the work directory is gone too
    for practice in (cast.north, cast.south):
        created, failed_entry = last_two(practice)
        assert (created.action, failed_entry.action) == ("backup.create", "backup.failed")
        failed = json.loads(bytes(failed_entry.leaf))
        assert failed["detail"] == {
            "file": "nightly.tar",
            "error": "OSError",
            "message": "[Errno 28] No space left on device",
            "via": "cli",
        }
        assert failed_entry.severity == "high"


def test_an_interrupted_backup_is_recorded_too(
    cast: Cast, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    _fail_snapshots_with(monkeypatch, interrupted)
    with pytest.raises(KeyboardInterrupt):
        backup.create_backup(tmp_path / "nightly.tar")
    assert list(tmp_path.iterdir()) == []
    created, failed = last_two(cast.north)
    assert (created.action, failed.action) == ("backup.create", "backup.failed")
    assert json.loads(bytes(failed.leaf))["detail"]["error"] == "KeyboardInterrupt"


def test_a_refused_backup_writes_nothing(cast: Cast, tmp_path: Path) -> None:
    out = tmp_path / "exists.tar"
    out.write_bytes(b"yesterday's")
    before = AuditEntry.objects.count()
    with pytest.raises(backup.BackupError, match="already exists"):
        backup.create_backup(out)
    assert AuditEntry.objects.count() == before

"""Several processes appending to one log at once produce one contiguous, verifiable log."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from groupguard.audit.models import AuditEntry, AuditLog
from groupguard.audit.verify import verify_log
from tests.conftest import Cast

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4
EACH = 40


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_from_several_processes_stay_contiguous(cast: Cast) -> None:
    db = connection.settings_dict
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(ROOT)}
    env["GROUPGUARD_DATA_DIR"] = str(settings.DATA_DIR)
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = (
            f"postgresql://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    else:
        # The test database is a file (TEST NAME in settings): point the workers at it.
        env.pop("DATABASE_URL", None)
        assert Path(str(db["NAME"])).is_file(), "the workers need a test database on disk"
        env["GROUPGUARD_TEST_SQLITE_NAME"] = str(db["NAME"])
    log = AuditLog.objects.get(practice=cast.north)
    before = log.size
    procs = [
        subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                str(ROOT / "tests" / "audit" / "append_worker.py"),
                str(cast.north.id),
                str(EACH),
                f"w{n}",
            ],
            env=env,
            cwd=ROOT,
            stderr=subprocess.PIPE,
        )
        for n in range(WORKERS)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()[-2000:]
    log.refresh_from_db()
    assert log.size == before + WORKERS * EACH
    indexes = list(
        AuditEntry.objects.filter(log=log).order_by("index").values_list("index", flat=True)
    )
    assert indexes == list(range(log.size))
    tags = set(
        AuditEntry.objects.filter(log=log, action="test.concurrent").values_list(
            "object_id", flat=True
        )
    )
    assert len(tags) == WORKERS * EACH
    report = verify_log(log)
    assert report.ok, report.faults

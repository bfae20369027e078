"""``make load`` in miniature: the harness runs end to end and the server takes every request.

A pure subprocess test, like test_crash.py: it asks for no test database. It runs
``bench/load/run.py`` on SQLite for a few seconds (a practice of 4 groups, 3 users who each do
every action once, the rarest first, in 12 s of mix; a second per capacity endpoint) and checks
what it wrote: no failed request, no lock error, every write flow exercised, a verifying audit
log.

On SQLite only, in the suite's SQLite pass (the PostgreSQL pass would run the same again): the
harness is the subject here, and SQLite, where concurrent writers queue on one lock, is the
database where it can go wrong; the full ``make load`` covers PostgreSQL. The run uses
``bench.settings`` (plain static storage): with the production settings the first start of
``groupguard serve`` on a machine spends 15-50 s compressing static files in collectstatic on
2 cores, which would double the test's time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
WRITES = {"contact: save", "attendance: record", "sign: identity", "sign: answers", "sign: sign"}


@pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="runs once, in the SQLite pass of the suite"
)
def test_a_short_load_run_has_no_failures_and_leaves_a_verifying_log(tmp_path: Path) -> None:
    done = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "bench/load/run.py",
            "--sqlite-only",
            *("--scale", "0.02", "--users", "3", "--warmup", "0", "--duration", "12s"),
            *("--capacity-seconds", "1", "--settings", "bench.settings"),
            "--each-action-first",
            *("--results-dir", str(tmp_path)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=170,
    )
    output = f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    assert done.returncode == 0, output
    result = json.loads((tmp_path / "load-sqlite.json").read_text())

    assert result["config"]["signed_in"] == 3, output
    assert result["errors"]["failures"] == 0, result["errors"]
    assert result["errors"]["locked"] == 0, result["errors"]
    assert result["server_log"]["locked"] == 0, output
    assert result["server_log"]["tracebacks"] == 0, output
    assert WRITES <= set(result["mix"]["endpoints"]), output
    assert all(s["failures"] == 0 for s in result["mix"]["endpoints"].values()), output
    assert result["capacity"]["floor"]["requests"] > 0, output
    assert result["audit_verify"]["ok"], result["audit_verify"]
    assert "ok      audit verify" in done.stdout, output

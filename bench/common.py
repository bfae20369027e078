"""Helpers shared by the benchmark modules: statistics, machine facts, result files, and the
throwaway PostgreSQL databases the runs seed."""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"


def summarize_ms(samples_ns: list[int]) -> dict[str, float]:
    """p50, p95, mean, min and max of durations in nanoseconds, in milliseconds."""
    ms = sorted(s / 1e6 for s in samples_ns)
    if len(ms) == 1:
        cuts = [ms[0]] * 99
    else:
        cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return {
        "p50_ms": round(cuts[49], 3),
        "p95_ms": round(cuts[94], 3),
        "mean_ms": round(statistics.fmean(ms), 3),
        "min_ms": round(ms[0], 3),
        "max_ms": round(ms[-1], 3),
    }


def _git_revision() -> str | None:
    try:
        out = subprocess.run(  # noqa: S603
            ["git", "describe", "--always", "--dirty"],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _database_version(connection: Any) -> str | None:
    if connection.vendor == "sqlite":
        import sqlite3

        return sqlite3.sqlite_version
    if connection.vendor == "postgresql":
        version = int(connection.pg_version)  # e.g. 160004 for 16.4
        return f"{version // 10000}.{version % 10000}"
    return None


def machine_info() -> dict[str, Any]:
    from django import get_version
    from django.db import connection

    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "django": get_version(),
        "database": connection.vendor,
        "database_version": _database_version(connection),
        "revision": _git_revision(),
    }


def write_result(name: str, database: str, result: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}-{database}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n")
    return path


def create_postgres_database(url: str, prefix: str) -> tuple[str, str]:
    """A new, empty database ``<prefix>_<pid>`` on the server ``url`` names (a leftover of that
    name from a killed run is dropped first); its name and its URL."""
    import psycopg
    from psycopg import sql

    name = f"{prefix}_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name, urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def drop_postgres_database(url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@contextlib.contextmanager
def fresh_postgres(url: str, prefix: str, *, keep: bool = False) -> Iterator[str]:
    """The URL of a new database beside the one ``url`` names, dropped afterwards unless
    ``keep``."""
    name, fresh = create_postgres_database(url, prefix)
    try:
        yield fresh
    finally:
        if keep:
            print(f"kept database {name}", file=sys.stderr)
        else:
            drop_postgres_database(url, name)

"""What the subprocess tests of this package share: a fresh database and a clean environment.

They start real ``groupguard`` processes (the server, backup, restore) in a throwaway data
directory, on SQLite, or on a fresh PostgreSQL database when the suite runs with
``DATABASE_URL``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tests.support import missing_component

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def fresh_database(prefix: str, tools: tuple[str, ...] = ()) -> Iterator[str | None]:
    """None for SQLite; with DATABASE_URL, the URL of a fresh database on that server (named
    ``<prefix>_<random>``, dropped afterwards). ``tools``: PostgreSQL client programs the test
    needs on PATH."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        yield None
        return
    import psycopg
    from psycopg import sql

    for tool in tools:
        if shutil.which(tool) is None:
            missing_component(f"{tool} (Debian's postgresql-client)")
    name = f"{prefix}_{secrets.token_hex(6)}"
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as exc:
        missing_component(f"PostgreSQL at DATABASE_URL ({exc})")
    try:
        yield urlunsplit(urlsplit(url)._replace(path="/" + name))
    finally:
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def process_environment(
    data_dir: Path,
    database_url: str | None,
    *,
    encryption_keys: str,
    secret_key: str,
    **extra: str,
) -> dict[str, str]:
    """The environment of a ``groupguard`` process: this one's, without any groupguard or
    Django setting of the suite, pointed at ``data_dir`` and the database."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("GROUPGUARD_")
        and k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "PYTHONPATH"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="groupguard.settings",
        GROUPGUARD_DATA_DIR=str(data_dir),
        GROUPGUARD_ENCRYPTION_KEYS=encryption_keys,
        GROUPGUARD_SECRET_KEY=secret_key,
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
        **extra,
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env

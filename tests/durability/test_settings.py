"""The database's durability settings are checked where they take effect (core.durability)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, connections
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper

from groupguard.core import durability
from groupguard.settings import _database
from tests.support import missing_component

GOOD_INIT = (
    "PRAGMA journal_mode=WAL;PRAGMA synchronous=FULL;PRAGMA foreign_keys=ON;"
    "PRAGMA busy_timeout=20000;"
)


@pytest.fixture(autouse=True)
def _own_connections(django_db_blocker: Any) -> Any:
    """These tests open their own SQLite files, not the suite's test database."""
    with django_db_blocker.unblock():
        yield


def sqlite_wrapper(path: Path, **options: Any) -> SQLiteWrapper:
    """A Django connection to a SQLite file, with the product's options changed by ``options``."""
    settings_dict = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "init_command": GOOD_INIT, **options},
    }
    configured = connections.configure_settings({"default": settings_dict})["default"]
    return SQLiteWrapper(configured, alias="probe")


def test_the_product_s_sqlite_settings_pass_their_own_check(tmp_path: Path) -> None:
    # The options of settings._database, not a copy of them.
    options = _database("")["OPTIONS"]
    assert isinstance(options, dict)
    wrapper = sqlite_wrapper(tmp_path / "db.sqlite3", **options)
    try:
        found, problems = durability.describe(wrapper)
    finally:
        wrapper.close()
    assert problems == []
    assert found == {
        "journal_mode": "wal",
        "synchronous": "full",
        "foreign_keys": True,
        "busy_timeout_ms": 20000,
        "transaction_mode": "IMMEDIATE",
    }


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"init_command": GOOD_INIT.replace("WAL", "DELETE")}, "journal_mode is 'delete'"),
        ({"init_command": GOOD_INIT.replace("FULL", "NORMAL")}, "synchronous is 'normal'"),
        ({"init_command": GOOD_INIT + "PRAGMA foreign_keys=OFF;"}, "foreign_keys is off"),
        ({"init_command": GOOD_INIT + "PRAGMA busy_timeout=100;"}, "busy_timeout is 100 ms"),
        ({"transaction_mode": "DEFERRED"}, "transaction_mode is 'DEFERRED'"),
    ],
)
def test_a_sqlite_connection_without_a_durability_setting_is_refused_before_any_write(
    tmp_path: Path, options: dict[str, str], named: str
) -> None:
    path = tmp_path / "db.sqlite3"
    wrapper = sqlite_wrapper(path, **options)
    try:
        with pytest.raises(durability.DurabilityError, match=named):
            wrapper.ensure_connection()
        # The refused connection is forgotten: the next attempt is checked (and refused) again
        # instead of writing through it.
        assert wrapper.connection is None
        with pytest.raises(durability.DurabilityError, match=named):
            with wrapper.cursor() as cursor:
                cursor.execute("CREATE TABLE t (x INTEGER)")
    finally:
        wrapper.close()
    if path.exists():  # the file may exist (sqlite creates it on open), but holds no table
        import sqlite3

        with sqlite3.connect(path) as raw:
            assert raw.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)


def test_sqlite_problems_name_each_setting_in_words() -> None:
    good = {"journal_mode": "wal", "synchronous": "full", "foreign_keys": True}
    assert durability.sqlite_problems({**good, "busy_timeout_ms": 5000}, "IMMEDIATE") == []
    bad = durability.sqlite_problems(
        {
            "journal_mode": "memory",
            "synchronous": "off",
            "foreign_keys": False,
            "busy_timeout_ms": 0,
        },
        None,
    )
    assert [p.split(" ")[0] for p in bad] == [
        "journal_mode",
        "synchronous",
        "foreign_keys",
        "busy_timeout",
        "transaction_mode",
    ]


@pytest.mark.django_db
def test_the_suite_s_own_connection_is_durable() -> None:
    found, problems = durability.describe(connection)
    assert problems == []
    if connection.vendor == "sqlite":
        assert found["journal_mode"] == "wal"
        assert found["transaction_mode"] == "IMMEDIATE"
    else:
        assert found == {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}


def test_postgres_problems_warn_about_each_setting_that_can_lose_commits() -> None:
    assert (
        durability.postgres_problems(
            {"fsync": "on", "synchronous_commit": "local", "full_page_writes": "on"}
        )
        == []
    )
    problems = durability.postgres_problems(
        {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
    )
    assert [p.split(" ")[0] for p in problems] == [
        "fsync",
        "synchronous_commit",
        "full_page_writes",
    ]
    assert durability.postgres_problems({})[0].startswith("fsync is None")


def test_a_postgresql_session_with_synchronous_commit_off_is_reported() -> None:
    import psycopg

    url = os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
    try:
        raw = psycopg.connect(url, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        missing_component(f"PostgreSQL at {url} ({exc})")
    with raw:
        assert durability.postgres_problems(durability.postgres_settings(raw)) == []
        raw.execute("SET synchronous_commit = off")
        problems = durability.postgres_problems(durability.postgres_settings(raw))
    assert len(problems) == 1
    assert problems[0].startswith("synchronous_commit is 'off'")


@pytest.mark.django_db
def test_the_system_check_reports_nothing_for_the_suite_s_database() -> None:
    assert durability.check_durability(databases=["default"]) == []


def test_transaction_pooling_turns_off_server_side_cursors(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql://app@db.internal:6432/groupguard"
    monkeypatch.delenv("GROUPGUARD_DB_TRANSACTION_POOLING", raising=False)
    assert _database(url)["DISABLE_SERVER_SIDE_CURSORS"] is False
    monkeypatch.setenv("GROUPGUARD_DB_TRANSACTION_POOLING", "1")
    assert _database(url)["DISABLE_SERVER_SIDE_CURSORS"] is True
    monkeypatch.setenv("GROUPGUARD_DB_TRANSACTION_POOLING", "perhaps")
    with pytest.raises(ImproperlyConfigured, match="GROUPGUARD_DB_TRANSACTION_POOLING"):
        _database(url)

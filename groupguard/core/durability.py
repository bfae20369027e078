"""Durability settings of the database, checked where they take effect.

A write the product acknowledged must survive a crash of the process, the machine or its power.
That holds only with the right database settings, and both databases let a setting be changed
behind the product's back (a different init command, a DBA's ``postgresql.conf``), so they are
checked rather than assumed:

- **SQLite**: every new connection must be in WAL mode with ``synchronous=FULL`` (a commit is
  on disk before it is acknowledged, even across a power cut), foreign keys on, a busy timeout
  (writers queue instead of failing with "database is locked") and ``BEGIN IMMEDIATE`` for
  transactions (a writer takes the write lock when it starts, so two writers never deadlock
  upgrading read locks). A connection that is not is refused: the request fails rather than
  writing without these guarantees.
- **PostgreSQL**: the first connection of each process reads ``fsync``, ``synchronous_commit``
  and ``full_page_writes``. Those belong to the server and its operator, who may have reasons
  (a replica that is itself synchronous, say), so a wrong one is a loud warning in the log,
  in ``groupguard serve``'s start-up lines and in ``groupguard check --database default``,
  not a refusal.

The checks read the settings through the driver's own connection, not Django's cursor, so they
are not counted among a page's queries.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from typing import Any

from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.dispatch import receiver

logger = logging.getLogger("groupguard.durability")

MIN_BUSY_TIMEOUT_MS = 5000
# PostgreSQL's synchronous_commit values that wait for the local WAL flush before a commit
# returns; only "off" (and "local" is fine) acknowledges a commit that a crash can still lose.
DURABLE_SYNCHRONOUS_COMMIT = {"on", "local", "remote_write", "remote_apply"}


class DurabilityError(ImproperlyConfigured):
    """A SQLite connection without the settings that keep acknowledged writes."""


def sqlite_settings(raw: sqlite3.Connection) -> dict[str, Any]:
    """The durability settings of one open SQLite connection, in one statement."""
    row = raw.execute(
        "SELECT * FROM pragma_journal_mode, pragma_synchronous, pragma_foreign_keys, "
        "pragma_busy_timeout"
    ).fetchone()
    journal_mode, synchronous, foreign_keys, busy_timeout = row
    return {
        "journal_mode": str(journal_mode).lower(),
        "synchronous": {0: "off", 1: "normal", 2: "full", 3: "extra"}.get(
            int(synchronous), str(synchronous)
        ),
        "foreign_keys": bool(foreign_keys),
        "busy_timeout_ms": int(busy_timeout),
    }


def sqlite_problems(found: dict[str, Any], transaction_mode: str | None) -> list[str]:
    """What is wrong with a SQLite connection's settings, in words; empty when all is right."""
    problems = []
    if found["journal_mode"] != "wal":
        problems.append(
            f"journal_mode is {found['journal_mode']!r}, not 'wal' (WAL could not be enabled: "
            "is the data directory on a network or read-only file system?)"
        )
    if found["synchronous"] not in {"full", "extra"}:
        problems.append(
            f"synchronous is {found['synchronous']!r}, not 'full': a power cut could lose "
            "acknowledged commits"
        )
    if not found["foreign_keys"]:
        problems.append("foreign_keys is off: rows could point at records that do not exist")
    if found["busy_timeout_ms"] < MIN_BUSY_TIMEOUT_MS:
        problems.append(
            f"busy_timeout is {found['busy_timeout_ms']} ms, under {MIN_BUSY_TIMEOUT_MS} ms: "
            "concurrent writers would fail with 'database is locked' instead of waiting"
        )
    if transaction_mode != "IMMEDIATE":
        problems.append(
            f"transaction_mode is {transaction_mode!r}, not 'IMMEDIATE': two writers could "
            "deadlock upgrading read locks"
        )
    return problems


def postgres_settings(raw: Any) -> dict[str, str]:
    """``fsync``, ``synchronous_commit`` and ``full_page_writes`` as the server reports them."""
    with raw.cursor() as cursor:
        cursor.execute(
            "SELECT name, setting FROM pg_settings "
            "WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes')"
        )
        return {str(name): str(value) for name, value in cursor.fetchall()}


def postgres_problems(found: dict[str, str]) -> list[str]:
    """What is wrong with PostgreSQL's durability settings, in words; empty when all is right."""
    problems = []
    if found.get("fsync") != "on":
        problems.append(
            f"fsync is {found.get('fsync')!r}, not 'on': a crash of the server or the machine "
            "can corrupt the database"
        )
    if found.get("synchronous_commit") not in DURABLE_SYNCHRONOUS_COMMIT:
        problems.append(
            f"synchronous_commit is {found.get('synchronous_commit')!r}: a crash can lose "
            "commits the product already acknowledged"
        )
    if found.get("full_page_writes") != "on":
        problems.append(
            f"full_page_writes is {found.get('full_page_writes')!r}, not 'on': a crash during "
            "a page write can leave torn pages"
        )
    return problems


def describe(connection: BaseDatabaseWrapper) -> tuple[dict[str, Any], list[str]]:
    """The settings of an open connection and what is wrong with them (for the CLI and checks)."""
    connection.ensure_connection()
    raw = connection.connection
    if connection.vendor == "sqlite":
        found = sqlite_settings(raw)
        mode = getattr(connection, "transaction_mode", None)
        found["transaction_mode"] = mode
        return found, sqlite_problems(found, mode)
    if connection.vendor == "postgresql":
        found_pg = postgres_settings(raw)
        return dict(found_pg), postgres_problems(found_pg)
    return {}, [f"{connection.vendor} is not a database groupguard supports"]


_warned: set[str] = set()
_warned_lock = threading.Lock()


@receiver(connection_created, dispatch_uid="groupguard.durability")
def _check_new_connection(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    raw = connection.connection
    if connection.vendor == "sqlite":
        if getattr(connection, "is_in_memory_db", lambda: False)():
            return  # nothing there outlives the process anyway
        mode = getattr(connection, "transaction_mode", None)
        problems = sqlite_problems(sqlite_settings(raw), mode)
        if problems:
            # Forget the connection, so the next query tries (and checks) a new one instead of
            # writing through this one.
            raw.close()
            connection.connection = None
            raise DurabilityError(
                f"SQLite database {connection.settings_dict['NAME']} refused: "
                + "; ".join(problems)
            )
    elif connection.vendor == "postgresql":
        with _warned_lock:
            if connection.alias in _warned:
                return
        try:
            problems = postgres_problems(postgres_settings(raw))
            if raw.info.transaction_status != 0:  # leave the connection as Django expects it
                raw.rollback()
        except Exception:
            # Forget a connection that could not even read its settings.
            raw.close()
            connection.connection = None
            raise
        with _warned_lock:
            if connection.alias in _warned:
                return
            _warned.add(connection.alias)
        for problem in problems:
            logger.warning("PostgreSQL durability: %s", problem)


@register(Tags.database)
def check_durability(databases: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``groupguard check --database default``: the durability settings, as check messages."""
    messages: list[CheckMessage] = []
    for alias in databases or []:
        connection = connections[alias]
        try:
            _, problems = describe(connection)
        except (DurabilityError, DatabaseError) as exc:
            messages.append(
                Error(f"cannot check the database: {exc}", id="groupguard.E102", obj=alias)
            )
            continue
        for problem in problems:
            if connection.vendor == "sqlite":
                messages.append(Error(problem, id="groupguard.E101", obj=alias))
            else:
                messages.append(
                    Warning(
                        problem,
                        hint="Set it in postgresql.conf (or ALTER SYSTEM) and reload PostgreSQL.",
                        id="groupguard.W101",
                        obj=alias,
                    )
                )
    return messages

"""SQL for the triggers that keep audit and other once-written records from changing.

Two kinds:
- **append-only** tables refuse every UPDATE and DELETE (and TRUNCATE on PostgreSQL): the audit
  entries, nodes and checkpoints (audit migration 0002), and records that must never change
  once written, such as published statement versions and signatures (agreements migrations).
- the **head** table ``audit_auditlog`` holds one row per log with its size and peaks, which
  every append rewrites. Its triggers (audit migration 0003) let through only what an append
  does, listed in ``HEAD_RULES``, and refuse DELETE (and TRUNCATE).

``create_statements`` and ``drop_statements`` take a list of tables and give each the kind it
needs, so ``suspended`` can put back whatever it took away.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

TABLES = ["audit_auditentry", "audit_auditnode", "audit_checkpoint"]
ROW_TABLES = ["audit_rowbinding"]  # lookups of the row bindings in the leaves (audit.rows)
AGREEMENT_TABLES = ["agreements_statementversion", "agreements_signature"]
CONTACT_TABLES = ["contacts_amendment"]
DISCLOSURE_TABLES = ["disclosures_assessment", "disclosures_choice", "disclosures_disclosure"]
ALL_TABLES = TABLES + ROW_TABLES + AGREEMENT_TABLES + CONTACT_TABLES + DISCLOSURE_TABLES
HEAD_TABLE = "audit_auditlog"
# Every table with triggers of either kind.
GUARDED_TABLES = ALL_TABLES + [HEAD_TABLE]

# A size's number of set bits (one peak each), for SQLite, which has no bit-count function.
# Sizes are BIGINT, so 63 bits cover every size that is not negative.
_SQLITE_SET_BITS = " + ".join(f"((NEW.size >> {bit}) & 1)" for bit in range(63))

# What an UPDATE of a log's head row may not do: (name, reason, SQLite test, PostgreSQL test).
# A test that is true (or NULL) refuses the UPDATE. An append (audit.log.record, and the batch
# writers of bench/ and audit/bulk.py) raises the size to cover entries it has just
# inserted and stores the matching peaks; an UPDATE that changes nothing is let through.
HEAD_RULES: list[tuple[str, str, str, str]] = [
    (
        "identity",
        "the id, name and practice of a log never change",
        "NEW.id IS NOT OLD.id OR NEW.name IS NOT OLD.name"
        " OR NEW.practice_id IS NOT OLD.practice_id",
        "NEW.id IS DISTINCT FROM OLD.id OR NEW.name IS DISTINCT FROM OLD.name"
        " OR NEW.practice_id IS DISTINCT FROM OLD.practice_id",
    ),
    (
        "size",
        "the size of a log only grows, and its peaks change only with it",
        "typeof(NEW.size) != 'integer' OR NEW.size < OLD.size"
        " OR (NEW.size = OLD.size AND NEW.peaks IS NOT OLD.peaks)",
        "NEW.size < OLD.size OR (NEW.size = OLD.size AND NEW.peaks IS DISTINCT FROM OLD.peaks)",
    ),
    (
        "stored",
        "the size of a log only covers entries that are stored",
        "NEW.size > OLD.size AND NOT EXISTS (SELECT 1 FROM audit_auditentry"
        ' WHERE log_id = NEW.id AND "index" = NEW.size - 1)',
        "NEW.size > OLD.size AND NOT EXISTS (SELECT 1 FROM audit_auditentry"
        ' WHERE log_id = NEW.id AND "index" = NEW.size - 1)',
    ),
    (
        "peaks",
        "the peaks of a log are one 32-byte hash per set bit of its size",
        f"typeof(NEW.peaks) != 'blob' OR length(NEW.peaks) != 32 * ({_SQLITE_SET_BITS})",
        "octet_length(NEW.peaks) <> 32 * length(replace(NEW.size::bit(64)::text, '0', ''))",
    ),
]
HEAD_REMOVED = "a log head is never removed"


def create_statements(vendor: str, tables: list[str] = TABLES) -> list[str]:  # noqa: B006
    plain = [t for t in tables if t != HEAD_TABLE]
    statements = _append_only(vendor, plain) if plain else []
    if HEAD_TABLE in tables:
        statements += _head_guard(vendor)
    return statements


def drop_statements(vendor: str, tables: list[str] = TABLES) -> list[str]:  # noqa: B006
    plain = [t for t in tables if t != HEAD_TABLE]
    statements: list[str] = []
    if vendor == "sqlite":
        statements = [
            f"DROP TRIGGER IF EXISTS {table}_no_{op};"
            for table in plain
            for op in ("update", "delete")
        ]
        if HEAD_TABLE in tables:
            statements += [
                f"DROP TRIGGER IF EXISTS {name};" for name, _sql in _sqlite_head_triggers()
            ]
    elif vendor == "postgresql":
        statements = [
            stmt
            for table in plain
            for stmt in (
                f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};",
                f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};",
            )
        ]
        if HEAD_TABLE in tables:
            statements += [
                f"DROP TRIGGER IF EXISTS {HEAD_TABLE}_guard ON {HEAD_TABLE};",
                f"DROP TRIGGER IF EXISTS {HEAD_TABLE}_no_truncate ON {HEAD_TABLE};",
            ]
    return statements


def _append_only(vendor: str, tables: list[str]) -> list[str]:
    if vendor == "sqlite":
        return [
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op} refused'); END;"
            for table in tables
            for op in ("UPDATE", "DELETE")
        ]
    if vendor == "postgresql":
        statements = [
            """
            CREATE OR REPLACE FUNCTION groupguard_audit_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION USING
                    MESSAGE = TG_TABLE_NAME || ' is append-only: ' || TG_OP || ' refused',
                    ERRCODE = 'insufficient_privilege';
            END;
            $$ LANGUAGE plpgsql;
            """
        ]
        for table in tables:
            statements.append(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION groupguard_audit_append_only();"
            )
            # TRUNCATE skips row triggers; a statement trigger catches it.
            statements.append(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION groupguard_audit_append_only();"
            )
        return statements
    return []


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sqlite_head_triggers() -> list[tuple[str, str]]:
    """(name, CREATE statement) of each SQLite trigger of the head table: one per rule, so
    the error names the rule broken, and one for DELETE."""

    def trigger(name: str, when: str, message: str) -> tuple[str, str]:
        full = f"{HEAD_TABLE}_{name}"
        return full, (
            f"CREATE TRIGGER IF NOT EXISTS {full} {when} "
            f"BEGIN SELECT RAISE(ABORT, {_quoted(f'{HEAD_TABLE}: {message}')}); END;"
        )

    return [
        trigger(
            name,
            f"BEFORE UPDATE ON {HEAD_TABLE} FOR EACH ROW WHEN coalesce(({test}), 1)",
            f"UPDATE refused: {reason}",
        )
        for name, reason, test, _pg in HEAD_RULES
    ] + [trigger("no_delete", f"BEFORE DELETE ON {HEAD_TABLE}", f"DELETE refused: {HEAD_REMOVED}")]


def _head_guard(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [sql for _name, sql in _sqlite_head_triggers()]
    if vendor != "postgresql":
        return []
    checks = "\n".join(
        f"    IF coalesce(({test}), true) THEN\n"
        "        RAISE EXCEPTION USING\n"
        f"            MESSAGE = {_quoted(f'{HEAD_TABLE}: UPDATE refused: {reason}')},\n"
        "            ERRCODE = 'insufficient_privilege';\n"
        "    END IF;"
        for _name, reason, _sqlite, test in HEAD_RULES
    )
    function = f"""
CREATE OR REPLACE FUNCTION groupguard_audit_head_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'UPDATE' THEN
        RAISE EXCEPTION USING
            MESSAGE = TG_TABLE_NAME || ': ' || TG_OP || ' refused: {HEAD_REMOVED}',
            ERRCODE = 'insufficient_privilege';
    END IF;
{checks}
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""
    return [
        function,
        f"CREATE TRIGGER {HEAD_TABLE}_guard BEFORE UPDATE OR DELETE ON {HEAD_TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION groupguard_audit_head_guard();",
        f"CREATE TRIGGER {HEAD_TABLE}_no_truncate BEFORE TRUNCATE ON {HEAD_TABLE} "
        "FOR EACH STATEMENT EXECUTE FUNCTION groupguard_audit_head_guard();",
    ]


@contextmanager
def suspended(connection: Any, only: list[str] | None = None) -> Iterator[None]:
    """Drop the triggers for the duration of the block and put them back.

    Only for wiping a whole database (the test suite's flush between tests, rebuilding the
    demo). It needs the schema owner's rights, which the application role should not have in
    production (see docs/security.md).
    """
    vendor = connection.vendor
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
    tables = [t for t in (only or GUARDED_TABLES) if t in existing]
    with connection.cursor() as cursor:
        for sql in drop_statements(vendor, tables):
            cursor.execute(sql)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for sql in create_statements(vendor, tables):
                cursor.execute(sql)

"""SQL for the triggers that make the audit tables append-only (see migration 0002)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

TABLES = ["audit_auditentry", "audit_auditnode", "audit_checkpoint"]


def create_statements(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'audit log is append-only: {op} on {table} refused'); END;"
            for table in TABLES
            for op in ("UPDATE", "DELETE")
        ]
    if vendor == "postgresql":
        statements = [
            """
            CREATE OR REPLACE FUNCTION groupguard_audit_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION USING
                    MESSAGE = 'audit log is append-only: ' || TG_OP || ' on ' || TG_TABLE_NAME
                        || ' refused',
                    ERRCODE = 'insufficient_privilege';
            END;
            $$ LANGUAGE plpgsql;
            """
        ]
        for table in TABLES:
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


def drop_statements(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS {table}_no_{op};"
            for table in TABLES
            for op in ("update", "delete")
        ]
    if vendor == "postgresql":
        return [
            stmt
            for table in TABLES
            for stmt in (
                f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};",
                f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};",
            )
        ]
    return []


@contextmanager
def suspended(connection: Any) -> Iterator[None]:
    """Drop the triggers for the duration of the block and put them back.

    Only for wiping a whole database (the test suite's flush between tests, rebuilding the
    demo). It needs the schema owner's rights, which the application role should not have in
    production (see docs/security.md).
    """
    vendor = connection.vendor
    with connection.cursor() as cursor:
        for sql in drop_statements(vendor):
            cursor.execute(sql)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for sql in create_statements(vendor):
                cursor.execute(sql)

"""SQL for the triggers that make tables append-only.

Used for the audit tables (audit migration 0002) and for records that must never change once
written, such as published statement versions and signatures (agreements migrations).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

TABLES = ["audit_auditentry", "audit_auditnode", "audit_checkpoint"]
AGREEMENT_TABLES = ["agreements_statementversion", "agreements_signature"]
CONTACT_TABLES = ["contacts_amendment"]
DISCLOSURE_TABLES = ["disclosures_assessment", "disclosures_choice", "disclosures_disclosure"]
ALL_TABLES = TABLES + AGREEMENT_TABLES + CONTACT_TABLES + DISCLOSURE_TABLES


def create_statements(vendor: str, tables: list[str] = TABLES) -> list[str]:  # noqa: B006
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


def drop_statements(vendor: str, tables: list[str] = TABLES) -> list[str]:  # noqa: B006
    if vendor == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS {table}_no_{op};"
            for table in tables
            for op in ("update", "delete")
        ]
    if vendor == "postgresql":
        return [
            stmt
            for table in tables
            for stmt in (
                f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};",
                f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};",
            )
        ]
    return []


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
    tables = [t for t in (only or ALL_TABLES) if t in existing]
    with connection.cursor() as cursor:
        for sql in drop_statements(vendor, tables):
            cursor.execute(sql)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for sql in create_statements(vendor, tables):
                cursor.execute(sql)

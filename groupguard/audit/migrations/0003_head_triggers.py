"""Guard the head row of each log (``audit_auditlog``) in the database itself.

Migration 0002 left the head row open because every append rewrites it. Its triggers now let
through only what an append does (the size grows to cover stored entries, with peaks of the
matching length; the log's id, name and practice stay) and refuse DELETE, and TRUNCATE on
PostgreSQL, whatever issues them. See ``triggers.HEAD_RULES``.
"""

from django.db import migrations

from groupguard.audit.triggers import HEAD_TABLE, create_statements, drop_statements


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    for sql in create_statements(schema_editor.connection.vendor, [HEAD_TABLE]):
        schema_editor.execute(sql)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    for sql in drop_statements(vendor, [HEAD_TABLE]):
        schema_editor.execute(sql)
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS groupguard_audit_head_guard();")


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]
    operations = [migrations.RunPython(forwards, backwards)]

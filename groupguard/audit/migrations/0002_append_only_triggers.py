"""Make the audit tables append-only in the database itself.

Triggers refuse UPDATE and DELETE on entries, nodes and checkpoints, whatever issues them:
the ORM, raw SQL, the admin or a database console. Only the head row (``audit_auditlog``,
which holds the size) changes, and the tree proves that the entries did not.
"""

from django.db import migrations

from groupguard.audit.triggers import create_statements, drop_statements


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    for sql in create_statements(schema_editor.connection.vendor):
        schema_editor.execute(sql)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    for sql in drop_statements(schema_editor.connection.vendor):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]

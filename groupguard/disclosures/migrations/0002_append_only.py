"""Assessments, choices and disclosures can never be changed or deleted."""

from django.db import migrations

from groupguard.audit.triggers import DISCLOSURE_TABLES, create_statements, drop_statements


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    for sql in create_statements(schema_editor.connection.vendor, DISCLOSURE_TABLES):
        schema_editor.execute(sql)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    for sql in drop_statements(schema_editor.connection.vendor, DISCLOSURE_TABLES):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("disclosures", "0001_initial"), ("audit", "0002_append_only_triggers")]
    operations = [migrations.RunPython(forwards, backwards)]

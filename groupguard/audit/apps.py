from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "groupguard.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from groupguard.audit import records, rows

        rows.connect()
        post_migrate.connect(records.mark_new_database, sender=self)
        post_migrate.connect(records.bind_added_columns, sender=self)

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "groupguard.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from groupguard.audit import baseline, rows

        rows.connect()
        post_migrate.connect(baseline.mark_new_database, sender=self)
        post_migrate.connect(baseline.bind_added_columns, sender=self)

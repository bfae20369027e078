from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "groupguard.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from groupguard.audit import rows

        rows.connect()

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "groupguard.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Connects the per-connection durability check and registers its system check.
        from groupguard.core import durability  # noqa: F401

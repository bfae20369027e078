from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "groupguard.core"
    label = "core"
    verbose_name = "Core"

from django.apps import AppConfig


class CliConfig(AppConfig):
    name = "groupguard.cli"
    label = "cli"
    verbose_name = "Command line"

from django.apps import AppConfig


class AgreementsConfig(AppConfig):
    name = "groupguard.agreements"
    label = "agreements"
    verbose_name = "Group agreements"

from django.apps import AppConfig


class DisclosuresConfig(AppConfig):
    name = "groupguard.disclosures"
    label = "disclosures"
    verbose_name = "Disclosure decisions"

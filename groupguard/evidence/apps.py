from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "groupguard.evidence"
    label = "evidence"
    verbose_name = "Complaints and evidence packets"

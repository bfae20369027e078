from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "groupguard.practice"
    label = "practice"
    verbose_name = "Practice"

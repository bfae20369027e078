from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "groupguard.api"
    label = "api"
    verbose_name = "REST API"

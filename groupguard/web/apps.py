from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "groupguard.web"
    label = "web"
    verbose_name = "Web interface"

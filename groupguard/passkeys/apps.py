from django.apps import AppConfig


class PasskeysConfig(AppConfig):
    name = "groupguard.passkeys"
    label = "passkeys"
    verbose_name = "Passkeys"

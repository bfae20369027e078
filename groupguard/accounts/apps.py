from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "groupguard.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from groupguard.accounts import signals  # noqa: F401  (login/logout audit receivers)

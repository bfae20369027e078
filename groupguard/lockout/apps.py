from django.apps import AppConfig


class LockoutConfig(AppConfig):
    name = "groupguard.lockout"
    label = "lockout"
    verbose_name = "Sign-in lockout"

    def ready(self) -> None:
        from groupguard.lockout import signals  # noqa: F401  (counts failures, clears on success)

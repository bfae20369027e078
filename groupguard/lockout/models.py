"""Failed sign-ins, kept only as long as they count towards a lockout (see ``selectors``)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class LoginFailure(models.Model):
    """One failed sign-in step: a wrong password, or a wrong second-factor code.

    ``account`` is a keyed hash of the user name as it was typed, never the name itself: what
    people type into the user-name box is sometimes their password. ``client`` is the address
    the request came from, by the rule of ``groupguard.audit.middleware.client_ip``.
    """

    account = models.CharField(max_length=64)
    client = models.CharField(max_length=45, blank=True)
    failed_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["account", "failed_at"], name="lockout_account_time"),
        ]

    def __str__(self) -> str:
        return f"login failure {self.pk}"

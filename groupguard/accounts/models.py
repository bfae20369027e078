"""Staff accounts and their API tokens.

Members of groups never get accounts: they sign through single-use links (a later feature).
Every staff user belongs to exactly one practice, as a practice admin or a clinician.
"""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone

from groupguard.accounts.usernames import normalize_username


class Role(models.TextChoices):
    ADMIN = "admin", "Practice admin"
    CLINICIAN = "clinician", "Clinician"


class User(AbstractUser):
    practice = models.ForeignKey(
        "practice.Practice",
        on_delete=models.PROTECT,
        related_name="users",
        null=True,
        blank=True,
        help_text="Empty only for site operators (superusers), who see no PHI.",
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CLINICIAN)

    @classmethod
    def normalize_username(cls, username: str) -> str:
        # Used by clean() and UserManager.create_user(): stored names are in the one form
        # that sign-in and the lockout look up (accounts.usernames).
        return normalize_username(username)

    @property
    def is_practice_admin(self) -> bool:
        return self.role == Role.ADMIN and self.practice_id is not None

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


TOKEN_PREFIX = "gg_"  # noqa: S105  (a prefix, not a secret)


def hash_token(raw: str) -> str:
    # API tokens carry 256 bits of randomness, so a fast hash is enough to make a stolen
    # database useless without making every API request pay for a password hash.
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self) -> ApiTokenQuerySet:
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """A bearer token for the REST API. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise a token.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def generate() -> str:
        return TOKEN_PREFIX + secrets.token_urlsafe(32)

"""Staff accounts, their API tokens and the sealed secrets of their authenticator apps.

Members of groups never get accounts: they sign through single-use links (a later feature).
Every staff user belongs to exactly one practice, as a practice admin or a clinician.
"""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from groupguard.core.fields import EncryptedTextField
from groupguard.core.usernames import normalize_username


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
    must_change_password = models.BooleanField(
        default=False,
        help_text="Set when a practice admin or an operator reset the password: every page "
        "sends the user to choose a new one first (accounts.middleware).",
    )

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


class Authenticator(TOTPDevice):  # type: ignore[misc]  # django-otp has no type hints
    """A user's authenticator app: django-otp's TOTP device (RFC 6238 codes), whose secret is
    kept sealed in ``TOTPSeed`` rather than in django-otp's own ``key`` column, which stays
    empty (``accounts.signals`` refuses a device saved with a secret there). Checking codes,
    one use per code and the pause after wrong ones are django-otp's; they read the secret
    through ``bin_key``. Make one with ``accounts.mfa.new_authenticator``."""

    class Meta:
        proxy = True
        verbose_name = "authenticator app"

    @property
    def bin_key(self) -> bytes:
        try:
            seed: TOTPSeed = self.sealed_seed
        except TOTPSeed.DoesNotExist:
            # Never fall back to the key column: a device without a sealed secret takes no code.
            raise TOTPSeed.DoesNotExist(f"authenticator {self.pk} has no sealed secret") from None
        return bytes.fromhex(seed.key)


class TOTPSeed(models.Model):
    """The secret an authenticator app shares with us, sealed like PHI (``core.fields``:
    AES-256-GCM, bound to ``accounts_totpseed|key|<device id>``, re-sealed by key rotation).
    Anyone holding it can make the user's codes, so a copy of the database must not."""

    device = models.OneToOneField(
        TOTPDevice, on_delete=models.CASCADE, primary_key=True, related_name="sealed_seed"
    )
    key = EncryptedTextField(help_text="The secret, hex-encoded (20 random bytes).")

    def __str__(self) -> str:
        return f"sealed secret of device {self.pk}"

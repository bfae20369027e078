"""A passkey: a WebAuthn credential that a user's device (or password manager) holds for
groupguard.

Terms a newcomer will meet:

- *credential*: a key pair made by an *authenticator* (a phone, a laptop's secure chip, a
  security key, a password manager). The private key never leaves it; we keep the public key,
  as COSE (RFC 9053) bytes, and the credential's id.
- *sign count*: a counter some authenticators raise at every use. A count that does not go up
  suggests a copied key; authenticators that sync their keys keep it at 0.
- *discoverable*: the authenticator keeps the account with the key, so it can offer the key
  without being told the user name first (sign-in without a password).
- *AAGUID*: the authenticator's model, as a UUID, when it says (all zeros otherwise).
- *backed up*: the authenticator reports that the key is synced or copied off the device.

A passkey is a django-otp device (like its TOTP and static plugins), so a session verified by
one carries the same marker as one verified by a code (``accounts.mfa.is_verified``).
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django_otp.models import Device, DeviceManager, TimestampMixin


# django-otp has no type hints: its classes are Any to mypy.
class Passkey(TimestampMixin, Device):  # type: ignore[misc]
    # Declared again (Django allows it for abstract parents) for a typed field and a readable
    # reverse name: user.passkeys.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="passkeys"
    )
    # base64url, as browsers send it; WebAuthn caps the raw id at 1023 bytes.
    credential_id = models.CharField(max_length=1400, unique=True)
    public_key = models.BinaryField(help_text="The credential's public key, COSE-encoded.")
    sign_count = models.PositiveBigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    aaguid = models.CharField(max_length=36, blank=True)
    # The WebAuthn user.id given to the authenticator with this key (base64url of 32 random
    # bytes, the same for all of a user's passkeys): a passwordless sign-in must return it.
    user_handle = models.CharField(max_length=128)
    backup_eligible = models.BooleanField(default=False)
    backed_up = models.BooleanField(default=False)

    # django-otp's manager (devices_for_user), typed as the plain manager it extends, here and
    # where django-stubs looks for it (it cannot see through a base class it has no types for).
    objects: ClassVar[models.Manager[Passkey]] = DeviceManager()
    _default_manager: ClassVar[models.Manager[Passkey]]

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"passkey {self.pk}"

"""Seal the secrets of authenticator apps (accounts.models.TOTPSeed).

django-otp kept each TOTP device's secret in plain hex in ``otp_totp_totpdevice.key``. This
moves every such secret into ``accounts_totpseed``, sealed under the active field-encryption
key and bound to its device, and empties the plain column. Undoing it puts the secrets back.
Sealing needs the encryption keys, as every other sealed value does.
"""

from __future__ import annotations

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

import groupguard.core.fields


def seal_seeds(apps: Any, schema_editor: Any) -> None:
    TOTPDevice = apps.get_model("otp_totp", "TOTPDevice")
    TOTPSeed = apps.get_model("accounts", "TOTPSeed")
    for pk, key in TOTPDevice.objects.exclude(key="").order_by("pk").values_list("pk", "key"):
        seed = TOTPSeed(device_id=pk, key=key.lower())
        seed.save()  # sealed in pre_save, bound to its device
        TOTPDevice.objects.filter(pk=pk).update(key="")


def unseal_seeds(apps: Any, schema_editor: Any) -> None:
    TOTPDevice = apps.get_model("otp_totp", "TOTPDevice")
    TOTPSeed = apps.get_model("accounts", "TOTPSeed")
    for seed in TOTPSeed.objects.order_by("pk"):
        TOTPDevice.objects.filter(pk=seed.pk).update(key=seed.key)
        seed.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_must_change_password"),
        ("otp_totp", "0003_add_timestamps"),
    ]

    operations = [
        migrations.CreateModel(
            name="TOTPSeed",
            fields=[
                (
                    "device",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="sealed_seed",
                        serialize=False,
                        to="otp_totp.totpdevice",
                    ),
                ),
                (
                    "key",
                    groupguard.core.fields.EncryptedTextField(
                        help_text="The secret, hex-encoded (20 random bytes)."
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="Authenticator",
            fields=[],
            options={
                "verbose_name": "authenticator app",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("otp_totp.totpdevice",),
        ),
        migrations.RunPython(seal_seeds, unseal_seeds),
    ]

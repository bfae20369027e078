"""The secret of each authenticator app (the TOTP seed) is sealed like PHI: AES-256-GCM under
the field-encryption keys, bound to its device. django-otp's own key column holds nothing."""

from __future__ import annotations

import importlib
from binascii import unhexlify

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from groupguard.accounts import mfa
from groupguard.accounts.demo_accounts import DEMO_TOTP_SECRET
from groupguard.accounts.models import Authenticator, TOTPSeed
from groupguard.core import crypto
from groupguard.demo.practice import build_demo
from tests.conftest import Cast
from tests.support import authenticator_for

SEALING = importlib.import_module("groupguard.accounts.migrations.0005_sealed_totp_seeds")


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    return time_machine


def stored_seed(device_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM accounts_totpseed WHERE device_id = %s", [device_id])
        return str(cursor.fetchone()[0])


def test_a_new_authenticator_keeps_its_secret_sealed(cast: Cast) -> None:
    device = mfa.pending_authenticator(cast.bob)
    assert len(device.bin_key) == 20
    assert TOTPDevice.objects.get(pk=device.pk).key == ""
    sealed = stored_seed(device.pk)
    assert sealed.startswith("gg1:ktest1:") and device.bin_key.hex() not in sealed
    # Read back from the database, it opens to the same secret.
    again = Authenticator.objects.get(pk=device.pk)
    assert again.bin_key == device.bin_key
    assert mfa.secret_text(again) == mfa.secret_text(device)


def test_a_sealed_secret_moved_to_another_device_does_not_open(cast: Cast) -> None:
    bob = mfa.pending_authenticator(cast.bob)
    carol = mfa.pending_authenticator(cast.carol)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_totpseed SET key = %s WHERE device_id = %s",
            [stored_seed(bob.pk), carol.pk],
        )
    with pytest.raises(crypto.EncryptionError):
        Authenticator.objects.get(pk=carol.pk).bin_key  # noqa: B018


def test_a_device_with_a_plaintext_secret_is_refused(cast: Cast) -> None:
    with pytest.raises(ValueError, match="sealed"):
        TOTPDevice.objects.create(user=cast.bob, name="plain", confirmed=True)
    assert not TOTPDevice.objects.filter(user=cast.bob).exists()


def test_codes_are_checked_against_the_sealed_secret(cast: Cast, frozen) -> None:
    device = authenticator_for(cast.bob)
    code = str(totp(device.bin_key)).zfill(6)
    assert mfa.verify(cast.bob, code).ok
    assert not mfa.verify(cast.bob, code).ok  # once


def test_the_demo_authenticator_is_sealed_too(db: None, frozen) -> None:
    demo = build_demo()
    ada = mfa.authenticator(demo.staff["ada"])
    assert ada is not None and ada.key == ""
    assert mfa.secret_text(ada).replace(" ", "") == DEMO_TOTP_SECRET
    assert stored_seed(ada.pk).startswith("gg1:")


def test_the_migration_seals_the_secrets_stored_before(cast: Cast, frozen) -> None:
    """A device from before 0005 keeps its secret in django-otp's key column."""
    device = authenticator_for(cast.bob)
    secret = device.bin_key
    TOTPSeed.objects.filter(device_id=device.pk).delete()
    TOTPDevice.objects.filter(pk=device.pk).update(key=secret.hex())  # as django-otp kept it
    SEALING.seal_seeds(apps, None)
    assert TOTPDevice.objects.get(pk=device.pk).key == ""
    assert stored_seed(device.pk).startswith("gg1:")
    assert Authenticator.objects.get(pk=device.pk).bin_key == secret
    assert mfa.verify(cast.bob, str(totp(secret)).zfill(6)).ok
    # Undone, the secret goes back where django-otp keeps it.
    SEALING.unseal_seeds(apps, None)
    assert unhexlify(TOTPDevice.objects.get(pk=device.pk).key) == secret
    assert not TOTPSeed.objects.filter(device_id=device.pk).exists()

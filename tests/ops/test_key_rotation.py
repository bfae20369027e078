from __future__ import annotations

import io
import json

from django.core.management import call_command
from django.test import override_settings

from groupguard.audit.models import AuditEntry
from groupguard.audit.records import verify_records
from groupguard.core import crypto
from groupguard.core.fields import _Stored
from groupguard.practice.models import Member
from tests.conftest import Cast


def key_ids() -> set[str]:
    ids = set()
    for row in Member.objects.values_list("given_name", "family_name"):
        ids |= {crypto.key_id_of(v.token) for v in row if isinstance(v, _Stored)}  # type: ignore[attr-defined]
    return ids


def test_rotation_reseals_every_row_and_resumes(cast: Cast, tmp_path) -> None:
    key_file = tmp_path / "encryption.json"
    crypto.write_key_file(
        key_file,
        crypto.Keyring.from_json(
            __import__("os").environ["GROUPGUARD_ENCRYPTION_KEYS"], source="env"
        ),
        exclusive=True,
    )
    try:
        with override_settings(
            GROUPGUARD_ENCRYPTION_KEYS="", GROUPGUARD_ENCRYPTION_KEYS_FILE=key_file
        ):
            crypto.reset_keyring_cache()
            assert key_ids() == {"ktest1"}
            out = io.StringIO()
            call_command("rotate-keys", "--batch-size", "2", stdout=out, stderr=io.StringIO())
            report = json.loads(out.getvalue())
            assert report["rows_resealed"] == report["rows_checked"] >= 4
            assert key_ids() == {report["active_key"]}
            assert Member.objects.get(pk=cast.mia.pk).given_name == "Mia"
            # Each re-sealed record row is bound again in its practice's log (audit.rows).
            assert verify_records().ok
            resealed = AuditEntry.objects.filter(action="key.reseal")
            assert {e.log.practice_id for e in resealed} == {cast.north.id, cast.south.id}
            out = io.StringIO()
            call_command("rotate-keys", "--resume", stdout=out)
            assert json.loads(out.getvalue())["rows_resealed"] == 0
            stored = json.loads(key_file.read_text())
            assert set(stored["keys"]) == {"ktest1", report["active_key"]}
    finally:
        crypto.reset_keyring_cache()


def test_rotation_reseals_authenticator_secrets(cast: Cast, tmp_path) -> None:
    from groupguard.accounts.models import Authenticator, TOTPSeed
    from groupguard.core.fields import encrypted_models
    from tests.support import authenticator_for

    assert TOTPSeed in encrypted_models()
    device = authenticator_for(cast.bob)
    secret = device.bin_key
    key_file = tmp_path / "encryption.json"
    crypto.write_key_file(
        key_file,
        crypto.Keyring.from_json(
            __import__("os").environ["GROUPGUARD_ENCRYPTION_KEYS"], source="env"
        ),
        exclusive=True,
    )
    try:
        with override_settings(
            GROUPGUARD_ENCRYPTION_KEYS="", GROUPGUARD_ENCRYPTION_KEYS_FILE=key_file
        ):
            crypto.reset_keyring_cache()
            out = io.StringIO()
            call_command("rotate-keys", stdout=out, stderr=io.StringIO())
            active = json.loads(out.getvalue())["active_key"]
            (stored,) = TOTPSeed.objects.filter(device_id=device.pk).values_list("key", flat=True)
            assert crypto.key_id_of(stored.token) == active  # type: ignore[attr-defined]
            assert Authenticator.objects.get(pk=device.pk).bin_key == secret
    finally:
        crypto.reset_keyring_cache()

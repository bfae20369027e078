"""A lost or replaced key stops the server before anything is written with the wrong key.

The attack (#15, finding 6): with the key file gone, ``serve`` made a new key and started; old
PHI answered 500, new members were accepted under the new key, and putting the real key back
made those acknowledged writes unreadable.
"""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command
from django.test import override_settings

from groupguard.audit import checkpoints
from groupguard.cli.main import main as cli_main
from groupguard.core import crypto
from groupguard.core.keys import sealed_key_ids
from groupguard.ops.keys import load_keys
from groupguard.practice.models import Member
from tests.conftest import Cast
from tests.factories import make_member

OTHER_KEYS = json.dumps(
    {"active": "kother", "keys": {"kother": base64.b64encode(b"u" * 32).decode()}}
)


@pytest.fixture(autouse=True)
def _fresh_key_caches() -> Iterator[None]:
    crypto.reset_keyring_cache()
    checkpoints._key_cache.clear()
    yield
    crypto.reset_keyring_cache()
    checkpoints._key_cache.clear()


def test_it_finds_the_key_ids_stored_values_are_sealed_under(cast: Cast) -> None:
    found = sealed_key_ids()
    assert list(found) == ["ktest1"]
    assert "practice_member.given_name" in found["ktest1"]


def test_a_missing_key_file_is_not_replaced_while_data_is_sealed(
    cast: Cast, tmp_path: Path
) -> None:
    path = tmp_path / "keys" / "encryption.json"
    with override_settings(GROUPGUARD_ENCRYPTION_KEYS="", GROUPGUARD_ENCRYPTION_KEYS_FILE=path):
        with pytest.raises(crypto.KeyConfigurationError, match="'ktest1'") as refused:
            crypto.configured_keyring()
        assert "missing" in str(refused.value)
        assert not path.exists()
        with pytest.raises(crypto.KeyConfigurationError):
            make_member(cast.north, "Newcomer")
    assert sorted(sealed_key_ids()) == ["ktest1"]  # nothing sealed under another key


def test_a_replaced_keyring_refuses_every_write(cast: Cast) -> None:
    members = Member.objects.count()
    with override_settings(GROUPGUARD_ENCRYPTION_KEYS=OTHER_KEYS):
        with pytest.raises(crypto.KeyConfigurationError, match="'ktest1'.*does not hold"):
            make_member(cast.north, "Newcomer")
    assert Member.objects.count() == members
    assert sorted(sealed_key_ids()) == ["ktest1"]


def test_a_keyring_with_the_old_key_beside_a_new_one_is_accepted(cast: Cast) -> None:
    both = json.dumps(
        {
            "active": "kother",
            "keys": {
                "kother": base64.b64encode(b"u" * 32).decode(),
                "ktest1": base64.b64encode(b"t" * 32).decode(),
            },
        }
    )
    with override_settings(GROUPGUARD_ENCRYPTION_KEYS=both):
        assert Member.objects.get(pk=cast.mia.pk).given_name == "Mia"


def test_keys_are_generated_for_an_empty_database(db: None, tmp_path: Path) -> None:
    path = tmp_path / "encryption.json"
    with override_settings(GROUPGUARD_ENCRYPTION_KEYS="", GROUPGUARD_ENCRYPTION_KEYS_FILE=path):
        keyring = crypto.configured_keyring()
    assert path.exists() and keyring.active in keyring.keys


def _write_audit_key(path: Path) -> None:
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.write_bytes(pem)


def test_a_missing_audit_key_is_not_replaced_while_the_log_has_entries(
    cast: Cast, tmp_path: Path
) -> None:
    path = tmp_path / "audit.pem"
    with override_settings(GROUPGUARD_AUDIT_KEY_FILE=path):
        with pytest.raises(crypto.KeyConfigurationError, match="audit signing key file is missing"):
            checkpoints.signing_key()
    assert not path.exists()


def test_a_replaced_audit_key_is_refused(cast: Cast, tmp_path: Path) -> None:
    path = tmp_path / "audit.pem"
    _write_audit_key(path)
    with override_settings(GROUPGUARD_AUDIT_KEY_FILE=path):
        with pytest.raises(crypto.KeyConfigurationError, match="not the one that signed"):
            load_keys()


def test_serve_refuses_to_start_and_names_the_key(cast: Cast, tmp_path: Path) -> None:
    out = io.StringIO()
    with override_settings(GROUPGUARD_ENCRYPTION_KEYS=OTHER_KEYS):
        with pytest.raises(CommandError, match="not serving: .*'ktest1'"):
            call_command("serve", stdout=out, stderr=io.StringIO())
    # Each slow step of a start says what it does and how long it took.
    assert re.fullmatch(r"Migrating the database \.\.\.\n  done in \d+\.\d s\n", out.getvalue())


def test_a_command_on_the_wrong_key_says_so_in_one_line(
    cast: Cast, capsys: pytest.CaptureFixture[str]
) -> None:
    with override_settings(GROUPGUARD_ENCRYPTION_KEYS=OTHER_KEYS):
        with pytest.raises(SystemExit) as stopped:
            cli_main(["groupguard", "members", "--practice", "north"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("groupguard: ") and "ktest1" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_key_with_the_right_id_and_other_bytes_is_refused(cast: Cast) -> None:
    """Found by the review of this fix: only key ids were compared, so a key file holding
    'ktest1' with other bytes was taken, and new rows were sealed under the wrong key."""
    impostor = json.dumps(
        {"active": "ktest1", "keys": {"ktest1": base64.b64encode(b"v" * 32).decode()}}
    )
    members = Member.objects.count()
    with override_settings(GROUPGUARD_ENCRYPTION_KEYS=impostor):
        with pytest.raises(crypto.KeyConfigurationError, match="'ktest1' does not open"):
            make_member(cast.north, "Newcomer")
    assert Member.objects.count() == members

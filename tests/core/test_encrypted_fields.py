from __future__ import annotations

import base64
import datetime
import json
import os
import stat

import pytest
from django.db import connection, transaction
from django.test import override_settings

from groupguard.core import crypto
from groupguard.practice.models import Member
from tests.conftest import Cast
from tests.factories import make_member


def raw_column(member: Member, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM practice_member WHERE id = %s",  # noqa: S608
            [member.pk.hex if connection.vendor == "sqlite" else member.pk],
        )
        return str(cursor.fetchone()[0])


def write_raw(member: Member, column: str, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE practice_member SET {column} = %s WHERE id = %s",  # noqa: S608
            [value, member.pk.hex if connection.vendor == "sqlite" else member.pk],
        )


@pytest.mark.parametrize(
    "value", ["", "0", "Zoë Ñúñez 東京 🙂", "a" * 5000, " leading and trailing "]
)
def test_it_round_trips_every_value(cast: Cast, value: str) -> None:
    member = make_member(cast.north, "Round", phone=value)
    assert Member.objects.get(pk=member.pk).phone == value


def test_it_round_trips_dates_and_none(cast: Cast) -> None:
    member = make_member(cast.north, "Dates")
    fresh = Member.objects.get(pk=member.pk)
    assert fresh.date_of_birth == datetime.date(1990, 1, 2)
    fresh.date_of_birth = None
    fresh.save()
    assert Member.objects.get(pk=member.pk).date_of_birth is None


def test_it_stores_no_plaintext(cast: Cast) -> None:
    stored = raw_column(cast.mia, "given_name")
    assert stored.startswith("gg1:ktest1:")
    assert "Mia" not in stored


def test_it_refuses_a_ciphertext_moved_to_another_row(cast: Cast) -> None:
    write_raw(cast.noah, "given_name", raw_column(cast.mia, "given_name"))
    with pytest.raises(crypto.EncryptionError, match="failed authentication"):
        _ = Member.objects.get(pk=cast.noah.pk).given_name


def test_it_refuses_a_ciphertext_moved_to_another_column(cast: Cast) -> None:
    write_raw(cast.mia, "family_name", raw_column(cast.mia, "given_name"))
    with pytest.raises(crypto.EncryptionError):
        _ = Member.objects.get(pk=cast.mia.pk).family_name


def test_it_refuses_a_tampered_value(cast: Cast) -> None:
    token = raw_column(cast.mia, "given_name")
    body = bytearray(base64.urlsafe_b64decode(token.split(":", 2)[2]))
    body[-1] ^= 1
    write_raw(
        cast.mia, "given_name", "gg1:ktest1:" + base64.urlsafe_b64encode(bytes(body)).decode()
    )
    with pytest.raises(crypto.EncryptionError, match="failed authentication"):
        _ = Member.objects.get(pk=cast.mia.pk).given_name


def test_it_refuses_plaintext_in_the_column(cast: Cast) -> None:
    write_raw(cast.mia, "given_name", "Mia")
    with pytest.raises(crypto.EncryptionError, match="not a groupguard ciphertext"):
        _ = Member.objects.get(pk=cast.mia.pk).given_name


def test_it_refuses_a_wrong_key(cast: Cast) -> None:
    other = json.dumps(
        {"active": "ktest1", "keys": {"ktest1": base64.b64encode(b"u" * 32).decode()}}
    )
    with override_settings(GROUPGUARD_ENCRYPTION_KEYS=other):
        with pytest.raises(crypto.EncryptionError):
            _ = Member.objects.get(pk=cast.mia.pk).given_name


def test_it_refuses_an_unknown_key_id(cast: Cast) -> None:
    other = json.dumps(
        {"active": "kother", "keys": {"kother": base64.b64encode(b"u" * 32).decode()}}
    )
    with override_settings(GROUPGUARD_ENCRYPTION_KEYS=other):
        with pytest.raises(crypto.KeyConfigurationError, match="ktest1"):
            _ = Member.objects.get(pk=cast.mia.pk).given_name


def test_it_refuses_writes_that_bypass_save(cast: Cast) -> None:
    with pytest.raises(crypto.EncryptionError, match="Model.save"), transaction.atomic():
        Member.objects.filter(pk=cast.mia.pk).update(given_name="Plain")
    with pytest.raises(crypto.EncryptionError), transaction.atomic():
        list(Member.objects.filter(given_name="Mia"))
    cast.mia.given_name = "Plain"
    with pytest.raises(crypto.EncryptionError), transaction.atomic():
        Member.objects.bulk_update([cast.mia], ["given_name"])
    assert Member.objects.get(pk=cast.mia.pk).given_name == "Mia"


def test_it_rejects_malformed_key_configuration() -> None:
    with pytest.raises(crypto.KeyConfigurationError, match="must be JSON"):
        crypto.Keyring.from_json("not json", source="X")
    with pytest.raises(crypto.KeyConfigurationError, match="32 bytes"):
        crypto.Keyring.from_json(
            json.dumps({"active": "k", "keys": {"k": base64.b64encode(b"short").decode()}}),
            source="X",
        )
    with pytest.raises(crypto.KeyConfigurationError, match="not among"):
        crypto.Keyring.from_json(
            json.dumps({"active": "z", "keys": {"k": base64.b64encode(b"k" * 32).decode()}}),
            source="X",
        )


def test_it_generates_a_private_key_file_on_first_use(db: None, tmp_path, capsys) -> None:
    path = tmp_path / "keys" / "encryption.json"
    with override_settings(GROUPGUARD_ENCRYPTION_KEYS="", GROUPGUARD_ENCRYPTION_KEYS_FILE=path):
        crypto.reset_keyring_cache()
        keyring = crypto.configured_keyring()
        assert path.exists()
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert "generated a new encryption key file" in capsys.readouterr().err
        crypto.reset_keyring_cache()
        assert crypto.configured_keyring() == keyring  # read back, not regenerated
    crypto.reset_keyring_cache()

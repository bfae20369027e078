"""A dump of the demo practice's database holds none of the members' names or contacts."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from django.db import connection

from groupguard.demo.practice import MEMBERS, build_demo
from tests.support import missing_component


def database_bytes() -> bytes:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        connection.close()  # checkpoint nothing: the WAL is read as well
        path = Path(settings["NAME"])
        return b"".join(p.read_bytes() for p in [path, Path(f"{path}-wal")] if p.exists())
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        missing_component("pg_dump")
    env = {"PGPASSWORD": settings["PASSWORD"] or ""}
    result = subprocess.run(  # noqa: S603
        [
            pg_dump,
            "--no-owner",
            "-h",
            settings["HOST"] or "127.0.0.1",
            "-p",
            str(settings["PORT"] or 5432),
            "-U",
            settings["USER"] or "postgres",
            settings["NAME"],
        ],
        check=True,
        capture_output=True,
        env=env,
    )
    return result.stdout


@pytest.mark.django_db(transaction=True)
def test_a_database_dump_holds_no_member_names() -> None:
    build_demo()
    data = database_bytes()
    assert len(data) > 10_000
    for given, family, preferred, dob in MEMBERS:
        # Strings under five characters turn up by chance inside base64 ciphertext.
        for secret in {given, family, preferred, dob, f"{given} {family}"}:
            if len(secret) >= 5:
                assert secret.encode() not in data, secret
    assert b"Orla Umberwood" not in data
    assert b"example.net" not in data

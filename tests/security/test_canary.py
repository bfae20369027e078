"""Secrets at rest: health information written through the real actions, pages and API must
not be readable anywhere the server keeps things.

Unique canary strings go into every kind of free text and identity a practice records (member
names and contact details, contact notes, promises, referrals, amendments, decisions,
disclosures, authorizations with their scans, signatures, overrides, complaints with their
allegations and notes, the evidence packet built from them). Then the test looks for them
byte for byte in:

- the SQLite database file and its ``-wal`` and ``-shm`` files, before and after a WAL
  checkpoint (recent pages live in the WAL until a checkpoint copies them in), and every
  other file under the data directory (logs, keys, packets);
- a ``pg_dump`` of the test database, when the tests run on PostgreSQL;
- the log records emitted meanwhile, at every level, and the decoded server-side sessions.

- the file ``groupguard backup`` writes: its bytes, each member of the archive, the
  decompressed SQLite copy, and on PostgreSQL the SQL that ``pg_restore`` makes of the dump
  (neither the canaries nor the keys may be in it).

Key rotation, end to end: after ``groupguard rotate-keys`` the old key can be removed from
the key file and every encrypted value still reads as before, and the canary still finds
nothing.
"""

from __future__ import annotations

import base64
import datetime
import gzip
import io
import json
import logging
import os
import secrets
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from groupguard.accounts.actions import issue_api_token
from groupguard.agreements import actions as agreements
from groupguard.agreements import attendance
from groupguard.contacts import actions as contacts
from groupguard.core import crypto
from groupguard.core.fields import encrypted_fields, encrypted_models
from groupguard.disclosures import actions as disclosures
from groupguard.evidence import actions as evidence
from groupguard.evidence.models import PacketBuild
from groupguard.practice import actions as practice
from groupguard.practice.models import Member
from tests.conftest import Cast
from tests.support import missing_component

PDF = b"%PDF-1.7\n"


class Canaries:
    """Unique strings, one per place they are written, easy to find and never in code."""

    def __init__(self) -> None:
        self.issued: dict[str, str] = {}

    def __call__(self, where: str) -> str:
        value = f"Canary{secrets.token_hex(6)}"
        self.issued[value] = where
        return value

    def found_in(self, data: bytes) -> list[str]:
        return [f"{self.issued[c]} ({c})" for c in self.issued if c.encode() in data]


def seed(cast: Cast, canary: Canaries) -> None:
    """Write a canary into every kind of PHI, through the API, the pages and the actions."""
    _, token = issue_api_token(cast.bob, name="canary", acting_user=cast.bob)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    member = {
        "given_name": canary("member given name"),
        "family_name": canary("member family name"),
        "preferred_name": canary("member preferred name"),
        "email": f"{canary('member email')}@example.org",
        "phone": canary("member phone"),
        "guardian_name": canary("guardian name"),
        "guardian_contact": canary("guardian contact"),
        "date_of_birth": "1990-01-02",
        "group_id": str(cast.thursday.id),
        # Yesterday where the practice is, so that a contact an hour ago finds them enrolled.
        "joined_on": (cast.north.today() - datetime.timedelta(days=1)).isoformat(),
    }
    created = api.post("/api/v1/members", member, content_type="application/json")
    assert created.status_code == 201, created.content
    refused = {**member, "given_name": canary("refused member name") + "x" * 200}
    assert api.post("/api/v1/members", refused, content_type="application/json").status_code == 400
    newcomer = Member.objects.get(pk=created.json()["id"])
    practice.update_member(cast.olga, acting_user=cast.alice, phone=canary("updated phone"))

    bob = cast.bob
    contact = contacts.log_contact(
        group=cast.thursday,
        members=[cast.mia, newcomer],
        acting_user=bob,
        occurred_at=timezone.now() - datetime.timedelta(hours=1),
        setting="phone",
        initiated_by="member",
        summary=f"Please keep this between us: {canary('contact summary')}.",
        request="explicit",
        others_present=canary("others present"),
        follow_up=canary("follow-up"),
        promised_confidentiality=True,
        promise_confirmed=True,
        promise_scope=canary("promise scope"),
        offered_referral=True,
        referral_reason=canary("referral reason"),
        referral_to_name=canary("referral therapist"),
        referral_to_contact=canary("referral contact"),
    )
    contacts.amend_contact(contact, acting_user=bob, text=canary("amendment"))
    promise = contact.promises.first()
    assert promise is not None
    contacts.close_promise(
        promise, status="released", note=f"Released: {canary('promise note')}", acting_user=bob
    )
    assessment = disclosures.assess(
        member=cast.mia,
        acting_user=bob,
        answers={"recipient": "group", "purpose": "treatment"},
        contact=contact,
        question=canary("assessment question"),
    )
    disclosures.record_choice(
        assessment, kind="talk_first", note=canary("choice note"), acting_user=bob
    )
    disclosures.record_disclosure(
        member=cast.mia,
        acting_user=bob,
        recipient="family",
        what=canary("disclosure what"),
        recipient_detail=canary("disclosure recipient"),
        purpose=canary("disclosure purpose"),
        disclosed_at=timezone.now(),
        assessment=assessment,
    )
    authorization = disclosures.record_authorization(
        member=cast.mia,
        acting_user=bob,
        recipient="family",
        purpose=canary("authorization purpose"),
        recipient_detail=canary("authorization recipient"),
        signed_on=cast.north.today(),
        scan=PDF + canary("authorization scan").encode(),
    )
    disclosures.revoke_authorization(authorization, note=canary("revocation note"), acting_user=bob)
    agreements.record_signature(
        cast.thursday,
        newcomer,
        typed_name=canary("typed name"),
        method="paper",
        scan=PDF + canary("signature scan").encode(),
        declared_type="application/pdf",
        acting_user=bob,
    )
    agreements.withdraw_consent(
        cast.thursday, cast.noah, reason=canary("withdrawal reason"), acting_user=bob
    )
    attendance.record_override(
        cast.session, cast.noah, reason=f"Override: {canary('override reason')}", acting_user=bob
    )
    agreements.record_revisit(
        cast.thursday,
        revisited_on=timezone.localdate(),
        note=canary("revisit note"),
        acting_user=bob,
    )
    complaint = evidence.record_complaint(
        member=cast.mia,
        acting_user=cast.alice,
        board="Board of Behavioral Sciences",
        received_on=cast.north.today(),
        allegation=canary("complaint allegation"),
        notes=canary("complaint notes"),
    )
    # The evidence packet (names, notes, the PDF) is kept as an encrypted archive.
    web = cast.client_for(cast.alice)
    built = web.post(reverse("complaint_build", args=[complaint.id]))
    assert built.status_code == 302 and PacketBuild.objects.filter(complaint=complaint).exists()
    page = web.get(reverse("member_detail", args=[newcomer.id]))
    assert newcomer.given_name.encode() in page.content  # the pages do show it


def data_files() -> Iterator[Path]:
    """Every file under the data directory: the database and its WAL, keys, logs, packets."""
    for path in sorted(Path(settings.DATA_DIR).rglob("*")):
        if path.is_file() and "static" not in path.relative_to(settings.DATA_DIR).parts:
            yield path


def pg_dump() -> bytes:
    tool = shutil.which("pg_dump")
    if tool is None:
        missing_component("pg_dump (Debian's postgresql-client)")
    db = connection.settings_dict
    command = [tool, "--no-owner", "--dbname", db["NAME"]]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db[key]:
            command += [option, str(db[key])]
    env = {**os.environ, "PGPASSWORD": str(db["PASSWORD"] or "")}
    return subprocess.run(command, check=True, capture_output=True, env=env).stdout  # noqa: S603


def look_everywhere(canary: Canaries, caplog: pytest.LogCaptureFixture) -> dict[str, list[str]]:
    """Where each canary was found, by place; empty when nothing leaked."""
    found: dict[str, list[str]] = {}

    def look(place: str, data: bytes) -> None:
        if hits := canary.found_in(data):
            found[place] = hits

    if connection.vendor == "sqlite":
        for when in ("before", "after"):
            if when == "after":
                with connection.cursor() as cursor:
                    cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            for path in data_files():
                look(f"{path.name} ({when} the checkpoint)", path.read_bytes())
    else:
        for path in data_files():
            look(path.name, path.read_bytes())
        look("pg_dump", pg_dump())
    look("log records", "\n".join(r.getMessage() for r in caplog.records).encode())
    look("log output", caplog.text.encode())
    for session in Session.objects.all():
        look("a session", json.dumps(session.get_decoded(), default=str).encode())
    return found


@pytest.fixture
def canary(caplog: pytest.LogCaptureFixture) -> Canaries:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    return Canaries()


@pytest.mark.django_db(transaction=True)
def test_no_phi_is_readable_at_rest_or_in_the_logs(
    cast: Cast, canary: Canaries, caplog: pytest.LogCaptureFixture
) -> None:
    seed(cast, canary)
    assert len(canary.issued) >= 30
    if connection.vendor == "sqlite":
        # The check would prove nothing if the values never reached the files.
        assert Path(connection.settings_dict["NAME"]).stat().st_size > 0
    assert look_everywhere(canary, caplog) == {}


def backup_contents(path: Path) -> Iterator[tuple[str, bytes]]:
    """The backup file's bytes, each member's, and the payload's data unpacked."""
    yield "the backup file", path.read_bytes()
    with tarfile.open(path) as tar:
        for member in tar.getmembers():
            stream = tar.extractfile(member)
            assert stream is not None
            raw = stream.read()
            yield member.name, raw
            if member.name.endswith(".gz"):
                yield f"{member.name} decompressed", gzip.decompress(raw)
            elif member.name.endswith(".pgdump"):
                tool = shutil.which("pg_restore")
                if tool is None:
                    missing_component("pg_restore (Debian's postgresql-client)")
                sql = subprocess.run(  # noqa: S603
                    [tool, "--file=-"], input=raw, check=True, capture_output=True
                ).stdout
                yield f"{member.name} as SQL", sql


@pytest.mark.django_db(transaction=True)
def test_a_backup_holds_no_readable_phi_and_no_keys(
    cast: Cast, canary: Canaries, tmp_path: Path
) -> None:
    seed(cast, canary)
    out = tmp_path / "backup.tar"
    summary = io.StringIO()
    call_command("backup", "--out", str(out), stdout=summary, stderr=io.StringIO())
    assert json.loads(summary.getvalue())["keys_included"] is False
    keyring = crypto.configured_keyring()
    keys = [base64.b64encode(k) for k in keyring.keys.values()] + list(keyring.keys.values())
    audit_key = Path(settings.GROUPGUARD_AUDIT_KEY_FILE).read_bytes()
    pem_body = b"".join(audit_key.splitlines()[1:-1])

    found: dict[str, list[str]] = {}
    unpacked = b""
    for place, data in backup_contents(out):
        if hits := canary.found_in(data):
            found[place] = hits
        assert not [k for k in keys if k in data], f"an encryption key is in {place}"
        assert pem_body not in data, f"the audit signing key is in {place}"
        if place.endswith(("decompressed", "as SQL")):
            unpacked = data
    # The look proves something only if the sealed values are there to be looked at.
    assert unpacked.count(b"gg1:") > 30
    assert found == {}


def every_encrypted_value() -> dict[tuple[str, str, str], Any]:
    values = {}
    for model in encrypted_models():
        names = [f.attname for f in encrypted_fields(model)]
        for obj in model._default_manager.all():
            for name in names:
                values[(model._meta.label, str(obj.pk), name)] = getattr(obj, name)
    return values


def raw_tokens() -> list[str]:
    tokens = []
    for model in encrypted_models():
        columns = [str(f.column) for f in encrypted_fields(model)]
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(columns)} FROM {model._meta.db_table}")  # noqa: S608
            tokens += [str(v) for row in cursor.fetchall() for v in row if v]
    return tokens


@pytest.mark.django_db(transaction=True)
def test_after_rotation_the_old_key_can_be_removed_and_everything_still_reads(
    cast: Cast, canary: Canaries, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    seed(cast, canary)
    before = every_encrypted_value()
    key_file = tmp_path / "encryption.json"
    old = crypto.Keyring.from_json(os.environ["GROUPGUARD_ENCRYPTION_KEYS"], source="env")
    crypto.write_key_file(key_file, old, exclusive=True)
    try:
        with override_settings(
            GROUPGUARD_ENCRYPTION_KEYS="", GROUPGUARD_ENCRYPTION_KEYS_FILE=key_file
        ):
            crypto.reset_keyring_cache()
            out = io.StringIO()
            call_command("rotate-keys", stdout=out, stderr=io.StringIO())
            new = json.loads(out.getvalue())["active_key"]
            assert new != old.active

            # The operator removes the old key once the run is complete.
            rotated = crypto.Keyring.from_json(key_file.read_text(), source=str(key_file))
            only_new = crypto.Keyring(active=new, keys={new: rotated.keys[new]})
            crypto.write_key_file(key_file, only_new, exclusive=False)
            crypto.reset_keyring_cache()

            assert not [t for t in raw_tokens() if crypto.key_id_of(t) != new]
            assert every_encrypted_value() == before
            assert len(before) > 60
            assert look_everywhere(canary, caplog) == {}
    finally:
        crypto.reset_keyring_cache()


@pytest.mark.django_db(transaction=True)
def test_no_authenticator_secret_or_recovery_code_is_readable_at_rest(
    cast: Cast, canary: Canaries, caplog: pytest.LogCaptureFixture
) -> None:
    """The secret an authenticator app shares with us, and recovery codes, would each let a
    reader of a copy of the database through the second step of sign-in."""
    from groupguard.accounts import actions as accounts
    from groupguard.accounts import mfa

    pending = mfa.pending_authenticator(cast.bob)
    secret = pending.bin_key
    codes = accounts.confirm_authenticator(
        pending, mfa.current_code(pending), acting_user=cast.bob, keep_session=None
    )
    canary.issued[secret.hex()] = "authenticator secret (hex)"
    canary.issued[secret.hex().upper()] = "authenticator secret (HEX)"
    canary.issued[base64.b32encode(secret).decode().rstrip("=")] = "authenticator secret (base32)"
    for code in codes:
        canary.issued[code] = "recovery code"
        canary.issued[code.replace("-", "")] = "recovery code (as typed without the dash)"
    assert len(codes) == 10
    assert look_everywhere(canary, caplog) == {}

"""Packets prove their records, not only the log (#15, finding 3).

The attack edited a contact's ``promised_confidentiality``, ``request`` and ``occurred_at``
with sqlite3; the packet then printed the false facts beside the old content hash and
``packet verify`` said ok. A build now refuses rows changed outside the application, and a
packet carries each record row as stored with the entry that bound it, so the offline check
recomputes the row and holds the facts shown to it.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from groupguard.audit import triggers
from groupguard.audit.checkpoints import public_key_info
from groupguard.contacts import actions as contacts
from groupguard.contacts.models import Contact
from groupguard.evidence.build import PacketError, build_packet
from groupguard.evidence.proofs import sign_manifest
from groupguard.evidence.verify import verify_packet
from tests.conftest import Cast


@pytest.fixture
def contact(cast: Cast) -> Contact:
    return contacts.log_contact(
        group=cast.thursday,
        members=[cast.mia, cast.noah],
        acting_user=cast.bob,
        occurred_at=timezone.now() - datetime.timedelta(hours=6),
        setting="after_session",
        initiated_by="member",
        summary="Mia asked me not to tell the group about the move.",
        request="explicit",
        reminded_agreement=True,
    )


def edit_row(table: str, column: str, expression: str, pk: Any) -> None:
    """What the attacker did with sqlite3 (or psql): no application, no audit entry."""
    key = pk.hex if connection.vendor == "sqlite" else str(pk)
    guard = triggers.suspended(connection, only=[table]) if table in triggers.ALL_TABLES else None
    with transaction.atomic():
        if guard:
            guard.__enter__()
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET {column} = {expression} WHERE id = %s", [key])  # noqa: S608
        if guard:
            guard.__exit__(None, None, None)


def write(cast: Cast, folder: Path) -> Path:
    build_packet(member=cast.mia, acting_user=cast.alice).write(folder)
    return folder


def resign(folder: Path, name: str, data: bytes) -> None:
    """Change a file and sign the manifest again, as someone holding the audit key could."""
    (folder / name).write_bytes(data)
    files = {
        n: (folder / n).read_bytes()
        for n in ("packet.pdf", "packet.json", "fhir.json", "proofs.json")
    }
    (folder / "manifest.json").write_bytes(json.dumps(sign_manifest(files)).encode())


def test_a_packet_carries_and_proves_its_records(
    cast: Cast, contact: Contact, tmp_path: Path
) -> None:
    folder = write(cast, tmp_path / "packet")
    content = json.loads((folder / "packet.json").read_text())
    tables = {r["table"] for r in content["records"]}
    assert {"contacts_contact", "practice_member", "agreements_signature"} <= tables
    # Other members' own rows stay out: noah's member row and his link to the contact.
    ids = {r["id"] for r in content["records"]}
    assert str(cast.noah.id) not in ids
    assert all(
        r["stored"].get("member_id") in (None, cast.mia.id.hex, str(cast.mia.id))
        for r in content["records"]
    )
    row = next(r for r in content["records"] if r["id"] == str(contact.id))
    assert row["stored"]["summary"].startswith("gg1:")  # ciphertext, not the note
    assert row["stored"]["request"] == "explicit"
    report = verify_packet(folder, public_key_info()["public_key"])
    assert report.ok, report.failures
    assert report.checked["records"] == len(content["records"])
    assert report.checked["facts"] >= 9


@pytest.mark.parametrize(
    ("column", "expression"),
    [
        ("promised_confidentiality", "NOT promised_confidentiality"),
        ("request", "'none'"),
        ("occurred_at", "created_at"),
    ],
)
def test_a_build_refuses_a_record_edited_in_the_database(
    cast: Cast, contact: Contact, tmp_path: Path, column: str, expression: str
) -> None:
    edit_row("contacts_contact", column, expression, contact.pk)
    with pytest.raises(PacketError, match=f"contacts_contact {contact.pk}: changed outside"):
        build_packet(member=cast.mia, acting_user=cast.alice)


def test_a_fact_edited_in_the_packet_fails_against_its_stored_row(
    cast: Cast, contact: Contact, tmp_path: Path
) -> None:
    folder = write(cast, tmp_path / "packet")
    content = json.loads((folder / "packet.json").read_text())
    shown = next(c for c in content["contacts"] if c["id"] == str(contact.id))
    shown["request_recorded"] = "none"
    shown["responses"]["promised_confidentiality"] = True
    resign(folder, "packet.json", json.dumps(content).encode())
    report = verify_packet(folder, public_key_info()["public_key"])
    assert not report.ok
    assert any(
        "request_recorded is 'none', but the stored row" in f and str(contact.id) in f
        for f in report.failures
    ), report.failures
    assert any("promised_confidentiality is True" in f for f in report.failures)


def test_a_stored_row_edited_in_the_packet_no_longer_hashes(
    cast: Cast, contact: Contact, tmp_path: Path
) -> None:
    folder = write(cast, tmp_path / "packet")
    content = json.loads((folder / "packet.json").read_text())
    row = next(r for r in content["records"] if r["id"] == str(contact.id))
    row["stored"]["request"] = "none"
    resign(folder, "packet.json", json.dumps(content).encode())
    report = verify_packet(folder, public_key_info()["public_key"])
    assert any("does not hash to its sha256" in f for f in report.failures), report.failures
    # Recomputing the hash too does not help: the proved entry bound the true row.
    from groupguard.evidence.verify import row_sha256

    row["sha256"] = row_sha256("contacts_contact", row["id"], row["stored"])
    resign(folder, "packet.json", json.dumps(content).encode())
    report = verify_packet(folder, public_key_info()["public_key"])
    assert any("does not record this row as stored" in f for f in report.failures)


def test_a_record_deleted_in_the_database_stops_the_build(cast: Cast, contact: Contact) -> None:
    """Found by the review of this fix: the build checked only the rows it read, so a referral
    deleted with SQL was simply missing from a packet that verified."""
    referral = contacts.offer_referral(
        member=cast.mia,
        contact=contact,
        acting_user=cast.bob,
        reason="Talk it through.",
        to_name="Dr. Quell",
    )
    key = referral.pk.hex if connection.vendor == "sqlite" else str(referral.pk)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM contacts_referral WHERE id = %s", [key])
    with pytest.raises(PacketError, match=f"contacts_referral {referral.pk}: deleted outside"):
        build_packet(member=cast.mia, acting_user=cast.alice)


@pytest.mark.django_db(transaction=True)
def test_a_kept_packet_is_bound_like_any_record(cast: Cast, tmp_path: Path) -> None:
    """Outside a test's wrapping transaction, as on a server: the stored copy of a packet
    (PacketBuild) was created after the build's entry, in autocommit, and never bound."""
    from groupguard.audit.records import verify_records
    from groupguard.evidence.actions import record_complaint

    complaint = record_complaint(
        member=cast.mia,
        acting_user=cast.alice,
        board="Board of Behavioral Sciences",
        received_on=cast.north.today(),
        allegation="Said something in group.",
    )
    url = reverse("complaint_build", args=[complaint.id])
    response = cast.client_for(cast.alice).post(url)
    assert response.status_code == 302
    report = verify_records()
    assert report.ok, report.faults

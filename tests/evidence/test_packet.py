"""The demo complaint's packet: builds, verifies, redacts, is deterministic, and fails
verification when any file or a cited entry is changed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from groupguard.audit import triggers
from groupguard.audit.checkpoints import public_key_info
from groupguard.audit.models import AuditEntry
from groupguard.demo.practice import DemoPractice, build_demo
from groupguard.evidence.build import FILES, PacketError, build_packet
from groupguard.evidence.models import Complaint
from groupguard.evidence.verify import verify_packet
from tests.support import pdf_text


@pytest.fixture
def demo(db: None) -> DemoPractice:
    return build_demo()


def other_names(demo: DemoPractice, complaint: Complaint) -> set[str]:
    names: set[str] = set()
    for m in demo.members:
        if m.id != complaint.member_id:
            names |= {m.full_name, m.family_name, m.given_name}
    return {n for n in names if n}


def test_the_demo_complaints_packet_builds_verifies_and_names_no_other_member(
    demo: DemoPractice, tmp_path: Path
) -> None:
    complaint = Complaint.objects.get()
    packet = build_packet(member=complaint.member, acting_user=None, complaint=complaint)
    packet.write(tmp_path / "packet")
    key = public_key_info()["public_key"]
    report = verify_packet(tmp_path / "packet", key)
    assert report.ok, report.failures
    text = pdf_text(packet.files["packet.pdf"])
    assert "Evidence packet" in text and complaint.member.full_name in text
    for item in packet.content["timeline"]:
        assert item["title"].split(":")[0][:25] in text

    # A name as a word: a three-letter name ("Kit") also turns up by chance inside the base64
    # of a signature, which this run's fresh key makes different every time.
    def named(name: str, data: str) -> bool:
        return (
            re.search(rf"(?<![A-Za-z0-9+/=]){re.escape(name)}(?![A-Za-z0-9+/=])", data) is not None
        )

    leaked = [
        (name, file)
        for name in other_names(demo, complaint)
        for file, data in [
            ("packet.pdf", text),
            *(
                (f, b.decode("utf-8", "replace"))
                for f, b in packet.files.items()
                if f != "packet.pdf"
            ),
        ]
        if named(name, data)
    ]
    assert leaked == []
    entry = AuditEntry.objects.filter(action="packet.build").get()
    assert entry.member_id == complaint.member_id
    assert entry.index >= packet.checkpoint.tree_size  # the build is not inside its own packet


def test_the_same_records_and_checkpoint_give_the_same_bytes(demo: DemoPractice) -> None:
    complaint = Complaint.objects.get()
    first = build_packet(member=complaint.member, acting_user=None, complaint=complaint)
    second = build_packet(
        member=complaint.member,
        acting_user=None,
        complaint=complaint,
        checkpoint=first.checkpoint,
    )
    for name in FILES:
        assert first.files[name] == second.files[name], name
    assert first.zip() == second.zip()


@pytest.mark.parametrize("name", FILES)
def test_changing_one_byte_of_any_file_fails_verification(
    demo: DemoPractice, tmp_path: Path, name: str
) -> None:
    complaint = Complaint.objects.get()
    packet = build_packet(member=complaint.member, acting_user=None, complaint=complaint)
    folder = tmp_path / "p"
    packet.write(folder)
    data = bytearray((folder / name).read_bytes())
    data[len(data) // 2] ^= 0x01
    (folder / name).write_bytes(bytes(data))
    report = verify_packet(folder, public_key_info()["public_key"])
    assert not report.ok
    assert name in report.failures[0]


def test_changing_a_stored_entry_the_packet_cites_fails_verification(
    demo: DemoPractice, tmp_path: Path
) -> None:
    complaint = Complaint.objects.get()
    before = build_packet(member=complaint.member, acting_user=None, complaint=complaint)
    cited = before.content["contacts"][0]["audit"][0]
    with triggers.suspended(connection, only=["audit_auditentry"]):
        entry = AuditEntry.objects.get(log__practice=complaint.practice, index=cited)
        leaf = json.loads(bytes(entry.leaf))
        leaf["detail"]["request"] = "none"
        from groupguard.audit.jcs import canonicalize

        AuditEntry.objects.filter(pk=entry.pk).update(leaf=canonicalize(leaf))
    packet = build_packet(member=complaint.member, acting_user=None, complaint=complaint)
    packet.write(tmp_path / "p")
    report = verify_packet(tmp_path / "p", public_key_info()["public_key"])
    assert not report.ok
    assert f"entry {cited}" in report.failures[0]


def test_a_packet_needs_an_empty_folder(demo: DemoPractice, tmp_path: Path) -> None:
    complaint = Complaint.objects.get()
    packet = build_packet(member=complaint.member, acting_user=None, complaint=complaint)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "x").write_text("x")
    with pytest.raises(PacketError, match="not empty"):
        packet.write(tmp_path / "busy")


def test_the_cli_lists_complaints_builds_and_verifies(
    demo: DemoPractice, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("complaints", "--practice", demo.practice.slug)
    [listed] = json.loads(capsys.readouterr().out)
    complaint = Complaint.objects.get()
    assert listed["id"] == str(complaint.id) and listed["member_id"] == str(complaint.member_id)
    assert "allegation" not in listed
    out = tmp_path / "packet"
    call_command("packet", "build", "--complaint", listed["id"], "--out", str(out))
    built = json.loads(capsys.readouterr().out)
    assert set(built["files"]) == {"packet.json", "fhir.json", "proofs.json", "packet.pdf"}
    from groupguard.evidence.verify import main as verify_main

    assert verify_main([str(out), "--pubkey", public_key_info()["public_key"]]) == 0
    (out / "packet.json").write_text("{}")
    assert verify_main([str(out), "--pubkey", public_key_info()["public_key"]]) == 1
    assert "packet.json" in capsys.readouterr().err


def test_the_cli_names_an_id_that_is_not_one(db: None, tmp_path: Path) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=r"--complaint: 'C-12' is not an id"):
        call_command("packet", "build", "--complaint", "C-12", "--out", str(tmp_path / "p"))
    assert not (tmp_path / "p").exists()

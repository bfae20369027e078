"""packet.pdf: the demo complaint's packet on paper, with no other member named in it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, cast

import pytest

from groupguard.audit.checkpoints import make_checkpoint
from groupguard.audit.models import AuditLog
from groupguard.demo.practice import DemoPractice, build_demo
from groupguard.evidence.models import Complaint
from groupguard.evidence.packet import collect
from groupguard.evidence.packet_model import Packet
from groupguard.evidence.pdf import packet_pdf
from tests.support import pdf_text


@dataclass
class DemoPacket:
    demo: DemoPractice
    complaint: Complaint
    packet: Packet
    pdf: bytes


@pytest.fixture
def demo_packet(db: None) -> DemoPacket:
    demo = build_demo()
    complaint = Complaint.objects.get()
    checkpoint = make_checkpoint(AuditLog.objects.get(practice=demo.practice))
    packet = collect(complaint.member, checkpoint=checkpoint, complaint=complaint)
    return DemoPacket(demo, complaint, packet, packet_pdf(packet))


def test_the_cover_shows_the_member_the_board_and_the_checkpoint(demo_packet: DemoPacket) -> None:
    text = pdf_text(demo_packet.pdf)
    cover = text.split("Page 1 of")[0]
    assert text.startswith("Evidence packet")
    assert demo_packet.complaint.member.full_name in cover
    assert "California Board of Behavioral Sciences" in cover
    assert "BBS-DEMO-0001" in cover
    checkpoint = demo_packet.packet["checkpoint"]
    assert checkpoint is not None and checkpoint["root_hash"] in cover
    assert "not legal advice" in cover
    assert "groupguard packet verify" in cover


def test_every_timeline_item_and_the_agreement_text_are_printed(demo_packet: DemoPacket) -> None:
    text = pdf_text(demo_packet.pdf)
    timeline = demo_packet.packet["timeline"]
    assert timeline
    for item in timeline:
        assert " ".join(item["title"].split()) in text
    for version in demo_packet.packet["agreements"]["versions"]:
        first_line = version["text"].splitlines()[0]
        assert first_line in text.split("Appendix A: agreements")[1]
    pages = int(re.findall(r"Page 1 of (\d+)", text)[0])
    assert pages > 5 and f"Page {pages} of {pages}" in text
    checkpoint = demo_packet.packet["checkpoint"]
    assert checkpoint is not None
    size = checkpoint["tree_size"]
    footer = f"Evidence packet · {demo_packet.complaint.member.full_name} · checkpoint {size}"
    assert text.count(footer) == pages


def test_no_other_member_of_the_demo_is_named(demo_packet: DemoPacket) -> None:
    text = pdf_text(demo_packet.pdf)
    others = [m for m in demo_packet.demo.members if m.id != demo_packet.complaint.member_id]
    assert len(others) == 19
    for member in others:
        for name in (member.given_name, member.family_name, member.full_name):
            assert not re.search(rf"\b{re.escape(name)}\b", text), name
    assert "Member B" in text  # the pseudonyms are explained on the cover


def test_the_same_packet_gives_the_same_bytes_also_from_packet_json(
    demo_packet: DemoPacket,
) -> None:
    assert packet_pdf(demo_packet.packet) == demo_packet.pdf
    # packet.json is enough to make packet.pdf again.
    reread = json.loads(json.dumps(demo_packet.packet, sort_keys=True))
    assert packet_pdf(cast(Packet, reread)) == demo_packet.pdf


def test_a_packet_without_a_complaint_or_contacts_still_renders(demo_packet: DemoPacket) -> None:
    quiet = next(m for m in demo_packet.demo.members if m.given_name == "Rowan")
    packet = collect(quiet, checkpoint=None)
    assert "complaint" not in packet and packet["contacts"] == []
    text = pdf_text(packet_pdf(packet))
    assert "Rowan Bellwhistle" in text and "Page 1 of" in text
    assert "No contact outside the group is recorded." in text
    assert "None: these records are not proved against the audit log." in text
    assert "Evidence packet · Rowan Bellwhistle · no checkpoint" in text


def test_a_bare_packet_renders_and_prints_moments_in_the_practices_time_zone(db: None) -> None:
    packet: dict[str, Any] = {
        "member": {"name": "Test Member"},
        "practice": {"name": "Test Practice", "timezone": "America/Los_Angeles"},
        # In evidence.packet's order: by the UTC text.
        "timeline": [
            {"at": "2026-11-03", "title": "Day one", "detail": "", "audit": []},
            {"at": "2026-11-04", "title": "Day two", "detail": "", "audit": []},
            {"at": "2026-11-04T03:40:00Z", "title": "Late talk", "detail": "", "audit": [7]},
        ],
    }
    text = pdf_text(packet_pdf(cast(Packet, packet)))
    # 03:40 UTC on the 4th is the evening of the 3rd in California: it goes with the 3rd.
    assert text.index("Day one") < text.index("3 Nov 2026, 19:40 PST Late talk")
    assert text.index("3 Nov 2026, 19:40 PST Late talk") < text.index("4 Nov 2026 Day two")
    assert "Nothing is recorded as shared." in text and "Page 1 of" in text

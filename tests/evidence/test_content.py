"""What a packet says: the records about one member, in order, with the others pseudonymised."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from groupguard.audit.checkpoints import make_checkpoint, public_key_info
from groupguard.audit.log import log_for
from groupguard.contacts import actions as contacts
from groupguard.evidence import actions
from groupguard.evidence.build import build_packet
from groupguard.evidence.packet import collect
from groupguard.evidence.redact import Redactor, label
from groupguard.evidence.verify import verify_packet
from groupguard.practice import actions as practice_actions
from tests.conftest import Cast
from tests.support import pdf_text


def test_labels_skip_a_and_go_on_after_z() -> None:
    assert [label(i) for i in (0, 1, 24, 25, 26)] == [
        "Member B",
        "Member C",
        "Member Z",
        "Member BB",
        "Member BC",
    ]


def test_names_of_other_members_become_their_pseudonyms(cast: Cast) -> None:
    redactor = Redactor.for_members(cast.mia, [cast.noah, cast.olga])
    text = "Noah Zephyrine told NOAH and olga; Mia listened. Noah's turn."
    # Zephyrine is also Mia's family name: the full name goes, the short form stays.
    assert (
        redactor.text(text) == "Member B told Member B and Member C; Mia listened. Member B's turn."
    )


def test_the_packet_holds_the_members_records_and_none_of_the_others(cast: Cast) -> None:
    entry = contacts.log_contact(
        group=cast.thursday,
        members=[cast.mia, cast.noah],
        acting_user=cast.bob,
        occurred_at=timezone.now() - datetime.timedelta(hours=1),
        setting="after_session",
        initiated_by="member",
        summary="Mia and Noah stayed after group. Noah said please don't tell the group.",
        others_present="Noah Zephyrine",
        request="explicit",
        offered_referral=True,
    )
    complaint = actions.record_complaint(
        member=cast.mia,
        acting_user=cast.alice,
        board="Board of Behavioral Sciences",
        received_on=cast.north.today(),
        allegation="Says Bob told the group what Noah and she said after group.",
    )
    checkpoint = make_checkpoint(log_for(cast.north.id))
    packet = collect(cast.mia, checkpoint=checkpoint, complaint=complaint)
    text = json.dumps(packet, ensure_ascii=False)
    assert "Noah" not in text and "Olga" not in text
    [contact] = packet["contacts"]
    assert contact["with_others"] == ["Member B"] and contact["summary_redacted"]
    assert contact["summary"].startswith("Mia and Member B stayed after group.")
    assert contact["content_sha256"] == entry.content_sha256
    assert contact["audit"] and set(contact["audit"]) <= set(packet["audit"]["entries"])
    assert packet["complaint"]["allegation"] == (
        "Says Bob told the group what Member B and she said after group."
    )
    assert packet["summary"]["agreement_signed_before_first_contact"] is True
    assert packet["summary"]["referral_offered"] is True
    kinds = [t["kind"] for t in packet["timeline"]]
    assert "contact" in kinds and "signature" in kinds and "complaint" in kinds
    assert len(packet["timeline"]) >= 3
    assert all(i < checkpoint.tree_size for i in packet["audit"]["entries"])
    # The same records and checkpoint give the same packet.
    again = collect(cast.mia, checkpoint=checkpoint, complaint=complaint)
    assert json.dumps(again, sort_keys=True) == json.dumps(packet, sort_keys=True)


def test_a_period_bounds_the_records(cast: Cast) -> None:
    contacts.log_contact(
        group=cast.thursday,
        members=[cast.mia],
        acting_user=cast.bob,
        occurred_at=timezone.now() - datetime.timedelta(days=10),
        setting="phone",
        initiated_by="member",
        summary="An old call.",
        request="none",
    )
    today = cast.north.today()
    packet = collect(cast.mia, checkpoint=None, start=today - datetime.timedelta(days=2))
    assert packet["contacts"] == []
    assert len(collect(cast.mia, checkpoint=None)["contacts"]) == 1


def test_complaint_checks(cast: Cast) -> None:
    today = cast.north.today()
    base: dict[str, Any] = {
        "member": cast.mia,
        "acting_user": cast.alice,
        "board": "BBS",
        "received_on": today,
        "allegation": "Something.",
    }
    with pytest.raises(ValidationError, match="future"):
        actions.record_complaint(**{**base, "received_on": today + datetime.timedelta(days=1)})
    with pytest.raises(ValidationError, match="before the day received"):
        actions.record_complaint(**{**base, "deadline": today - datetime.timedelta(days=1)})
    with pytest.raises(ValidationError, match="own practice"):
        actions.record_complaint(**{**base, "acting_user": cast.oscar})
    with pytest.raises(ValidationError) as error:
        actions.record_complaint(**{**base, "board": " "})
    assert "board" in error.value.message_dict
    complaint = actions.record_complaint(**base)
    actions.update_complaint(complaint, acting_user=cast.alice, status="responded")
    complaint.refresh_from_db()
    assert complaint.status == "responded"
    with pytest.raises(ValidationError, match="cannot be changed"):
        actions.update_complaint(complaint, acting_user=cast.alice, allegation="x")


def test_other_members_sharing_a_first_name_keep_the_subjects_name(cast: Cast) -> None:
    other_mia = practice_actions.create_member(
        practice=cast.north, given_name="Mia", family_name="Otherly", acting_user=None
    )
    redactor = Redactor.for_members(cast.mia, [other_mia])
    assert redactor.text("Mia met Mia Otherly.") == "Mia met Member B."


def test_the_timeline_follows_the_practices_calendar(cast: Cast) -> None:
    # 19:40 in Los Angeles is 03:40 UTC the next day; a day-only event of that next day
    # comes after it.
    evening = timezone.now().astimezone(cast.north.tz).replace(hour=19, minute=40) - (
        datetime.timedelta(days=3)
    )
    entry = contacts.log_contact(
        group=cast.thursday,
        members=[cast.mia],
        acting_user=cast.bob,
        occurred_at=evening,
        setting="after_session",
        initiated_by="member",
        summary="Evening remark.",
        request="none",
    )
    contacts.offer_referral(
        member=cast.mia,
        contact=entry,
        acting_user=cast.bob,
        reason="A space.",
        offered_on=evening.date() + datetime.timedelta(days=1),
    )
    kinds = [t["kind"] for t in collect(cast.mia, checkpoint=None)["timeline"]]
    assert kinds.index("contact") < kinds.index("referral")


def test_the_packet_shows_what_was_suggested_and_what_was_decided(
    cast: Cast, tmp_path: Path
) -> None:
    now = timezone.now()
    waiting = contacts.log_contact(
        group=cast.thursday,
        members=[cast.mia],
        acting_user=cast.bob,
        occurred_at=now - datetime.timedelta(hours=3),
        setting="phone",
        initiated_by="member",
        summary="Mia called. Please don't tell the group about the move.",
    )
    corrected = contacts.log_contact(
        group=cast.thursday,
        members=[cast.mia],
        acting_user=cast.bob,
        occurred_at=now - datetime.timedelta(hours=2),
        setting="after_session",
        initiated_by="member",
        summary="Mia said nobody in the group knows about her new job.",
        request="none",
    )
    packet = build_packet(member=cast.mia, acting_user=None)
    packet.write(tmp_path / "packet")
    report = verify_packet(tmp_path / "packet", public_key_info()["public_key"])
    assert report.ok, report.failures  # the rows, with their new column, verify offline
    first, second = packet.content["contacts"]
    assert (first["id"], second["id"]) == (str(waiting.id), str(corrected.id))
    assert (first["request"], first["request_recorded"], first["detected_request"]) == (
        "unanswered",
        "unanswered",
        "explicit",
    )
    assert first["detector"] == waiting.detection_record["model"]
    assert (second["request"], second["detected_request"]) == ("none", "implied")
    assert packet.content["summary"]["requests"] == {"explicit": 0, "implied": 0, "unanswered": 1}
    details = [t.get("detail", "") for t in packet.content["timeline"] if t["kind"] == "contact"]
    assert details[0].startswith("Request: not answered (the detector suggested explicit).")
    assert details[1].startswith("Request: none (the detector suggested implied).")
    fhir = json.loads(packet.files["fhir.json"])
    notes = [
        n["text"]
        for e in fhir["entry"]
        if e["resource"]["resourceType"] == "Communication"
        for n in e["resource"].get("note", [])
    ]
    assert any(
        n.startswith("Request for confidentiality, as the facilitator answered: not answered")
        for n in notes
    )
    assert any("Suggested by the detector" in n and ": explicit; a suggestion" in n for n in notes)
    text = pdf_text(packet.files["packet.pdf"])
    assert "Request for confidentiality, as the facilitator answered" in text
    assert "Not answered: the facilitator has not recorded whether the member asked" in text
    assert "What the detector suggested" in text
    assert "it was not taken as the answer" in text
    assert "Not answered by the facilitator at 1" in text

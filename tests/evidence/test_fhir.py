"""The packet as a FHIR R4B Bundle: valid, deterministic, and about the subject alone."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
from collections import Counter
from typing import Any, cast

import pytest

from groupguard.audit.checkpoints import make_checkpoint
from groupguard.audit.models import AuditLog
from groupguard.demo.practice import DemoPractice, build_demo
from groupguard.evidence.fhir import to_fhir, validate_fhir
from groupguard.evidence.fhir.codes import MEMBER_SYSTEM
from groupguard.evidence.models import Complaint
from groupguard.evidence.packet import collect
from groupguard.evidence.packet_model import Packet

KINDS = {
    "Patient",
    "Group",
    "CareTeam",
    "Consent",
    "DocumentReference",
    "Communication",
    "ServiceRequest",
    "Provenance",
    "AuditEvent",
}


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def readable(bundle: dict[str, Any]) -> str:
    """The bundle as text, with the attached agreement texts decoded so they are searched too."""
    texts = [
        base64.b64decode(c["attachment"]["data"]).decode("utf-8")
        for d in resources(bundle, "DocumentReference")
        for c in d["content"]
    ]
    return "\n".join([json.dumps(bundle, ensure_ascii=False), *texts])


@pytest.fixture
def demo_packet(db: None) -> tuple[DemoPractice, Complaint, Packet]:
    demo = build_demo()
    complaint = Complaint.objects.get()
    log = AuditLog.objects.get(practice=demo.practice)
    member = next(m for m in demo.members if m.id == complaint.member_id)
    packet = collect(member, checkpoint=make_checkpoint(log), complaint=complaint)
    return demo, complaint, packet


def test_the_demo_packet_becomes_a_valid_deterministic_bundle_about_the_subject_alone(
    demo_packet: tuple[DemoPractice, Complaint, Packet],
) -> None:
    demo, complaint, packet = demo_packet
    bundle = to_fhir(packet)
    validate_fhir(bundle)

    assert bundle["type"] == "collection"
    checkpoint = packet["checkpoint"]
    assert checkpoint is not None and bundle["timestamp"] == checkpoint["timestamp"]
    kinds = Counter(e["resource"]["resourceType"] for e in bundle["entry"])
    assert KINDS <= set(kinds), KINDS - set(kinds)
    urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(set(urls)) == len(urls) and all(u.startswith("urn:uuid:") for u in urls)

    # Same packet, same bytes; a copy of it too (nothing read from the clock or the database).
    again = to_fhir(copy.deepcopy(packet))
    assert json.dumps(bundle, sort_keys=True) == json.dumps(again, sort_keys=True)

    [patient] = resources(bundle, "Patient")
    member = complaint.member
    assert patient["identifier"] == [{"system": MEMBER_SYSTEM, "value": str(member.id)}]
    assert patient["name"][0]["text"] == member.full_name
    assert patient["birthDate"] == member.date_of_birth.isoformat()
    patient_url = f"urn:uuid:{patient['id']}"

    for group in resources(bundle, "Group"):
        assert {m["entity"]["reference"] for m in group["member"]} == {patient_url}
    assert {g["name"] for g in resources(bundle, "Group")} == {
        e["group"]["name"] for e in packet["enrollments"]
    }

    text = readable(bundle)
    assert re.search(rf"\b{re.escape(member.full_name)}\b", text)  # the search does find names
    for other in (m for m in demo.members if m.id != complaint.member_id):
        names = {other.given_name, other.family_name, other.full_name, other.preferred_name}
        for name in filter(None, names):
            assert not re.search(rf"\b{re.escape(name)}\b", text), name
    for pseudonym in packet["pseudonyms"]:
        assert all(pseudonym not in json.dumps(g) for g in resources(bundle, "Group"))


def test_each_record_maps_to_its_resource(
    demo_packet: tuple[DemoPractice, Complaint, Packet],
) -> None:
    _, _, packet = demo_packet
    bundle = to_fhir(packet)

    consents = resources(bundle, "Consent")
    assert len(consents) == len(packet["agreements"]["signatures"])
    assert [c["dateTime"] for c in consents] == [
        s["signed_at"] for s in packet["agreements"]["signatures"]
    ]
    assert {c["status"] for c in consents} == {"active"}  # the demo subject never withdrew

    documents = resources(bundle, "DocumentReference")
    assert len(documents) == len(packet["agreements"]["versions"])
    for doc, version in zip(documents, packet["agreements"]["versions"], strict=True):
        assert doc["masterIdentifier"]["value"] == version["sha256"]
        data = base64.b64decode(doc["content"][0]["attachment"]["data"])
        assert data.decode("utf-8") == version["text"]
        sha1 = hashlib.sha1(data, usedforsecurity=False).digest()
        assert base64.b64decode(doc["content"][0]["attachment"]["hash"]) == sha1
        if not version["text_redacted"]:
            assert hashlib.sha256(data).hexdigest() == version["sha256"]

    [contact] = packet["contacts"]
    [communication] = resources(bundle, "Communication")
    assert communication["sent"] == contact["occurred_at"]
    assert communication["payload"] == [{"contentString": contact["summary"]}]
    assert {"system": "urn:groupguard:sha256", "value": contact["content_sha256"]} in (
        communication["identifier"]
    )

    [referral] = packet["referrals"]
    [request] = resources(bundle, "ServiceRequest")
    assert (request["status"], request["intent"]) == ("active", "proposal")  # accepted
    assert request["authoredOn"] == referral["offered_on"]

    events = resources(bundle, "AuditEvent")
    assert len(events) == len(packet["audit"]["entries"])
    cited = {
        int(e["what"]["identifier"]["value"])
        for p in resources(bundle, "Provenance")
        for e in p["entity"]
    }
    assert cited <= set(packet["audit"]["entries"])
    assert set(contact["audit"]) <= cited


def test_a_minimal_packet_still_validates() -> None:
    packet: dict[str, Any] = {
        "format": "groupguard-packet/1",
        "practice": {"name": "Northside", "jurisdiction": "US-CA", "timezone": "UTC"},
        "member": {
            "id": "m-1",
            "name": "Mia Zephyrine",
            "preferred_name": "",
            "date_of_birth": None,
            "minor": False,
        },
        "period": {"from": None, "to": None},
        "checkpoint": None,
        "pseudonyms": [],
        "enrollments": [],
        "roles": [],
        "agreements": {"versions": [], "signatures": [], "withdrawals": [], "overrides": []},
        "contacts": [],
        "referrals": [],
        "audit": {"log": None, "entries": [], "reads_not_listed": 0},
    }
    bundle = to_fhir(cast(Packet, packet))
    validate_fhir(bundle)
    [entry] = bundle["entry"]
    assert entry["resource"]["resourceType"] == "Patient"
    assert "timestamp" not in bundle
    assert json.dumps(to_fhir(cast(Packet, packet))) == json.dumps(bundle)


def test_a_signature_followed_by_a_withdrawal_is_an_inactive_consent() -> None:
    signature = {
        "id": "s-1",
        "group": "Thursday Group",
        "version": 1,
        "version_sha256": "ab" * 32,
        "signed_at": "2026-01-05T18:00:00Z",
        "guardian_name": "",
        "audit": [],
    }
    packet: dict[str, Any] = {
        "member": {"id": "m-1", "name": "Mia Zephyrine"},
        "agreements": {
            "versions": [],
            "signatures": [
                signature,
                signature | {"id": "s-2", "signed_at": "2026-03-01T18:00:00Z"},
            ],
            "withdrawals": [{"id": "w-1", "withdrawn_at": "2026-02-01T09:00:00Z", "audit": []}],
        },
    }
    bundle = to_fhir(cast(Packet, packet))
    validate_fhir(bundle)
    assert [c["status"] for c in resources(bundle, "Consent")] == ["inactive", "active"]


def test_an_invalid_bundle_is_refused_naming_the_resource() -> None:
    bundle = to_fhir(cast(Packet, {"member": {"id": "m-1", "name": "Mia Zephyrine"}}))
    bundle["entry"][0]["resource"]["birthDate"] = "the fifth of May"
    with pytest.raises(ValueError, match=r"Patient urn:uuid:\S+: birthDate"):
        validate_fhir(bundle)

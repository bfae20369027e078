"""Who the packet is about: the Patient, the Groups joined (the subject alone) and the CareTeam."""

from __future__ import annotations

from collections import defaultdict

from groupguard.evidence.fhir.builder import Bundle
from groupguard.evidence.fhir.codes import (
    JSON,
    MEMBER_SYSTEM,
    SYSTEM,
    code,
    concept,
    derived_id,
    record_identifier,
    resource_id,
)
from groupguard.evidence.packet_model import EnrollmentRecord, Packet


def patient_of(b: Bundle, packet: Packet) -> JSON:
    member = packet["member"]
    names: list[JSON] = [{"use": "official", "text": member["name"]}]
    if member.get("preferred_name"):
        names.append({"use": "usual", "given": [member["preferred_name"]]})
    resource = {
        "resourceType": "Patient",
        "id": resource_id("member", member["id"]),
        "identifier": [{"system": MEMBER_SYSTEM, "value": member["id"]}],
        "name": names,
        "birthDate": member.get("date_of_birth"),
        "managingOrganization": {"display": packet.get("practice", {}).get("name")},
    }
    return b.add(resource) | {"display": member["name"]}


def groups_of(b: Bundle, packet: Packet, patient: JSON) -> dict[str, JSON]:
    """One Group per group joined, listing the subject only: never the other members."""
    enrollments: dict[str, list[EnrollmentRecord]] = defaultdict(list)
    names: dict[str, str] = {}
    for e in packet.get("enrollments", []):
        enrollments[e["group"]["id"]].append(e)
        names[e["group"]["id"]] = e["group"]["name"]
    refs: dict[str, JSON] = {}
    for group_id, joined in enrollments.items():
        resource = {
            "resourceType": "Group",
            "id": resource_id("group", group_id),
            "identifier": [record_identifier("group", group_id)],
            "type": "person",
            "actual": True,
            "code": {"text": "Therapy group"},
            "name": names[group_id],
            "member": [
                {
                    "entity": patient,
                    "period": {"start": e["joined_on"], "end": e["left_on"]},
                    "inactive": bool(e["left_on"]),
                }
                for e in joined
            ],
        }
        records = [("enrollment", e["id"]) for e in joined]
        refs[names[group_id]] = b.add(resource, *records) | {"display": names[group_id]}
    return refs


def care_team(b: Bundle, packet: Packet, patient: JSON) -> None:
    participants: list[JSON] = []
    for r in packet.get("roles", []):
        participants.append(
            {
                "role": [concept(r["label"], code(f"{SYSTEM}:role-kind", r["kind"], r["label"]))],
                "member": {"display": r["practitioner"]},
                "period": {"start": r["starts_on"], "end": r["ends_on"]},
            }
        )
    facilitators = sorted({(c["facilitator"], c["group"]) for c in packet.get("contacts", [])})
    for name, group in facilitators:
        participants.append(
            {"role": [{"text": f"Facilitator of {group}"}], "member": {"display": name}}
        )
    if not participants:
        return
    member_id = packet["member"]["id"]
    resource = {
        "resourceType": "CareTeam",
        "id": derived_id("care-team", member_id),
        "name": "Practitioners named in the packet",
        "subject": patient,
        "participant": participants,
        "managingOrganization": [{"display": packet.get("practice", {}).get("name")}],
    }
    b.add(resource, *(("role", r["id"]) for r in packet.get("roles", [])))

"""A packet as FHIR R4B: the subject's records as a Bundle another health-record system can read.

``to_fhir`` turns a packet's content (``evidence.packet``, a typed ``Packet``) into a Bundle of type
"collection", plain data too: nothing is read from the database or the clock, so the same packet
gives the same JSON. The Bundle holds

- Patient: the subject member. Group: each group the member was enrolled in, listing the
  subject alone (the other members never appear, not even as their pseudonyms);
- CareTeam: the practitioners named in the member's roles and contacts, by display name;
- DocumentReference: each agreement version (the text a group's members sign; a new version
  is a new text), with the text as redacted in the packet; Consent: each signature of one,
  inactive once a withdrawal follows it;
- Communication: each contact; ServiceRequest: each referral;
- AuditEvent: each audit log entry the packet cites; Provenance: for each contact, assessment
  and signature, the audit entries that recorded it.

Ids: a record's UUID where it has one, else a UUID5 of a fixed namespace, the record's kind and
its key (so a CareTeam or an audit entry gets a stable one too); fullUrls are ``urn:uuid:`` ones.
AuditEvent and Provenance are "recorded" at the checkpoint's timestamp: the packet does not
carry the entries' own times, and the checkpoint (a signed tree head of the audit log, which
includes every cited entry) shows they existed by then.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from groupguard.evidence.packet_model import EnrollmentRecord, Packet

NAMESPACE = uuid.UUID("7db3533a-f93b-463c-9573-3826b6abdacb")  # fixed: it names every fullUrl
SYSTEM = "urn:groupguard"
MEMBER_SYSTEM = f"{SYSTEM}:member"
SHA256_SYSTEM = f"{SYSTEM}:sha256"  # value: the hex SHA-256 groupguard keeps for the record
AUDIT_LOG_SYSTEM = f"{SYSTEM}:audit-log"

JSON = dict[str, Any]


def code(system: str, value: str, display: str) -> JSON:
    """A FHIR Coding."""
    return {"system": system, "code": value, "display": display}


def concept(text: str, *codings: JSON) -> JSON:
    """A FHIR CodeableConcept: the codings, and the text a reader sees."""
    return {"coding": list(codings), "text": text}


TERMINOLOGY = "http://terminology.hl7.org/CodeSystem"
CONSENT_SCOPE = code(f"{TERMINOLOGY}/consentscope", "patient-privacy", "Privacy Consent")
CONSENT_CATEGORY = code("http://loinc.org", "59284-0", "Consent Document")
REFERRAL_CATEGORY = code("http://snomed.info/sct", "3457005", "Patient referral")
AUDIT_TYPE = code("http://dicom.nema.org/resources/ontology/DCM", "110110", "Patient Record")
AUTHOR = code(f"{TERMINOLOGY}/provenance-participant-type", "author", "Author")
PARTICIPATION_MODE = f"{TERMINOLOGY}/v3-ParticipationMode"
FACE = ("FACE", "face-to-face")
MEDIUM = {
    "after_session": FACE,
    "before_session": FACE,
    "chance": FACE,
    "one_to_one": FACE,
    "individual_therapy": FACE,
    "phone": ("PHONE", "telephone"),
    "email": ("EMAILWRIT", "email"),
    "text": ("ONLINEWRIT", "online written"),
    "portal": ("ONLINEWRIT", "online written"),
}
REFERRAL_STATUS = {
    "offered": "active",
    "accepted": "active",
    "declined": "revoked",
    "completed": "completed",
}
RESPONSES = {
    "reminded_agreement": "reminded of the group agreement",
    "offered_referral": "offered a referral",
    "promised_confidentiality": "promised confidentiality",
}

LABELS = {
    "statement-version": "Agreement version",
    "attendance-override": "Attendance override",
    "assessment-choice": "Choice after an assessment",
    "group-session": "Attendance at a group session",
}


def resource_id(kind: str, key: str) -> str:
    """The record's own UUID, or a UUID5 of the kind and key when the key is not a UUID."""
    try:
        return str(uuid.UUID(key))
    except ValueError:
        return derived_id(kind, key)


def derived_id(kind: str, key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}/{key}"))


def record_identifier(kind: str, key: str) -> JSON:
    return {"system": f"{SYSTEM}:{kind}", "value": key}


def entry_identifier(log: str, index: int) -> JSON:
    """An audit entry is its index in its log, the namespace of the index."""
    return {"system": f"{AUDIT_LOG_SYSTEM}:{log}", "value": str(index)}


def pruned(value: Any) -> Any:
    """``value`` without None, empty strings, lists or objects, which FHIR JSON forbids."""
    if isinstance(value, dict):
        items = ((k, pruned(v)) for k, v in value.items())
        return {k: v for k, v in items if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [v for v in (pruned(v) for v in value) if v not in (None, "", [], {})]
    return value


def _audited(packet: Packet) -> Iterator[tuple[str, str, list[int]]]:
    """(kind, id, audit indexes) of every record in the packet that cites audit entries."""
    if packet.get("complaint"):
        yield "complaint", packet["complaint"]["id"], packet["complaint"]["audit"]
    sections: list[tuple[str, Sequence[Mapping[str, Any]]]] = [
        ("enrollment", packet.get("enrollments", [])),
        ("role", packet.get("roles", [])),
        ("statement-version", packet.get("agreements", {}).get("versions", [])),
        ("signature", packet.get("agreements", {}).get("signatures", [])),
        ("withdrawal", packet.get("agreements", {}).get("withdrawals", [])),
        ("attendance-override", packet.get("agreements", {}).get("overrides", [])),
        ("contact", packet.get("contacts", [])),
        ("promise", packet.get("promises", [])),
        ("referral", packet.get("referrals", [])),
        ("assessment", packet.get("assessments", [])),
        ("disclosure", packet.get("disclosures", [])),
        ("authorization", packet.get("authorizations", [])),
    ]
    for kind, records in sections:
        for r in records:
            yield kind, r["id"], r["audit"]
            for a in r.get("amendments", []):
                yield "amendment", a["id"], a["audit"]
            for c in r.get("choices", []):
                yield "assessment-choice", c["id"], c["audit"]
    for a in packet.get("attendance", []):
        yield "group-session", a["session"], a["audit"]  # attendance is keyed by its session


class _Bundle:
    """The entries so far, and where each packet record ended up."""

    def __init__(self, packet: Packet) -> None:
        self.entries: list[JSON] = []
        self.refs: dict[tuple[str, str], str] = {}  # (kind, record id) -> fullUrl
        self.log: str = packet.get("audit", {}).get("log") or ""
        checkpoint = packet.get("checkpoint")
        self.recorded: str | None = checkpoint["timestamp"] if checkpoint else None

    def add(self, resource: JSON, *records: tuple[str, str]) -> JSON:
        url = f"urn:uuid:{resource['id']}"
        self.entries.append({"fullUrl": url, "resource": resource})
        for record in records:
            self.refs.setdefault(record, url)
        return {"reference": url}

    def ref(self, kind: str, key: str, display: str = "") -> JSON:
        """A reference to the record's resource, or a logical one when it has none here."""
        if (kind, key) in self.refs:
            return {"reference": self.refs[(kind, key)], "display": display}
        return {"identifier": record_identifier(kind, key), "display": display}

    def entry_ref(self, index: int) -> JSON:
        return {
            "reference": f"urn:uuid:{derived_id('audit-entry', f'{self.log}/{index}')}",
            "identifier": entry_identifier(self.log, index),
            "display": f"Entry {index} of audit log {self.log}",
        }

    def require_recorded(self) -> str:
        if self.recorded is None:
            raise ValueError("The packet cites audit entries but has no checkpoint.")
        return self.recorded


def to_fhir(packet: Packet) -> JSON:
    """The packet as a FHIR R4B Bundle (plain data, deterministic); see the module docstring."""
    b = _Bundle(packet)
    patient = _patient(b, packet)
    groups = _groups(b, packet, patient)
    _care_team(b, packet, patient)
    _agreements(b, packet, patient, groups)
    _contacts(b, packet, patient, groups)
    _referrals(b, packet, patient)
    _provenance(b, packet, patient)
    _audit_events(b, packet)
    canonical = json.dumps(packet, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    bundle_id = derived_id("bundle", hashlib.sha256(canonical.encode()).hexdigest())
    bundle = {
        "resourceType": "Bundle",
        "id": bundle_id,
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{bundle_id}"},
        "type": "collection",
        "timestamp": b.recorded,
        "entry": b.entries,
    }
    result: JSON = pruned(bundle)
    return result


def _patient(b: _Bundle, packet: Packet) -> JSON:
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


def _groups(b: _Bundle, packet: Packet, patient: JSON) -> dict[str, JSON]:
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


def _care_team(b: _Bundle, packet: Packet, patient: JSON) -> None:
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


def _agreements(b: _Bundle, packet: Packet, patient: JSON, groups: dict[str, JSON]) -> None:
    agreements = packet.get("agreements", {})
    versions = agreements.get("versions", [])
    latest: dict[str, int] = {}
    for v in versions:
        latest[v["group"]] = max(latest.get(v["group"], 0), v["number"])
    by_version: dict[tuple[str, int], JSON] = {}
    for v in versions:
        data = v["text"].encode("utf-8")
        title = f"Group agreement of {v['group']}, version {v['number']}"
        note = (
            " Names of other members in the text are replaced by pseudonyms, so this copy does"
            " not hash to the SHA-256 of the text signed (the master identifier)."
            if v.get("text_redacted")
            else ""
        )
        resource = {
            "resourceType": "DocumentReference",
            "id": resource_id("statement-version", v["id"]),
            # The SHA-256 of the text signed identifies this exact version everywhere else in
            # groupguard; attachment.hash is what R4B defines it as: base64 SHA-1 of the data.
            "masterIdentifier": {"system": SHA256_SYSTEM, "value": v["sha256"]},
            "identifier": [record_identifier("statement-version", v["id"])],
            "status": "current" if v["number"] == latest[v["group"]] else "superseded",
            "docStatus": "final",
            "type": {"text": "Group agreement"},
            "subject": groups.get(v["group"], {"display": v["group"]}),
            "description": f"{title}, policy {v['policy']}.{note}",
            "content": [
                {
                    "attachment": {
                        "contentType": "text/plain; charset=utf-8",
                        "data": base64.b64encode(data).decode("ascii"),
                        "size": len(data),
                        "hash": _sha1(data),
                        "title": title,
                    }
                }
            ],
            "context": {"period": {"start": v["effective_on"]}},
        }
        by_version[(v["group"], v["number"])] = b.add(resource, ("statement-version", v["id"])) | {
            "display": title
        }
    withdrawals = agreements.get("withdrawals", [])
    for s in agreements.get("signatures", []):
        # A withdrawal ends the consent given before it (agreements.selectors._status). The
        # packet's withdrawals do not name their group yet: without one, it ends every group's.
        withdrawn = any(
            w["withdrawn_at"] >= s["signed_at"] and w.get("group", s["group"]) == s["group"]
            for w in withdrawals
        )
        performers = [patient]
        if s.get("guardian_name"):
            performers.append({"type": "RelatedPerson", "display": s["guardian_name"]})
        resource = {
            "resourceType": "Consent",
            "id": resource_id("signature", s["id"]),
            "identifier": [record_identifier("signature", s["id"])],
            "status": "inactive" if withdrawn else "active",
            "scope": {"coding": [CONSENT_SCOPE]},
            "category": [{"coding": [CONSENT_CATEGORY], "text": "Group agreement"}],
            "patient": patient,
            "dateTime": s["signed_at"],
            "performer": performers,
            "organization": [{"display": packet.get("practice", {}).get("name")}],
            "policy": [{"uri": f"{SHA256_SYSTEM}:{s['version_sha256']}"}],
        }
        source = by_version.get((s["group"], s["version"]))
        if source is not None:
            resource["sourceReference"] = source
        else:
            resource["sourceAttachment"] = {
                "title": f"Group agreement of {s['group']}, version {s['version']},"
                f" SHA-256 {s['version_sha256']}"
            }
        b.add(resource, ("signature", s["id"]))


def _sha1(data: bytes) -> str:
    return base64.b64encode(hashlib.sha1(data, usedforsecurity=False).digest()).decode("ascii")


def _contacts(b: _Bundle, packet: Packet, patient: JSON, groups: dict[str, JSON]) -> None:
    for c in packet.get("contacts", []):
        facilitator = {"display": c["facilitator"]}
        parties = {"member": (patient, facilitator), "facilitator": (facilitator, patient)}
        sender, recipient = parties.get(c["initiated_by"], (None, None))
        responses = [text for key, text in RESPONSES.items() if c["responses"].get(key)]
        decided = "not answered" if c["request"] == "unanswered" else c["request"]
        recorded = c["request_recorded"]
        detector = f" ({c['detector']})" if c.get("detector") else ""
        notes = [
            f"Request for confidentiality, as the facilitator answered: {decided} (recorded in"
            f" the entry: {'not answered' if recorded == 'unanswered' else recorded}).",
            f"Suggested by the detector from the wording of the summary{detector}:"
            f" {c['detected_request']}; a suggestion, not the facilitator's answer.",
            f"Responses: {', '.join(responses) or 'none recorded'}.",
            f"Others present: {c['others_present']}" if c.get("others_present") else "",
            f"Other members involved: {', '.join(c['with_others'])}" if c["with_others"] else "",
            f"Follow-up: {c['follow_up']}" if c.get("follow_up") else "",
        ]
        setting = code(f"{SYSTEM}:contact-setting", c["setting"], c["setting_label"])
        medium = MEDIUM.get(c["setting"])
        resource = {
            "resourceType": "Communication",
            "id": resource_id("contact", c["id"]),
            "identifier": [
                record_identifier("contact", c["id"]),
                {"system": SHA256_SYSTEM, "value": c["content_sha256"]},
            ],
            "status": "completed",
            "category": [concept(c["setting_label"], setting)],
            "medium": [{"coding": [code(PARTICIPATION_MODE, *medium)]}] if medium else [],
            "subject": patient,
            "about": [groups.get(c["group"], {"display": c["group"]})],
            "sent": c["occurred_at"],
            "recipient": [recipient],
            "sender": sender,
            "payload": [{"contentString": c["summary"]}],
            "note": [{"text": n} for n in notes]
            + [
                {
                    "authorString": a["author"],
                    "time": a["created_at"],
                    "text": f"Amendment: {a['text']}",
                }
                for a in c.get("amendments", [])
            ],
        }
        records = [("contact", c["id"]), *(("amendment", a["id"]) for a in c["amendments"])]
        b.add(resource, *records)


def _referrals(b: _Bundle, packet: Packet, patient: JSON) -> None:
    for r in packet.get("referrals", []):
        history = [
            f"{label} on {day}."
            for label, day in (
                ("Accepted", r["accepted_on"]),
                ("Declined", r["declined_on"]),
                ("Completed", r["completed_on"]),
            )
            if day
        ]
        resource = {
            "resourceType": "ServiceRequest",
            "id": resource_id("referral", r["id"]),
            "identifier": [record_identifier("referral", r["id"])],
            "status": REFERRAL_STATUS.get(r["status"], "unknown"),
            "intent": "proposal",
            "category": [{"coding": [REFERRAL_CATEGORY]}],
            "code": {"text": "Referral to individual therapist"},
            "subject": patient,
            "authoredOn": r["offered_on"],
            "requester": {"display": r["offered_by"]},
            "performer": [{"display": r["to"]}],
            "reasonCode": [{"text": r["reason"]}],
            "supportingInfo": [b.ref("contact", contact)] if (contact := r["contact"]) else [],
            "note": [{"text": f"Status in groupguard: {r['status']}. {' '.join(history)}"}],
        }
        b.add(resource, ("referral", r["id"]))


def _provenance(b: _Bundle, packet: Packet, patient: JSON) -> None:
    """Which audit entries recorded each contact, assessment and signature."""
    cited: list[tuple[str, JSON, JSON, str, list[int]]] = []
    for c in packet.get("contacts", []):
        indexes = [*c["audit"], *(i for a in c["amendments"] for i in a["audit"])]
        target = b.ref("contact", c["id"], "Contact")
        cited.append(("contact", target, {"display": c["facilitator"]}, c["occurred_at"], indexes))
    for a in packet.get("assessments", []):
        indexes = [*a["audit"], *(i for ch in a.get("choices", []) for i in ch["audit"])]
        target = b.ref("assessment", a["id"], f"Assessment: {a['question']}")
        cited.append(("assessment", target, {"display": a["asked_by"]}, a["created_at"], indexes))
    for s in packet.get("agreements", {}).get("signatures", []):
        target = b.ref("signature", s["id"], "Signature")
        cited.append(("signature", target, patient, s["signed_at"], s["audit"]))
    for kind, target, author, occurred, indexes in cited:
        if not indexes:
            continue
        key = target.get("reference") or target["identifier"]["value"]
        resource = {
            "resourceType": "Provenance",
            "id": derived_id("provenance", f"{kind}/{key}"),
            "target": [target],
            "occurredDateTime": occurred,
            "recorded": b.require_recorded(),
            "agent": [{"type": {"coding": [AUTHOR]}, "who": author}],
            "entity": [{"role": "source", "what": b.entry_ref(i)} for i in sorted(set(indexes))],
        }
        b.add(resource)


def _audit_events(b: _Bundle, packet: Packet) -> None:
    """One minimal AuditEvent per cited entry: its log, its index, the records it recorded."""
    recorded_by: dict[int, list[JSON]] = defaultdict(list)
    for kind, key, indexes in _audited(packet):
        for index in indexes:
            recorded_by[index].append(b.ref(kind, key, LABELS.get(kind, kind.capitalize())))
    for index in packet.get("audit", {}).get("entries", []):
        entity = [{"what": {"identifier": entry_identifier(b.log, index)}, "name": "Audit entry"}]
        entity += [{"what": what} for what in recorded_by.get(index, [])]
        resource = {
            "resourceType": "AuditEvent",
            "id": derived_id("audit-entry", f"{b.log}/{index}"),
            "type": AUDIT_TYPE,
            "recorded": b.require_recorded(),
            "agent": [{"type": {"text": "The user named in the audit entry"}, "requestor": True}],
            "source": {
                "observer": {
                    "identifier": {"system": AUDIT_LOG_SYSTEM, "value": b.log},
                    "display": f"groupguard audit log {b.log}",
                }
            },
            "entity": entity,
        }
        b.add(resource)


def validate_fhir(bundle: JSON) -> None:
    """Raise ValueError, naming the resource, unless ``bundle`` is a valid FHIR R4B Bundle.

    This checks what the ``fhir.resources`` R4B models check: the elements and their nesting,
    required elements, datatypes and their formats (dates, ids, base64). It does not check
    codes against value sets (a status outside its value set passes), FHIRPath invariants or
    profiles.
    """
    from fhir.resources.R4B.bundle import Bundle  # lazily: only packet builds and tests need it
    from pydantic import ValidationError

    try:
        Bundle.model_validate(bundle)
    except ValidationError as error:
        problems: dict[str, list[str]] = defaultdict(list)
        entries = bundle.get("entry", [])
        for e in error.errors():
            loc = e["loc"]
            where = "Bundle"
            if len(loc) >= 3 and loc[0] == "entry" and isinstance(loc[1], int):
                entry = entries[loc[1]]
                resource = entry.get("resource", {})
                where = f"{resource.get('resourceType')} {entry.get('fullUrl')}"
                loc = loc[3:] if loc[2] == "resource" else loc[2:]
            problems[where].append(f"{'.'.join(map(str, loc)) or '(root)'}: {e['msg']}")
        detail = "; ".join(f"{where}: {', '.join(msgs)}" for where, msgs in problems.items())
        raise ValueError(f"Not a valid FHIR R4B Bundle: {detail}") from error

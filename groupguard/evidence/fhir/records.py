"""The records as resources: agreements as Consents, contacts as Communications, referrals as
ServiceRequests.
"""

from __future__ import annotations

import base64
import hashlib

from groupguard.evidence.fhir.builder import Bundle
from groupguard.evidence.fhir.codes import (
    CONSENT_CATEGORY,
    CONSENT_SCOPE,
    JSON,
    MEDIUM,
    PARTICIPATION_MODE,
    REFERRAL_CATEGORY,
    REFERRAL_STATUS,
    RESPONSES,
    SYSTEM,
    code,
    concept,
    record_identifier,
    resource_id,
)
from groupguard.evidence.packet_model import Packet

SHA256_SYSTEM = f"{SYSTEM}:sha256"  # value: the hex SHA-256 groupguard keeps for the record


def consents(b: Bundle, packet: Packet, patient: JSON, groups: dict[str, JSON]) -> None:
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


def communications(b: Bundle, packet: Packet, patient: JSON, groups: dict[str, JSON]) -> None:
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


def service_requests(b: Bundle, packet: Packet, patient: JSON) -> None:
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

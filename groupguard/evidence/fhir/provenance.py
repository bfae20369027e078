"""Which audit entries recorded each record: Provenance resources and one AuditEvent per cited
entry.
"""

from __future__ import annotations

from collections import defaultdict

from groupguard.evidence.fhir.builder import Bundle, audited
from groupguard.evidence.fhir.codes import (
    AUDIT_LOG_SYSTEM,
    AUDIT_TYPE,
    AUTHOR,
    JSON,
    LABELS,
    derived_id,
    entry_identifier,
)
from groupguard.evidence.packet_model import Packet


def provenances(b: Bundle, packet: Packet, patient: JSON) -> None:
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


def audit_events(b: Bundle, packet: Packet) -> None:
    """One minimal AuditEvent per cited entry: its log, its index, the records it recorded."""
    recorded_by: dict[int, list[JSON]] = defaultdict(list)
    for kind, key, indexes in audited(packet):
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

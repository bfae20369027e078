"""The Bundle put together from a packet, and where each packet record ended up in it."""

from __future__ import annotations

import hashlib
import json

from groupguard.evidence.fhir.builder import Bundle
from groupguard.evidence.fhir.codes import JSON, derived_id, pruned
from groupguard.evidence.fhir.people import care_team, groups_of, patient_of
from groupguard.evidence.fhir.provenance import audit_events, provenances
from groupguard.evidence.fhir.records import communications, consents, service_requests
from groupguard.evidence.packet_model import Packet


def to_fhir(packet: Packet) -> JSON:
    """The packet as a FHIR R4B Bundle (plain data, deterministic); see the module docstring."""
    b = Bundle(packet)
    patient = patient_of(b, packet)
    groups = groups_of(b, packet, patient)
    care_team(b, packet, patient)
    consents(b, packet, patient, groups)
    communications(b, packet, patient, groups)
    service_requests(b, packet, patient)
    provenances(b, packet, patient)
    audit_events(b, packet)
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

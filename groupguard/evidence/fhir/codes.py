"""The systems, codes, labels and identifiers the Bundle's resources use."""

from __future__ import annotations

import uuid
from typing import Any

NAMESPACE = uuid.UUID("7db3533a-f93b-463c-9573-3826b6abdacb")  # fixed: it names every fullUrl


SYSTEM = "urn:groupguard"


MEMBER_SYSTEM = f"{SYSTEM}:member"


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

"""The packet's content, typed: what ``collect`` returns, ``packet.json`` holds, and the PDF and
FHIR builders read.

Typed dictionaries rather than dataclasses, on purpose: the packet *is* JSON (hashed, signed,
read back by ``packet verify`` and rebuilt into a PDF from ``packet.json`` alone), so the types
describe exactly the objects that ``json.loads`` gives back, with no conversion layer whose
output could drift from the signed bytes. Times are UTC in ISO 8601 (``...Z``), days
``YYYY-MM-DD``; ``audit`` lists are the indexes of the audit entries that recorded the record.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict


class PracticeRef(TypedDict):
    name: str
    jurisdiction: str
    timezone: str


class MemberRef(TypedDict):
    id: str
    name: str
    preferred_name: str
    date_of_birth: str | None
    minor: bool


Period = TypedDict("Period", {"from": str | None, "to": str | None})


class CheckpointRef(TypedDict):
    origin: str
    tree_size: int
    root_hash: str
    timestamp: Any


class ComplaintRecord(TypedDict):
    id: str
    board: str
    reference: str
    received_on: str
    deadline: str | None
    status: str
    allegation: str
    practitioner: str | None
    audit: list[int]


class GroupRef(TypedDict):
    id: str
    name: str


class EnrollmentRecord(TypedDict):
    id: str
    group: GroupRef
    joined_on: str
    left_on: str | None
    audit: list[int]


class RoleRecord(TypedDict):
    id: str
    practitioner: str
    kind: str
    label: str
    dual: bool
    starts_on: str
    ends_on: str | None
    note: str
    audit: list[int]


class AttendanceRecord(TypedDict):
    id: str
    session: str
    group: str
    starts_at: str
    status: str
    audit: list[int]


class VersionRecord(TypedDict):
    id: str
    group: str
    number: int
    policy: str
    effective_on: str | None
    sha256: str
    text: str
    text_redacted: bool
    audit: list[int]


class SignatureRecord(TypedDict):
    id: str
    group: str
    version: int
    version_sha256: str
    signed_at: str
    method: str
    typed_name: str
    guardian_name: str
    scan_sha256: str
    audit: list[int]


class WithdrawalRecord(TypedDict):
    id: str
    group: str
    withdrawn_at: str
    reason: str
    audit: list[int]


class OverrideRecord(TypedDict):
    id: str
    session: str
    starts_at: str
    reason: str
    audit: list[int]


class AgreementsSection(TypedDict):
    versions: list[VersionRecord]
    signatures: list[SignatureRecord]
    withdrawals: list[WithdrawalRecord]
    overrides: list[OverrideRecord]


class AmendmentRecord(TypedDict):
    id: str
    author: str
    created_at: str
    text: str
    request: str | None
    content_sha256: str
    audit: list[int]


class Responses(TypedDict):
    reminded_agreement: bool
    offered_referral: bool
    promised_confidentiality: bool


class ContactRecord(TypedDict):
    id: str
    group: str
    facilitator: str
    occurred_at: str
    setting: str
    setting_label: str
    initiated_by: str
    others_present: str
    with_others: list[str]
    summary: str
    summary_redacted: bool
    request: str
    request_recorded: str
    detected_request: str
    detector: str | None
    responses: Responses
    follow_up: str
    content_sha256: str
    amendments: list[AmendmentRecord]
    audit: list[int]


class PromiseRecord(TypedDict):
    id: str
    contact: str
    made_by: str
    made_at: str
    scope: str
    status: str
    closed_at: str | None
    closing_note: str
    audit: list[int]


class ReferralRecord(TypedDict):
    id: str
    contact: str | None
    offered_by: str
    to: str
    reason: str
    status: str
    offered_on: str
    accepted_on: str | None
    declined_on: str | None
    completed_on: str | None
    audit: list[int]


class ChoiceRecord(TypedDict):
    id: str
    kind: str
    note: str
    decided_by: str
    at: str
    audit: list[int]


class AssessmentRecord(TypedDict):
    id: str
    contact: str | None
    asked_by: str
    created_at: str
    question: str
    facts: dict[str, Any]
    sources: dict[str, str]
    level: str
    rules_version: str
    determining: list[Any]
    factors: list[str]
    recommendations: list[Any]
    choices: list[ChoiceRecord]
    audit: list[int]


class DisclosureRecord(TypedDict):
    id: str
    assessment: str | None
    recipient: str
    recipient_label: str
    recipient_detail: str
    disclosed_at: str
    what: str
    purpose: str
    outside_group: bool
    recorded_by: str
    audit: list[int]


class AuthorizationRecord(TypedDict):
    id: str
    recipient: str
    recipient_detail: str
    purpose: str
    signed_on: str
    expires_on: str | None
    revoked_at: str | None
    scan_sha256: str
    audit: list[int]


class EventRef(TypedDict):
    type: str
    id: str


class TimelineEvent(TypedDict):
    at: str | None
    kind: str
    title: str
    detail: str
    ref: EventRef
    audit: list[int]


class Summary(TypedDict):
    dual_roles: list[str]
    first_contact: str | None
    agreement_signed_before_first_contact: bool | None
    signatures: int
    contacts: int
    requests: dict[str, int]
    reminded_of_agreement: int
    promises: int
    open_promises: int
    referral_offered: bool
    assessments: int
    disclosures_outside_group: int


class RecordRow(TypedDict):
    """A stored row the packet was built from, as bound into the audit entry that wrote it."""

    table: str
    id: str
    sha256: str
    entry: int
    stored: dict[str, Any]


class AuditSection(TypedDict):
    log: str | None
    entries: list[int]
    reads_not_listed: int


class Packet(TypedDict):
    """Every section of a packet, in the order ``packet.json`` lists them."""

    format: str
    practice: PracticeRef
    member: MemberRef
    period: Period
    checkpoint: CheckpointRef | None
    pseudonyms: list[str]
    complaint: NotRequired[ComplaintRecord]
    enrollments: list[EnrollmentRecord]
    roles: list[RoleRecord]
    attendance: list[AttendanceRecord]
    agreements: AgreementsSection
    contacts: list[ContactRecord]
    promises: list[PromiseRecord]
    referrals: list[ReferralRecord]
    assessments: list[AssessmentRecord]
    disclosures: list[DisclosureRecord]
    authorizations: list[AuthorizationRecord]
    accounting: list[DisclosureRecord]
    timeline: list[TimelineEvent]
    summary: Summary
    audit: AuditSection
    # Added by the build (evidence.build.bind_records), not by ``collect``.
    records: NotRequired[list[RecordRow]]

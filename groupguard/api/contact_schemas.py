"""Schemas of the contacts API (``api/contacts.py``): contacts, amendments, promises, referrals,
detection and the member timeline.

Field names follow the actions' keyword arguments (``members``, ``group``, ``to_practitioner``,
``referral_to``...), so a 400 names the field the client sent. Input schemas refuse unknown
fields: a misspelt field in a clinical record should fail loudly, not be dropped.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from groupguard.api.schemas import Day, In, Moment, Offset, StaffId, omittable
from groupguard.core.text import MAX_TEXT

# The values of the TextChoices in contacts/models.py (a test keeps them in step), as Literals
# so that OpenAPI lists them and a wrong one is a 400 naming the field.
SettingValue = Literal[
    "after_session",
    "before_session",
    "phone",
    "text",
    "email",
    "portal",
    "chance",
    "one_to_one",
    "individual_therapy",
]
InitiatorValue = Literal["member", "facilitator", "other"]
RequestValue = Literal["none", "implied", "explicit", "unanswered"]
# The answers proper (models.ANSWERS): what the detector suggests and an amendment records.
AnswerValue = Literal["none", "implied", "explicit"]
PromiseStatusValue = Literal["open", "released", "withdrawn"]
ReferralStatusValue = Literal["offered", "accepted", "declined", "completed"]


class _In(In):
    model_config = ConfigDict(extra="forbid")


# --- References --------------------------------------------------------------------------


class GroupRefOut(Schema):
    id: uuid.UUID
    name: str


class MemberRefOut(Schema):
    id: uuid.UUID
    name: str


class StaffRefOut(Schema):
    id: int
    name: str


# --- Detection ---------------------------------------------------------------------------


class DetectIn(_In):
    text: str = Field(max_length=MAX_TEXT)


class MatchOut(Schema):
    start: int
    end: int
    text: str
    rule: str = Field(description="A rule id, or model.explicit / model.implied / model.promise.")
    level: Literal["explicit", "implied", "promise"]
    speaker: Literal["member", "third_party", "facilitator"] = Field(
        description="Whose words these are: only the member's make a request."
    )
    words: list[str] = Field(
        default_factory=list, description="For the model: the words that weighed most."
    )
    explanation: str


class FlagOut(Schema):
    kind: Literal[
        "threat",
        "suicide",
        "self_harm",
        "child_abuse",
        "elder_abuse",
        "dependent_adult_abuse",
        "substance_use",
    ]
    start: int
    end: int
    text: str
    rule: str
    explanation: str


class DetectionOut(Schema):
    request: Literal["explicit", "implied", "none"]
    matches: list[MatchOut] = Field(description="The member's words the request rests on.")
    set_aside: list[MatchOut] = Field(
        description="Matches in someone else's words: not the member's request."
    )
    promises: list[MatchOut] = Field(
        description="The facilitator's own words promising secrecy: a possible promise."
    )
    flags: list[FlagOut] = Field(description="Risk flags: suggestions, never decisions.")
    scores: dict[str, float] = Field(description="The model's highest probabilities.")
    model: str = Field(description="The rules' and the model's version.")


class StoredMatchOut(Schema):
    """A match kept when the entry was saved; level and explanation are null for a rule that
    is no longer in the detector."""

    start: int
    end: int
    text: str
    rule: str
    level: str | None
    explanation: str | None


class StoredDetectionOut(Schema):
    request: str
    matches: list[StoredMatchOut]
    model: str | None = Field(
        description="The version of the rules and model that made the suggestion (null for an "
        "entry saved before it was kept)."
    )


# --- Contacts ----------------------------------------------------------------------------


class ContactFilter(Schema):
    member: uuid.UUID | None = None
    group: uuid.UUID | None = None
    request: RequestValue | None = Field(
        None,
        description="Only contacts whose request, as last corrected, is this: unanswered for "
        "those still waiting for the facilitator's answer.",
    )
    limit: int = Field(50, ge=1, le=200)
    offset: Offset = 0


class ContactOut(Schema):
    id: uuid.UUID
    group: GroupRefOut
    members: list[MemberRefOut]
    facilitator: StaffRefOut
    occurred_at: datetime.datetime
    setting: str
    initiated_by: str
    request: str = Field(
        description="The facilitator's answer as last corrected by an amendment, else as "
        "recorded; unanswered until they give one."
    )
    recorded_request: str = Field(description="As recorded in the entry itself.")
    detected_request: str = Field(
        description="The detector's suggestion on save: never taken as the answer."
    )
    reminded_agreement: bool
    offered_referral: bool
    promised_confidentiality: bool
    summary: str
    follow_up_on: datetime.date | None
    created_at: datetime.datetime
    edited_at: datetime.datetime | None
    locked: bool
    locks_at: datetime.datetime


class ContactPageOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[ContactOut]


class AmendmentOut(Schema):
    id: uuid.UUID
    contact: uuid.UUID
    author: StaffRefOut
    created_at: datetime.datetime
    text: str
    request: str | None = Field(description="A corrected request, or null if unchanged.")
    content_sha256: str


class PromiseOut(Schema):
    id: uuid.UUID
    contact: uuid.UUID
    group: GroupRefOut
    member: MemberRefOut
    made_by: StaffRefOut
    made_at: datetime.datetime
    scope: str
    acknowledged_conflict: bool
    status: str
    closed_at: datetime.datetime | None
    closed_by: StaffRefOut | None
    closing_note: str


class ReferralOut(Schema):
    id: uuid.UUID
    member: MemberRefOut
    contact: uuid.UUID | None
    offered_by: StaffRefOut
    to_practitioner: StaffRefOut | None
    to_name: str
    to_contact: str
    recipient: str
    reason: str
    status: str
    offered_on: datetime.date
    accepted_on: datetime.date | None
    declined_on: datetime.date | None
    completed_on: datetime.date | None
    moves: list[str] = Field(description="The statuses this referral may move to next.")


class ClauseOut(Schema):
    number: int
    title: str
    text: str


class GuidanceOut(Schema):
    request: str
    warnings: list[str]
    version: int | None = Field(description="The agreement version the clauses are quoted from.")
    clauses: list[ClauseOut]
    script: str
    notes: list[str]


class ContactDetailOut(ContactOut):
    others_present: str
    follow_up: str
    content_sha256: str
    detection: StoredDetectionOut
    amendments: list[AmendmentOut]
    promises: list[PromiseOut]
    referrals: list[ReferralOut]
    guidance: GuidanceOut | None = Field(
        description="Null when there is no request. While the request is unanswered, it "
        "follows the detector's suggestion."
    )


class ContactIn(_In):
    group: uuid.UUID
    members: list[uuid.UUID] = Field(max_length=100)
    occurred_at: Moment
    setting: SettingValue
    initiated_by: InitiatorValue
    summary: str
    request: RequestValue = Field(
        "unanswered",
        description="Did the member ask for confidentiality? The facilitator's answer; left "
        "out, the entry records unanswered (answer it later by PATCH within 24 hours, or by an "
        "amendment). The detector's suggestion is kept beside it, never in its place.",
    )
    others_present: str = ""
    reminded_agreement: bool = False
    offered_referral: bool = False
    promised_confidentiality: bool = False
    follow_up: str = ""
    follow_up_on: Day | None = None
    promise_scope: str = ""
    promise_confirmed: bool = Field(
        False, description="The facilitator confirms they made the promise and read why."
    )
    referral_reason: str = ""
    referral_to: StaffId | None = Field(
        None, description="A practitioner of the practice (user id)."
    )
    referral_to_name: str = Field("", description="Or an outside therapist.")
    referral_to_contact: str = ""


class ContactPatch(_In):
    """Editable for 24 hours after the entry was written; afterwards, amend it."""

    occurred_at: Moment = omittable()
    setting: SettingValue = omittable()
    initiated_by: InitiatorValue = omittable()
    others_present: str = omittable()
    summary: str = omittable()
    request: RequestValue = omittable()
    reminded_agreement: bool = omittable()
    follow_up: str = omittable()
    follow_up_on: Day | None = Field(None, description="null clears it.")
    promised_confidentiality: bool = omittable()
    promise_scope: str = ""
    promise_confirmed: bool = False


class AmendmentIn(_In):
    text: str
    request: AnswerValue | None = Field(
        None, description="A corrected request, or the answer to one not answered yet."
    )


# --- Promises ----------------------------------------------------------------------------


class PromiseFilter(Schema):
    status: PromiseStatusValue | None = None
    member: uuid.UUID | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: Offset = 0


class PromisePageOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[PromiseOut]


class PromiseCloseIn(_In):
    status: Literal["released", "withdrawn"]
    note: str = Field(description="How and when the member released it, or was told.")


# --- Referrals ---------------------------------------------------------------------------


class ReferralFilter(Schema):
    member: uuid.UUID | None = None
    status: ReferralStatusValue | None = None
    awaiting: bool = Field(
        False, description="Only offers still unanswered after the practice's reminder period."
    )
    limit: int = Field(50, ge=1, le=200)
    offset: Offset = 0


class ReferralPageOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[ReferralOut]


class ReferralIn(_In):
    member: uuid.UUID
    reason: str
    contact: uuid.UUID | None = None
    to_practitioner: StaffId | None = Field(None, description="A practitioner of the practice.")
    to_name: str = Field("", description="Or an outside therapist.")
    to_contact: str = ""
    offered_on: Day | None = None


class ReferralPatch(_In):
    status: ReferralStatusValue | None = None
    on: Day | None = Field(None, description="When the status changed (default today).")
    to_practitioner: StaffId | None = Field(None, description="Replaces an outside therapist.")
    to_name: str | None = Field(None, description="Replaces a practitioner of the practice.")
    to_contact: str | None = None


# --- Timeline ----------------------------------------------------------------------------


class TimelineItemOut(Schema):
    when: datetime.datetime
    date_only: bool = Field(description="Only the day is known (referral dates).")
    kind: Literal[
        "contact",
        "amendment",
        "promise",
        "promise_closed",
        "referral",
        "assessment",
        "disclosure",
    ]
    title: str
    body: str
    badges: list[str]
    contact: uuid.UUID | None
    referral: uuid.UUID | None
    assessment: uuid.UUID | None


class TimelineOut(Schema):
    member: MemberRefOut
    items: list[TimelineItemOut]

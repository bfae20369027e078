"""Schemas of the disclosures API (``api/disclosures.py``): decisions, stored assessments,
choices, disclosures, the accounting and authorizations.

Field names follow the actions' keyword arguments, so a 400 names the field the client sent.
Input schemas refuse unknown fields, as the contacts API's do. The facts themselves are a free
JSON object here: the engine checks them and names the fact at fault (docs/rules.md lists the
facts and their allowed values).
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from groupguard.api.contact_schemas import MemberRefOut, StaffRefOut
from groupguard.api.schemas import Day, In, Moment

# The values of the TextChoices in disclosures/models.py (a test keeps them in step), as
# Literals so that OpenAPI lists them and a wrong one is a 400 naming the field.
RecipientValue = Literal[
    "group",
    "family",
    "former_member",
    "employer",
    "other_provider",
    "insurer",
    "court",
    "law_enforcement",
    "potential_victim",
    "protective_services",
    "other",
]
# Who an authorization may name: anyone but the group (models.THIRD_PARTIES).
ThirdPartyValue = Literal[
    "family",
    "former_member",
    "employer",
    "other_provider",
    "insurer",
    "court",
    "law_enforcement",
    "potential_victim",
    "protective_services",
    "other",
]
ChoiceValue = Literal["proceed", "hold", "talk_first", "seek_authorization", "consult"]


class _In(In):
    model_config = ConfigDict(extra="forbid")


# --- Decisions ---------------------------------------------------------------------------


class FactorOut(Schema):
    id: str
    effect: str
    explanation: str
    sources: list[str]


class DecisionOut(Schema):
    """The engine's decision, exactly as ``groupguard assess`` prints it."""

    level: str = Field(description="low, elevated, high, not_permitted or required.")
    determining: list[str] = Field(description="The ids of the rules that set the level.")
    factors: list[FactorOut] = Field(description="Every rule that fired, in the rules' order.")
    recommendations: list[str]
    warnings: list[str]
    rules_version: str
    law: list[dict[str, Any]] = Field(
        default_factory=list,
        description="The state table's cells the decision read (a threat, an abuse report): "
        "per jurisdiction weighed, what its law says, with citations and the date reviewed.",
    )


# --- Assessments -------------------------------------------------------------------------


class AssessmentIn(_In):
    answers: dict[str, Any] = Field(
        description="The facts the records do not hold (recipient, third_party, purpose, "
        "danger...); the records answer the rest. Without a contact, also said_in, "
        "agreement, promise, member_request and reminded_at_time; with a contact whose request "
        "nobody answered yet, member_request too; with a contact whose note the detector "
        "flagged for risk, the facts the flags propose (danger, abuse), which are "
        "never taken as answers: a 400 names the fact and the proposal."
    )
    contact: uuid.UUID | None = Field(None, description="The contact where it was said.")
    question: str = Field("", description="What you want to share, in a line.")


class ChoiceIn(_In):
    kind: ChoiceValue
    note: str = Field(
        "", description="Why; 20 characters or more to proceed against not_permitted."
    )


class ChoiceOut(Schema):
    id: uuid.UUID
    assessment: uuid.UUID
    kind: str
    note: str
    decided_by: StaffRefOut
    created_at: datetime.datetime


class DisclosureOut(Schema):
    id: uuid.UUID
    member: MemberRefOut
    assessment: uuid.UUID | None
    recipient: str
    recipient_detail: str
    disclosed_at: datetime.datetime
    what: str
    purpose: str
    recorded_by: StaffRefOut
    created_at: datetime.datetime


class AssessmentOut(Schema):
    id: uuid.UUID
    member: MemberRefOut
    contact: uuid.UUID | None
    asked_by: StaffRefOut
    created_at: datetime.datetime
    question: str
    facts: dict[str, Any] = Field(description="Exactly the facts the engine evaluated.")
    prefilled: dict[str, str] = Field(
        description="The facts that came from the records, each with the record it came from, "
        "a fact the contact left unanswered (member_request, when nobody answered the "
        "request yet) with why it was asked, and an answer to a fact the detector's risk flags "
        "proposed (danger, abuse) with what they proposed."
    )
    decision: DecisionOut
    level: str
    rules_version: str
    choices: list[ChoiceOut] = Field(description="Oldest first; the last one stands.")
    disclosures: list[DisclosureOut]


# --- Disclosures and the accounting ------------------------------------------------------


class DisclosureIn(_In):
    recipient: RecipientValue
    what: str = Field(description="What was shared, briefly.")
    disclosed_at: Moment = Field(description="With a time zone offset.")
    recipient_detail: str = Field("", description="Who exactly (a name, an agency, a court).")
    purpose: str = ""
    assessment: uuid.UUID | None = Field(None, description="The assessment it followed.")


class AccountingFilter(Schema):
    start: Day | None = Field(None, description="First day (the practice's calendar).")
    end: Day | None = Field(None, description="Last day, included.")


# --- Authorizations ----------------------------------------------------------------------


class AuthorizationIn(_In):
    recipient: ThirdPartyValue
    purpose: str
    signed_on: Day
    expires_on: Day | None = None
    recipient_detail: str = ""


class RevokeIn(_In):
    note: str = Field("", description="How the member revoked it.")


class ScanOut(Schema):
    content_type: str
    sha256: str


class AuthorizationOut(Schema):
    id: uuid.UUID
    member: MemberRefOut
    recipient: str
    recipient_detail: str
    purpose: str
    signed_on: datetime.date
    expires_on: datetime.date | None
    in_force: bool = Field(description="Signed, unexpired and unrevoked today.")
    revoked_at: datetime.datetime | None
    revoked_by: StaffRefOut | None
    revocation_note: str
    scan: ScanOut | None = Field(description="The signed form's scan (web upload), if any.")
    recorded_by: StaffRefOut
    created_at: datetime.datetime

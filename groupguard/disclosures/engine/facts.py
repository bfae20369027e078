"""The facts of one question, "may I share this?", parsed and checked.

A **fact set** is a JSON object describing one moment: what a member shared with the
facilitator, where, and with whom the facilitator means to share it and why. Every key is
optional except ``recipient``; a missing key takes the default of the ``Facts`` field of the
same name (``docs/rules.md`` lists them with their allowed values). Only ``third_party`` and
``ethics_code`` may be ``null``.

Parsing is strict: an unknown key, a value of the wrong JSON type or a value outside the
allowed ones raises ``FactsError`` naming the field and what it allows, so a typo never
quietly becomes a default. The one lenient field is ``jurisdiction``: any string is accepted
(upper-cased) and an unknown code falls back to ``US`` with a warning in the decision.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from groupguard.jurisdictions import JURISDICTIONS

Profession = Literal["MFT", "LCSW", "LPCC", "psychologist", "counselor", "other"]
EthicsCode = Literal["AAMFT", "NASW", "ACA", "APA", "other"]
SaidIn = Literal[
    "group_session",
    "outside_session_casual",
    "scheduled_one_on_one",
    "individual_therapy",
    "written_message",
]
Relationship = Literal["group_only", "also_individual_therapist", "also_couple_or_family_therapist"]
Agreement = Literal["signed_before", "signed_after", "none"]
Policy = Literal["no_secrets", "limited_secrets", "discretion"]
Referral = Literal["none", "offered", "accepted", "declined"]
Promise = Literal["none", "implied", "express"]
MemberRequest = Literal["none", "implied", "explicit"]
Recipient = Literal["group", "third_party"]
ThirdParty = Literal[
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
Purpose = Literal["treatment", "payment", "operations", "safety", "legal_requirement", "other"]
Content = Literal[
    "none", "hiv", "genetic", "minor_reproductive_health", "other_member", "part2_record"
]
Danger = Literal["none", "threat_to_identifiable_victim", "danger_to_self"]
Abuse = Literal["none", "child", "elder", "dependent_adult", "domestic_violence"]


class FactsError(ValueError):
    """A fact set the engine cannot read; ``field`` names the key at fault (None: the whole)."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Facts:
    """One fact set. The defaults are the documented ones; ``parse_facts`` builds it from JSON."""

    recipient: Recipient
    jurisdiction: str = "US"
    member_location: str | None = None
    profession: Profession = "other"
    ethics_code: EthicsCode | None = None
    said_in: SaidIn = "outside_session_casual"
    relationship: Relationship = "group_only"
    agreement: Agreement = "none"
    policy: Policy = "no_secrets"
    told_first_promised: bool = False
    promise: Promise = "none"
    member_request: MemberRequest = "none"
    member_objects: bool = False
    reminded_at_time: bool = False
    member_told_in_advance: bool = False
    third_party: ThirdParty | None = None
    purpose: Purpose = "treatment"
    relevant_to_treatment: bool = True
    authorization: bool = False
    court_order: bool = False
    minor: bool = False
    part2_program: bool = False
    sensitive: bool = False
    content: Content = "none"
    danger: Danger = "none"
    reportable_abuse: bool = False
    abuse: Abuse = "none"
    documented_rationale: bool = False
    referral: Referral = "none"


# The allowed values of each field that takes a choice (the Literal types above, in order).
CHOICES: dict[str, tuple[str, ...]] = {
    "recipient": get_args(Recipient),
    "profession": get_args(Profession),
    "ethics_code": get_args(EthicsCode),
    "said_in": get_args(SaidIn),
    "relationship": get_args(Relationship),
    "agreement": get_args(Agreement),
    "policy": get_args(Policy),
    "referral": get_args(Referral),
    "promise": get_args(Promise),
    "member_request": get_args(MemberRequest),
    "third_party": get_args(ThirdParty),
    "purpose": get_args(Purpose),
    "danger": get_args(Danger),
    "abuse": get_args(Abuse),
    "content": get_args(Content),
}
NULLABLE = frozenset({"third_party", "ethics_code", "member_location"})
# Fields that take a jurisdiction code: any string, upper-cased (see ``jurisdictions.resolve``).
CODES = frozenset({"jurisdiction", "member_location"})
FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Facts))
BOOLEANS = frozenset(FIELD_NAMES) - set(CHOICES) - CODES
DEFAULTS: dict[str, object] = {
    f.name: f.default for f in dataclasses.fields(Facts) if f.name != "recipient"
}

# What each field means, for the docs and the error messages' readers.
MEANINGS: dict[str, str] = {
    "recipient": "who would hear it: the current group, in session, or anyone else",
    "jurisdiction": "where the practitioner's licence applies (US-CA, US-TX, ...); a code "
    "outside the US is not modelled, an unknown US code applies no state's law; both with a "
    "warning",
    "member_location": "where the member was when they said it, if not in the licence's "
    "state (telehealth); both states' laws are weighed, the stricter wins",
    "profession": "the practitioner's licence",
    "ethics_code": "the ethics code the practitioner follows; when null, AAMFT for an MFT "
    "and none otherwise",
    "said_in": "where the member said it",
    "relationship": "the practitioner's roles with this member",
    "agreement": "the group agreement that allows bringing private communications into group: "
    "signed before the communication, signed after it, or none",
    "policy": "the policy of the agreement signed: no secrets (private communications may come "
    "into group), limited secrets (some may), the facilitator's discretion (case by case: not "
    "written permission)",
    "told_first_promised": "the agreement signed promises the member the chance to raise it "
    "first, or to be told before it comes up",
    "promise": "a promise of confidentiality the practitioner made about it",
    "member_request": "whether the member asked to keep it private",
    "member_objects": "the member objected to sharing it, or asked for a restriction",
    "reminded_at_time": "the practitioner reminded the member of the policy when it was said",
    "member_told_in_advance": "the member was told it would be raised, or given the chance "
    "to raise it first",
    "third_party": "who, when the recipient is a third party (null: other)",
    "purpose": "why it would be shared: treatment (in group, or coordinating with another "
    "provider), payment (a claim to a health plan), the practice's operations, safety, a legal "
    "requirement, or other",
    "relevant_to_treatment": "sharing it serves the group's work",
    "authorization": "the member's written authorization covers this disclosure",
    "court_order": "a court order requires it (a subpoena is not one)",
    "minor": "the member is a minor",
    "part2_program": "the group is a federally assisted substance-use program (42 CFR Part 2)",
    "sensitive": "highly sensitive content (an affair, HIV status, a crime)",
    "content": "content with its own law: an HIV test result or status, a genetic test "
    "result, a minor's reproductive health care the minor consented to, another member's "
    "information, a record of 42 CFR Part 2 substance-use treatment",
    "danger": "a danger the communication revealed",
    "reportable_abuse": "it reveals abuse the practitioner already knows they must report "
    "(prefer abuse, which lets the engine look the duty up)",
    "abuse": "abuse it reveals, by the victim: a child, an elder, a dependent adult, or an "
    "adult partner (domestic violence); the state table says whether a report is mandatory, "
    "permitted or not allowed",
    "documented_rationale": "the practitioner has written down why, and what, they will share",
    "referral": "a referral to an individual therapist for a confidential space: none, "
    "offered, accepted (or completed), declined",
}


def allowed_text(name: str) -> str:
    """The allowed values of ``name`` as the error messages and the docs print them."""
    if name in CODES:
        codes = (
            f"a US state, DC or territory as US-XX ({len(JURISDICTIONS) - 1} in the table: "
            "US-AK ... US-WY), US when the state is not known, or a code outside the US "
            "(not modelled)"
        )
        return codes + ", null" if name in NULLABLE else codes
    if name in BOOLEANS:
        return "true, false"
    values = ", ".join(CHOICES[name])
    return values + ", null" if name in NULLABLE else values


def _json(value: object) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def _refuse(name: str, value: object) -> FactsError:
    allowed = allowed_text(name)
    if name in BOOLEANS:
        problem = f"expected true or false, got {_json(value)}"
    elif not isinstance(value, str):
        problem = f"expected a string, got {_json_type(value)} {_json(value)}"
    else:
        problem = f"{_json(value)} is not allowed"
    return FactsError(name, f"{name}: {problem}; allowed values: {allowed}")


def parse_facts(data: Mapping[str, object]) -> Facts:
    """Check ``data`` (a decoded JSON object) and build its ``Facts``; see the module docstring.

    Raises ``FactsError`` with ``field`` set: unknown keys are reported first (in sorted
    order), then a missing ``recipient``, then bad values in the order of ``FIELD_NAMES``.
    """
    if not isinstance(data, Mapping):
        raise FactsError(None, f"facts must be a JSON object, not {_json_type(data)}")
    unknown = sorted(str(key) for key in data if key not in _KNOWN)
    if unknown:
        raise FactsError(
            unknown[0],
            f"unknown field {unknown[0]!r}; allowed fields: {', '.join(FIELD_NAMES)}",
        )
    if "recipient" not in data:
        raise FactsError(
            "recipient", f"recipient is required; allowed values: {allowed_text('recipient')}"
        )
    values: dict[str, Any] = {}
    for name in FIELD_NAMES:
        if name not in data:
            continue
        value = data[name]
        if name in BOOLEANS:
            if value is not True and value is not False:
                raise _refuse(name, value)
        elif name in CODES:
            if value is None and name in NULLABLE:
                values[name] = None
                continue
            if not isinstance(value, str) or not value.strip():
                raise FactsError(
                    name,
                    f"{name}: expected a non-empty string, got {_json_type(value)} "
                    f"{_json(value)}; allowed values: {allowed_text(name)}",
                )
            value = value.strip().upper()
        elif value is None:
            if name not in NULLABLE:
                raise _refuse(name, value)
        elif not isinstance(value, str) or value not in _ALLOWED[name]:
            raise _refuse(name, value)
        values[name] = value
    return Facts(**values)


_KNOWN = frozenset(FIELD_NAMES)
_ALLOWED = {name: frozenset(values) for name, values in CHOICES.items()}

"""Properties of the disclosure engine over generated fact sets (Hypothesis).

- adding an express promise, an objection, a minor or sensitive content never lowers the level;
- an agreement signed before never raises it;
- a third party is never below ``not_permitted`` without the member's authorization, a court
  order, or a legal duty or permission to tell that recipient;
- ``required`` comes only from a legal duty in the jurisdiction, and always does.

"Never lowers" compares on the scale low < elevated < high < not_permitted; ``required`` is
off the scale, so a required case must stay required. Pure Python: no database.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from groupguard.disclosures.engine import JURISDICTIONS, LEVELS, RULES, Jurisdiction, evaluate
from groupguard.disclosures.engine.facts import BOOLEANS, CHOICES, NULLABLE

THREAT = "threat_to_identifiable_victim"
# The legal bases the engine recognises for telling a third party without authorization or a
# court order, written out here independently of the engine: the duty to protect (the victim,
# law enforcement), abuse reports (protective services, law enforcement) and a danger to self
# (those able to lessen it, 45 CFR 164.512(j)).
LEGAL_BASES = {
    THREAT: {"potential_victim", "law_enforcement"},
    "danger_to_self": {"family", "other_provider", "law_enforcement"},
}
ABUSE_RECIPIENTS = {"protective_services", "law_enforcement"}

PROPERTY_SETTINGS = settings(deadline=None, max_examples=300)


def _optional() -> dict[str, st.SearchStrategy[Any]]:
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for name, values in CHOICES.items():
        if name == "recipient":
            continue
        options = [*values, None] if name in NULLABLE else list(values)
        fields[name] = st.sampled_from(options)
    for name in BOOLEANS:
        fields[name] = st.booleans()
    fields["jurisdiction"] = st.sampled_from([*JURISDICTIONS, "us-ca", "US-ZZ", "GB"])
    fields["member_location"] = st.sampled_from([None, *JURISDICTIONS, "GB"])
    return fields


FACTS = st.fixed_dictionaries(
    {"recipient": st.sampled_from(CHOICES["recipient"])}, optional=_optional()
)
# Third-party questions are a minority of the space above; this one is all of them, with the
# legal facts set more often.
THIRD_PARTY_FACTS = st.builds(
    lambda facts, party, danger, abuse: {
        **facts,
        "recipient": "third_party",
        "third_party": party,
        "danger": danger,
        "reportable_abuse": abuse,
    },
    FACTS,
    st.sampled_from([*CHOICES["third_party"], None]),
    st.sampled_from(CHOICES["danger"]),
    st.booleans(),
)
ANY_FACTS = st.one_of(FACTS, THIRD_PARTY_FACTS)
RAISING = [
    {"promise": "express"},
    {"member_objects": True},
    {"minor": True},
    {"sensitive": True},
]


def not_lower(before: str, after: str) -> bool:
    if before == "required":
        return after == "required"
    return after != "required" and LEVELS.index(after) >= LEVELS.index(before)


def _rows(facts: dict[str, Any]) -> list[Jurisdiction | None]:
    """The table rows the facts name (None: outside the US, not modelled)."""
    codes = [str(facts.get("jurisdiction", "US")).strip().upper()]
    where = facts.get("member_location")
    if where is not None and str(where).strip().upper() != codes[0]:
        codes.append(str(where).strip().upper())
    return [
        JURISDICTIONS.get(code, JURISDICTIONS["US"]) if code.startswith("US") else None
        for code in codes
    ]


def _warning(facts: dict[str, Any]) -> str:
    """What the table says of warning this recipient: duty, open, unlisted or conflict."""
    audience = {"potential_victim": "victim", "law_enforcement": "law_enforcement"}.get(
        facts.get("third_party") or ""
    )
    said = set()
    for row in _rows(facts):
        if row is None:
            said.add("open")
        elif row.duty.kind == "mandatory" and (
            not row.duty.must_tell or audience in row.duty.must_tell
        ):
            said.add("duty")
        elif row.duty.kind == "permissive" and row.duty.may_tell_only:
            said.add("open" if audience in row.duty.may_tell else "unlisted")
        else:
            said.add("open")
    if "unlisted" in said:
        return "conflict" if "duty" in said else "unlisted"
    return "duty" if "duty" in said else "open"


def _abuse_report(facts: dict[str, Any]) -> str:
    if facts.get("reportable_abuse", False):
        return "mandatory"
    kind = facts.get("abuse", "none")
    if kind == "none":
        return "none"
    reports = {"unknown" if row is None else row.report(kind).report for row in _rows(facts)}
    for report in ("mandatory", "unknown", "permitted", "not_allowed"):
        if report in reports:
            return report
    raise AssertionError(reports)


def _sharing_basis(facts: dict[str, Any]) -> bool:
    """Treatment, payment or operations (45 CFR 164.506(c)) outside a Part 2 program, where
    no state weighed asks for consent first."""
    party, purpose = facts.get("third_party") or "other", facts.get("purpose", "treatment")
    kind = (
        "treatment"
        if (party, purpose) == ("other_provider", "treatment")
        else "payment"
        if (party, purpose) == ("insurer", "payment")
        else "operations"
        if purpose == "operations"
        else None
    )
    if kind is None or facts.get("part2_program", False):
        return False
    if kind == "operations":
        return True
    rules = {"unknown" if row is None else row.records[kind].rule for row in _rows(facts)}
    return "consent_required" not in rules


def legal_basis(facts: dict[str, Any]) -> bool:
    party = facts.get("third_party") or "other"
    if _sharing_basis(facts):
        return True
    if facts.get("danger") == THREAT and party in LEGAL_BASES[THREAT]:
        return _warning(facts) != "unlisted"
    return party in LEGAL_BASES.get(facts.get("danger", "none"), set()) or (
        _abuse_report(facts) in ("mandatory", "permitted", "unknown") and party in ABUSE_RECIPIENTS
    )


def legal_duty(facts: dict[str, Any]) -> bool:
    """The disclosures the law requires: a threat told to whom a mandatory duty names, and
    abuse reported to protective services where the report is mandatory; only where the
    engine models the law (the US)."""
    if facts["recipient"] != "third_party" or None in _rows(facts):
        return False
    party = facts.get("third_party")
    threat = facts.get("danger") == THREAT and party in ("potential_victim", "law_enforcement")
    abuse = _abuse_report(facts) == "mandatory" and party == "protective_services"
    return (threat and _warning(facts) == "duty") or abuse


@PROPERTY_SETTINGS
@given(ANY_FACTS, st.sampled_from(RAISING))
def test_a_raising_fact_never_lowers_the_level(
    facts: dict[str, Any], change: dict[str, Any]
) -> None:
    before = evaluate(facts).level
    after = evaluate({**facts, **change}).level
    assert not_lower(before, after), (before, after)


@PROPERTY_SETTINGS
@given(ANY_FACTS, st.sampled_from(["none", "signed_after"]))
def test_an_agreement_signed_before_never_raises_the_level(
    facts: dict[str, Any], without: str
) -> None:
    before = evaluate({**facts, "agreement": without}).level
    after = evaluate({**facts, "agreement": "signed_before"}).level
    assert not_lower(after, before), (before, after)


@PROPERTY_SETTINGS
@given(THIRD_PARTY_FACTS)
def test_a_third_party_needs_authorization_a_court_order_or_a_legal_basis(
    facts: dict[str, Any],
) -> None:
    decision = evaluate(facts)
    if not (facts.get("authorization") or facts.get("court_order") or legal_basis(facts)):
        assert decision.level == "not_permitted"
        assert {
            "third-party.no-basis",
            "duty-to-protect.wrong-recipient",
            "duty-to-protect.not-whom-the-law-names",
            "abuse-report.not-allowed",
            "third-party.state-requires-consent",
            "part2.needs-consent-or-order",
            "content.other-member-outside",
            "content.minor-consented-care-to-family",
            "content.part2-record-outside",
        } & set(decision.determining)
    else:
        assert "third-party.no-basis" not in decision.determining


@PROPERTY_SETTINGS
@given(ANY_FACTS)
def test_required_comes_only_and_always_from_a_legal_duty(facts: dict[str, Any]) -> None:
    assert (evaluate(facts).level == "required") == legal_duty(facts)


@PROPERTY_SETTINGS
@given(ANY_FACTS)
def test_decisions_are_deterministic_and_well_formed(facts: dict[str, Any]) -> None:
    first = evaluate(facts)
    assert evaluate(dict(reversed(list(facts.items())))) == first
    payload = first.as_json()
    assert payload["level"] in (*LEVELS, "required")
    fired = [factor["id"] for factor in payload["factors"]]
    assert set(payload["determining"]) <= set(fired)
    assert payload["determining"], "every level has a reason"
    order = [rule.id for rule in RULES]
    assert fired == sorted(fired, key=order.index)
    assert payload["warnings"][0].startswith("Decision support, not legal advice")


@PROPERTY_SETTINGS
@given(FACTS)
def test_the_group_never_hears_of_threats_or_abuse(facts: dict[str, Any]) -> None:
    facts = {**facts, "recipient": "group"}
    threat = facts.get("danger") == THREAT and facts.get("said_in") != "group_session"
    abuse = facts.get("reportable_abuse") or facts.get("abuse") in (
        "child",
        "elder",
        "dependent_adult",
    )
    if threat or abuse:
        assert evaluate(facts).level == "not_permitted"
    elif facts.get("danger") == THREAT:  # a threat the group heard: worked on, never low
        assert evaluate(facts).level in ("elevated", "high", "not_permitted")


@PROPERTY_SETTINGS
@given(FACTS)
def test_an_express_promise_keeps_a_group_disclosure_at_least_elevated(
    facts: dict[str, Any],
) -> None:
    level = evaluate({**facts, "recipient": "group", "promise": "express"}).level
    assert level in ("elevated", "high", "not_permitted")


# (field, the value that worsens the practitioner's position, the value it replaces)
WORSENING = [
    ("agreement", "none", "signed_before"),
    ("agreement", "signed_after", "signed_before"),
    ("promise", "implied", "none"),
    ("promise", "express", "implied"),
    ("member_request", "explicit", "none"),
    ("member_request", "implied", "none"),
    ("member_request", "explicit", "implied"),
    ("minor", True, False),
    ("member_objects", True, False),
    ("said_in", "scheduled_one_on_one", "outside_session_casual"),
    ("relevant_to_treatment", False, True),
]


@PROPERTY_SETTINGS
@given(ANY_FACTS, st.sampled_from(WORSENING))
def test_a_fact_that_worsens_the_position_never_lowers_the_level(
    facts: dict[str, Any], change: tuple[str, Any, Any]
) -> None:
    name, worse, better = change
    before = evaluate({**facts, name: better}).level
    after = evaluate({**facts, name: worse}).level
    assert not_lower(before, after), (name, before, after)

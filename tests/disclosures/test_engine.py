"""The disclosure engine: known answers for every rule, the facts parser, the docs page.

Pure Python: these tests need no database.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from groupguard.disclosures.engine import (
    DISCLAIMER,
    JURISDICTIONS,
    RULES,
    RULES_BY_ID,
    RULES_VERSION,
    Facts,
    FactsError,
    evaluate,
    parse_facts,
)
from groupguard.disclosures.engine.docs import render
from groupguard.disclosures.engine.rule import EFFECTS, Rule, is_

ROOT = Path(__file__).resolve().parents[2]
THREAT = "threat_to_identifiable_victim"

# The founding article's case: a group-only facilitator, a casual remark after the session,
# no promise, the agreement signed before, raised in group for the group's treatment.
FOUNDING: dict[str, Any] = {
    "recipient": "group",
    "jurisdiction": "US-CA",
    "profession": "LPCC",
    "said_in": "outside_session_casual",
    "relationship": "group_only",
    "agreement": "signed_before",
    "promise": "none",
    "purpose": "treatment",
    "relevant_to_treatment": True,
}


def group(**changes: Any) -> dict[str, Any]:
    return {**FOUNDING, **changes}


def third(party: str, **changes: Any) -> dict[str, Any]:
    return {"recipient": "third_party", "third_party": party, "jurisdiction": "US-CA", **changes}


def ids(decision_facts: dict[str, Any]) -> list[str]:
    return [factor.id for factor in evaluate(decision_facts).factors]


# (rule, facts that make it fire, the level those facts reach)
FIRING: list[tuple[str, dict[str, Any], str]] = [
    ("third-party.no-basis", third("family"), "not_permitted"),
    ("third-party.subpoena-is-not-an-order", third("court"), "not_permitted"),
    ("part2.needs-consent-or-order", third("other_provider", part2_program=True), "not_permitted"),
    ("duty-to-protect.not-the-group", group(danger=THREAT), "not_permitted"),
    ("duty-to-protect.wrong-recipient", third("employer", danger=THREAT), "not_permitted"),
    ("abuse.not-the-group", group(abuse="elder"), "not_permitted"),
    (
        "duty-to-protect.not-whom-the-law-names",
        third("potential_victim", danger=THREAT, jurisdiction="US-TX"),
        "not_permitted",
    ),
    (
        "abuse-report.not-allowed",
        third("protective_services", abuse="domestic_violence"),
        "not_permitted",
    ),
    (
        "individual-therapy.needs-authorization",
        group(said_in="individual_therapy", relationship="also_individual_therapist"),
        "not_permitted",
    ),
    ("aamft.prior-written-permission", group(profession="MFT", agreement="none"), "not_permitted"),
    ("restriction.agreed", group(member_objects=True, promise="express"), "not_permitted"),
    ("duty-to-protect.mandatory", third("potential_victim", danger=THREAT), "required"),
    ("abuse-report.mandatory", third("protective_services", abuse="child"), "required"),
    ("group.treatment", FOUNDING, "low"),
    ("third-party.authorized", third("family", authorization=True), "low"),
    ("third-party.court-order", third("court", court_order=True), "elevated"),
    (
        "duty-to-protect.permitted",
        third("law_enforcement", danger=THREAT, jurisdiction="US-TX"),
        "elevated",
    ),
    (
        "duty-to-protect.beyond-the-duty",
        third("potential_victim", danger=THREAT, jurisdiction="US-IA"),
        "elevated",
    ),
    (
        "duty-to-protect.beyond-the-state-s-list",
        third("potential_victim", danger=THREAT, jurisdiction="US-RI"),
        "high",
    ),
    (
        "duty-to-protect.states-conflict",
        third("potential_victim", danger=THREAT, jurisdiction="US-TX", member_location="US-CA"),
        "high",
    ),
    (
        "duty-to-protect.check-state",
        third("potential_victim", danger=THREAT, jurisdiction="US"),
        "high",
    ),
    (
        "abuse-report.permitted",
        third("protective_services", abuse="elder", jurisdiction="US-NY"),
        "elevated",
    ),
    ("abuse-report.police", third("law_enforcement", reportable_abuse=True), "elevated"),
    (
        "abuse-report.check-state",
        third("protective_services", abuse="domestic_violence", jurisdiction="US-NY"),
        "high",
    ),
    ("danger-to-self.lessen-threat", third("family", danger="danger_to_self"), "elevated"),
    ("third-party.outside-group", third("other_provider", authorization=True), "low"),
    (
        "part2.legal-duty",
        third("potential_victim", danger=THREAT, part2_program=True),
        "required",
    ),
    ("part2.qualifying-order", third("court", court_order=True, part2_program=True), "high"),
    (
        "jurisdiction.not-modelled",
        third("potential_victim", danger=THREAT, jurisdiction="GB"),
        "high",
    ),
    ("jurisdiction.not-modelled-abuse", group(abuse="child", jurisdiction="GB"), "not_permitted"),
    ("abuse.partner-violence-in-group", group(abuse="domestic_violence"), "elevated"),
    (
        "third-party.state-requires-consent",
        third("other_provider", jurisdiction="US-FL"),
        "not_permitted",
    ),
    ("content.hiv-needs-authorization", group(content="hiv"), "not_permitted"),
    ("content.other-member-outside", third("employer", content="other_member"), "not_permitted"),
    (
        "content.minor-consented-care-to-family",
        third("family", content="minor_reproductive_health", minor=True),
        "not_permitted",
    ),
    (
        "content.part2-record-outside",
        third("other_provider", content="part2_record"),
        "not_permitted",
    ),
    ("third-party.treatment-coordination", third("other_provider"), "elevated"),
    ("third-party.payment", third("insurer", purpose="payment"), "elevated"),
    (
        "third-party.check-state-records",
        third("other_provider", jurisdiction="US"),
        "high",
    ),
    (
        "duty-to-protect.made-in-group",
        group(danger=THREAT, said_in="group_session"),
        "elevated",
    ),
    ("content.hiv-unsettled", group(content="hiv", jurisdiction="US"), "high"),
    ("content.other-member-in-group", group(content="other_member"), "elevated"),
    ("content.genetic", group(content="genetic"), "elevated"),
    ("content.genetic-outside", third("other_provider", content="genetic"), "high"),
    ("content.minor-consented-care", group(content="minor_reproductive_health"), "elevated"),
    ("content.part2-record-in-group", group(content="part2_record"), "elevated"),
    ("promise.express", group(promise="express"), "high"),
    ("promise.implied", group(promise="implied"), "low"),
    ("request.explicit", group(member_request="explicit"), "low"),
    ("request.implied", group(member_request="implied"), "low"),
    ("member.objects", group(member_objects=True), "elevated"),
    (
        "relationship.individual-therapist",
        group(relationship="also_individual_therapist"),
        "elevated",
    ),
    (
        "relationship.couple-or-family-therapist",
        group(relationship="also_couple_or_family_therapist"),
        "low",
    ),
    ("setting.scheduled-one-on-one", group(said_in="scheduled_one_on_one"), "low"),
    ("new-york.one-to-one-confidence", group(jurisdiction="US-NY", agreement="none"), "high"),
    ("agreement.missing", group(agreement="none"), "low"),
    ("agreement.signed-after", group(agreement="signed_after"), "low"),
    ("member.minor", group(minor=True), "low"),
    ("program.part2", group(part2_program=True), "low"),
    ("content.sensitive", group(sensitive=True), "elevated"),
    ("purpose.not-treatment", group(purpose="other"), "elevated"),
    ("relevance.not-relevant", group(relevant_to_treatment=False), "elevated"),
    ("danger-to-self.in-group", group(danger="danger_to_self"), "elevated"),
    ("agreement.signed-before", FOUNDING, "low"),
    ("agreement.limited-secrets", group(policy="limited_secrets"), "low"),
    (
        "agreement.tell-first-promised",
        group(told_first_promised=True, agreement="signed_after"),
        "elevated",
    ),
    ("setting.casual-no-promise", FOUNDING, "low"),
    ("setting.said-in-group", group(said_in="group_session"), "low"),
    ("member.told-in-advance", group(member_told_in_advance=True), "low"),
    ("member.reminded-at-time", group(reminded_at_time=True), "low"),
    ("rationale.documented", group(documented_rationale=True), "low"),
    ("authorization.written", group(authorization=True), "low"),
]


# --- the rules -----------------------------------------------------------------------------


def test_the_founding_case_is_low() -> None:
    decision = evaluate(FOUNDING)
    assert decision.level == "low"
    assert decision.determining == (
        "group.treatment",
        "agreement.signed-before",
        "setting.casual-no-promise",
    )
    assert [f.id for f in decision.factors] == list(decision.determining)
    assert decision.warnings == (DISCLAIMER,)
    assert decision.rules_version == RULES_VERSION


@pytest.mark.parametrize(("rule", "facts", "level"), FIRING, ids=[r for r, _, _ in FIRING])
def test_every_rule_fires_on_its_example(rule: str, facts: dict[str, Any], level: str) -> None:
    decision = evaluate(facts)
    assert rule in [f.id for f in decision.factors]
    assert decision.level == level
    if RULES_BY_ID[rule].effect in ("forbid", "require"):
        assert rule in decision.determining


def test_every_rule_has_a_firing_example() -> None:
    assert {rule for rule, _, _ in FIRING} == set(RULES_BY_ID)


def test_rules_are_data_with_unique_ids_explanations_and_sources_in_effect_order() -> None:
    assert len(RULES_BY_ID) == len(RULES)
    assert [EFFECTS.index(r.effect) for r in RULES] == sorted(
        EFFECTS.index(r.effect) for r in RULES
    )
    for rule in RULES:
        assert rule.explanation.endswith("."), rule.id
        assert rule.sources and all(s.strip() for s in rule.sources), rule.id
        assert (rule.points > 0) == (rule.effect in ("raise", "lower")), rule.id


def test_a_malformed_rule_fails_when_it_is_written() -> None:
    with pytest.raises(ValueError, match="only raise and lower rules carry points"):
        Rule("x", "forbid", (is_("minor", True),), "Why.", ("A source",), points=1)
    with pytest.raises(ValueError, match="explanation and sources"):
        Rule("x", "raise", (is_("minor", True),), "Why.", ())


def test_an_express_promise_raises_sharply_and_lowering_facts_cannot_make_it_low() -> None:
    assert evaluate(FOUNDING).level == "low"
    assert evaluate(group(promise="express")).level == "high"
    softened = group(
        promise="express",
        member_told_in_advance=True,
        reminded_at_time=True,
        documented_rationale=True,
        said_in="group_session",
    )
    decision = evaluate(softened)
    assert decision.level == "elevated"
    assert decision.determining == ("promise.express",)


def test_minors_part2_sensitive_content_and_objections_raise_a_neutral_case() -> None:
    neutral = {"recipient": "group"}  # general US rules, no agreement: score 0
    assert evaluate(neutral).level == "low"
    for change in ({"minor": True}, {"part2_program": True}, {"sensitive": True}):
        assert evaluate({**neutral, **change}).level == "elevated", change
    assert evaluate({**neutral, "member_objects": True}).level == "high"


def test_advance_notice_and_a_documented_rationale_lower_the_level() -> None:
    asked = {"recipient": "group", "member_request": "explicit"}
    assert evaluate(asked).level == "elevated"
    assert evaluate({**asked, "member_told_in_advance": True}).level == "elevated"
    lowered = evaluate(
        {
            **asked,
            "member_told_in_advance": True,
            "documented_rationale": True,
            "reminded_at_time": True,
        }
    )
    assert lowered.level == "low"
    assert "member.told-in-advance" in lowered.determining
    assert "rationale.documented" in lowered.determining


def test_individual_therapy_material_needs_the_members_authorization() -> None:
    facts = group(said_in="individual_therapy", relationship="also_individual_therapist")
    assert evaluate(facts).level == "not_permitted"
    authorized = evaluate({**facts, "authorization": True})
    assert authorized.level == "elevated"  # the dual role's floor remains
    assert "individual-therapy.needs-authorization" not in ids({**facts, "authorization": True})


def test_aamft_is_derived_from_mft_and_needs_prior_written_permission() -> None:
    facts = group(profession="MFT", agreement="signed_after")
    assert evaluate(facts).determining == ("aamft.prior-written-permission",)
    assert evaluate({**facts, "ethics_code": "NASW"}).level == "low"  # the code decides
    assert evaluate(group(profession="LCSW", ethics_code="AAMFT", agreement="none")).level == (
        "not_permitted"
    )
    assert evaluate(group(profession="MFT")).level == "low"  # signed before
    assert evaluate({**facts, "authorization": True}).level == "low"
    assert evaluate({**facts, "said_in": "group_session"}).level == "low"


def test_the_agreement_is_read_as_signed_policy_and_promise_to_tell_first() -> None:
    # A discretion agreement is no written permission under AAMFT 2.2; no secrets is.
    assert evaluate(group(profession="MFT")).level == "low"
    discretion = evaluate(group(profession="MFT", policy="discretion"))
    assert discretion.determining == ("aamft.prior-written-permission",)
    assert "agreement.signed-before" not in ids(group(policy="discretion"))
    limited = ids(group(policy="limited_secrets"))
    assert "agreement.limited-secrets" in limited and "agreement.signed-before" not in limited
    promised = evaluate(group(told_first_promised=True, agreement="signed_after"))
    assert promised.level == "elevated"
    assert "agreement.tell-first-promised" in promised.determining
    assert promised.recommendations[0].startswith("Tell the member before the session")
    kept = evaluate(group(told_first_promised=True, member_told_in_advance=True))
    assert "agreement.tell-first-promised" not in [f.id for f in kept.factors]


def test_a_rule_that_contradicts_a_stated_fact_does_not_apply() -> None:
    # "Please don't tell the group" is not a casual remark, whatever the setting.
    assert "setting.casual-no-promise" in ids(group())
    assert "setting.casual-no-promise" not in ids(group(member_request="explicit"))


def test_only_the_rules_that_set_the_level_are_deciding() -> None:
    # An explicit request (+2) outweighed by a signed agreement and a reminder: low, and the
    # request is a factor, not a reason for "low".
    decision = evaluate(group(member_request="explicit", reminded_at_time=True))
    assert decision.level == "low"
    assert "request.explicit" in [f.id for f in decision.factors]
    assert "request.explicit" not in decision.determining
    raised = evaluate(group(member_request="explicit", agreement="none"))
    assert raised.level == "elevated"
    assert set(raised.determining) == {"request.explicit", "agreement.missing"}


def test_a_written_message_is_informal_contact_like_a_remark_in_passing() -> None:
    assert "setting.casual-no-promise" in ids(group(said_in="written_message"))
    assert evaluate(group(said_in="written_message")).level == "low"
    assert "setting.casual-no-promise" not in ids(group(said_in="scheduled_one_on_one"))


def test_new_york_treats_one_to_one_talk_as_a_confidence_unless_agreed_in_advance() -> None:
    assert evaluate(group(jurisdiction="US-NY")).level == "low"
    unagreed = evaluate(group(jurisdiction="US-NY", agreement="signed_after"))
    assert unagreed.level == "high"
    assert "new-york.one-to-one-confidence" in unagreed.determining
    # The casual-remark rule is California's (and the general) default, not New York's.
    assert "setting.casual-no-promise" not in ids(group(jurisdiction="US-NY"))


def test_third_parties_need_authorization_a_court_order_or_a_legal_basis() -> None:
    for party in ("family", "former_member", "employer", "other_provider", "insurer", "other"):
        decision = evaluate(third(party, purpose="other"))
        assert decision.level == "not_permitted", party
        assert decision.recommendations[0].startswith("Do not share it.")
        assert evaluate(third(party, purpose="other", authorization=True)).level in (
            "low",
            "elevated",
        )
    assert evaluate(third("potential_victim")).level == "not_permitted"  # no threat
    assert evaluate(third("protective_services")).level == "not_permitted"  # no abuse


def test_a_subpoena_is_not_a_court_order() -> None:
    subpoena = evaluate(third("court"))
    assert subpoena.level == "not_permitted"
    assert "third-party.subpoena-is-not-an-order" in subpoena.determining
    ordered = evaluate(third("court", court_order=True))
    assert ordered.level == "elevated"
    assert any("privilege" in text for text in ordered.recommendations)


def test_part2_needs_consent_or_a_qualifying_order_and_asks_for_a_lawyer_beside_a_duty() -> None:
    assert evaluate(third("other_provider", part2_program=True)).determining == (
        "part2.needs-consent-or-order",
    )
    consented = evaluate(third("other_provider", part2_program=True, authorization=True))
    assert consented.level == "elevated"  # outside the group, in a Part 2 program
    assert any("Part 2's requirements" in text for text in consented.recommendations)
    beside_duty = evaluate(third("potential_victim", danger=THREAT, part2_program=True))
    assert beside_duty.level == "required"
    assert "part2.legal-duty" in [f.id for f in beside_duty.factors]
    assert any(text.startswith("Consult a lawyer") for text in beside_duty.recommendations)
    permissive = evaluate(
        third("law_enforcement", danger=THREAT, part2_program=True, jurisdiction="US-NY")
    )
    assert permissive.level == "high"


def test_the_duty_to_protect_differs_by_state_and_never_points_to_the_group() -> None:
    for party in ("potential_victim", "law_enforcement"):
        assert evaluate(third(party, danger=THREAT)).level == "required"
        for code in ("US-NY", "US-OR"):  # permissive, the law naming no one or both
            decision = evaluate(third(party, danger=THREAT, jurisdiction=code))
            assert decision.level == "elevated", code
            assert decision.determining == (
                "duty-to-protect.permitted",
                "third-party.outside-group",
            )
        for code in ("US", "US-NM", "US-GU"):  # not settled by the table
            unsettled = evaluate(third(party, danger=THREAT, jurisdiction=code))
            assert unsettled.level == "high", code
            assert unsettled.determining == ("duty-to-protect.check-state",)
            assert "may be required" in " ".join(unsettled.recommendations)
    to_group = evaluate(group(danger=THREAT))
    assert to_group.level == "not_permitted"
    assert any(
        "warn the potential victim and law enforcement" in r for r in to_group.recommendations
    )
    assert evaluate(third("family", danger=THREAT)).determining == (
        "duty-to-protect.wrong-recipient",
    )
    mandatory = evaluate(third("potential_victim", danger=THREAT))
    assert mandatory.determining == ("duty-to-protect.mandatory",)
    assert mandatory.recommendations[0].startswith("Act now as your state's law says")
    [california] = mandatory.law
    assert california["duty_to_protect"]["kind"] == "mandatory"
    assert "Cal. Civ. Code 43.92" in california["duty_to_protect"]["sources"]
    assert any("8105" in " ".join(r["sources"]) for r in california["threat_reports"])


def test_texas_lets_a_therapist_tell_only_medical_or_law_enforcement_staff() -> None:
    victim = evaluate(third("potential_victim", danger=THREAT, jurisdiction="US-TX"))
    assert victim.determining == ("duty-to-protect.not-whom-the-law-names",)
    police = evaluate(third("law_enforcement", danger=THREAT, jurisdiction="US-TX"))
    assert police.level == "elevated"  # permitted, never required (Thapar v. Zezulka)


def test_the_member_s_location_is_weighed_beside_the_licence_and_the_stricter_wins() -> None:
    # Licensed in New York (permissive), the member in California (mandatory) by video.
    tele = evaluate(
        third("potential_victim", danger=THREAT, jurisdiction="US-NY", member_location="US-CA")
    )
    assert tele.level == "required"
    assert [row["code"] for row in tele.law] == ["US-NY", "US-CA"]
    # A permission limited to others in one state, a duty to warn in the other: a lawyer's call.
    conflict = evaluate(
        third("potential_victim", danger=THREAT, jurisdiction="US-TX", member_location="US-IL")
    )
    assert conflict.determining == ("duty-to-protect.states-conflict",)
    same = evaluate(third("potential_victim", danger=THREAT, member_location="US-CA"))
    assert [row["code"] for row in same.law] == ["US-CA"]


def test_outside_the_us_the_engine_gives_no_us_answer() -> None:
    decision = evaluate(third("potential_victim", danger=THREAT, jurisdiction="gb"))
    assert decision.determining == ("jurisdiction.not-modelled",)
    assert decision.level == "high"
    assert "outside the United States" in decision.warnings[1]
    assert not any(f.id.startswith("duty-to-protect.") for f in decision.factors)
    assert decision.law[0]["modelled"] is False


def test_abuse_reports_follow_the_kind_of_abuse_and_the_state() -> None:
    child = evaluate(third("protective_services", abuse="child"))
    assert child.determining == ("abuse-report.mandatory",)
    assert "36 hours" in child.law[0]["abuse_report"]["within"]
    for code in ("US-NY", "US-TX", "US-FL", "US-IL", "US-WA"):
        decision = evaluate(third("protective_services", abuse="child", jurisdiction=code))
        assert decision.determining == ("abuse-report.mandatory",), code
        assert decision.law[0]["abuse_report"]["sources"], code
    # Elder abuse in the community: New York permits a report, California requires one.
    assert evaluate(third("protective_services", abuse="elder")).level == "required"
    elder_ny = evaluate(third("protective_services", abuse="elder", jurisdiction="US-NY"))
    assert elder_ny.determining[0] == "abuse-report.permitted"
    # An adult partner's violence: California's therapist may not report it without consent.
    assert evaluate(third("protective_services", abuse="domestic_violence")).determining == (
        "abuse-report.not-allowed",
    )
    unknown = evaluate(third("protective_services", abuse="elder", jurisdiction="US"))
    assert unknown.level == "high" and unknown.determining == ("abuse-report.check-state",)
    # Saying the report is required settles it whatever the table says.
    said = evaluate(third("protective_services", reportable_abuse=True, jurisdiction="US-ZZ"))
    assert said.determining == ("abuse-report.mandatory",)
    for kind in ("child", "elder", "dependent_adult"):
        assert evaluate(group(abuse=kind)).level == "not_permitted"
    assert evaluate(group(reportable_abuse=True)).level == "not_permitted"


def test_a_danger_to_self_may_go_to_those_who_can_lessen_it() -> None:
    for party in ("family", "other_provider", "law_enforcement"):
        assert evaluate(third(party, danger="danger_to_self")).level == "elevated"
    assert evaluate(third("employer", danger="danger_to_self")).level == "not_permitted"


def test_an_agreed_restriction_binds() -> None:
    decision = evaluate(group(member_objects=True, promise="express"))
    assert decision.determining == ("restriction.agreed",)
    assert decision.recommendations[0].startswith("Do not share it.")
    assert decision.recommendations[1].startswith("Keep the promise.")


def test_high_levels_recommend_consulting_first() -> None:
    decision = evaluate(group(promise="express"))
    assert decision.recommendations[0].startswith("Consult a supervisor")


# --- warnings ------------------------------------------------------------------------------


def test_an_unknown_us_code_applies_no_state_s_law_and_says_so() -> None:
    decision = evaluate(third("potential_victim", danger=THREAT, jurisdiction="us-zz"))
    assert decision.level == "high"
    assert decision.determining[0] == "duty-to-protect.check-state"
    assert decision.warnings[0] == DISCLAIMER
    assert "Unknown jurisdiction 'US-ZZ'" in decision.warnings[1]
    assert evaluate(group(jurisdiction=" us-ca ")).warnings == (DISCLAIMER,)


@pytest.mark.parametrize(
    ("facts", "needle"),
    [
        (group(third_party="family"), "third_party was ignored"),
        ({"recipient": "third_party"}, "treated as 'other'"),
        (group(said_in="individual_therapy"), "also this member's individual therapist"),
        (group(purpose="legal_requirement"), "No law requires telling the group"),
        (group(authorization=True, member_objects=True), "check that it still stands"),
    ],
)
def test_inconsistent_looking_facts_are_warned_about(facts: dict[str, Any], needle: str) -> None:
    warnings = evaluate(facts).warnings
    assert warnings[0] == DISCLAIMER
    assert any(needle in w for w in warnings[1:]), warnings


def test_a_third_party_left_unnamed_is_treated_as_other() -> None:
    assert evaluate({"recipient": "third_party"}).level == "not_permitted"
    assert evaluate({"recipient": "third_party", "authorization": True}).level == "low"


# --- the decision --------------------------------------------------------------------------


def test_the_decision_is_deterministic_json_in_a_fixed_shape() -> None:
    facts = third("potential_victim", danger=THREAT, part2_program=True, minor=True)
    first = json.dumps(evaluate(facts).as_json())
    assert json.dumps(evaluate(dict(reversed(list(facts.items())))).as_json()) == first
    assert json.dumps(evaluate(parse_facts(facts)).as_json()) == first
    payload = json.loads(first)
    assert list(payload) == [
        "level",
        "determining",
        "factors",
        "recommendations",
        "warnings",
        "rules_version",
        "law",
    ]
    assert list(payload["factors"][0]) == ["id", "effect", "explanation", "sources"]
    order = list(RULES_BY_ID)
    factor_ids = [f["id"] for f in payload["factors"]]
    assert factor_ids == sorted(factor_ids, key=order.index)
    assert len(set(payload["recommendations"])) == len(payload["recommendations"])


# --- facts ---------------------------------------------------------------------------------


def test_missing_keys_take_the_documented_defaults() -> None:
    facts = parse_facts({"recipient": "group"})
    assert facts == Facts(recipient="group")
    assert (facts.jurisdiction, facts.said_in, facts.agreement, facts.promise) == (
        "US",
        "outside_session_casual",
        "none",
        "none",
    )
    assert facts.relevant_to_treatment is True
    assert facts.third_party is None and facts.ethics_code is None
    assert parse_facts({"recipient": "group", "third_party": None, "ethics_code": None}) == facts


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"recipient": "group", "promis": "none"}, "promis", "unknown field 'promis'; allowed"),
        ({"agreement": "none"}, "recipient", "recipient is required; allowed values: group, "),
        ({"recipient": "everyone"}, "recipient", '"everyone" is not allowed; allowed values: '),
        (
            {"recipient": "group", "promise": "maybe"},
            "promise",
            'promise: "maybe" is not allowed; allowed values: none, implied, express',
        ),
        (
            {"recipient": "group", "promise": 3},
            "promise",
            "promise: expected a string, got a number 3; allowed values: none, implied, express",
        ),
        (
            {"recipient": "group", "promise": None},
            "promise",
            "promise: expected a string, got null null; allowed values",
        ),
        (
            {"recipient": "group", "minor": 1},
            "minor",
            "minor: expected true or false, got 1; allowed values: true, false",
        ),
        (
            {"recipient": "group", "sensitive": "yes"},
            "sensitive",
            'sensitive: expected true or false, got "yes"',
        ),
        (
            {"recipient": "group", "third_party": "neighbour"},
            "third_party",
            "allowed values: family, former_member, employer, other_provider, insurer, court, "
            "law_enforcement, potential_victim, protective_services, other, null",
        ),
        (
            {"recipient": "group", "jurisdiction": 6},
            "jurisdiction",
            "jurisdiction: expected a non-empty string, got a number 6; allowed values: a US "
            "state, DC or territory as US-XX",
        ),
        ({"recipient": "group", "ethics_code": "BACP"}, "ethics_code", "AAMFT, NASW, ACA, APA"),
    ],
)
def test_invalid_facts_name_the_field_and_its_allowed_values(
    data: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(FactsError) as raised:
        evaluate(data)
    assert raised.value.field == field
    assert message in str(raised.value)
    assert isinstance(raised.value, ValueError)


def test_facts_must_be_an_object() -> None:
    with pytest.raises(FactsError, match="facts must be a JSON object, not an array") as raised:
        parse_facts([1, 2])  # type: ignore[arg-type]
    assert raised.value.field is None


def test_unknown_keys_are_reported_before_bad_values_in_a_stable_order() -> None:
    with pytest.raises(FactsError) as raised:
        parse_facts({"zeta": 1, "alpha": 2, "promise": "maybe"})
    assert raised.value.field == "alpha"


# --- docs and imports ----------------------------------------------------------------------


def test_docs_rules_md_is_up_to_date_with_the_generator() -> None:
    written = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert written == render(), (
        "docs/rules.md is stale: run "
        "`.venv/bin/python -m groupguard.disclosures.engine.docs > docs/rules.md`"
    )


def test_the_docs_show_every_rule_jurisdiction_and_field() -> None:
    page = render()
    for rule in RULES:
        assert f"| `{rule.id}` |" in page
    for code in JURISDICTIONS:
        assert f"| `{code}` |" in page
    for field in ("recipient", "member_told_in_advance", "documented_rationale", "ethics_code"):
        assert f"| `{field}` |" in page


def test_the_docs_generator_runs_as_a_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "groupguard.disclosures.engine.docs"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    assert result.stdout == render()


def test_importing_and_running_the_engine_does_not_import_django() -> None:
    code = (
        "import sys; from groupguard.disclosures.engine import evaluate; "
        "import groupguard.disclosures.engine.docs; "
        "evaluate({'recipient': 'group'}); "
        "assert not [m for m in sys.modules if m == 'django' or m.startswith('django.')], "
        "sorted(m for m in sys.modules if m.startswith('django'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0, result.stderr

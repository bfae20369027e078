"""Facts in, a decision out: "may I share this, and how exposed am I if I do?"

A **decision** has a ``level``, the ``determining`` rule ids (the rules that set the level),
every ``factor`` (each rule that fired, with its explanation and sources), recommendations,
warnings and the ``rules_version``. It is deterministic: the same facts and rules version give
the same decision, byte for byte once serialised.

The level, in five steps:

1. Work out the derived facts (``DERIVED`` in rule.py) and run every rule's condition.
2. If any ``forbid`` rule fired, the level is ``not_permitted`` and those rules determine it:
   forbidding wins, as in Cedar.
3. Otherwise, if any ``require`` rule fired, the level is ``required`` (the law requires this
   disclosure to this recipient) and those rules determine it.
4. Otherwise the **score** is the points of the ``raise`` rules that fired minus those of the
   ``lower`` rules, and the band gives the level: score <= 0 low, 1-3 elevated, >= 4 high.
   The band's deciding rules are those pulling toward it: above low the raising rules (and
   any whose floor is the level), at low the lowering and permitting ones.
5. The **floor** is the highest ``floor`` among the ``permit`` and ``raise`` rules that fired
   (an express promise, an objection, ...): the level is never below it, so lowering facts can
   soften a raised case but not make it low. When the floor decides, the rules with that
   floor determine the level; otherwise the rules pulling toward the band do (step 4).

Why the stated properties hold by construction: a raising fact (a promise, an objection, a
minor, sensitive content) only ever makes conditions of ``raise`` and ``forbid`` rules true and
conditions of ``lower`` rules false, so the score and the floor can only grow and a forbid
only appear; a signed-before agreement does the opposite. No ``require`` rule reads any of
them. The tests check these properties over generated fact sets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from groupguard.disclosures.engine.facts import FIELD_NAMES, Facts, parse_facts
from groupguard.disclosures.engine.rule import LEVELS, Level, Rule
from groupguard.disclosures.engine.rules import ADVICE, BANDS, RULES, RULES_VERSION
from groupguard.jurisdictions import Law, resolve, weigh

DISCLAIMER = (
    "Decision support, not legal advice: this weighs the facts you entered against published "
    "laws and ethics codes. When in doubt, consult a lawyer or your professional "
    "association's risk line."
)
_WARNING_RECIPIENTS = frozenset({"potential_victim", "law_enforcement"})
_ABUSE_RECIPIENTS = frozenset({"protective_services", "law_enforcement"})
_SELF_HARM_RECIPIENTS = frozenset({"family", "other_provider", "law_enforcement"})
_PROTECTED = frozenset({"child", "elder", "dependent_adult"})
# Who a recipient is in the state table's terms (``jurisdictions.Audience``).
_AUDIENCE = {
    "potential_victim": "victim",
    "law_enforcement": "law_enforcement",
    "other_provider": "medical",
    "family": "family",
}
_RANK: dict[str, int] = {level: rank for rank, level in enumerate(LEVELS)}
_SCORED = frozenset({"permit", "raise", "lower"})


@dataclass(frozen=True)
class Decision:
    level: Level
    determining: tuple[str, ...]
    factors: tuple[Rule, ...]  # the rules that fired, in the order of RULES
    recommendations: tuple[str, ...]
    warnings: tuple[str, ...]
    rules_version: str
    # The state table's cells the decision rests on (a threat, an abuse report): per
    # jurisdiction weighed, what its law says, with citations and the date reviewed.
    law: tuple[dict[str, Any], ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The CLI's and the API's shape (a JSON-ready dict, keys and lists in a fixed order)."""
        return {
            "level": self.level,
            "determining": list(self.determining),
            "factors": [
                {
                    "id": rule.id,
                    "effect": rule.effect,
                    "explanation": rule.explanation,
                    "sources": list(rule.sources),
                }
                for rule in self.factors
            ],
            "recommendations": list(self.recommendations),
            "warnings": list(self.warnings),
            "rules_version": self.rules_version,
            "law": list(self.law),
        }


def evaluate(facts: Facts | Mapping[str, object]) -> Decision:
    """The decision for ``facts`` (a ``Facts`` or a JSON object, which ``parse_facts`` checks,
    raising ``FactsError``); see the module docstring for the algorithm."""
    if not isinstance(facts, Facts):
        facts = parse_facts(facts)
    view, warnings, law = _view(facts)
    fired = tuple(rule for rule in RULES if rule.applies(view))
    level, determining = _level(fired)
    view["level"] = level
    advice = [a for a in ADVICE if all(test.holds(view) for test in a.when)]
    recommendations: dict[str, None] = {}  # an ordered set
    for text in (
        *(a.text for a in advice if a.lead),
        *(text for rule in (*determining, *fired) for text in rule.recommendations),
        *(a.text for a in advice if not a.lead),
    ):
        recommendations[text] = None
    return Decision(
        level=level,
        determining=tuple(rule.id for rule in determining),
        factors=fired,
        recommendations=tuple(recommendations),
        warnings=tuple(warnings),
        rules_version=RULES_VERSION,
        law=_law_used(law, facts),
    )


def _level(fired: tuple[Rule, ...]) -> tuple[Level, tuple[Rule, ...]]:
    forbids = tuple(rule for rule in fired if rule.effect == "forbid")
    if forbids:
        return "not_permitted", forbids
    requires = tuple(rule for rule in fired if rule.effect == "require")
    if requires:
        return "required", requires
    score = 0
    floor = 0
    for rule in fired:
        if rule.effect == "raise":
            score += rule.points
        elif rule.effect == "lower":
            score -= rule.points
        if rule.floor is not None:
            floor = max(floor, _RANK[rule.floor])
    band = _band(score)
    if floor > _RANK[band]:
        level = LEVELS[floor]
        return level, tuple(rule for rule in fired if rule.floor == level)
    # The band decides: above low, the raising rules (and any whose floor is this level);
    # at low, what lowered or permitted it. A rule pulling the other way is a factor, not a
    # reason for the level.
    toward = ("raise",) if band != "low" else ("lower", "permit")
    deciding = tuple(r for r in fired if r.effect in toward or (r.floor == band))
    return band, deciding or tuple(rule for rule in fired if rule.effect in _SCORED)


def _band(score: int) -> Level:
    for bound, level in BANDS:
        if score <= bound:
            return level
    return "high"


def _law_used(law: Law, facts: Facts) -> tuple[dict[str, Any], ...]:
    """The cells of the state table this decision read, for the reader to check."""
    threat = facts.danger == "threat_to_identifiable_victim"
    if not threat and facts.abuse == "none":
        return ()
    out = []
    for row in law.rows:
        entry: dict[str, Any] = {"code": row.code, "name": row.name, "modelled": row.modelled}
        if row.modelled:
            entry["reviewed"] = row.reviewed
        if threat and row.modelled:
            duty = row.duty
            entry["duty_to_protect"] = {
                "kind": duty.kind,
                "basis": duty.basis,
                "trigger": duty.trigger,
                "may_tell": sorted(duty.may_tell),
                "must_tell": sorted(duty.must_tell),
                "discharge": duty.discharge,
                "professions": duty.professions,
                "sources": list(duty.sources),
            }
            entry["threat_reports"] = [
                {"name": r.name, "to": r.to, "within": r.within, "sources": list(r.sources)}
                for r in row.threat_reports
            ]
        if facts.abuse != "none" and row.modelled:
            cell = row.report(facts.abuse)
            entry["abuse_report"] = {
                "kind": facts.abuse,
                "report": cell.report,
                "to": cell.to,
                "within": cell.within,
                "age": cell.age,
                "sources": list(cell.sources),
            }
        out.append(entry)
    return tuple(out)


def _view(facts: Facts) -> tuple[dict[str, object], list[str], Law]:
    """The facts the rules read (the fields and the derived facts), and the input warnings."""
    view: dict[str, object] = {name: getattr(facts, name) for name in FIELD_NAMES}
    warnings = [DISCLAIMER]
    jurisdiction, unknown = resolve(facts.jurisdiction)
    if unknown is not None:
        warnings.append(unknown)
    view["jurisdiction"] = jurisdiction.code
    rows = [jurisdiction]
    if facts.member_location is not None and facts.member_location != facts.jurisdiction:
        where, unknown = resolve(facts.member_location)
        if unknown is not None:
            warnings.append(unknown.replace("jurisdiction", "member location", 1))
        rows.append(where)
    law = weigh(rows)
    view["us_law"] = law.modelled
    view["duty_to_protect"] = law.duty
    view["one_to_one_default"] = law.one_to_one
    ethics = facts.ethics_code
    view["ethics"] = (
        ethics if ethics is not None else "AAMFT" if facts.profession == "MFT" else "none"
    )
    third: str | None
    if facts.recipient == "group":
        third = None
        if facts.third_party is not None:
            warnings.append(
                f"third_party is {facts.third_party!r} but the recipient is the group: "
                "third_party was ignored."
            )
    else:
        third = facts.third_party
        if third is None:
            third = "other"
            warnings.append(
                "The recipient is a third party but third_party is not given: "
                "it was treated as 'other'."
            )
    view["third_party"] = third
    warning_recipient = facts.danger == "threat_to_identifiable_victim" and (
        third in _WARNING_RECIPIENTS
    )
    view["warning_recipient"] = warning_recipient
    # What the state's law says of warning this recipient (``Law.warning``); n/a otherwise.
    view["warning_law"] = law.warning(_AUDIENCE.get(third or "")) if warning_recipient else "n/a"
    report = law.report(facts.abuse) if facts.abuse != "none" else "none"
    if facts.reportable_abuse and report != "mandatory":
        report = "mandatory"  # the practitioner says the law requires it
    view["abuse_report"] = report
    view["abuse_recipient"] = third in _ABUSE_RECIPIENTS
    view["protected_victim"] = facts.reportable_abuse or facts.abuse in _PROTECTED
    view["duty_basis"] = (warning_recipient and view["warning_law"] != "unlisted") or (
        report in ("mandatory", "permitted", "unknown") and third in _ABUSE_RECIPIENTS
    )
    view["legal_basis"] = view["duty_basis"] or (
        facts.danger == "danger_to_self" and third in _SELF_HARM_RECIPIENTS
    )
    # Treatment, payment and operations (45 CFR 164.506(c)) and what the state's law adds.
    tpo = "none"
    if facts.recipient == "third_party":
        if facts.purpose == "treatment" and third == "other_provider":
            tpo = "treatment"
        elif facts.purpose == "payment" and third == "insurer":
            tpo = "payment"
        elif facts.purpose == "operations":
            tpo = "operations"
    view["tpo"] = tpo
    view["state_sharing"] = (
        law.records(tpo)
        if tpo in ("treatment", "payment")
        else "unknown"
        if tpo != "none"
        else "n/a"
    )
    view["hiv_rule"] = law.records("hiv") if facts.content == "hiv" else "n/a"
    if tpo != "none" and not facts.part2_program and view["state_sharing"] != "consent_required":
        view["legal_basis"] = True
    view["written_permission"] = (
        facts.agreement == "signed_before" and facts.policy != "discretion"
    ) or facts.authorization
    if facts.said_in == "individual_therapy" and facts.relationship == "group_only":
        warnings.append(
            "said_in is individual_therapy but relationship is group_only: the engine took it "
            "that you are also this member's individual therapist."
        )
    if facts.purpose == "legal_requirement" and facts.recipient == "group":
        warnings.append(
            "No law requires telling the group: a legal duty is met through the legal channel "
            "(the potential victim, the police, protective services)."
        )
    if facts.authorization and facts.member_objects:
        warnings.append(
            "The member objected, yet a written authorization is recorded: check that it "
            "still stands and covers this disclosure."
        )
    return view, warnings, law

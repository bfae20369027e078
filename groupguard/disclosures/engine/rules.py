"""The rule set: every rule, the general advice, and the version that names them.

``RULES_VERSION`` changes whenever a rule, a point, a floor, a band or the advice changes, so a
stored decision says which rules made it. ``RULES`` lists the rules by effect (forbid, require,
permit, raise, lower), and in the order written within each effect: that is the order of a
decision's factors and of the docs.

**Advice** is a recommendation that belongs to no single rule: it depends on the level
reached (``level`` is a fact for advice only) and on what is missing, such as a written
rationale. Leading advice ("do not share it", "consult first") comes before the rules'
recommendations, the rest after them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

from groupguard.disclosures.engine.facts import BOOLEANS, CHOICES, FIELD_NAMES, NULLABLE
from groupguard.disclosures.engine.group import GROUP_RULES
from groupguard.disclosures.engine.law import LAW_RULES
from groupguard.disclosures.engine.rule import (
    DERIVED,
    EFFECTS,
    LEVELS,
    Level,
    Rule,
    Test,
    is_,
    not_,
)
from groupguard.jurisdictions import JURISDICTIONS, DutyToProtect, Report

RULES_VERSION = "2026.12.1"

RULES: tuple[Rule, ...] = tuple(
    sorted((*LAW_RULES, *GROUP_RULES), key=lambda rule: EFFECTS.index(rule.effect))
)
RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}

# Score bands: the highest level whose bound the score does not exceed (see decision.py).
BANDS: tuple[tuple[int, Level], ...] = (
    (0, "low"),
    (3, "elevated"),
)


@dataclass(frozen=True)
class Advice:
    id: str
    when: tuple[Test, ...]
    text: str
    lead: bool = False  # shown before the rules' recommendations, not after


_DISCLOSABLE = is_("level", "low", "elevated", "high")

ADVICE: tuple[Advice, ...] = (
    Advice(
        "advice.do-not-disclose",
        (is_("level", "not_permitted"),),
        "Do not share it. If you believe you must, consult a lawyer or your risk line first.",
        lead=True,
    ),
    Advice(
        "advice.consult",
        (is_("level", "high"),),
        "Consult a supervisor, a colleague or your professional association's risk line before "
        "acting, and record the consultation.",
        lead=True,
    ),
    Advice(
        "advice.raise-it-first",
        (_DISCLOSABLE, is_("recipient", "group"), is_("member_told_in_advance", False)),
        "Before the session, tell the member you mean to raise it, or give them the chance to "
        "raise it themselves.",
    ),
    Advice(
        "advice.share-little",
        (_DISCLOSABLE, is_("recipient", "group")),
        "Share only as much as the group's work needs.",
    ),
    Advice(
        "advice.offer-referral",
        (is_("member_request", "explicit", "implied"), is_("referral", "none", "declined")),
        "Offer a referral to an individual therapist for what needs a confidential space.",
    ),
    Advice(
        "advice.follow-up-referral",
        (is_("member_request", "explicit", "implied"), is_("referral", "offered")),
        "Follow up on the referral you offered: a confidential space elsewhere is what the "
        "member was asking for.",
    ),
    Advice(
        "advice.document",
        (not_("level", "not_permitted"), is_("documented_rationale", False)),
        "Write down your rationale and what you share, and keep this decision with its rules "
        "version.",
    ),
)


_YES_NO = frozenset(
    {"legal_basis", "warning_recipient", "written_permission", "us_law", "abuse_recipient"}
    | {"protected_victim", "duty_basis"}
)


def _domain(name: str) -> tuple[object, ...] | None:
    """The values a fact can take, or None when any value is possible."""
    if name in BOOLEANS or name in _YES_NO:
        return (True, False)
    if name == "third_party":
        return (*CHOICES["third_party"], None)
    if name in CHOICES:
        return (*CHOICES[name], None) if name in NULLABLE else CHOICES[name]
    return {
        "jurisdiction": tuple(JURISDICTIONS),
        "duty_to_protect": get_args(DutyToProtect),
        "warning_law": ("duty", "allowed", "beyond", "unlisted", "conflict", "n/a"),
        "abuse_report": (*get_args(Report), "none"),
        "tpo": ("treatment", "payment", "operations", "none"),
        "state_sharing": ("permitted", "limited", "consent_required", "unknown", "n/a"),
        "hiv_rule": ("written_authorization", "permitted", "unknown", "n/a"),
        "one_to_one_default": ("casual_not_confidential", "individual_confidence"),
        "ethics": (*CHOICES["ethics_code"], "none"),
        "level": LEVELS + ("required",),
    }.get(name)


def _check(owner: str, tests: tuple[Test, ...], *, level_allowed: bool) -> None:
    """Every test names a known fact and values it can take: a typo fails at import."""
    for test in tests:
        if test.name == "level" and not level_allowed:
            raise ValueError(f"{owner}: only advice may test the level")
        if test.name not in FIELD_NAMES and test.name not in DERIVED and test.name != "level":
            raise ValueError(f"{owner}: unknown fact {test.name!r}")
        domain = _domain(test.name)
        if domain is None:
            raise ValueError(f"{owner}: no domain for {test.name!r}")
        wrong = [v for v in test.values if v not in domain or type(v) is not type(domain[0])]
        wrong = [v for v in wrong if not (v is None and None in domain)]
        if wrong:
            raise ValueError(f"{owner}: {test.name} cannot be {wrong!r}")


if len(RULES_BY_ID) != len(RULES):
    raise ValueError("rule ids must be unique")
for _rule in RULES:
    _check(_rule.id, _rule.when, level_allowed=False)
for _advice in ADVICE:
    _check(_advice.id, _advice.when, level_allowed=True)

"""What a rule is: data with an id, a condition, an effect, an explanation and its sources.

- A **condition** is a tuple of tests that must all hold. A test compares one fact (a field
  of the fact set or a derived fact, see ``DERIVED``) with a set of values: ``is_("promise",
  "express")`` holds when the promise is express, ``not_("said_in", "group_session")`` when
  it was said anywhere but in session. Conditions are data, so the docs print them exactly as
  the engine reads them.
- An **effect** says what a rule does when its condition holds: ``forbid`` (the disclosure is
  not permitted), ``require`` (the law requires it), ``permit`` (it is allowed, and why;
  ``floor`` may set the lowest level it can have), ``raise`` or ``lower`` (add or take away
  ``points`` of exposure; a raising rule may also set a ``floor``).
- **Recommendations** are next steps in plain words, shown when the rule fires.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Effect = Literal["forbid", "require", "permit", "raise", "lower"]
Level = Literal["low", "elevated", "high", "not_permitted", "required"]

# The exposure scale, lowest first; "required" stands apart: the law decides, not exposure.
LEVELS: tuple[Level, ...] = ("low", "elevated", "high", "not_permitted")
EFFECTS: tuple[Effect, ...] = ("forbid", "require", "permit", "raise", "lower")

# Facts the engine works out from the fact set before the rules run.
DERIVED: dict[str, str] = {
    "us_law": "the jurisdiction (and the member's location) is in the US, where the engine "
    "models the law; false for a code outside the US",
    "duty_to_protect": "the duty to protect in the state table: mandatory, permissive, none "
    "(no statute or case law) or unknown (not settled by the table); with a member location, "
    "the stricter of the two states",
    "warning_law": "for a warning about a threat: duty (the mandatory duty is met by telling "
    "this recipient), allowed (the law lets you tell them), beyond (the state's permission "
    "names others; federal law alone reaches them), unlisted (the law allows others only), "
    "conflict (one state's duty names them, the other's law rules them out); n/a otherwise",
    "abuse_report": "what the state table says of a report of this abuse: mandatory, "
    "permitted, not_allowed or unknown (mandatory when reportable_abuse is true); none when "
    "no abuse",
    "tpo": "treatment (to another provider, purpose treatment), payment (to an insurer, purpose "
    "payment) or operations (purpose operations), when the recipient is a third party; none "
    "otherwise (45 CFR 164.506(c))",
    "state_sharing": "what the state table says of that sharing without consent: permitted, "
    "limited, consent_required or unknown (operations: unknown); n/a when tpo is none",
    "hiv_rule": "when content is hiv: written_authorization, permitted or unknown, from the "
    "state table; n/a otherwise",
    "protected_victim": "the abuse is of a child, an elder or a dependent adult (or "
    "reportable_abuse is true)",
    "abuse_recipient": "the recipient is protective services or law enforcement",
    "one_to_one_default": "what a private word is in the jurisdiction without an agreement: "
    "casual_not_confidential or individual_confidence",
    "ethics": "ethics_code, or AAMFT when it is null and the profession is MFT, else none",
    "third_party": "as given when the recipient is a third party (other when null); null when "
    "the recipient is the group",
    "warning_recipient": "a threat to an identifiable victim, and the recipient is the "
    "potential victim or law enforcement",
    "legal_basis": "the law requires or permits telling this recipient: a warning the state's "
    "law does not rule out; or abuse not ruled out for a report, to protective services or law "
    "enforcement; or a danger to self, told to family, another provider or law enforcement",
    "duty_basis": "a warning about a threat, or an abuse report, the law does not rule out "
    "for this recipient (the part of legal_basis that reaches even other people's "
    "information)",
    "written_permission": "an agreement with a no-secrets or limited-secrets policy was signed "
    "before (a discretion policy is not permission), or the member's written authorization "
    "covers the disclosure",
}


@dataclass(frozen=True)
class Test:
    """Holds when ``view[name]`` is one of ``values`` (or, when ``negated``, is none of them)."""

    name: str
    values: tuple[object, ...]
    negated: bool = False

    def holds(self, view: Mapping[str, object]) -> bool:
        return (view[self.name] in self.values) != self.negated

    def describe(self) -> str:
        shown = [_show(v) for v in self.values]
        if len(shown) == 1:
            return f"{self.name} {'≠' if self.negated else '='} {shown[0]}"
        return f"{self.name} {'∉' if self.negated else '∈'} {{{', '.join(shown)}}}"


def _show(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def is_(name: str, *values: object) -> Test:
    return Test(name, values)


def not_(name: str, *values: object) -> Test:
    return Test(name, values, negated=True)


@dataclass(frozen=True)
class Rule:
    id: str
    effect: Effect
    when: tuple[Test, ...]
    explanation: str
    sources: tuple[str, ...]
    points: int = 0
    floor: Level | None = None
    recommendations: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # The level algorithm relies on these; a malformed rule should fail at import.
        if self.points < 0 or (self.points and self.effect not in ("raise", "lower")):
            raise ValueError(f"{self.id}: only raise and lower rules carry points (>= 0)")
        if self.floor is not None and (
            self.effect not in ("permit", "raise") or self.floor not in LEVELS[1:3]
        ):
            raise ValueError(f"{self.id}: a floor is elevated or high, on permit or raise")
        if not self.sources or not self.explanation:
            raise ValueError(f"{self.id}: every rule has an explanation and sources")

    def applies(self, view: Mapping[str, object]) -> bool:
        for test in self.when:
            if (view[test.name] in test.values) == test.negated:
                return False
        return True

    def describe_when(self) -> str:
        return " and ".join(test.describe() for test in self.when)

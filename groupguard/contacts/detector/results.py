"""What the detector returns: a detection (the suggested request, the matches with their spans and
who said them, the promise and risk flags), the evidence it weighed, and plain-language
explanations of its rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from groupguard.contacts.detector.risk import RISK_EXPLANATIONS
from groupguard.contacts.detector.rules import (
    RULES_BY_ID,
)
from groupguard.contacts.detector.speaker import (
    Speaker,
)

Request = Literal["explicit", "implied", "none"]


_MODEL_EXPLANATIONS = {
    "model.explicit": "the model reads this as the member asking, in words, to keep it from "
    "the group (the words that weighed most are listed)",
    "model.implied": "the model reads this as the member expecting the group not to hear it "
    "(the words that weighed most are listed)",
    "promise.facilitator": "the facilitator's own words promise to keep it from the group: a "
    "possible promise of confidentiality",
    "model.promise": "the model reads this as the facilitator promising secrecy",
}


def describe(rule: str) -> tuple[str, str] | None:
    """(level, explanation) of a rule id found in a detection: a request rule, the model, a
    promise or a risk flag; None for an id this version does not know (an old stored one)."""
    if rule in RULES_BY_ID:
        return RULES_BY_ID[rule].level, RULES_BY_ID[rule].explanation
    if rule in _MODEL_EXPLANATIONS:
        level = rule.split(".")[1]
        return ("promise" if level in ("facilitator", "promise") else level), _MODEL_EXPLANATIONS[
            rule
        ]
    kind = rule.removeprefix("model.").removeprefix("risk.")
    if rule.startswith(("risk.", "model.risk.")) and kind in RISK_EXPLANATIONS:
        source = "the model reads " if rule.startswith("model.") else ""
        return "risk", source + RISK_EXPLANATIONS[kind]
    return None


@dataclass(frozen=True)
class Match:
    """A span of the note and the rule (or ``model.*``) that found it. ``speaker`` is whose
    words these are; ``words`` are, for the model, the words that weighed most."""

    start: int
    end: int
    text: str
    rule: str
    level: str = "explicit"
    speaker: Speaker = "member"
    words: tuple[str, ...] = ()

    @property
    def explanation(self) -> str:
        found = describe(self.rule)
        return found[1] if found else self.rule

    def as_json(self, *, with_text: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"start": self.start, "end": self.end}
        if with_text:
            out["text"] = self.text
        out |= {"rule": self.rule, "level": self.level, "speaker": self.speaker}
        if self.words:
            out["words"] = list(self.words)
        return out


@dataclass(frozen=True)
class Flag:
    """A risk flag: ``kind`` (threat, suicide, self_harm, child_abuse, elder_abuse,
    dependent_adult_abuse, substance_use) and the span it rests on."""

    kind: str
    start: int
    end: int
    text: str
    rule: str

    @property
    def explanation(self) -> str:
        return RISK_EXPLANATIONS[self.kind]

    def as_json(self, *, with_text: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "start": self.start, "end": self.end}
        if with_text:
            out["text"] = self.text
        out["rule"] = self.rule
        return out


@dataclass(frozen=True)
class Detection:
    """What the detector found. ``matches`` are the member's words the request rests on;
    ``set_aside`` are matches in someone else's words (not the member's request); ``promises``
    the facilitator's own promises of secrecy; ``flags`` the risk flags; ``scores`` the
    model's highest probabilities in the note."""

    request: Request
    matches: tuple[Match, ...]
    set_aside: tuple[Match, ...] = ()
    promises: tuple[Match, ...] = ()
    flags: tuple[Flag, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)
    model: str = ""

    @property
    def risks(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.kind for f in self.flags))

    def as_json(self, *, with_text: bool = True) -> dict[str, Any]:
        """The CLI's and the API's shape (a JSON-ready dict)."""
        return {
            "request": self.request,
            "matches": [m.as_json(with_text=with_text) for m in self.matches],
            "set_aside": [m.as_json(with_text=with_text) for m in self.set_aside],
            "promises": [m.as_json(with_text=with_text) for m in self.promises],
            "flags": [f.as_json(with_text=with_text) for f in self.flags],
            "scores": {k: round(v, 3) for k, v in self.scores.items()},
            "model": self.model,
        }

    def as_record(self) -> dict[str, Any]:
        """What a contact keeps of the detector's output: :meth:`as_json` without the matched
        words (they are PHI, and the encrypted summary holds them), with the version of the
        rules and the model that made the suggestion."""
        return self.as_json(with_text=False)


class UnsupportedLanguage(ValueError):
    pass


@dataclass
class Evidence:
    """What the rules and the model found in a note, before the decision (``decide``)."""

    rule_levels: set[str]
    p_explicit: float
    p_request: float
    p_promise: float
    p_risks: dict[str, float]
    rule_promise: bool
    rule_risks: set[str]

"""The disclosure engine: "may I raise this in group?" Facts in, a decision out.

Pure Python, no Django import: ``groupguard assess`` runs it before Django starts, and the
app stores each decision with its input and ``RULES_VERSION``. Read facts.py for the input,
rule.py for what a rule is, law.py and group.py for the rules, decision.py for the level
algorithm; ``python -m groupguard.disclosures.engine.docs`` prints docs/rules.md.
"""

from __future__ import annotations

from groupguard.disclosures.engine.decision import DISCLAIMER, Decision, evaluate
from groupguard.disclosures.engine.facts import FIELD_NAMES, Facts, FactsError, parse_facts
from groupguard.disclosures.engine.rule import LEVELS, Level, Rule
from groupguard.disclosures.engine.rules import ADVICE, RULES, RULES_BY_ID, RULES_VERSION
from groupguard.jurisdictions import JURISDICTIONS, Jurisdiction

__all__ = [
    "ADVICE",
    "DISCLAIMER",
    "FIELD_NAMES",
    "JURISDICTIONS",
    "LEVELS",
    "RULES",
    "RULES_BY_ID",
    "RULES_VERSION",
    "Decision",
    "Facts",
    "FactsError",
    "Jurisdiction",
    "Level",
    "Rule",
    "evaluate",
    "parse_facts",
]

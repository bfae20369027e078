"""The jurisdictions the engine knows, as a table of the legal facts that differ between them.

A **jurisdiction** is where the practitioner's licence applies: a US state (``US-CA``) or
``US`` for every other state, whose rules the engine does not model one by one. An unknown
code falls back to ``US`` with a warning (see ``resolve``).

Columns:

- **duty to protect**: what the law says when a client makes a serious threat against a
  reasonably identifiable victim. ``mandatory``: the practitioner must act (warn the victim and
  law enforcement); ``permissive``: the practitioner may disclose but need not; ``varies``: the
  state is not in the table, and states differ (most mandate, some permit, a few are silent).
- **group privilege**: whether a court must respect the confidentiality of what is said in
  group. No source the engine relies on settles it for any state, so every row says so.
- **one-to-one default**: what a private word with a group member is when no agreement says
  otherwise. ``casual_not_confidential``: casual or informal contact outside the session is
  not a confidence; ``individual_confidence``: it is an individual confidence (New York).
- **abuse reporting**: suspected child abuse must be reported to protective services. The
  engine treats the report as required in every row; California's statute is the one its
  sources cite, so other rows point to the ethics codes that list the exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DutyToProtect = Literal["mandatory", "permissive", "varies"]
OneToOne = Literal["casual_not_confidential", "individual_confidence"]

FALLBACK = "US"

_LESLIE = "Leslie, Avoiding Liability Bulletin, Dec 2008"
_DUTY_TABLES = ("JAAPL duty-to-warn table", "NCSL duty-to-warn chart")
_PRIVILEGE = "depends on state law and can be lost; not settled by the engine's sources"
_ETHICS_EXCEPTIONS = ("APA Ethics Code 4.02", "AAMFT Code of Ethics 2.1")


@dataclass(frozen=True)
class Jurisdiction:
    code: str
    name: str
    duty_to_protect: DutyToProtect
    duty_sources: tuple[str, ...]
    group_privilege: str
    privilege_sources: tuple[str, ...]
    one_to_one: OneToOne
    one_to_one_sources: tuple[str, ...]
    abuse_sources: tuple[str, ...]


JURISDICTIONS: dict[str, Jurisdiction] = {
    j.code: j
    for j in (
        Jurisdiction(
            code="US-CA",
            name="California",
            duty_to_protect="mandatory",
            duty_sources=("Cal. Civil Code 43.92", "Tarasoff (1976)", "Ewing v. Goldstein (2004)"),
            group_privilege=_PRIVILEGE,
            privilege_sources=(
                "Leslie, Avoiding Liability Bulletin, Dec 2008 (group privilege)",
                "CAMFT, Confidentiality and privilege: group, conjoint, family and collateral "
                "therapy issues (2009)",
            ),
            one_to_one="casual_not_confidential",
            one_to_one_sources=(_LESLIE,),
            abuse_sources=("Cal. Penal Code 11166", "Cal. Welfare and Institutions Code 15630"),
        ),
        Jurisdiction(
            code="US-NY",
            name="New York",
            duty_to_protect="permissive",
            duty_sources=_DUTY_TABLES,
            group_privilege=_PRIVILEGE,
            privilege_sources=(),
            one_to_one="individual_confidence",
            one_to_one_sources=(
                "NYSED Office of the Professions, Couples and group therapy confidentiality",
            ),
            abuse_sources=_ETHICS_EXCEPTIONS,
        ),
        Jurisdiction(
            code="US-TX",
            name="Texas",
            duty_to_protect="permissive",
            duty_sources=_DUTY_TABLES,
            group_privilege=_PRIVILEGE,
            privilege_sources=(),
            one_to_one="casual_not_confidential",
            one_to_one_sources=(_LESLIE,),
            abuse_sources=_ETHICS_EXCEPTIONS,
        ),
        Jurisdiction(
            code="US-FL",
            name="Florida",
            duty_to_protect="permissive",
            duty_sources=_DUTY_TABLES,
            group_privilege=_PRIVILEGE,
            privilege_sources=(),
            one_to_one="casual_not_confidential",
            one_to_one_sources=(_LESLIE,),
            abuse_sources=_ETHICS_EXCEPTIONS,
        ),
        Jurisdiction(
            code=FALLBACK,
            name="Elsewhere in the US",
            duty_to_protect="varies",
            duty_sources=_DUTY_TABLES,
            group_privilege=_PRIVILEGE,
            privilege_sources=(),
            one_to_one="casual_not_confidential",
            one_to_one_sources=(_LESLIE,),
            abuse_sources=_ETHICS_EXCEPTIONS,
        ),
    )
}


def resolve(code: str) -> tuple[Jurisdiction, str | None]:
    """The row for ``code`` and, when the code is unknown, the warning that says so."""
    found = JURISDICTIONS.get(code)
    if found is not None:
        return found, None
    known = ", ".join(JURISDICTIONS)
    return JURISDICTIONS[FALLBACK], (
        f"Unknown jurisdiction {code!r}: the general US rules were used instead. "
        f"Known codes: {known}. State law may differ from what this decision assumes."
    )

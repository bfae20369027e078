"""The jurisdictions the engine knows: a row of legal facts per US state, DC and territory.

A **jurisdiction** is a code: ``US-CA`` for a state, DC or a territory, ``US`` when only the
country is known, or another country's code (``GB``, ``CA-ON``), which the engine does not
model. The rows live as data in ``states/<code>.toml``, one file per jurisdiction, each cell
with the citations it rests on, the pages read to fill it and the date it was reviewed. A cell
that no source read settled says ``unknown``, and the engine then answers "check your state's
law" at ``high``, never "permitted".

Columns (see ``states/README.md`` for the file format):

- **duty to protect**: what the law says when a client makes a serious threat of violence
  against an identifiable person. ``mandatory``: the practitioner must act; ``permissive``:
  the practitioner may disclose but need not; ``none``: no statute or case law speaks to it;
  ``unknown``: not settled by a source the table rests on. With it, whom the law lets the
  practitioner tell (``may_tell``; empty: not limited by the sources read) and how a mandatory
  duty is discharged.
- **threat reports**: reports the law attaches to a threat besides the warning (a firearm
  report to the police, for instance).
- **abuse reports** by kind (child, elder, dependent adult, adult domestic violence):
  ``mandatory``, ``permitted``, ``not_allowed`` or ``unknown``, with to whom and how fast.
- **group privilege**: whether a court must respect what is said in group. No source the
  engine relies on settles it for any state, so every row says so.
- **one-to-one default**: what a private word with a group member is when no agreement says
  otherwise: ``casual_not_confidential``, or ``individual_confidence`` (New York).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, get_args

DutyToProtect = Literal["mandatory", "permissive", "none", "unknown"]
DutyBasis = Literal["statute", "case_law", "statute_and_case_law", "none", "unknown"]
Report = Literal["mandatory", "permitted", "not_allowed", "unknown"]
Sharing = Literal["permitted", "consent_required", "limited", "unknown"]
HivRule = Literal["written_authorization", "permitted", "unknown"]
AbuseKind = Literal["child", "elder", "dependent_adult", "domestic_violence"]
Audience = Literal["victim", "law_enforcement", "medical", "family", "others"]
OneToOne = Literal["casual_not_confidential", "individual_confidence"]

STATES_DIR = Path(__file__).resolve().parent / "states"
FALLBACK = "US"
ABUSE_KINDS: tuple[AbuseKind, ...] = get_args(AbuseKind)

_PRIVILEGE = "depends on state law and can be lost; not settled by the engine's sources"
_LESLIE = "Leslie, Avoiding Liability Bulletin, Dec 2008"
# New York's guidance makes a one-to-one talk an individual confidence unless agreed otherwise.
_ONE_TO_ONE: dict[str, tuple[OneToOne, tuple[str, ...]]] = {
    "US-NY": (
        "individual_confidence",
        ("NYSED Office of the Professions, Couples and group therapy confidentiality",),
    ),
}
_PRIVILEGE_SOURCES: dict[str, tuple[str, ...]] = {
    "US-CA": (
        "Leslie, Avoiding Liability Bulletin, Dec 2008 (group privilege)",
        "CAMFT, Confidentiality and privilege: group, conjoint, family and collateral "
        "therapy issues (2009)",
    ),
}


class StateTableError(ValueError):
    """A state file the engine cannot read: named with the file and the key at fault."""


@dataclass(frozen=True)
class Duty:
    kind: DutyToProtect
    basis: DutyBasis
    trigger: str
    may_tell: frozenset[Audience]
    may_tell_only: bool  # the law allows a disclosure about a threat to these people only
    must_tell: frozenset[Audience]
    discharge: str
    professions: str
    sources: tuple[str, ...]
    read: tuple[str, ...]


@dataclass(frozen=True)
class ThreatReport:
    name: str
    to: str
    within: str
    sources: tuple[str, ...]
    read: tuple[str, ...]


@dataclass(frozen=True)
class AbuseReport:
    report: Report
    to: str
    within: str
    age: str
    sources: tuple[str, ...]
    read: tuple[str, ...]


@dataclass(frozen=True)
class RecordsCell:
    """What the state's law says of one kind of sharing without the member's consent."""

    rule: str  # a Sharing or a HivRule
    note: str
    sources: tuple[str, ...]
    read: tuple[str, ...]


_UNKNOWN_RECORDS = RecordsCell("unknown", "", (), ())
RECORDS = ("treatment", "payment", "hiv")


_UNKNOWN_DUTY = Duty("unknown", "unknown", "", frozenset(), False, frozenset(), "", "", (), ())
_UNKNOWN_REPORT = AbuseReport("unknown", "", "", "", (), ())


@dataclass(frozen=True)
class Jurisdiction:
    code: str
    name: str
    modelled: bool = True  # False: outside the US, where the engine gives no US answer
    reviewed: str = ""
    duty: Duty = _UNKNOWN_DUTY
    threat_reports: tuple[ThreatReport, ...] = ()
    abuse: Mapping[AbuseKind, AbuseReport] = field(
        default_factory=lambda: MappingProxyType(dict.fromkeys(ABUSE_KINDS, _UNKNOWN_REPORT))
    )
    records: Mapping[str, RecordsCell] = field(
        default_factory=lambda: MappingProxyType(dict.fromkeys(RECORDS, _UNKNOWN_RECORDS))
    )
    group_privilege: str = _PRIVILEGE
    privilege_sources: tuple[str, ...] = ()
    one_to_one: OneToOne = "casual_not_confidential"
    one_to_one_sources: tuple[str, ...] = (_LESLIE,)

    @property
    def duty_to_protect(self) -> DutyToProtect:
        return self.duty.kind

    def report(self, kind: AbuseKind) -> AbuseReport:
        return self.abuse[kind]


def _strings(where: str, raw: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise StateTableError(f"{where}.{key}: expected a list of non-empty strings")
    return tuple(value)


def _text(where: str, raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str):
        raise StateTableError(f"{where}.{key}: expected a string")
    return value.strip()


def _choice(where: str, raw: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> Any:
    value = raw.get(key)
    if value not in allowed:
        raise StateTableError(f"{where}.{key}: {value!r} is not one of {', '.join(allowed)}")
    return value


def _known(where: str, keys: Mapping[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(keys) - allowed)
    if extra:
        raise StateTableError(f"{where}: unknown key {extra[0]!r}")


def _cited(where: str, kind: str, sources: tuple[str, ...], read: tuple[str, ...]) -> None:
    """A settled cell names its sources and the pages read (an unknown one may name what was
    read without settling it)."""
    if kind != "unknown" and (not sources or not read):
        raise StateTableError(f"{where}: a {kind} cell needs its sources and the pages read")


def _flag(where: str, raw: Mapping[str, Any], key: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise StateTableError(f"{where}.{key}: expected true or false")
    return value


def _audiences(where: str, raw: Mapping[str, Any], key: str) -> frozenset[Audience]:
    values = _strings(where, raw, key)
    allowed = get_args(Audience)
    for value in values:
        if value not in allowed:
            raise StateTableError(f"{where}.{key}: {value!r} is not one of {', '.join(allowed)}")
    return frozenset(values)  # type: ignore[arg-type]


def parse_state(name: str, data: Mapping[str, Any]) -> Jurisdiction:
    """One state file's row, checked: an unknown key or value raises ``StateTableError``."""
    _known(
        name,
        data,
        {"code", "name", "reviewed", "duty_to_protect", "threat_reports", "abuse", "records"},
    )
    code = _text(name, data, "code")
    if not code.startswith("US-") or len(code) != 5:
        raise StateTableError(f"{name}.code: expected US- and two letters, got {code!r}")
    raw = data.get("duty_to_protect", {})
    where = f"{name}.duty_to_protect"
    _known(
        where,
        raw,
        {"kind", "basis", "trigger", "may_tell", "may_tell_only", "must_tell", "discharge"}
        | {"professions"}
        | {"sources", "read"},
    )
    duty = Duty(
        kind=_choice(where, raw, "kind", get_args(DutyToProtect)),
        basis=_choice(where, raw, "basis", get_args(DutyBasis)),
        trigger=_text(where, raw, "trigger"),
        may_tell=_audiences(where, raw, "may_tell"),
        may_tell_only=_flag(where, raw, "may_tell_only"),
        must_tell=_audiences(where, raw, "must_tell"),
        discharge=_text(where, raw, "discharge"),
        professions=_text(where, raw, "professions"),
        sources=_strings(where, raw, "sources"),
        read=_strings(where, raw, "read"),
    )
    _cited(where, duty.kind, duty.sources, duty.read)
    reports = []
    for i, item in enumerate(data.get("threat_reports", [])):
        where = f"{name}.threat_reports[{i}]"
        _known(where, item, {"name", "to", "within", "sources", "read"})
        report = ThreatReport(
            _text(where, item, "name"),
            _text(where, item, "to"),
            _text(where, item, "within"),
            _strings(where, item, "sources"),
            _strings(where, item, "read"),
        )
        _cited(where, "reported", report.sources, report.read)
        reports.append(report)
    abuse: dict[AbuseKind, AbuseReport] = {}
    raw_abuse = data.get("abuse", {})
    _known(f"{name}.abuse", raw_abuse, set(ABUSE_KINDS))
    for kind in ABUSE_KINDS:
        where = f"{name}.abuse.{kind}"
        item = raw_abuse.get(kind, {"report": "unknown"})
        _known(where, item, {"report", "to", "within", "age", "sources", "read"})
        cell = AbuseReport(
            _choice(where, item, "report", get_args(Report)),
            _text(where, item, "to"),
            _text(where, item, "within"),
            _text(where, item, "age"),
            _strings(where, item, "sources"),
            _strings(where, item, "read"),
        )
        _cited(where, cell.report, cell.sources, cell.read)
        abuse[kind] = cell
    raw = data.get("records", {})
    where = f"{name}.records"
    _known(
        where,
        raw,
        {f"{k}{suffix}" for k in RECORDS for suffix in ("", "_note", "_sources", "_read")},
    )
    records: dict[str, RecordsCell] = {}
    for key in RECORDS:
        allowed = get_args(HivRule) if key == "hiv" else get_args(Sharing)
        shared = RecordsCell(
            _choice(where, raw, key, allowed) if key in raw else "unknown",
            _text(where, raw, f"{key}_note"),
            _strings(where, raw, f"{key}_sources"),
            _strings(where, raw, f"{key}_read"),
        )
        _cited(f"{where}.{key}", shared.rule, shared.sources, shared.read)
        records[key] = shared
    one_to_one, one_sources = _ONE_TO_ONE.get(code, ("casual_not_confidential", (_LESLIE,)))
    return Jurisdiction(
        code=code,
        name=_text(name, data, "name"),
        reviewed=_text(name, data, "reviewed"),
        duty=duty,
        threat_reports=tuple(reports),
        abuse=MappingProxyType(abuse),
        records=MappingProxyType(records),
        privilege_sources=_PRIVILEGE_SOURCES.get(code, ()),
        one_to_one=one_to_one,
        one_to_one_sources=one_sources,
    )


@cache
def load(root: Path = STATES_DIR) -> dict[str, Jurisdiction]:
    """Every row: the state files in ``root``, then ``US`` (a US state not given)."""
    rows: dict[str, Jurisdiction] = {}
    for path in sorted(root.glob("*.toml")):
        with path.open("rb") as file:
            try:
                data = tomllib.load(file)
            except tomllib.TOMLDecodeError as error:
                raise StateTableError(f"{path.name}: {error}") from None
        row = parse_state(path.name, data)
        if row.code != path.stem:
            raise StateTableError(f"{path.name}: code {row.code!r} does not match the file name")
        rows[row.code] = row
    rows[FALLBACK] = Jurisdiction(code=FALLBACK, name="United States, state not given")
    return rows


JURISDICTIONS: Mapping[str, Jurisdiction] = MappingProxyType(load())


# Combining two states' answers (the licence's and the member's location): the stricter wins.
_DUTY_STRICTNESS: tuple[DutyToProtect, ...] = ("mandatory", "unknown", "none", "permissive")
_REPORT_STRICTNESS: tuple[Report, ...] = ("mandatory", "unknown", "permitted", "not_allowed")


@dataclass(frozen=True)
class Law:
    """The law the engine applies: one row, or two weighed together (telehealth)."""

    rows: tuple[Jurisdiction, ...]

    @property
    def modelled(self) -> bool:
        return all(row.modelled for row in self.rows)

    @property
    def duty(self) -> DutyToProtect:
        kinds = {row.duty.kind for row in self.rows}
        return next(kind for kind in _DUTY_STRICTNESS if kind in kinds)

    def warning(self, audience: str | None) -> str:
        """What the law says of warning ``audience`` about a threat: ``duty`` (a mandatory
        duty is met by telling them, or the table does not say by telling whom), ``allowed``
        (the law lets you: a permission that lists them or lists no one, or a mandatory duty
        met by telling others), ``beyond`` (the state's permission names others; telling them
        rests on federal law alone), ``unlisted`` (the law allows a disclosure to others only),
        ``conflict`` (one state's duty names them, the other's law rules them out)."""
        found = set()
        for row in self.rows:
            duty = row.duty
            if duty.kind == "mandatory":
                named = not duty.must_tell or audience in duty.must_tell
                found.add("duty" if named else "allowed")
            elif duty.kind == "permissive" and duty.may_tell and audience not in duty.may_tell:
                found.add("unlisted" if duty.may_tell_only else "beyond")
            else:
                found.add("allowed")
        if "unlisted" in found:
            return "conflict" if "duty" in found else "unlisted"
        if "duty" in found:
            return "duty"
        return "beyond" if "beyond" in found else "allowed"

    @property
    def one_to_one(self) -> OneToOne:
        if any(row.one_to_one == "individual_confidence" for row in self.rows):
            return "individual_confidence"
        return "casual_not_confidential"

    def report(self, kind: AbuseKind) -> Report:
        reports = {row.report(kind).report for row in self.rows}
        return next(r for r in _REPORT_STRICTNESS if r in reports)

    def records(self, kind: str) -> str:
        """What the law says of ``kind`` (treatment, payment, hiv) without consent: the
        strictest answer of the rows (consent or authorization first, then unknown)."""
        rules = {row.records[kind].rule for row in self.rows}
        order = ("written_authorization", "consent_required", "unknown", "limited", "permitted")
        return next(r for r in order if r in rules)


def weigh(rows: list[Jurisdiction]) -> Law:
    return Law(tuple(rows))


def not_modelled(code: str) -> Jurisdiction:
    """The row of a place outside the US: nothing is known, and the engine says so."""
    return Jurisdiction(code=code, name=code, modelled=False)


def resolve(code: str) -> tuple[Jurisdiction, str | None]:
    """The row for ``code`` and, when the code is not in the table, the warning that says so."""
    found = JURISDICTIONS.get(code)
    if found is not None:
        return found, None
    if code.split("-", 1)[0] != "US":
        return not_modelled(code), (
            f"{code} is outside the United States: the engine models US law only, so it gives "
            "no answer about the law there. Check the law where you practise."
        )
    return JURISDICTIONS[FALLBACK], (
        f"Unknown jurisdiction {code!r}: no state's law was applied. Known codes: "
        f"{', '.join(JURISDICTIONS)}. State law may require what this decision cannot tell."
    )

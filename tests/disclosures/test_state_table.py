"""The state table (groupguard/jurisdictions/states): every jurisdiction present, every
file checked as it loads, and the engine answering each row as the row says."""

from __future__ import annotations

from pathlib import Path

import pytest

from groupguard.disclosures.engine import JURISDICTIONS, evaluate
from groupguard.jurisdictions import STATES_DIR, StateTableError, load

THREAT = "threat_to_identifiable_victim"
STATES = (
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
    "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY"
).split()
OTHERS = ["DC", "PR", "GU", "VI", "AS", "MP"]


def test_every_state_dc_and_the_territories_have_a_row() -> None:
    assert len(STATES) == 50
    assert sorted(JURISDICTIONS) == sorted([f"US-{c}" for c in STATES + OTHERS] + ["US"])


@pytest.mark.parametrize("code", sorted(c for c in JURISDICTIONS if c != "US"))
def test_each_row_is_cited_reviewed_and_answered_as_it_says(code: str) -> None:
    row = JURISDICTIONS[code]
    assert row.reviewed == "2026-12-07"
    duty = row.duty
    if duty.kind != "unknown":
        assert duty.sources and duty.read
    police = evaluate(
        {
            "recipient": "third_party",
            "third_party": "law_enforcement",
            "danger": THREAT,
            "jurisdiction": code,
        }
    )
    if duty.kind == "mandatory" and (not duty.must_tell or "law_enforcement" in duty.must_tell):
        assert police.level == "required"
    elif duty.kind in ("unknown", "none"):
        assert police.level == "high"
        assert police.determining == ("duty-to-protect.check-state",)
    else:
        assert police.level in ("elevated", "high")
    assert police.law[0]["code"] == code
    for kind, cell in row.abuse.items():
        report = evaluate(
            {
                "recipient": "third_party",
                "third_party": "protective_services",
                "abuse": kind,
                "jurisdiction": code,
            }
        )
        expected = {
            "mandatory": "required",
            "permitted": "elevated",
            "not_allowed": "not_permitted",
            "unknown": "high",
        }[cell.report]
        assert report.level == expected, kind
        if cell.report != "unknown":
            assert cell.sources and cell.read, kind


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("US-CA", "mandatory"),  # Cal. Civ. Code 43.92
        ("US-TX", "permissive"),  # Tex. Health & Safety Code 611.004(a)(2); Thapar (1999)
        ("US-IL", "mandatory"),  # 405 ILCS 5/6-103
        ("US-NY", "permissive"),
        ("US-WA", "mandatory"),  # Volk v. DeMeerleer (2016)
    ],
)
def test_known_duties(code: str, kind: str) -> None:
    assert JURISDICTIONS[code].duty.kind == kind


def test_california_and_illinois_attach_a_firearm_report_to_a_threat() -> None:
    california = [r.sources for r in JURISDICTIONS["US-CA"].threat_reports]
    assert any("8105" in s for sources in california for s in sources)
    illinois = [r.sources for r in JURISDICTIONS["US-IL"].threat_reports]
    assert any("430 ILCS 65/8.1" in s for sources in illinois for s in sources)


def _write(root: Path, text: str, name: str = "US-ZZ.toml") -> Path:
    root.mkdir(exist_ok=True)
    (root / name).write_text(text, encoding="utf-8")
    return root


GOOD = (STATES_DIR / "US-TX.toml").read_text(encoding="utf-8").replace('"US-TX"', '"US-ZZ"')


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('kind = "permissive"', 'kind = "sometimes"'), "US-ZZ.toml.duty_to_protect.kind"),
        (('report = "mandatory"', 'report = "maybe"'), "US-ZZ.toml.abuse.child.report"),
        (("[duty_to_protect]", "[duty_to_protect]\nwhen = 1"), "unknown key 'when'"),
        (
            ('sources = ["Tex. Fam. Code 261.101(b)", "Tex. Fam. Code 261.103"]', "sources = []"),
            "a mandatory cell needs its sources",
        ),
        (('may_tell = ["medical", "law_enforcement"]', 'may_tell = ["pastor"]'), "'pastor'"),
    ],
)
def test_a_bad_file_is_refused_naming_the_file_and_the_cell(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    assert change[0] in GOOD
    root = _write(tmp_path / "states", GOOD.replace(*change, 1))
    with pytest.raises(StateTableError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load(root)


def test_a_file_named_for_another_code_is_refused(tmp_path: Path) -> None:
    root = _write(tmp_path / "states", GOOD, name="US-YY.toml")
    with pytest.raises(StateTableError, match="does not match the file name"):
        load(root)

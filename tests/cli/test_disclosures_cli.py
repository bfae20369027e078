"""``groupguard disclosures``: assessments stored from answers, listed, and the accounting of
disclosures; JSON out, errors naming the field, nothing stored on bad input."""

from __future__ import annotations

import datetime
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from groupguard.audit.models import AuditEntry
from groupguard.cli.main import main as cli_main
from groupguard.contacts import actions as contacts
from groupguard.contacts.models import Contact
from groupguard.disclosures import actions
from groupguard.disclosures.models import Assessment
from groupguard.practice import actions as practice_actions
from tests.conftest import Cast

GROUP = {"recipient": "group", "purpose": "treatment"}


def run(*args: str, stdin: str | None = None) -> Any:
    out = io.StringIO()
    extra: dict[str, Any] = {} if stdin is None else {"stdin": io.StringIO(stdin)}
    call_command(*args, stdout=out, stderr=io.StringIO(), **extra)
    return json.loads(out.getvalue())


def assess_args(cast: Cast, *extra: str, user: str = "bob") -> list[str]:
    return [
        "disclosures",
        "assess",
        "--practice",
        "north",
        "--as",
        user,
        "--member",
        str(cast.mia.id),
        *extra,
    ]


def log(cast: Cast, **overrides: Any) -> Contact:
    values: dict[str, Any] = {
        "group": cast.thursday,
        "members": [cast.mia],
        "acting_user": cast.bob,
        "occurred_at": timezone.now() - datetime.timedelta(hours=2),
        "setting": "after_session",
        "initiated_by": "member",
        "summary": "Mia mentioned her new job after group.",
        "request": "none",
        "reminded_agreement": True,
    }
    values.update(overrides)
    return contacts.log_contact(**values)


def audit_actions() -> list[str]:
    return list(AuditEntry.objects.order_by("index").values_list("action", flat=True))


def test_it_stores_an_assessment_from_a_contact_and_the_answers_on_standard_input(
    cast: Cast,
) -> None:
    practice_actions.set_practitioner_profile(
        user=cast.bob, license_type="LCSW", ethics_code="NASW", acting_user=cast.alice
    )
    entry = log(cast)
    args = assess_args(cast, "--contact", str(entry.id), "--question", "Raise her new job?")
    data = run(*args, stdin=json.dumps(GROUP))
    assessment = Assessment.objects.get()
    assert data["id"] == str(assessment.id) and data["contact"] == str(entry.id)
    assert data["member"] == {"id": str(cast.mia.id), "name": "Mia Zephyrine"}
    assert data["asked_by"] == "bob" and data["question"] == "Raise her new job?"
    assert data["level"] == "low" and data["decision"] == assessment.decision
    assert data["determining"] == assessment.decision["determining"]
    assert (
        data["facts"] == assessment.facts and data["facts"]["said_in"] == "outside_session_casual"
    )
    assert "Signed agreement version 1" in data["prefilled"]["agreement"]
    assert data["rules_version"] == assessment.rules_version
    assert data["choices"] == [] and data["disclosures"] == []
    assert audit_actions().count("assessment.create") == 1


def test_it_reads_the_answers_from_a_file_or_a_dash(cast: Cast, tmp_path: Path) -> None:
    path = tmp_path / "answers.json"
    answers = {"recipient": "third_party", "third_party": "family", "purpose": "other"}
    path.write_text(json.dumps(answers), encoding="utf-8")
    refused = run(*assess_args(cast, str(path)))
    assert refused["level"] == "not_permitted" and refused["facts"]["authorization"] is False
    actions.record_authorization(
        member=cast.mia,
        acting_user=cast.bob,
        recipient="family",
        purpose="Tell her husband about the schedule change.",
        signed_on=cast.north.today(),
    )
    allowed = run(*assess_args(cast, "-"), stdin=json.dumps(answers))
    assert allowed["facts"]["authorization"] is True and allowed["level"] != "not_permitted"
    assert Assessment.objects.count() == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"stdin": '{"recipient": "everyone"}'},
            r'^recipient: "everyone" is not allowed; allowed values: group, third_party$',
        ),
        ({"stdin": '{"recipient": "group", "colour": 1}'}, "^colour: Unknown fact 'colour'"),
        (
            {"stdin": '{"recipient": "group", "minor": true}'},
            "^minor: minor comes from the records",
        ),
        (
            {"stdin": '{"recipient": "group", "said_in": "group_session"}', "contact": "mia's"},
            "^said_in: said_in comes from the records",
        ),
        ({"stdin": "{not json"}, "standard input is not valid JSON"),
        (
            {"stdin": "[1, 2]"},
            "the answers in standard input must be a JSON object .*, not an array$",
        ),
        ({"file": "nowhere.json"}, "cannot read .*nowhere.json"),
        ({"question": "x" * 20_001}, "question: The question is longer than"),
        ({"contact": "noah's"}, "member: Mia Zephyrine was not part of that contact"),
        ({"contact": "olga's"}, "no contact '.*' in practice 'north' that bob can see"),
        ({"member": "sam"}, "no member '.*' in practice 'north' that bob can see"),
        ({"user": "dave"}, "no member '.*' in practice 'north' that dave can see"),
        ({"user": "oscar"}, "--as: no active user 'oscar' in practice 'north'"),
    ],
)
def test_bad_input_is_named_and_nothing_is_stored(
    cast: Cast, tmp_path: Path, change: dict[str, str], message: str
) -> None:
    extra: list[str] = []
    contact = change.get("contact")
    if contact is not None:
        group, member, by = {
            "mia's": (cast.thursday, cast.mia, cast.bob),
            "noah's": (cast.thursday, cast.noah, cast.bob),
            "olga's": (cast.monday, cast.olga, cast.carol),
        }[contact]
        extra += ["--contact", str(log(cast, group=group, members=[member], acting_user=by).id)]
    if "question" in change:
        extra += ["--question", change["question"]]
    if "file" in change:
        extra.append(str(tmp_path / change["file"]))
    args = assess_args(cast, *extra, user=change.get("user", "bob"))
    if "member" in change:
        args[args.index(str(cast.mia.id))] = str(cast.sam.id)
    before = AuditEntry.objects.count()
    with pytest.raises(CommandError, match=message):
        run(*args, stdin=change.get("stdin", json.dumps(GROUP)))
    assert Assessment.objects.count() == 0
    assert AuditEntry.objects.count() == before


def test_a_risk_flag_on_the_contact_is_asked_not_assumed(cast: Cast) -> None:
    entry = log(cast, summary="He admitted he hit his daughter with a belt.")
    args = assess_args(cast, "--contact", str(entry.id))
    with pytest.raises(CommandError, match=r"^abuse: Answer abuse \(the "):
        run(*args, stdin=json.dumps(GROUP))
    assert not Assessment.objects.exists()
    data = run(*args, stdin=json.dumps({**GROUP, "abuse": "child"}))
    assert data["facts"]["abuse"] == "child"
    assert data["prefilled"]["abuse"].startswith(
        "Your answer (the detector proposed “abuse or neglect of a child” from possible abuse"
    )


def test_the_list_shows_decisions_without_their_facts_and_is_audited(cast: Cast) -> None:
    first = actions.assess(
        member=cast.mia,
        acting_user=cast.bob,
        answers={"recipient": "third_party", "third_party": "employer"},
    )
    actions.record_choice(first, kind="hold", note="Not without her say.", acting_user=cast.bob)
    second = actions.assess(member=cast.mia, acting_user=cast.bob, answers=GROUP, contact=log(cast))
    rows = run("disclosures", "list", "--practice", "north", "--member", str(cast.mia.id))
    assert [r["id"] for r in rows] == [str(second.id), str(first.id)]
    assert set(rows[0]) == {
        "id",
        "created_at",
        "level",
        "rules_version",
        "determining",
        "choices",
        "contact",
    }
    assert rows[0]["contact"] == str(second.contact_id) and rows[1]["contact"] is None
    assert rows[1]["level"] == "not_permitted" and rows[1]["determining"]
    assert rows[1]["choices"] == [
        {"kind": "hold", "decided_by": "bob", "created_at": rows[1]["choices"][0]["created_at"]}
    ]
    as_carol = ["disclosures", "list", "--practice", "north", "--as", "carol"]
    assert len(run(*as_carol, "--member", str(cast.mia.id))) == 2
    with pytest.raises(CommandError, match="that dave can see"):
        run(
            "disclosures",
            "list",
            "--practice",
            "north",
            "--as",
            "dave",
            "--member",
            str(cast.mia.id),
        )
    listed = AuditEntry.objects.filter(action="assessment.list").order_by("index")
    assert [e.member_id for e in listed] == [cast.mia.id, cast.mia.id]
    assert [e.actor_user_id for e in listed] == [None, cast.carol.pk]


def test_the_accounting_lists_disclosures_outside_the_group_by_day(cast: Cast) -> None:
    now = timezone.now()
    made = {}
    for days, recipient in [(3, "court"), (2, "group"), (1, "family")]:
        made[recipient] = actions.record_disclosure(
            member=cast.mia,
            acting_user=cast.bob,
            recipient=recipient,
            recipient_detail="Someone",
            what=f"Shared with {recipient}.",
            purpose="A reason.",
            disclosed_at=now - datetime.timedelta(days=days),
        )
    base = ["disclosures", "accounting", "--practice", "north", "--member", str(cast.mia.id)]
    rows = run(*base)
    assert [r["recipient"] for r in rows] == ["court", "family"]
    court = rows[0]
    assert court["id"] == str(made["court"].id) and court["what"] == "Shared with court."
    assert court["recorded_by"] == "bob" and court["member"]["name"] == "Mia Zephyrine"
    assert court["disclosed_at"] == made["court"].disclosed_at.isoformat()
    family_day = str(cast.north.day_of(made["family"].disclosed_at))
    court_day = str(cast.north.day_of(made["court"].disclosed_at))
    assert [r["recipient"] for r in run(*base, "--from", family_day)] == ["family"]
    assert [r["recipient"] for r in run(*base, "--to", court_day, "--as", "carol")] == ["court"]
    views = AuditEntry.objects.filter(action="accounting.view").order_by("index")
    assert [e.member_id for e in views] == [cast.mia.id] * 3
    assert json.loads(bytes(views[2].leaf))["detail"] == {
        "via": "cli",
        "count": 1,
        "end": court_day,
    }
    with pytest.raises(CommandError, match="--from takes a date such as 2026-03-02, not 'soon'"):
        run(*base, "--from", "soon")
    with pytest.raises(CommandError, match=r"--to \(.*\) is before --from"):
        run(*base, "--from", family_day, "--to", court_day)
    with pytest.raises(CommandError, match="that dave can see"):
        run(*base, "--as", "dave")
    assert AuditEntry.objects.filter(action="accounting.view").count() == 3


def test_the_console_command_runs_it_through_django(
    cast: Cast, capsys: pytest.CaptureFixture[str]
) -> None:
    cli_main(["groupguard", "--help"])
    assert "  disclosures " in capsys.readouterr().out
    cli_main(
        ["groupguard", "disclosures", "list", "--practice", "north", "--member", str(cast.mia.id)]
    )
    assert json.loads(capsys.readouterr().out) == []

"""The disclosures API: the engine's decision, stored assessments, choices, disclosures, the
accounting and authorizations."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
import typing
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from groupguard.api import disclosure_schemas as s
from groupguard.audit.models import AuditEntry
from groupguard.contacts import actions as contacts
from groupguard.contacts.models import Contact
from groupguard.disclosures import actions
from groupguard.disclosures.models import (
    THIRD_PARTIES,
    Assessment,
    Authorization,
    Choice,
    ChoiceKind,
    Disclosure,
    Recipient,
)
from groupguard.practice import actions as practice_actions
from tests.api.test_api import API, bearer, call
from tests.conftest import Cast
from tests.support import mfa_login

ROOT = Path(__file__).resolve().parents[2]
GROUP: dict[str, Any] = {"recipient": "group", "purpose": "treatment"}
FAMILY: dict[str, Any] = {"recipient": "third_party", "third_party": "family", "purpose": "other"}


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


def assess(cast: Cast, **overrides: Any) -> Assessment:
    values: dict[str, Any] = {
        "member": cast.mia,
        "acting_user": cast.bob,
        "answers": {**GROUP, "said_in": "group_session", "agreement": "signed_before"},
    }
    values.update(overrides)
    return actions.assess(**values)


def authorize(cast: Cast, **overrides: Any) -> Authorization:
    values: dict[str, Any] = {
        "member": cast.mia,
        "acting_user": cast.bob,
        "recipient": "family",
        "purpose": "Tell her husband about the schedule change.",
        "signed_on": cast.north.today(),
    }
    values.update(overrides)
    return actions.record_authorization(**values)


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("index"))


def stored() -> tuple[int, ...]:
    return (
        Assessment.objects.count(),
        Choice.objects.count(),
        Disclosure.objects.count(),
        Authorization.objects.count(),
        Authorization.objects.filter(revoked_at__isnull=False).count(),
    )


@pytest.fixture
def records(cast: Cast) -> tuple[Assessment, Authorization]:
    """Bob's assessment of mia, and mia's authorization for her family."""
    return assess(cast), authorize(cast)


def endpoints(
    cast: Cast, assessment: Assessment, authorization: Authorization
) -> list[tuple[str, str, object]]:
    """Every operation, aimed at mia (Thursday Group, bob's) and her records."""
    mia = f"/members/{cast.mia.id}"
    disclosure = {
        "recipient": "group",
        "what": "Her new job.",
        "disclosed_at": timezone.now().isoformat(),
    }
    return [
        ("post", "/disclosures/assess", GROUP),
        ("get", f"{mia}/assessments", None),
        ("post", f"{mia}/assessments", {"answers": GROUP}),
        ("get", f"/assessments/{assessment.id}", None),
        ("post", f"/assessments/{assessment.id}/choices", {"kind": "hold"}),
        ("post", f"{mia}/disclosures", disclosure),
        ("get", f"{mia}/accounting", None),
        ("get", f"{mia}/accounting?start=2026-01-01&end=2026-12-31", None),
        ("get", f"{mia}/authorizations", None),
        (
            "post",
            f"{mia}/authorizations",
            {"recipient": "employer", "purpose": "Sick note.", "signed_on": "2026-01-05"},
        ),
        ("post", f"/authorizations/{authorization.id}/revoke", {"note": "By phone."}),
    ]


# The pure engine answers whoever is signed in: it reads no records.
UNSCOPED = {("post", "/disclosures/assess")}


def test_other_practices_and_clinicians_outside_the_group_get_404(cast: Cast, records: Any) -> None:
    before = stored()
    for who in (cast.oscar, cast.dave):
        auth = bearer(cast, who)
        for method, path, body in endpoints(cast, *records):
            response = call(method, path, auth, body)
            if (method, path) in UNSCOPED:
                assert response.status_code == 200, (who.username, method, path)
            else:
                assert response.status_code == 404, (who.username, method, path)
                assert response.json() == {"detail": "Not found"}
    assert stored() == before
    assert not entries("assessment.view") and not entries("accounting.view")


def test_an_assessment_from_a_contact_follows_the_contacts_group(cast: Cast) -> None:
    """Bob sees mia, but not what was said in Monday Group, which only carol facilitates."""
    # A day back: the contact below is two hours ago, which can be yesterday where the practice is.
    practice_actions.enroll_member(
        cast.monday,
        cast.mia,
        joined_on=cast.north.today() - datetime.timedelta(days=1),
        acting_user=cast.alice,
    )
    monday = log(cast, group=cast.monday, acting_user=cast.carol)
    hidden = assess(cast, acting_user=cast.carol, contact=monday, answers=GROUP)
    auth = bearer(cast, cast.bob)
    assert call("get", f"/assessments/{hidden.id}", auth).status_code == 404
    assert call(
        "post", f"/assessments/{hidden.id}/choices", auth, {"kind": "hold"}
    ).status_code == (404)
    assert call("get", f"/members/{cast.mia.id}/assessments", auth).json() == []
    body = {"answers": GROUP, "contact": str(monday.id)}
    assert call("post", f"/members/{cast.mia.id}/assessments", auth, body).status_code == 404
    carol = call("get", f"/members/{cast.mia.id}/assessments", bearer(cast, cast.carol)).json()
    assert [a["id"] for a in carol] == [str(hidden.id)]
    assert Assessment.objects.count() == 1


def test_a_token_and_the_browser_session_both_work(cast: Cast, records: Any) -> None:
    assessment, _ = records
    auth = bearer(cast, cast.carol)
    assert call("get", f"/assessments/{assessment.id}", auth).json()["id"] == str(assessment.id)
    client = Client()
    mfa_login(client, cast.carol)
    assert client.get(f"{API}/assessments/{assessment.id}").status_code == 200
    # A write from the browser needs its CSRF token, as the web pages do.
    checked = Client(enforce_csrf_checks=True)
    mfa_login(checked, cast.carol)
    refused = checked.post(
        f"{API}/assessments/{assessment.id}/choices",
        data=json.dumps({"kind": "hold"}),
        content_type="application/json",
    )
    assert refused.status_code == 403 and Choice.objects.count() == 0


# --- The engine --------------------------------------------------------------------------


def cli(facts: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "groupguard.cli.assess"],
        input=json.dumps(facts),
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        timeout=60,
        check=False,
    )


FACT_SETS = {
    "founding": {
        "recipient": "group",
        "jurisdiction": "US-CA",
        "said_in": "outside_session_casual",
        "agreement": "signed_before",
    },
    "third party without authorization": FAMILY,
    "CA duty to protect": {
        "recipient": "third_party",
        "third_party": "potential_victim",
        "jurisdiction": "US-CA",
        "danger": "threat_to_identifiable_victim",
        "purpose": "safety",
    },
    "invalid": {"recipient": "group", "promise": "sort of"},
}
LEVELS = {
    "founding": "low",
    "third party without authorization": "not_permitted",
    "CA duty to protect": "required",
}


@pytest.mark.parametrize("name", FACT_SETS)
def test_assess_decides_exactly_as_the_cli(cast: Cast, name: str) -> None:
    facts = FACT_SETS[name]
    auth = bearer(cast, cast.bob)
    before = AuditEntry.objects.count()
    response = call("post", "/disclosures/assess", auth, facts)
    printed = cli(facts)
    if name in LEVELS:
        assert printed.returncode == 0, printed.stderr
        assert response.status_code == 200, response.content
        assert response.json() == json.loads(printed.stdout)
        assert response.json()["level"] == LEVELS[name]
    else:
        assert printed.returncode == 2 and printed.stdout == ""
        assert response.status_code == 400
        detail = response.json()["detail"]
        assert printed.stderr == f"groupguard assess: invalid facts: {detail}\n"
        assert detail.startswith("promise:") and "allowed values: none, implied, express" in detail
        assert response.json()["errors"] == {"promise": [detail]}
    # Nothing is stored or audited: the engine reads no records.
    assert AuditEntry.objects.count() == before and Assessment.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"agreement": "none"}, "recipient"),
        ({"recipient": "group", "colour": "blue"}, "colour"),
        ({"recipient": "group", "minor": "yes"}, "minor"),
        ([GROUP], "facts"),
    ],
)
def test_assess_names_the_field_at_fault(cast: Cast, body: object, field: str) -> None:
    response = call("post", "/disclosures/assess", bearer(cast, cast.bob), body)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {field}
    assert field in response.json()["detail"] or field == "facts"


# --- Assessments -------------------------------------------------------------------------


def test_an_assessment_from_a_contact_is_stored_with_its_sources(cast: Cast) -> None:
    practice_actions.set_practitioner_profile(
        user=cast.bob, license_type="LCSW", ethics_code="NASW", acting_user=cast.alice
    )
    entry = log(cast)
    body = {"answers": GROUP, "contact": str(entry.id), "question": "Raise her new job in group?"}
    response = call("post", f"/members/{cast.mia.id}/assessments", bearer(cast, cast.bob), body)
    assert response.status_code == 201, response.content
    out = response.json()
    assessment = Assessment.objects.get()
    assert out["id"] == str(assessment.id) and assessment.question == body["question"]
    assert out["member"] == {"id": str(cast.mia.id), "name": "Mia Zephyrine"}
    assert out["asked_by"] == {"id": cast.bob.pk, "name": "Bob Tester"}
    assert out["contact"] == str(entry.id) and out["question"] == body["question"]
    assert out["facts"] == assessment.facts and out["facts"]["said_in"] == "outside_session_casual"
    assert out["facts"]["agreement"] == "signed_before" and out["facts"]["profession"] == "LCSW"
    assert "Signed agreement version 1" in out["prefilled"]["agreement"]
    assert set(out["prefilled"]) == set(out["facts"]) - set(GROUP)
    assert out["decision"] == assessment.decision and out["level"] == "low"
    assert out["rules_version"] == out["decision"]["rules_version"]
    assert out["choices"] == [] and out["disclosures"] == []
    [entry_] = entries("assessment.create")
    assert entry_.member_id == cast.mia.id


def test_a_risk_flag_on_the_contact_must_be_answered_and_its_source_names_the_proposal(
    cast: Cast,
) -> None:
    entry = log(cast, summary="He said he is going to hurt his neighbour if the noise goes on.")
    auth = bearer(cast, cast.bob)
    path = f"/members/{cast.mia.id}/assessments"
    refused = call("post", path, auth, {"answers": GROUP, "contact": str(entry.id)})
    assert refused.status_code == 400, refused.content
    [message] = refused.json()["errors"]["answers.danger"]
    assert message.startswith(
        "Answer danger (the detector proposes 'threat_to_identifiable_victim'): The detector "
        "flagged a possible threat to harm another person in this contact's note"
    )
    assert not Assessment.objects.exists()
    body = {"answers": {**GROUP, "danger": "none"}, "contact": str(entry.id)}
    response = call("post", path, auth, body)
    assert response.status_code == 201, response.content
    out = response.json()
    assert out["facts"]["danger"] == "none"
    assert out["prefilled"]["danger"] == (
        "Your answer (the detector proposed “a threat to an identifiable person” from a "
        "possible threat to harm another person in the note's words; you answered otherwise)"
    )


def test_a_third_party_assessment_reads_the_authorizations(cast: Cast) -> None:
    auth = bearer(cast, cast.bob)
    path = f"/members/{cast.mia.id}/assessments"
    body = {"answers": {**FAMILY, "said_in": "group_session"}}
    refused = call("post", path, auth, body).json()
    assert refused["facts"]["authorization"] is False and refused["level"] == "not_permitted"
    assert "No written authorization" in refused["prefilled"]["authorization"]
    authorize(cast)
    allowed = call("post", path, auth, body).json()
    assert allowed["facts"]["authorization"] is True and allowed["level"] != "not_permitted"


DROP = object()  # leaves the field out of the body


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"answers": {"recipient": "everyone"}}, "answers.recipient"),
        ({"answers": {"purpose": "treatment"}}, "answers.recipient"),
        ({"answers": {**GROUP, "colour": "blue"}}, "answers.colour"),
        ({"answers": {**GROUP, "authorization": True}}, "answers.authorization"),
        ({"answers": {**GROUP, "minor": True}}, "answers.minor"),
        ({"answers": {**GROUP, "said_in": "group_session"}, "contact": "mia's"}, "answers.said_in"),
        ({"answers": [GROUP]}, "answers"),
        ({"answers": None}, "answers"),
        ({"answers": DROP}, "answers"),
        ({"question": "x" * 20_001}, "question"),
        ({"contact": "noah's"}, "contact"),
        ({"contact": "not-a-uuid"}, "contact"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_assessment_input_is_a_400_naming_the_field_and_stores_nothing(
    cast: Cast, change: dict[str, Any], field: str
) -> None:
    body: dict[str, Any] = {k: v for k, v in {"answers": GROUP, **change}.items() if v is not DROP}
    if body.get("contact") in ("mia's", "noah's"):
        member = cast.mia if body["contact"] == "mia's" else cast.noah
        body["contact"] = str(log(cast, members=[member]).id)
    response = call("post", f"/members/{cast.mia.id}/assessments", bearer(cast, cast.bob), body)
    assert response.status_code == 400, response.content
    assert set(response.json()["errors"]) == {field}, response.json()
    assert response.json()["detail"].startswith(field)
    assert Assessment.objects.count() == 0 and not entries("assessment.create")


def test_the_list_is_newest_first_and_audited_once_per_call(
    cast: Cast, django_assert_max_num_queries: Any
) -> None:
    first = assess(cast)
    second = assess(cast, contact=log(cast), answers=FAMILY)
    actions.record_choice(second, kind="hold", acting_user=cast.bob)
    actions.record_choice(second, kind="consult", note="Ask the board.", acting_user=cast.carol)
    actions.record_disclosure(
        member=cast.mia,
        acting_user=cast.bob,
        recipient="group",
        what="Her new job.",
        disclosed_at=timezone.now(),
        assessment=first,
    )
    for _ in range(5):
        assess(cast)
    auth = bearer(cast, cast.carol)
    # Token (2), member, assessments, choices, disclosures, the audit entry (5): not per row.
    with django_assert_max_num_queries(11):
        response = call("get", f"/members/{cast.mia.id}/assessments", auth)
    rows = response.json()
    assert len(rows) == 7 and rows[-1]["id"] == str(first.id) and rows[-2]["id"] == str(second.id)
    when = [row["created_at"] for row in rows]
    assert when == sorted(when, reverse=True)
    assert [c["kind"] for c in rows[-2]["choices"]] == ["hold", "consult"]
    assert rows[-2]["choices"][1]["decided_by"]["name"] == "Carol Tester"
    assert [d["what"] for d in rows[-1]["disclosures"]] == ["Her new job."]
    [listed] = entries("assessment.list")
    assert listed.member_id == cast.mia.id and listed.actor_user_id == cast.carol.pk


def test_reading_an_assessment_is_audited(cast: Cast, records: Any) -> None:
    assessment, _ = records
    response = call("get", f"/assessments/{assessment.id}", bearer(cast, cast.alice))
    assert response.status_code == 200
    assert response.json()["decision"] == assessment.decision
    [entry] = entries("assessment.view")
    assert entry.object_id == str(assessment.id) and entry.member_id == cast.mia.id
    assert call("get", f"/assessments/{uuid.uuid4()}", bearer(cast, cast.alice)).status_code == 404


# --- Choices -----------------------------------------------------------------------------


def test_choices_are_recorded_and_proceeding_against_not_permitted_needs_a_reason(
    cast: Cast,
) -> None:
    refused = assess(cast, answers={"recipient": "third_party", "third_party": "employer"})
    auth = bearer(cast, cast.bob)
    path = f"/assessments/{refused.id}/choices"
    for body, field in [
        ({"kind": "maybe"}, "kind"),
        ({}, "kind"),
        ({"kind": "hold", "note": "x" * 20_001}, "note"),
        ({"kind": "proceed", "note": "ok"}, "note"),
        ({"kind": "hold", "colour": "blue"}, "colour"),
    ]:
        response = call("post", path, auth, body)
        assert response.status_code == 400, body
        assert set(response.json()["errors"]) == {field}, response.json()
    assert "not permitted" in call("post", path, auth, {"kind": "proceed"}).json()["detail"]
    assert Choice.objects.count() == 0 and not entries("assessment.choice")
    reason = "Our lawyer confirmed a court order covers the employer's request."
    response = call("post", path, auth, {"kind": "proceed", "note": reason})
    assert response.status_code == 201, response.content
    out = response.json()
    assert (out["kind"], out["note"], out["assessment"]) == ("proceed", reason, str(refused.id))
    assert out["decided_by"] == {"id": cast.bob.pk, "name": "Bob Tester"}
    assert entries("assessment.choice")[0].severity == "high"
    call("post", path, auth, {"kind": "hold"})
    shown = call("get", f"/assessments/{refused.id}", auth).json()
    assert [c["kind"] for c in shown["choices"]] == ["proceed", "hold"]


# --- Disclosures and the accounting ------------------------------------------------------


def disclosure_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "recipient": "protective_services",
        "recipient_detail": "County CPS hotline",
        "what": "Suspected abuse of her child.",
        "purpose": "Mandated report",
        "disclosed_at": (timezone.now() - datetime.timedelta(hours=1)).isoformat(),
    }
    body.update(overrides)
    return body


def test_a_disclosure_is_recorded_after_its_assessment(cast: Cast, records: Any) -> None:
    assessment, _ = records
    auth = bearer(cast, cast.bob)
    body = disclosure_body(recipient="group", assessment=str(assessment.id))
    response = call("post", f"/members/{cast.mia.id}/disclosures", auth, body)
    assert response.status_code == 201, response.content
    out = response.json()
    disclosure = Disclosure.objects.get()
    assert out["id"] == str(disclosure.id) and out["assessment"] == str(assessment.id)
    assert out["member"]["id"] == str(cast.mia.id) and out["what"] == disclosure.what
    assert out["recorded_by"] == {"id": cast.bob.pk, "name": "Bob Tester"}
    assert entries("disclosure.record")[0].severity == "info"
    shown = call("get", f"/assessments/{assessment.id}", auth).json()
    assert [d["id"] for d in shown["disclosures"]] == [out["id"]]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"recipient": "everyone"}, "recipient"),
        ({"what": "  "}, "what"),
        ({"what": "x" * 20_001}, "what"),
        ({"disclosed_at": "2026-01-01T10:00:00"}, "disclosed_at"),
        ({"disclosed_at": "yesterday"}, "disclosed_at"),
        ({"disclosed_at": "2999-01-01T10:00:00Z"}, "disclosed_at"),
        ({"assessment": "noah's"}, "assessment"),
        ({"assessment": "not-a-uuid"}, "assessment"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_disclosure_input_is_a_400_naming_the_field_and_stores_nothing(
    cast: Cast, change: dict[str, Any], field: str
) -> None:
    if change.get("assessment") == "noah's":
        change = {"assessment": str(assess(cast, member=cast.noah).id)}
    response = call(
        "post",
        f"/members/{cast.mia.id}/disclosures",
        bearer(cast, cast.bob),
        disclosure_body(**change),
    )
    assert response.status_code == 400, response.content
    assert set(response.json()["errors"]) == {field}, response.json()
    assert Disclosure.objects.count() == 0 and not entries("disclosure.record")


def test_a_disclosure_after_an_assessment_out_of_sight_is_a_404(cast: Cast) -> None:
    olga = assess(cast, member=cast.olga, acting_user=cast.carol)
    body = disclosure_body(assessment=str(olga.id))
    response = call("post", f"/members/{cast.mia.id}/disclosures", bearer(cast, cast.bob), body)
    assert response.status_code == 404 and Disclosure.objects.count() == 0


def test_the_accounting_lists_disclosures_outside_the_group_by_day_and_is_audited(
    cast: Cast,
) -> None:
    now = timezone.now()
    rows = []
    for days, recipient in [(3, "court"), (2, "group"), (1, "family")]:
        rows.append(
            actions.record_disclosure(
                member=cast.mia,
                acting_user=cast.bob,
                recipient=recipient,
                what=f"Shared with {recipient}.",
                disclosed_at=now - datetime.timedelta(days=days),
            )
        )
    court, _, family = rows
    auth = bearer(cast, cast.bob)
    path = f"/members/{cast.mia.id}/accounting"
    everything = call("get", path, auth)
    assert everything.status_code == 200
    assert [d["id"] for d in everything.json()] == [str(court.id), str(family.id)]
    assert everything.json()[0]["recipient"] == "court"
    court_day = cast.north.day_of(court.disclosed_at)
    family_day = cast.north.day_of(family.disclosed_at)
    later = call("get", f"{path}?start={family_day}", auth).json()
    assert [d["id"] for d in later] == [str(family.id)]
    earlier = call("get", f"{path}?start={court_day}&end={court_day}", auth).json()
    assert [d["id"] for d in earlier] == [str(court.id)]
    views = entries("accounting.view")
    assert len(views) == 3 and {e.member_id for e in views} == {cast.mia.id}
    assert json.loads(bytes(views[2].leaf))["detail"] == {
        "count": 1,
        "start": str(court_day),
        "end": str(court_day),
    }
    for query, field in [
        (f"?start={family_day}&end={court_day}", "end"),
        ("?start=soon", "start"),
        ("?end=2026-02-30", "end"),
    ]:
        response = call("get", path + query, auth)
        assert response.status_code == 400, query
        assert set(response.json()["errors"]) == {field}, response.json()
    assert len(entries("accounting.view")) == 3


# --- Authorizations ----------------------------------------------------------------------


def authorization_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "recipient": "family",
        "recipient_detail": "Her husband, Tom",
        "purpose": "The schedule change.",
        "signed_on": str(timezone.localdate() - datetime.timedelta(days=1)),
    }
    body.update(overrides)
    return body


def test_authorizations_are_recorded_listed_and_revoked(cast: Cast) -> None:
    auth = bearer(cast, cast.bob)
    path = f"/members/{cast.mia.id}/authorizations"
    response = call("post", path, auth, authorization_body())
    assert response.status_code == 201, response.content
    out = response.json()
    authorization = Authorization.objects.get()
    assert out["id"] == str(authorization.id) and out["in_force"] is True
    assert (out["recipient"], out["recipient_detail"]) == ("family", "Her husband, Tom")
    assert out["scan"] is None and out["revoked_at"] is None and out["expires_on"] is None
    assert out["recorded_by"] == {"id": cast.bob.pk, "name": "Bob Tester"}
    assessed = call("post", f"/members/{cast.mia.id}/assessments", auth, {"answers": FAMILY}).json()
    assert assessed["facts"]["authorization"] is True
    listed = call("get", path, bearer(cast, cast.carol)).json()
    assert [a["id"] for a in listed] == [out["id"]]
    [entry] = entries("authorization.list")
    assert entry.member_id == cast.mia.id and entry.actor_user_id == cast.carol.pk
    revoke = f"/authorizations/{authorization.id}/revoke"
    revoked = call("post", revoke, auth, {"note": "Withdrawn by phone."})
    assert revoked.status_code == 200, revoked.content
    assert revoked.json()["in_force"] is False and revoked.json()["revoked_at"]
    assert revoked.json()["revoked_by"] == {"id": cast.bob.pk, "name": "Bob Tester"}
    assert revoked.json()["revocation_note"] == "Withdrawn by phone."
    again = call("post", revoke, auth, {})
    assert again.status_code == 400 and "already revoked" in again.json()["detail"]
    assert len(entries("authorization.revoke")) == 1
    assert call("get", path, auth).json()[0]["in_force"] is False


def test_a_revocation_needs_no_note(cast: Cast) -> None:
    authorization = authorize(cast)
    response = call(
        "post", f"/authorizations/{authorization.id}/revoke", bearer(cast, cast.bob), {}
    )
    assert response.status_code == 200 and response.json()["revocation_note"] == ""
    bad = call("post", f"/authorizations/{uuid.uuid4()}/revoke", bearer(cast, cast.bob), {})
    assert bad.status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"recipient": "group"}, "recipient"),
        ({"recipient": "everyone"}, "recipient"),
        ({"purpose": " "}, "purpose"),
        ({"signed_on": "2999-01-01"}, "signed_on"),
        ({"signed_on": "yesterday"}, "signed_on"),
        ({"expires_on": "2000-01-01"}, "expires_on"),
        ({"scan": "JVBERi0="}, "scan"),
    ],
)
def test_bad_authorization_input_is_a_400_naming_the_field_and_stores_nothing(
    cast: Cast, change: dict[str, Any], field: str
) -> None:
    response = call(
        "post",
        f"/members/{cast.mia.id}/authorizations",
        bearer(cast, cast.bob),
        authorization_body(**change),
    )
    assert response.status_code == 400, response.content
    assert set(response.json()["errors"]) == {field}, response.json()
    assert Authorization.objects.count() == 0 and not entries("authorization.record")


def test_a_bad_revocation_note_is_a_400(cast: Cast) -> None:
    authorization = authorize(cast)
    path = f"/authorizations/{authorization.id}/revoke"
    response = call("post", path, bearer(cast, cast.bob), {"note": "x" * 20_001})
    assert response.status_code == 400 and set(response.json()["errors"]) == {"note"}
    authorization.refresh_from_db()
    assert authorization.revoked_at is None


# --- Schema ------------------------------------------------------------------------------


def test_the_openapi_schema_lists_the_disclosures_endpoints(client: Client) -> None:
    paths = client.get(API + "/openapi.json").json()["paths"]
    for path in (
        "/disclosures/assess",
        "/members/{member_id}/assessments",
        "/assessments/{assessment_id}",
        "/assessments/{assessment_id}/choices",
        "/members/{member_id}/disclosures",
        "/members/{member_id}/accounting",
        "/members/{member_id}/authorizations",
        "/authorizations/{authorization_id}/revoke",
    ):
        assert "/api/v1" + path in paths, path


def test_the_schema_choices_are_the_models_choices() -> None:
    assert typing.get_args(s.RecipientValue) == tuple(Recipient.values)
    assert typing.get_args(s.ThirdPartyValue) == tuple(r.value for r in THIRD_PARTIES)
    assert typing.get_args(s.ChoiceValue) == tuple(ChoiceKind.values)

"""The contacts API: contacts, amendments, promises, referrals, detection and the timeline."""

from __future__ import annotations

import datetime
import json
import typing
import uuid
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from groupguard.api import contact_schemas as s
from groupguard.audit.models import AuditEntry
from groupguard.contacts import actions
from groupguard.contacts.detect import RULES_BY_ID, detect
from groupguard.contacts.models import (
    ANSWERS,
    Amendment,
    Contact,
    Initiator,
    Promise,
    PromiseStatus,
    Referral,
    ReferralStatus,
    Request,
    Setting,
)
from tests.api.test_api import API, bearer, call
from tests.conftest import Cast
from tests.support import mfa_login

SUMMARY = "After group Mia said her sister is ill. Please don't tell the group, she said."


def log(cast: Cast, **overrides: Any) -> Contact:
    values: dict[str, Any] = {
        "group": cast.thursday,
        "members": [cast.mia],
        "acting_user": cast.bob,
        "occurred_at": timezone.now() - datetime.timedelta(minutes=10),
        "setting": "after_session",
        "initiated_by": "member",
        "summary": SUMMARY,
        "request": "explicit",
        "reminded_agreement": True,
    }
    values.update(overrides)
    return actions.log_contact(**values)


def contact_body(cast: Cast, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "group": str(cast.thursday.id),
        "members": [str(cast.mia.id)],
        "occurred_at": (timezone.now() - datetime.timedelta(minutes=5)).isoformat(),
        "setting": "phone",
        "initiated_by": "member",
        "summary": SUMMARY,
        "request": "explicit",
        "reminded_agreement": True,
    }
    body.update(overrides)
    return body


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("index"))


@pytest.fixture
def records(cast: Cast) -> tuple[Contact, Promise, Referral]:
    """Bob's contact with mia, with a promise and a referral."""
    contact = log(
        cast,
        promised_confidentiality=True,
        promise_confirmed=True,
        promise_scope="Her sister's illness.",
        offered_referral=True,
        referral_to_name="Dr. Wren",
    )
    return contact, Promise.objects.get(), Referral.objects.get()


def endpoints(
    cast: Cast, contact: Contact, promise: Promise, referral: Referral
) -> list[tuple[str, str, object]]:
    """Every operation, aimed at bob's contact with mia in Thursday Group."""
    return [
        ("post", "/contacts/detect", {"text": "Please don't tell the group."}),
        ("get", "/contacts", None),
        ("get", f"/contacts?member={cast.mia.id}", None),
        ("get", f"/contacts?group={cast.thursday.id}", None),
        ("post", "/contacts", contact_body(cast)),
        ("get", f"/contacts/{contact.id}", None),
        ("patch", f"/contacts/{contact.id}", {"follow_up": "Call her Friday."}),
        ("post", f"/contacts/{contact.id}/amendments", {"text": "She called back."}),
        ("get", "/promises?status=open", None),
        ("get", f"/promises?member={cast.mia.id}", None),
        (
            "post",
            f"/promises/{promise.id}/close",
            {"status": "released", "note": "She raised it herself in group."},
        ),
        ("get", "/referrals?awaiting=true", None),
        ("get", f"/referrals?member={cast.mia.id}", None),
        ("post", "/referrals", {"member": str(cast.mia.id), "reason": "A confidential space."}),
        ("patch", f"/referrals/{referral.id}", {"status": "accepted"}),
        ("get", f"/members/{cast.mia.id}/timeline", None),
    ]


# Operations that answer whoever is signed in: unscoped lists (empty for outsiders) and detect.
UNSCOPED = {
    ("post", "/contacts/detect"),
    ("get", "/contacts"),
    ("get", "/promises?status=open"),
    ("get", "/referrals?awaiting=true"),
}


def test_other_practices_and_clinicians_outside_the_group_get_404(cast: Cast, records: Any) -> None:
    before = Contact.objects.count(), Amendment.objects.count(), Referral.objects.count()
    for who in (cast.oscar, cast.dave):
        auth = bearer(cast, who)
        for method, path, body in endpoints(cast, *records):
            response = call(method, path, auth, body)
            if (method, path) in UNSCOPED:
                assert response.status_code == 200, (who.username, method, path)
                assert response.json().get("count", 0) == 0, (who.username, path)
            else:
                assert response.status_code == 404, (who.username, method, path)
                assert response.json() == {"detail": "Not found"}
    assert (Contact.objects.count(), Amendment.objects.count(), Referral.objects.count()) == before
    assert Promise.objects.get().status == PromiseStatus.OPEN


def test_a_facilitator_of_another_group_gets_404(cast: Cast) -> None:
    monday = log(cast, group=cast.monday, members=[cast.olga], acting_user=cast.carol)
    auth = bearer(cast, cast.bob)
    assert call("get", f"/contacts/{monday.id}", auth).status_code == 404
    assert call("get", f"/contacts?member={cast.olga.id}", auth).status_code == 404
    assert call("get", f"/members/{cast.olga.id}/timeline", auth).status_code == 404
    assert call("get", "/contacts", auth).json()["count"] == 0
    assert call("get", "/contacts", bearer(cast, cast.carol)).json()["count"] == 1
    assert call("get", f"/contacts/{uuid.uuid4()}", bearer(cast, cast.alice)).status_code == 404


def test_a_token_and_the_browser_session_both_work(cast: Cast, records: Any) -> None:
    contact, _, _ = records
    auth = bearer(cast, cast.carol)
    assert call("get", f"/contacts/{contact.id}", auth).json()["id"] == str(contact.id)
    client = Client()
    mfa_login(client, cast.carol)
    assert client.get(f"{API}/contacts/{contact.id}").status_code == 200


# --- Detection ---------------------------------------------------------------------------


def test_detect_answers_like_the_cli_with_each_rules_level_and_explanation(cast: Cast) -> None:
    text = "Nobody in the group knows. Please don't tell the others."
    before = AuditEntry.objects.count()
    response = call("post", "/contacts/detect", bearer(cast, cast.bob), {"text": text})
    after_token = AuditEntry.objects.count()
    assert response.status_code == 200
    body = response.json()
    expected = detect(text).as_json()
    assert body["request"] == expected["request"] == "explicit"
    assert [
        {k: v for k, v in m.items() if k not in ("explanation", "words")} for m in body["matches"]
    ] == (expected["matches"])
    assert body["model"] == expected["model"] and body["flags"] == []
    for match in body["matches"]:
        rule = RULES_BY_ID[match["rule"]]
        assert (match["level"], match["explanation"]) == (rule.level, rule.explanation)
    assert {m["level"] for m in body["matches"]} == {"explicit", "implied"}
    # Only the token's own creation is in the log: detection stores and audits nothing.
    assert after_token == before + 1


def test_detect_refuses_a_note_over_the_limit(cast: Cast) -> None:
    auth = bearer(cast, cast.bob)
    response = call("post", "/contacts/detect", auth, {"text": "x" * 20_001})
    assert response.status_code == 400 and "text" in response.json()["errors"]
    assert call("post", "/contacts/detect", auth, {}).status_code == 400
    empty = call("post", "/contacts/detect", auth, {"text": ""}).json()
    assert (empty["request"], empty["matches"], empty["flags"]) == ("none", [], [])


# --- Contacts ----------------------------------------------------------------------------


def test_logging_a_contact_answers_with_the_entry_and_its_guidance(cast: Cast) -> None:
    response = call("post", "/contacts", bearer(cast, cast.bob), contact_body(cast))
    assert response.status_code == 201, response.content
    body = response.json()
    contact = Contact.objects.get()
    assert body["id"] == str(contact.id) and contact.summary == SUMMARY
    assert body["members"] == [{"id": str(cast.mia.id), "name": "Mia Zephyrine"}]
    assert body["facilitator"] == {"id": cast.bob.pk, "name": "Bob Tester"}
    assert body["group"] == {"id": str(cast.thursday.id), "name": "Thursday Group"}
    assert (body["request"], body["recorded_request"], body["detected_request"]) == (
        "explicit",
        "explicit",
        "explicit",
    )
    assert body["detection"]["matches"][0]["rule"] == "explicit.dont-tell"
    assert body["detection"]["matches"][0]["text"] in SUMMARY
    assert body["content_sha256"] == contact.content_sha256
    assert body["locked"] is False and body["reminded_agreement"] is True
    guidance = body["guidance"]
    assert guidance["version"] == 1 and guidance["clauses"][0]["number"] >= 1
    assert "no-secrets" in guidance["script"] and guidance["warnings"] == []
    assert [e.member_id for e in entries("contact.create")] == [cast.mia.id]


def test_a_contact_logged_without_a_request_is_unanswered_until_the_writer_answers_it(
    cast: Cast,
) -> None:
    body = contact_body(cast)
    del body["request"]
    auth = bearer(cast, cast.bob)
    response = call("post", "/contacts", auth, body)
    assert response.status_code == 201, response.content
    created = response.json()
    contact = Contact.objects.get()
    # Never the detector's guess: the entry says nobody answered, the suggestion is beside it.
    assert (created["request"], created["recorded_request"], created["detected_request"]) == (
        "unanswered",
        "unanswered",
        "explicit",
    )
    assert contact.request == "unanswered"
    assert contact.detection_record == detect(SUMMARY).as_record()
    assert created["detection"]["model"] == contact.detection_record["model"]
    # The guidance follows the suggestion until then (as the contact form does).
    assert created["guidance"]["request"] == "explicit"
    [entry] = entries("contact.create")
    assert json.loads(bytes(entry.leaf))["detail"]["request"] == "unanswered"
    answered = call("patch", f"/contacts/{contact.id}", auth, {"request": "implied"})
    assert answered.status_code == 200, answered.content
    assert (answered.json()["request"], answered.json()["detected_request"]) == (
        "implied",
        "explicit",
    )
    contact.refresh_from_db()
    assert contact.request == "implied"
    assert contact.content_sha256 == actions.content_sha256(contact, [cast.mia.id])


def test_after_the_lock_an_amendment_answers_an_unanswered_request(cast: Cast) -> None:
    contact = log(cast, request="unanswered")
    auth = bearer(cast, cast.carol)
    url = f"/contacts/{contact.id}/amendments"
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=25)):
        refused = call("post", url, auth, {"text": "No idea yet.", "request": "unanswered"})
        assert refused.status_code == 400 and "request" in refused.json()["errors"]
        amended = call("post", url, auth, {"text": "She asked me not to.", "request": "explicit"})
        assert amended.status_code == 201, amended.content
        body = call("get", f"/contacts/{contact.id}", auth).json()
    assert (body["request"], body["recorded_request"]) == ("explicit", "unanswered")
    assert body["amendments"][0]["request"] == "explicit"


def test_the_list_filters_by_the_request_as_last_corrected(cast: Cast) -> None:
    now = timezone.now()
    waiting = log(cast, request="unanswered", occurred_at=now - datetime.timedelta(hours=1))
    answered_later = log(cast, request="unanswered", occurred_at=now - datetime.timedelta(hours=2))
    actions.amend_contact(answered_later, acting_user=cast.bob, text="Asked.", request="none")
    explicit = log(cast, occurred_at=now - datetime.timedelta(hours=3))
    auth = bearer(cast, cast.bob)

    def listed(request: str) -> list[str]:
        response = call("get", f"/contacts?request={request}", auth)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert listed("unanswered") == [str(waiting.id)]
    assert listed("none") == [str(answered_later.id)]
    assert listed("explicit") == [str(explicit.id)]
    assert call("get", "/contacts?request=maybe", auth).status_code == 400


def test_a_contact_with_its_promise_and_referral(cast: Cast) -> None:
    body = contact_body(
        cast,
        members=[str(cast.mia.id), str(cast.noah.id)],
        promised_confidentiality=True,
        promise_confirmed=True,
        promise_scope="What they said about the landlord.",
        offered_referral=True,
        referral_to=cast.dave.pk,
        request="none",
        summary="We talked about rent.",
    )
    response = call("post", "/contacts", bearer(cast, cast.alice), body)
    assert response.status_code == 201, response.content
    detail = response.json()
    assert detail["guidance"] is None
    assert {p["member"]["name"] for p in detail["promises"]} == {"Mia Zephyrine", "Noah Zephyrine"}
    assert {r["to_practitioner"]["id"] for r in detail["referrals"]} == {cast.dave.pk}
    assert detail["referrals"][0]["moves"] == ["accepted", "declined"]
    assert Promise.objects.count() == 2 and Referral.objects.count() == 2


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"setting": "telepathy"}, {"setting"}),
        ({"initiated_by": "nobody"}, {"initiated_by"}),
        ({"request": "maybe"}, {"request"}),
        ({"summary": "   "}, {"summary"}),
        ({"summary": "x" * 20_001}, {"summary"}),
        ({"members": []}, {"members"}),
        ({"members": ["not-a-uuid"]}, {"members.0"}),
        ({"occurred_at": "2026-01-01T10:00:00"}, {"occurred_at"}),
        ({"occurred_at": "yesterday"}, {"occurred_at"}),
        ({"follow_up_on": "2026-02-30"}, {"follow_up_on"}),
        ({"colour": "blue"}, {"colour"}),
        ({"promised_confidentiality": True}, {"promise_confirmed", "promise_scope"}),
        ({"promise_scope": "Everything."}, {"promised_confidentiality"}),
        ({"referral_to_name": "Dr. Wren"}, {"offered_referral"}),
        ({"offered_referral": True, "referral_to": 999_999}, {"referral_to"}),
        (
            {"offered_referral": True, "referral_to": "dave", "referral_to_name": "Dr. Wren"},
            {"referral_to_name"},
        ),
    ],
)
def test_bad_contact_input_is_a_400_naming_the_field_and_stores_nothing(
    cast: Cast, change: dict[str, Any], fields: set[str]
) -> None:
    if change.get("referral_to") == "dave":
        change = {**change, "referral_to": cast.dave.pk}
    response = call("post", "/contacts", bearer(cast, cast.bob), contact_body(cast, **change))
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body["errors"]) == fields, body
    assert all(field in body["detail"] for field in fields)
    assert Contact.objects.count() == 0 and Promise.objects.count() == 0
    assert Referral.objects.count() == 0 and not entries("contact.create")


def test_a_contact_in_the_future_or_with_a_member_outside_the_group_is_refused(cast: Cast) -> None:
    later = (timezone.now() + datetime.timedelta(days=1)).isoformat()
    auth = bearer(cast, cast.alice)
    response = call("post", "/contacts", auth, contact_body(cast, occurred_at=later))
    assert response.status_code == 400 and "occurred_at" in response.json()["errors"]
    olga = contact_body(cast, members=[str(cast.mia.id), str(cast.olga.id)])
    response = call("post", "/contacts", auth, olga)
    assert response.status_code == 400 and "Olga" in response.json()["errors"]["members"][0]
    # Bob cannot see olga at all: the same 404 as for a member who does not exist.
    assert call("post", "/contacts", bearer(cast, cast.bob), olga).status_code == 404
    assert Contact.objects.count() == 0


def test_the_list_is_newest_first_paginated_filtered_and_audited_once_per_call(
    cast: Cast,
) -> None:
    now = timezone.now()
    for hours in range(5):
        log(cast, occurred_at=now - datetime.timedelta(hours=hours + 1), summary=f"Note {hours}.")
    log(cast, members=[cast.noah], occurred_at=now - datetime.timedelta(days=2), request="none")
    log(cast, group=cast.monday, members=[cast.olga], acting_user=cast.carol)
    auth = bearer(cast, cast.alice)
    page = call("get", "/contacts?limit=3&offset=1", auth).json()
    assert (page["count"], page["limit"], page["offset"]) == (7, 3, 1)
    when = [item["occurred_at"] for item in page["items"]]
    assert when == sorted(when, reverse=True) and len(when) == 3
    item = page["items"][0]
    assert item["summary"] == "Note 0." and item["locked"] is False
    assert {"locks_at", "follow_up_on", "setting", "initiated_by"} <= set(item)
    assert "others_present" not in item and "guidance" not in item
    noah = call("get", f"/contacts?member={cast.noah.id}", auth).json()
    assert noah["count"] == 1 and noah["items"][0]["request"] == "none"
    monday = call("get", f"/contacts?group={cast.monday.id}", auth).json()
    assert [i["members"][0]["name"] for i in monday["items"]] == ["Olga Zephyrine"]
    listed = entries("contact.list")
    assert len(listed) == 3
    assert listed[1].member_id == cast.noah.id and listed[0].member_id is None
    bad = call("get", "/contacts?limit=0&member=nope", auth)
    assert bad.status_code == 400 and {"limit", "member"} <= set(bad.json()["errors"])


def test_the_list_takes_a_fixed_number_of_queries(
    cast: Cast, django_assert_max_num_queries: Any
) -> None:
    for n in range(10):
        contact = log(
            cast,
            members=[cast.mia, cast.noah] if n % 2 else [cast.mia],
            occurred_at=timezone.now() - datetime.timedelta(hours=n + 1),
        )
        actions.amend_contact(contact, acting_user=cast.carol, text="Later.", request="implied")
    auth = bearer(cast, cast.bob)
    # Token, member, count, page, members, amendments, and the audit entry: not one per row.
    with django_assert_max_num_queries(12):
        response = call("get", f"/contacts?member={cast.mia.id}", auth)
    assert response.json()["count"] == 10
    assert {i["request"] for i in response.json()["items"]} == {"implied"}


def test_reading_a_contact_is_audited(cast: Cast, records: Any) -> None:
    contact, promise, referral = records
    actions.amend_contact(contact, acting_user=cast.carol, text="Corrected.", request="implied")
    response = call("get", f"/contacts/{contact.id}", bearer(cast, cast.carol))
    assert response.status_code == 200
    body = response.json()
    assert (body["request"], body["recorded_request"]) == ("implied", "explicit")
    assert body["amendments"][0]["author"]["name"] == "Carol Tester"
    assert body["amendments"][0]["request"] == "implied"
    assert [p["id"] for p in body["promises"]] == [str(promise.id)]
    assert body["promises"][0]["scope"] == "Her sister's illness."
    assert [r["recipient"] for r in body["referrals"]] == ["Dr. Wren"]
    assert body["guidance"]["request"] == "implied"
    [entry] = entries("contact.view")
    assert entry.object_id == str(contact.id) and entry.actor_user_id == cast.carol.pk


def test_the_writer_edits_within_24_hours(cast: Cast, records: Any) -> None:
    contact, _, _ = records
    auth = bearer(cast, cast.bob)
    response = call(
        "patch", f"/contacts/{contact.id}", auth, {"summary": "We talked.", "request": "none"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["detected_request"] == "none"
    assert response.json()["edited_at"] is not None
    contact.refresh_from_db()
    [edit] = entries("contact.edit")
    assert contact.summary == "We talked."
    assert sorted(json.loads(bytes(edit.leaf))["fields"]) == ["request", "summary"]
    carol = call("patch", f"/contacts/{contact.id}", bearer(cast, cast.carol), {"summary": "Hm."})
    assert carol.status_code == 400 and "Only the facilitator" in carol.json()["detail"]
    for change, field in [
        ({"summary": None}, "summary"),
        ({"setting": "telepathy"}, "setting"),
        ({"members": [str(cast.noah.id)]}, "members"),
        ({"promised_confidentiality": False}, "promised_confidentiality"),
    ]:
        response = call("patch", f"/contacts/{contact.id}", auth, change)
        assert response.status_code == 400, (change, response.content)
        assert field in response.json()["errors"], response.json()
    contact.refresh_from_db()
    assert contact.summary == "We talked." and len(entries("contact.edit")) == 1


def test_a_locked_entry_is_a_409_and_takes_amendments(cast: Cast, records: Any) -> None:
    contact, _, _ = records
    auth = bearer(cast, cast.bob)
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=24, seconds=1)):
        response = call("patch", f"/contacts/{contact.id}", auth, {"summary": "Rewritten."})
        assert response.status_code == 409
        assert "amendment" in response.json()["detail"]
        assert call("get", f"/contacts/{contact.id}", auth).json()["locked"] is True
        amended = call(
            "post",
            f"/contacts/{contact.id}/amendments",
            auth,
            {"text": "She said later it was fine.", "request": "none"},
        )
    assert amended.status_code == 201, amended.content
    assert amended.json()["request"] == "none" and amended.json()["contact"] == str(contact.id)
    contact.refresh_from_db()
    assert contact.summary == SUMMARY and not entries("contact.edit")
    assert Amendment.objects.get().content_sha256 == amended.json()["content_sha256"]
    assert call("get", f"/contacts/{contact.id}", auth).json()["request"] == "none"


def test_bad_amendments_are_400s(cast: Cast, records: Any) -> None:
    contact, _, _ = records
    auth = bearer(cast, cast.bob)
    for body, field in [({"text": " "}, "text"), ({"text": "x", "request": "maybe"}, "request")]:
        response = call("post", f"/contacts/{contact.id}/amendments", auth, body)
        assert response.status_code == 400 and field in response.json()["errors"]
    assert Amendment.objects.count() == 0


# --- Promises ----------------------------------------------------------------------------


def test_promises_are_listed_and_closed(cast: Cast, records: Any) -> None:
    _, promise, _ = records
    auth = bearer(cast, cast.carol)
    open_ = call("get", "/promises?status=open", auth).json()
    assert [p["id"] for p in open_["items"]] == [str(promise.id)]
    assert open_["items"][0]["group"]["name"] == "Thursday Group"
    assert open_["items"][0]["made_by"]["id"] == cast.bob.pk
    path = f"/promises/{promise.id}/close"
    for body, field in [
        ({"status": "released", "note": "ok"}, "note"),
        ({"status": "open", "note": "She raised it herself."}, "status"),
        ({"note": "She raised it herself."}, "status"),
    ]:
        response = call("post", path, auth, body)
        assert response.status_code == 400 and field in response.json()["errors"], body
    assert not entries("promise.close")
    closed = call("post", path, auth, {"status": "withdrawn", "note": "Told her on the phone."})
    assert closed.status_code == 200, closed.content
    assert closed.json()["status"] == "withdrawn"
    assert closed.json()["closed_by"] == {"id": cast.carol.pk, "name": "Carol Tester"}
    assert call("get", "/promises?status=open", auth).json()["count"] == 0
    again = call("post", path, auth, {"status": "released", "note": "Released it today."})
    assert again.status_code == 400 and "already closed" in again.json()["detail"]
    assert call("get", "/promises?status=closed", auth).status_code == 400
    assert [e.action for e in entries("promise.list")] == ["promise.list"] * 2


# --- Referrals ---------------------------------------------------------------------------


def test_offering_a_referral(cast: Cast, records: Any) -> None:
    contact, _, _ = records
    auth = bearer(cast, cast.bob)
    body = {
        "member": str(cast.mia.id),
        "reason": "A space of her own.",
        "contact": str(contact.id),
        "to_practitioner": cast.dave.pk,
        "offered_on": str(timezone.localdate() - datetime.timedelta(days=1)),
    }
    response = call("post", "/referrals", auth, body)
    assert response.status_code == 201, response.content
    out = response.json()
    assert out["to_practitioner"] == {"id": cast.dave.pk, "name": "Dave Tester"}
    assert out["contact"] == str(contact.id) and out["status"] == "offered"
    assert Referral.objects.count() == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reason": " "}, "reason"),
        ({"to_practitioner": 999_999}, "to_practitioner"),
        ({"to_practitioner": "oscar"}, "to_practitioner"),
        ({"to_practitioner": "dave", "to_name": "Dr. Wren"}, "to_name"),
        ({"offered_on": "2999-01-01"}, "offered_on"),
        ({"contact": "noah's"}, "contact"),
        ({"member": "nope"}, "member"),
    ],
)
def test_bad_referral_input_is_a_400_naming_the_field(
    cast: Cast, records: Any, change: dict[str, Any], field: str
) -> None:
    contact, _, _ = records
    names = {"oscar": cast.oscar.pk, "dave": cast.dave.pk}
    change = {k: names.get(v, v) if isinstance(v, str) else v for k, v in change.items()}
    body: dict[str, Any] = {"member": str(cast.mia.id), "reason": "A space."}
    if change.get("contact") == "noah's":
        noahs = log(cast, members=[cast.noah])
        change = {"contact": str(noahs.id)}
    response = call("post", "/referrals", bearer(cast, cast.bob), {**body, **change})
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()
    assert Referral.objects.count() == 1


def test_referrals_are_listed_and_moved_on(cast: Cast, records: Any) -> None:
    _, _, referral = records
    old = actions.offer_referral(
        member=cast.noah,
        acting_user=cast.bob,
        reason="A space.",
        offered_on=timezone.localdate() - datetime.timedelta(days=20),
    )
    auth = bearer(cast, cast.bob)
    awaiting = call("get", "/referrals?awaiting=true", auth).json()
    assert [r["id"] for r in awaiting["items"]] == [str(old.id)]
    mine = call("get", f"/referrals?member={cast.mia.id}&status=offered", auth).json()
    assert [r["id"] for r in mine["items"]] == [str(referral.id)]
    assert call("get", "/referrals?status=lost", auth).status_code == 400
    path = f"/referrals/{referral.id}"
    assert call("patch", path, auth, {"status": "finished"}).status_code == 400
    wrong = call("patch", path, auth, {"status": "completed"})
    assert wrong.status_code == 400 and "status" in wrong.json()["errors"]
    moved = call("patch", path, auth, {"status": "accepted", "to_practitioner": cast.dave.pk})
    assert moved.status_code == 200, moved.content
    assert moved.json()["status"] == "accepted" and moved.json()["accepted_on"]
    assert moved.json()["recipient"] == "Dave Tester" and moved.json()["to_name"] == ""
    assert call("patch", path, auth, {"to_practitioner": 999_999}).status_code == 400
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED and referral.to_practitioner == cast.dave
    assert len(entries("referral.update")) == 1
    assert len(entries("referral.list")) == 2


# --- Timeline ----------------------------------------------------------------------------


def test_the_timeline_of_a_member_is_audited(cast: Cast, records: Any) -> None:
    contact, promise, referral = records
    response = call("get", f"/members/{cast.mia.id}/timeline", bearer(cast, cast.bob))
    assert response.status_code == 200
    body = response.json()
    assert body["member"] == {"id": str(cast.mia.id), "name": "Mia Zephyrine"}
    kinds = {i["kind"] for i in body["items"]}
    assert kinds == {"contact", "promise", "referral"}
    contact_item = next(i for i in body["items"] if i["kind"] == "contact")
    assert contact_item["contact"] == str(contact.id) and contact_item["body"] == SUMMARY
    assert "Explicit request" in contact_item["badges"]
    referral_item = next(i for i in body["items"] if i["kind"] == "referral")
    assert referral_item["referral"] == str(referral.id) and referral_item["date_only"]
    [entry] = entries("member.view")
    assert entry.member_id == cast.mia.id


# --- Schema ------------------------------------------------------------------------------


def test_the_openapi_schema_lists_the_contacts_endpoints(client: Client) -> None:
    paths = client.get(API + "/openapi.json").json()["paths"]
    for path in (
        "/contacts/detect",
        "/contacts",
        "/contacts/{contact_id}",
        "/contacts/{contact_id}/amendments",
        "/promises",
        "/promises/{promise_id}/close",
        "/referrals",
        "/referrals/{referral_id}",
        "/members/{member_id}/timeline",
    ):
        assert "/api/v1" + path in paths, path
    assert "409" in paths["/api/v1/contacts/{contact_id}"]["patch"]["responses"]


def test_the_schema_choices_are_the_models_choices() -> None:
    assert typing.get_args(s.SettingValue) == tuple(Setting.values)
    assert typing.get_args(s.InitiatorValue) == tuple(Initiator.values)
    assert typing.get_args(s.RequestValue) == tuple(Request.values)
    assert typing.get_args(s.AnswerValue) == tuple(value for value, _ in ANSWERS)
    assert typing.get_args(s.PromiseStatusValue) == tuple(PromiseStatus.values)
    assert typing.get_args(s.ReferralStatusValue) == tuple(ReferralStatus.values)

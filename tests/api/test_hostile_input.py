"""What schemathesis found (tests/security/test_schemathesis.py), one known answer each: odd
input is a declared 4xx naming the field, never a 500 or a silent success."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from groupguard.accounts.actions import issue_api_token
from groupguard.practice.models import GroupSession
from tests.api.test_api import API, bearer, call
from tests.conftest import Cast


def token_client(cast: Cast) -> Client:
    _, raw = issue_api_token(cast.bob, name="test", acting_user=cast.bob)
    return Client(headers={"Authorization": f"Bearer {raw}"})


def errors(response) -> set[str]:
    """The fields a 400 names."""
    assert response.status_code == 400, response.content
    return set(response.json()["errors"])


def test_a_null_in_a_partial_update_is_a_400_naming_the_field(cast: Cast) -> None:
    token = bearer(cast, cast.bob)
    assert "email" in errors(call("patch", f"/members/{cast.mia.id}", token, {"email": None}))
    group = call("patch", f"/groups/{cast.thursday.id}", token, {"part2_program": None})
    assert "part2_program" in errors(group)
    # Where null means something, it still works: it clears the date of birth.
    cleared = call("patch", f"/members/{cast.mia.id}", token, {"date_of_birth": None})
    assert cleared.status_code == 200 and cleared.json()["date_of_birth"] is None


@pytest.mark.parametrize("body", [True, 5, "x", [], None])
def test_a_body_that_is_not_an_object_is_a_400(cast: Cast, body: object) -> None:
    client = token_client(cast)
    response = client.patch(
        f"{API}/groups/{cast.thursday.id}", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400


def test_a_page_offset_past_64_bits_is_a_400(cast: Cast) -> None:
    token = bearer(cast, cast.bob)
    for path in ("/contacts", "/promises", "/referrals"):
        assert "offset" in errors(call("get", f"{path}?offset={2**70}", token))


@pytest.mark.parametrize(
    "starts_at",
    ["0001-01-01T00:00:00Z", "9999-12-31T23:00:00-05:00", "2026-12-01T18:00:00", 0, "0.0"],
)
def test_moments_out_of_range_naive_or_not_text_are_400s(cast: Cast, starts_at: object) -> None:
    response = call(
        "post",
        f"/groups/{cast.thursday.id}/sessions",
        bearer(cast, cast.bob),
        {"starts_at": starts_at},
    )
    assert "starts_at" in errors(response)


def test_an_offset_postgresql_refuses_is_kept_as_the_same_instant_in_utc(cast: Cast) -> None:
    body = {"starts_at": "2027-10-13T12:17:00-23:26"}
    response = call("post", f"/groups/{cast.thursday.id}/sessions", bearer(cast, cast.bob), body)
    assert response.status_code == 201, response.content
    session = GroupSession.objects.get(pk=response.json()["id"])
    assert session.starts_at.isoformat() == "2027-10-14T11:43:00+00:00"


@pytest.mark.parametrize("day", ["0.0", "20260101", "0001-01-01", "2026-13-01"])
def test_days_must_be_iso_and_within_the_years_records_cover(cast: Cast, day: str) -> None:
    path = f"/members/{cast.mia.id}/accounting?start={day}"
    assert "start" in errors(call("get", path, bearer(cast, cast.bob)))


@pytest.mark.parametrize("text", ["nul \x00 inside", "lone \ud800 surrogate"])
def test_strings_the_records_cannot_keep_are_400s(cast: Cast, text: str) -> None:
    body = json.dumps({"text": text}, ensure_ascii=True)
    client = token_client(cast)
    response = client.post(f"{API}/contacts/detect", body, content_type="application/json")
    assert response.status_code == 400


def test_huge_ids_are_400s_not_overflows(cast: Cast) -> None:
    token = bearer(cast, cast.bob)
    role = {"practitioner_id": 2**64, "kind": "other", "starts_on": "2026-01-01"}
    assert "practitioner_id" in errors(call("post", f"/members/{cast.mia.id}/roles", token, role))
    version = call("get", f"/groups/{cast.thursday.id}/agreement/versions/{2**40}", token)
    assert version.status_code == 400


def test_a_session_cookie_without_a_session_is_a_401_not_a_csrf_403(cast: Cast) -> None:
    client = Client(enforce_csrf_checks=True)
    client.cookies["sessionid"] = "made-up"
    assert client.patch(f"{API}/groups/{cast.thursday.id}", {}).status_code == 401


def test_every_operation_declares_the_errors_it_can_answer(client: Client) -> None:
    document = client.get(f"{API}/openapi.json").json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            declared = set(operation["responses"])
            assert {"401", "403", "404"} <= declared, (method, path)
            if operation.get("parameters") or operation.get("requestBody"):
                assert "400" in declared, (method, path)

from __future__ import annotations

import datetime
import json
import re
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from groupguard.accounts.actions import issue_api_token, revoke_api_token
from groupguard.audit.models import AuditEntry
from groupguard.practice.models import Group, Member
from tests.conftest import Cast
from tests.support import mfa_login, next_evening

API = "/api/v1"


def bearer(cast: Cast, user) -> dict[str, str]:
    _, raw = issue_api_token(user, name="test", acting_user=user)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def call(method: str, path: str, headers: dict[str, str], body: object = None):
    client = Client()
    kwargs = (
        {"content_type": "application/json", "data": json.dumps(body)} if body is not None else {}
    )
    return getattr(client, method)(API + path, **kwargs, **headers)


def endpoints(cast: Cast) -> list[tuple[str, str, object]]:
    """Every operation, aimed at Thursday Group (bob's) and its member mia."""
    return [
        ("get", "/me", None),
        ("get", "/practice", None),
        ("get", "/staff", None),
        ("get", "/groups", None),
        ("get", f"/groups/{cast.thursday.id}", None),
        ("patch", f"/groups/{cast.thursday.id}", {"schedule": "Thursdays"}),
        (
            "post",
            f"/groups/{cast.thursday.id}/enrollments",
            {"member_id": str(cast.mia.id), "joined_on": "2026-01-01"},
        ),
        ("get", f"/groups/{cast.thursday.id}/sessions", None),
        ("post", f"/groups/{cast.thursday.id}/sessions", {"starts_at": "2026-12-01T18:00:00Z"}),
        ("get", f"/sessions/{cast.session.id}", None),
        ("put", f"/sessions/{cast.session.id}/attendance/{cast.mia.id}", {"status": "attended"}),
        ("get", "/members", None),
        (
            "post",
            "/members",
            {"given_name": "A", "family_name": "B", "group_id": str(cast.thursday.id)},
        ),
        ("get", f"/members/{cast.mia.id}", None),
        ("patch", f"/members/{cast.mia.id}", {"phone": "1"}),
        (
            "post",
            f"/members/{cast.mia.id}/roles",
            {"practitioner_id": cast.bob.pk, "kind": "other", "starts_on": "2026-01-01"},
        ),
        ("post", "/groups", {"name": "N", "modality": "therapy", "lead_user_id": cast.bob.pk}),
    ]


def operations(client: Client) -> list[tuple[str, str]]:
    """Every operation the API serves, read from its OpenAPI document (not a hand-kept list),
    path parameters filled with ids that match nothing."""
    schema = client.get(API + "/openapi.json").json()
    found = []
    for template, item in schema["paths"].items():
        path = re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), template)
        found += [
            (method, path.removeprefix("/api/v1")) for method in item if method != "parameters"
        ]
    return found


def test_every_operation_refuses_a_call_without_a_valid_token(cast: Cast) -> None:
    # Whatever the operation, the body or the id: no token or a forged one is a 401, before
    # anything is looked up or written.
    before = AuditEntry.objects.count()
    found = operations(Client())
    assert len(found) >= 40  # every router's operations, not only this file's
    for method, path in found:
        if path == "/healthz":
            continue
        body: dict[str, object] | None = None if method in ("get", "delete") else {}
        assert call(method, path, {}, body).status_code == 401, (method, path)
        forged = {"HTTP_AUTHORIZATION": "Bearer gg_forged"}
        assert call(method, path, forged, body).status_code == 401, (method, path)
    assert AuditEntry.objects.count() == before


def test_a_revoked_token_is_refused(cast: Cast) -> None:
    token, raw = issue_api_token(cast.bob, name="x", acting_user=cast.bob)
    revoke_api_token(token, acting_user=cast.bob)
    assert call("get", "/me", {"HTTP_AUTHORIZATION": f"Bearer {raw}"}).status_code == 401


def test_an_expired_token_is_refused(cast: Cast, time_machine) -> None:
    _, raw = issue_api_token(cast.bob, name="x", expires_in_days=1, acting_user=cast.bob)
    time_machine.move_to(timezone.now() + datetime.timedelta(days=2))
    assert call("get", "/me", {"HTTP_AUTHORIZATION": f"Bearer {raw}"}).status_code == 401


def test_other_practices_and_other_groups_get_404(cast: Cast) -> None:
    outsider = bearer(cast, cast.oscar)
    other_clinician = bearer(cast, cast.dave)
    for method, path, body in endpoints(cast):
        if path in ("/me", "/groups", "/members", "/practice", "/staff"):
            continue
        if path == "/groups":
            continue
        expected = {404}
        assert call(method, path, outsider, body).status_code in expected, ("oscar", method, path)
        assert call(method, path, other_clinician, body).status_code in expected, (
            "dave",
            method,
            path,
        )


def test_lists_hold_only_what_the_user_may_see(cast: Cast) -> None:
    groups = call("get", "/groups", bearer(cast, cast.bob)).json()
    assert [g["name"] for g in groups] == ["Thursday Group"]
    members = call("get", "/members", bearer(cast, cast.bob)).json()
    assert {m["name"] for m in members} == {"Mia Zephyrine", "Noah Zephyrine"}
    assert call("get", "/members", bearer(cast, cast.oscar)).json()[0]["name"] == "Sam Zephyrine"


def test_only_admins_create_groups(cast: Cast) -> None:
    body = {"name": "New", "modality": "therapy", "lead_user_id": cast.bob.pk}
    assert call("post", "/groups", bearer(cast, cast.bob), body).status_code == 404
    assert not Group.objects.filter(name="New").exists()
    response = call("post", "/groups", bearer(cast, cast.alice), body)
    assert response.status_code == 201
    assert response.json()["facilitators"][0]["user_id"] == cast.bob.pk


@pytest.mark.parametrize(
    "method,path,body,field",
    [
        ("post", "/members", {"given_name": "", "family_name": "B"}, "given_name"),
        ("post", "/members", {"family_name": "B"}, "given_name"),
        (
            "post",
            "/members",
            {"given_name": "A", "family_name": "B", "date_of_birth": "not-a-date"},
            "date_of_birth",
        ),
        (
            "post",
            "/members",
            {"given_name": "A", "family_name": "B", "is_minor": True},
            "guardian_name",
        ),
        ("post", "/groups", {"name": "N", "modality": "yoga", "lead_user_id": 1}, "modality"),
        (
            "post",
            "/groups",
            {"name": "N", "modality": "therapy", "lead_user_id": 999999},
            "lead_user_id",
        ),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    cast: Cast, method: str, path: str, body: dict[str, object], field: str
) -> None:
    before = Member.objects.count()
    response = call(method, path, bearer(cast, cast.alice), body)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()
    assert field in response.json()["detail"]
    assert Member.objects.count() == before


def test_attendance_through_the_api(cast: Cast) -> None:
    auth = bearer(cast, cast.bob)
    path = f"/sessions/{cast.session.id}/attendance/{cast.mia.id}"
    assert call("put", path, auth, {"status": "late"}).json()["status"] == "late"
    assert call("put", path, auth, {"status": "nope"}).status_code == 400
    session = call("get", f"/sessions/{cast.session.id}", auth).json()
    assert {
        "member_id": str(cast.mia.id),
        "name": "Mia Zephyrine",
        "status": "late",
        "consent": "signed",
    } in session["attendance"]
    outside = f"/sessions/{cast.session.id}/attendance/{cast.olga.id}"
    assert call("put", outside, auth, {"status": "late"}).status_code == 404


def test_a_clinician_adds_members_to_their_own_group_only(cast: Cast) -> None:
    auth = bearer(cast, cast.bob)
    assert (
        call("post", "/members", auth, {"given_name": "A", "family_name": "B"}).status_code == 400
    )
    assert (
        call(
            "post",
            "/members",
            auth,
            {"given_name": "A", "family_name": "B", "group_id": str(cast.monday.id)},
        ).status_code
        == 404
    )
    created = call(
        "post",
        "/members",
        auth,
        {"given_name": "A", "family_name": "B", "group_id": str(cast.thursday.id)},
    )
    assert created.status_code == 201
    assert call("get", f"/members/{created.json()['id']}", auth).status_code == 200


def test_unknown_ids_are_404(cast: Cast) -> None:
    auth = bearer(cast, cast.alice)
    assert call("get", f"/members/{uuid.uuid4()}", auth).status_code == 404
    assert call("get", f"/groups/{uuid.uuid4()}", auth).status_code == 404


def test_session_auth_needs_csrf_for_writes(cast: Cast) -> None:
    client = Client(enforce_csrf_checks=True)
    mfa_login(client, cast.bob)
    assert client.get(API + "/me").status_code == 200
    response = client.patch(
        API + f"/groups/{cast.thursday.id}",
        data=json.dumps({"schedule": "x"}),
        content_type="application/json",
    )
    assert response.status_code in (401, 403)


def test_openapi_is_served(client) -> None:
    schema = client.get(API + "/openapi.json").json()
    assert schema["info"]["title"] == "groupguard API"
    assert "/api/v1/members" in schema["paths"]


def test_staff_and_practice_belong_to_the_callers_practice(cast: Cast) -> None:
    staff = call("get", "/staff", bearer(cast, cast.oscar)).json()
    assert [s["username"] for s in staff] == ["oscar"]
    assert call("get", "/practice", bearer(cast, cast.bob)).json()["slug"] == "north"


def test_a_token_call_has_the_practices_today_not_the_servers(cast: Cast, time_machine) -> None:
    # The next 19:00 where the practice is (Los Angeles): UTC, the server's zone, is already
    # on the next day. Only forward, so everything the cast made stays in the past.
    evening = next_evening(cast.north.tz)
    time_machine.move_to(evening, tick=False)
    today = evening.date()
    assert cast.north.today() == today and timezone.now().date() == today + datetime.timedelta(1)
    from groupguard.practice import actions

    later = Member.objects.create(practice=cast.north, given_name="Tess", family_name="Later")
    tomorrow = today + datetime.timedelta(days=1)
    actions.enroll_member(cast.thursday, later, joined_on=tomorrow, acting_user=None)
    auth = bearer(cast, cast.bob)
    members = call("get", f"/groups/{cast.thursday.id}", auth).json()["members"]
    assert str(later.id) not in {m["member_id"] for m in members}  # joins tomorrow
    assert str(cast.mia.id) in {m["member_id"] for m in members}

    created = call(
        "post",
        "/members",
        auth,
        {"given_name": "Ada", "family_name": "Evening", "group_id": str(cast.thursday.id)},
    )
    assert created.status_code == 201
    member = Member.objects.get(pk=created.json()["id"])
    assert member.enrollments.get().joined_on == today
    # The zone was the request's only: this thread is back on the server's.
    assert timezone.get_current_timezone_name() == "UTC"

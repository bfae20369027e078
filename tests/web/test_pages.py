from __future__ import annotations

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from groupguard.agreements import actions as agreements
from groupguard.agreements import attendance
from groupguard.audit.models import AuditEntry
from groupguard.practice import actions
from groupguard.practice.models import Group, Member
from tests.conftest import Cast
from tests.factories import make_member


def grow(cast: Cast, extra: int) -> None:
    """More members, roles, sessions and attendance in Thursday Group."""
    joined = timezone.localdate() - datetime.timedelta(days=30)
    for i in range(extra):
        member = make_member(cast.north, f"Extra{i}")
        actions.enroll_member(cast.thursday, member, joined_on=joined, acting_user=None)
        actions.record_role(
            practitioner=cast.bob,
            member=member,
            kind="individual_therapist",
            starts_on=joined,
            acting_user=None,
        )
        agreements.record_signature(
            cast.thursday,
            member,
            typed_name=member.full_name,
            method="in_person",
            acting_user=cast.bob,
        )
        attendance.record_attendance(cast.session, member, status="attended", acting_user=cast.bob)
        actions.schedule_session(
            cast.thursday,
            starts_at=timezone.now() + datetime.timedelta(days=i + 1),
            acting_user=cast.bob,
        )


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(ctx.captured_queries)


@pytest.mark.parametrize("page", ["dashboard", "group", "member", "session", "members"])
def test_query_counts_do_not_grow_with_rows(cast: Cast, page: str) -> None:
    client = cast.client_for(cast.bob)
    url = {
        "dashboard": reverse("dashboard"),
        "group": reverse("group_detail", args=[cast.thursday.id]),
        "member": reverse("member_detail", args=[cast.mia.id]),
        "session": reverse("session_detail", args=[cast.session.id]),
        "members": reverse("member_list"),
    }[page]
    # A second role of Bob's with Mia, as the grown rows have: the dashboard's reminders
    # (and the audit entry that records showing them) are there at both sizes.
    actions.record_role(
        practitioner=cast.bob,
        member=cast.mia,
        kind="individual_therapist",
        starts_on=cast.north.today(),  # the page's "today" is the practice's
        acting_user=None,
    )
    count_queries(client, url)  # warm caches (content types, session)
    small = count_queries(client, url)
    grow(cast, 12)
    large = count_queries(client, url)
    assert small == large


def test_the_dashboard_lists_the_clinicians_groups_only(cast: Cast) -> None:
    html = cast.client_for(cast.bob).get(reverse("dashboard")).content.decode()
    assert "Thursday Group" in html
    assert "Monday Group" not in html


def test_the_group_page_flags_a_dual_role(cast: Cast) -> None:
    actions.record_role(
        practitioner=cast.bob,
        member=cast.mia,
        kind="individual_therapist",
        starts_on=cast.north.today(),  # the page's "today" is the practice's
        acting_user=cast.bob,
    )
    html = (
        cast.client_for(cast.carol)
        .get(reverse("group_detail", args=[cast.thursday.id]))
        .content.decode()
    )
    assert "Dual role" in html
    assert "Also individual therapist" in html
    assert "Group facilitator only" in html  # carol's role with mia, and both with noah


def test_reading_a_member_page_is_audited(cast: Cast) -> None:
    cast.client_for(cast.bob).get(reverse("member_detail", args=[cast.mia.id]))
    entry = AuditEntry.objects.filter(action="member.view").last()
    assert (
        entry is not None and entry.member_id == cast.mia.id and entry.actor_user_id == cast.bob.pk
    )


@pytest.mark.parametrize(
    "name,args",
    [
        ("group_detail", "monday"),
        ("group_edit", "monday"),
        ("member_detail", "olga"),
        ("member_edit", "olga"),
    ],
)
def test_a_clinician_gets_404_outside_their_groups(cast: Cast, name: str, args: str) -> None:
    obj = getattr(cast, args)
    assert cast.client_for(cast.bob).get(reverse(name, args=[obj.id])).status_code == 404
    assert cast.client_for(cast.oscar).get(reverse(name, args=[obj.id])).status_code == 404


def test_anonymous_users_are_sent_to_login(client, cast: Cast) -> None:
    response = client.get(reverse("group_detail", args=[cast.thursday.id]))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_only_admins_create_groups(cast: Cast) -> None:
    form = {
        "name": "Wednesday",
        "modality": "therapy",
        "membership": "closed",
        "status": "forming",
        "lead": cast.dave.pk,
    }
    bob = cast.client_for(cast.bob)
    assert bob.get(reverse("group_create")).status_code == 404
    assert bob.post(reverse("group_create"), form).status_code == 404
    assert not Group.objects.filter(name="Wednesday").exists()
    response = cast.client_for(cast.alice).post(reverse("group_create"), form)
    assert response.status_code == 302
    created = Group.objects.get(name="Wednesday")
    assert response["Location"] == reverse("group_detail", args=[created.id])
    assert list(created.facilitator_links.values_list("user", "role")) == [(cast.dave.pk, "lead")]


def test_a_form_error_names_the_field_and_saves_nothing(cast: Cast) -> None:
    before = Member.objects.count()
    response = cast.client_for(cast.alice).post(
        reverse("member_create"), {"given_name": "", "family_name": "Q", "is_minor": "on"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "This field is required" in html
    # The error sits with the field it names, which says it is invalid.
    assert 'name="given_name"' in html and 'aria-invalid="true"' in html
    assert Member.objects.count() == before


def test_attendance_can_be_recorded_through_htmx(cast: Cast) -> None:
    client = cast.client_for(cast.bob)
    url = reverse("attendance_set", args=[cast.session.id, cast.mia.id])
    response = client.post(url, {"status": "late"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'aria-pressed="true">Late' in response.content.decode()
    bad = client.post(url, {"status": "nonsense"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 400 and "Choose one of" in bad.content.decode()


def test_pages_are_never_cached(cast: Cast) -> None:
    response = cast.client_for(cast.bob).get(reverse("dashboard"))
    assert response["Cache-Control"] == "no-store"


def test_login_and_logout_are_audited(client, cast: Cast) -> None:
    from tests.factories import PASSWORD

    assert (
        client.post(reverse("login"), {"username": "bob", "password": "wrong"}).status_code == 200
    )
    assert (
        client.post(reverse("login"), {"username": "bob", "password": PASSWORD}).status_code == 302
    )
    client.post(reverse("logout"))
    actions_seen = list(
        AuditEntry.objects.filter(action__startswith="auth.").values_list("action", flat=True)
    )
    assert actions_seen == ["auth.login_failed", "auth.login", "auth.logout"]


def test_the_enroll_form_loads_on_demand_and_enrolls(cast: Cast) -> None:
    extra = make_member(cast.north, "Newcomer")
    actions.enroll_member(cast.monday, extra, joined_on=cast.north.today(), acting_user=None)
    client = cast.client_for(cast.carol)
    url = reverse("group_enroll", args=[cast.thursday.id])
    fragment = client.get(url + "?fragment=1").content.decode()
    assert "Newcomer Zephyrine" in fragment and "Mia Zephyrine" not in fragment  # mia is in already
    assert "<html" not in fragment
    response = client.post(
        url, {"member": str(extra.id), "joined_on": cast.north.today().isoformat()}
    )
    assert response.status_code == 302
    bad = client.post(url, {"member": "", "joined_on": ""})
    assert bad.status_code == 400


def test_an_idle_session_ends_and_activity_keeps_it_alive(cast: Cast, time_machine) -> None:
    time_machine.move_to(timezone.now(), tick=False)
    client = cast.client_for(cast.bob)
    assert client.get(reverse("dashboard")).status_code == 200
    time_machine.shift(datetime.timedelta(minutes=10))
    assert client.get(reverse("dashboard")).status_code == 200  # activity restarts the timer
    time_machine.shift(datetime.timedelta(minutes=10))
    assert client.get(reverse("dashboard")).status_code == 200
    time_machine.shift(datetime.timedelta(minutes=16))
    assert client.get(reverse("dashboard")).status_code == 302


def test_no_page_repeats_an_element_id(cast: Cast) -> None:
    """A repeated id breaks labels and assistive technology (each row's "Send signing link"
    form once shared its field ids): every id on these pages is used once."""
    import re
    from collections import Counter

    for given in ("Rhea", "Tomas"):  # two members yet to sign: two signing-link forms
        actions.enroll_member(
            cast.thursday,
            make_member(cast.north, given),
            joined_on=cast.north.today(),
            acting_user=cast.alice,
        )
    pages = {
        "dashboard": [],
        "group_detail": [cast.thursday.id],
        "agreement": [cast.thursday.id],
        "session_detail": [cast.session.id],
        "member_list": [],
        "member_detail": [cast.mia.id],
        "contact_create": [],
        "member_disclosures": [cast.mia.id],
    }
    for user in (cast.bob, cast.alice):
        client = cast.client_for(user)
        for name, args in pages.items():
            response = client.get(reverse(name, args=args))
            assert response.status_code == 200, (name, response.status_code)
            ids = Counter(re.findall(r'\sid="([^"]+)"', response.content.decode()))
            assert [i for i, n in ids.items() if n > 1] == [], (user.username, name)


def test_the_member_page_shows_where_they_stand_with_each_groups_agreement(cast: Cast) -> None:
    """Mia signed Thursday Group's agreement; Olga is in Monday Group, which has none."""
    page = cast.client_for(cast.bob).get(reverse("member_detail", args=[cast.mia.id]))
    html = page.content.decode()
    assert "agreement: " in html and '<span class="status consent-signed">Signed</span>' in html
    olga = cast.client_for(cast.carol).get(reverse("member_detail", args=[cast.olga.id]))
    assert "No agreement published" in olga.content.decode()


def test_finding_a_member_by_name(cast: Cast) -> None:
    """Names are sealed at rest: the search opens only the names the user may see."""
    client = cast.client_for(cast.bob)
    html = client.get(reverse("member_list"), {"q": "  mIA "}).content.decode()
    assert "Mia Zephyrine" in html and "Noah" not in html and 'value="mIA"' in html
    none = client.get(reverse("member_list"), {"q": "Olga"}).content.decode()
    assert "No member you can see matches" in none and "Olga Zephyrine" not in none
    entry = AuditEntry.objects.filter(action="member.list").latest("pk")
    assert json.loads(bytes(entry.leaf))["detail"]["count"] == 0  # the search listed nobody


def test_the_operators_admin_is_hidden_from_the_practices_staff(cast: Cast, client) -> None:
    """/admin/ is the site operators' read-only window: a practice admin or clinician gets the
    product's "not found", not the admin's sign-in page refusing them."""
    for user in (cast.alice, cast.bob):
        response = cast.client_for(user).get("/admin/")
        assert response.status_code == 404, user.username
        assert "groupguard administration" not in response.content.decode()
    anonymous = client.get("/admin/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/admin/login/")

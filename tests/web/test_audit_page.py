from __future__ import annotations

from django.urls import reverse

from groupguard.audit.models import AuditEntry
from tests.conftest import Cast
from tests.factories import make_member


def test_only_practice_admins_see_the_audit_log(cast: Cast) -> None:
    assert cast.client_for(cast.bob).get(reverse("audit_log")).status_code == 404
    assert cast.client_for(cast.oscar).get(reverse("audit_log")).status_code == 200
    html = cast.client_for(cast.alice).get(reverse("audit_log")).content.decode()
    assert "member.create" in html
    assert "South Group" not in html


def test_the_audit_log_filters_by_member_user_action_and_dates(cast: Cast) -> None:
    client = cast.client_for(cast.alice)
    client.get(reverse("member_detail", args=[cast.mia.id]))
    response = client.get(
        reverse("audit_log"),
        {
            "member": str(cast.mia.id),
            "user": "alice",
            "action": "member.view",
            "since": "2000-01-01",
        },
    )
    html = response.content.decode()
    assert html.count("<code>member.view</code>") == 1 and html.count("Member viewed") == 1
    assert "Mia Zephyrine" in html
    assert "Entries about <strong>Mia Zephyrine</strong>" in html
    empty = client.get(
        reverse("audit_log"), {"action": "member.view", "until": "2000-01-01"}
    ).content.decode()
    assert "No entries match" in empty


def test_verify_now_reports_an_intact_log_and_is_audited(cast: Cast) -> None:
    response = cast.client_for(cast.alice).post(reverse("audit_verify"), HTTP_HX_REQUEST="true")
    assert "Verified: all" in response.content.decode()
    assert AuditEntry.objects.filter(action="audit.verify", actor_user_id=cast.alice.pk).exists()
    assert cast.client_for(cast.bob).post(reverse("audit_verify")).status_code == 404


def test_the_member_page_links_admins_to_the_member_s_audit_entries(cast: Cast) -> None:
    link = f"{reverse('audit_log')}?member={cast.mia.id}"
    admin = cast.client_for(cast.alice).get(reverse("member_detail", args=[cast.mia.id]))
    assert link in admin.content.decode()
    clinician = cast.client_for(cast.bob).get(reverse("member_detail", args=[cast.mia.id]))
    assert clinician.status_code == 200
    assert link not in clinician.content.decode()


def test_a_bad_member_id_is_named_and_the_page_still_lists_entries(cast: Cast) -> None:
    response = cast.client_for(cast.alice).get(reverse("audit_log"), {"member": "nobody"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter a valid UUID" in html
    assert "member.create" in html


def test_the_audit_page_reads_names_only_of_the_members_it_shows(cast: Cast) -> None:
    # Extra members whose entries are not on the page: their names are not decrypted into it
    # (a list of every member would grow with the practice).
    for n in range(3):
        make_member(cast.north, f"Extra{n}")
    response = cast.client_for(cast.alice).get(reverse("audit_log"), {"action": "auth."})
    html = response.content.decode()
    assert "auth.login" in html
    assert "Extra" not in html


def test_the_unfiltered_audit_page_does_not_count_the_log(cast: Cast) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = cast.client_for(cast.alice)
    client.get(reverse("audit_log"))
    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("audit_log")).content.decode()
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"] and "audit_auditentry" in q["sql"]]
    assert counts == []  # the log's size is kept on the log: no scan of a million rows
    assert "Page 1 of" in html
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("audit_log"), {"action": "member."})
    assert any("COUNT(" in q["sql"] for q in queries)  # a filter still counts its matches


def test_an_unknown_staff_username_is_named(cast: Cast) -> None:
    html = (
        cast.client_for(cast.alice)
        .get(reverse("audit_log"), {"user": "oscar"})  # oscar works at another practice
        .content.decode()
    )
    assert "No staff user &#x27;oscar&#x27; in this practice." in html


def test_entry_times_are_shown_in_the_practice_s_time_zone_and_say_so(cast: Cast) -> None:
    html = cast.client_for(cast.alice).get(reverse("audit_log")).content.decode()
    assert "When (UTC)" not in html  # the times are local to the practice, not UTC
    assert " PST</time>" in html or " PDT</time>" in html  # North is in US-CA

from __future__ import annotations

from django.urls import reverse

from groupguard.audit.models import AuditEntry
from tests.conftest import Cast


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
            "user": str(cast.alice.pk),
            "action": "member.view",
            "since": "2000-01-01",
        },
    )
    html = response.content.decode()
    assert html.count("member.view<br>") == 1
    assert "Mia Zephyrine" in html
    empty = client.get(
        reverse("audit_log"), {"action": "member.view", "until": "2000-01-01"}
    ).content.decode()
    assert "No entries match" in empty


def test_verify_now_reports_an_intact_log_and_is_audited(cast: Cast) -> None:
    response = cast.client_for(cast.alice).post(reverse("audit_verify"), HTTP_HX_REQUEST="true")
    assert "Verified: all" in response.content.decode()
    assert AuditEntry.objects.filter(action="audit.verify", actor_user_id=cast.alice.pk).exists()
    assert cast.client_for(cast.bob).post(reverse("audit_verify")).status_code == 404

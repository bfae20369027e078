"""Emergency access: a clinician opens a member outside their groups with a written reason, for
a limited time, audited with severity high; practice admins review each access."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from groupguard.audit.models import AuditEntry
from groupguard.practice import actions
from groupguard.practice.access import access_member, visible_members
from groupguard.practice.models import BreakGlassGrant
from tests.conftest import Cast

REASON = "Olga called in crisis; Carol is away until Monday."


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("index"))


def test_a_clinician_opens_a_member_outside_their_groups_with_a_reason(cast: Cast) -> None:
    with pytest.raises(Http404):
        access_member(cast.bob, cast.olga.id)
    grant = actions.break_glass(cast.olga, reason=REASON, acting_user=cast.bob)
    assert access_member(cast.bob, cast.olga.id) == cast.olga
    assert set(visible_members(cast.bob)) == {cast.mia, cast.noah, cast.olga}
    lasts = grant.expires_at - grant.created_at
    assert abs(lasts - datetime.timedelta(minutes=60)) < datetime.timedelta(seconds=1)
    [entry] = entries("break_glass.open")
    assert entry.severity == "high" and entry.member_id == cast.olga.id
    assert entry.actor_user_id == cast.bob.pk and entry.object_id == str(grant.pk)
    assert b"Olga called" not in bytes(entry.leaf)  # the reason is a field name only
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason FROM practice_breakglassgrant")
        [(stored,)] = cursor.fetchall()
    assert stored.startswith("gg1:") and "crisis" not in stored
    # Other members of the group stay out of sight, and so does another practice.
    assert set(visible_members(cast.dave)) == set()
    with pytest.raises(Http404):
        access_member(cast.bob, cast.sam.id)


@pytest.mark.parametrize("reason", ["", "Needed urgently.", "   " + "x" * 19 + "   "])
def test_a_reason_under_20_characters_is_refused_and_nothing_is_opened(
    cast: Cast, reason: str
) -> None:
    with pytest.raises(ValidationError, match="20 characters") as refused:
        actions.break_glass(cast.olga, reason=reason, acting_user=cast.bob)
    assert list(refused.value.message_dict) == ["reason"]
    assert not BreakGlassGrant.objects.exists() and not entries("break_glass.open")
    with pytest.raises(Http404):
        access_member(cast.bob, cast.olga.id)


@override_settings(GROUPGUARD_BREAK_GLASS_MINUTES=5)
def test_the_access_ends_after_the_configured_minutes(cast: Cast, time_machine) -> None:
    time_machine.move_to(timezone.now(), tick=False)
    actions.break_glass(cast.olga, reason=REASON, acting_user=cast.bob)
    time_machine.shift(datetime.timedelta(minutes=4, seconds=59))
    assert access_member(cast.bob, cast.olga.id) == cast.olga
    time_machine.shift(datetime.timedelta(seconds=1))
    with pytest.raises(Http404):
        access_member(cast.bob, cast.olga.id)
    # Once it ended, it can be asked for again (and is audited again).
    actions.break_glass(cast.olga, reason=REASON, acting_user=cast.bob)
    assert len(entries("break_glass.open")) == 2


def test_no_grant_for_an_admin_a_member_already_visible_or_another_practice(cast: Cast) -> None:
    with pytest.raises(ValidationError, match="already see every member"):
        actions.break_glass(cast.olga, reason=REASON, acting_user=cast.alice)
    with pytest.raises(ValidationError, match="already see this member"):
        actions.break_glass(cast.mia, reason=REASON, acting_user=cast.bob)
    with pytest.raises(ValidationError, match="your own practice"):
        actions.break_glass(cast.sam, reason=REASON, acting_user=cast.bob)
    assert not BreakGlassGrant.objects.exists()


def test_the_page_opens_the_record_and_shows_nothing_before(cast: Cast) -> None:
    client = cast.client_for(cast.dave)
    url = reverse("break_glass")
    form = client.get(url, {"member": str(cast.olga.id)})
    assert form.status_code == 200 and b"Olga" not in form.content
    short = client.post(url, {"member": str(cast.olga.id), "reason": "Urgent."})
    assert short.status_code == 400 and b"20 characters" in short.content
    assert client.get(reverse("member_detail", args=[cast.olga.id])).status_code == 404
    opened = client.post(url, {"member": str(cast.olga.id), "reason": REASON})
    assert opened.status_code == 302
    assert opened["Location"] == reverse("member_detail", args=[cast.olga.id])
    page = client.get(opened["Location"])
    assert page.status_code == 200 and b"Olga" in page.content
    # Another practice's member, or none at all: the same 404.
    for member_id in (cast.sam.id, "01a21200-0000-7000-8000-000000000000"):
        assert client.post(url, {"member": str(member_id), "reason": REASON}).status_code == 404


def test_admins_review_each_access_and_clinicians_cannot(cast: Cast) -> None:
    grant = actions.break_glass(cast.olga, reason=REASON, acting_user=cast.dave)
    review = reverse("break_glass_review", args=[grant.id])
    for user in (cast.bob, cast.dave, cast.oscar):
        client = cast.client_for(user)
        listing = client.get(reverse("break_glass_list"))
        # Oscar is an admin, of another practice: his list is his practice's, and empty.
        assert listing.status_code == (200 if user == cast.oscar else 404)
        assert b"Carol is away" not in listing.content
        assert client.post(review, {"note": "fine"}).status_code == 404
    admin = cast.client_for(cast.alice)
    listing = admin.get(reverse("break_glass_list"))
    assert listing.status_code == 200
    assert b"Carol is away until Monday" in listing.content and b"Dave Tester" in listing.content
    assert entries("break_glass.list")
    done = admin.post(reverse("break_glass_review", args=[grant.id]), {"note": "Needed."})
    assert done.status_code == 302
    grant.refresh_from_db()
    assert grant.reviewed_by == cast.alice and grant.review_note == "Needed."
    [entry] = entries("break_glass.review")
    assert entry.object_id == str(grant.pk) and entry.member_id == cast.olga.id
    with pytest.raises(ValidationError, match="already reviewed"):
        actions.review_break_glass(grant, acting_user=cast.alice)
    with pytest.raises(ValidationError, match="Only the practice's admins"):
        actions.review_break_glass(grant, acting_user=cast.oscar)


@override_settings(GROUPGUARD_BREAK_GLASS_MINUTES=1)
def test_a_grant_cannot_be_made_permanent_by_enrolling_the_member(cast: Cast, time_machine) -> None:
    """The attack (#15, finding 5): during a one-minute grant carol enrolled the member in her
    own group; after the grant and the enrolment ended, the member's page still opened."""
    time_machine.move_to(timezone.now(), tick=False)
    actions.break_glass(cast.mia, reason=REASON, acting_user=cast.dave)
    wednesday = actions.create_group(
        practice=cast.north,
        name="Wednesday Group",
        modality="support",
        lead=cast.dave,
        status="active",
        acting_user=cast.alice,
    )
    before = entries("enrollment.create")
    with pytest.raises(ValidationError, match="only through emergency access"):
        actions.enroll_member(
            wednesday, cast.mia, joined_on=timezone.localdate(), acting_user=cast.dave
        )
    client = cast.client_for(cast.dave)
    form = client.get(reverse("group_enroll", args=[wednesday.id]), {"fragment": "1"})
    assert form.status_code == 200 and str(cast.mia.id) not in form.content.decode()
    posted = client.post(
        reverse("group_enroll", args=[wednesday.id]),
        {"member": str(cast.mia.id), "joined_on": timezone.localdate().isoformat()},
    )
    assert posted.status_code == 400
    api = client.post(
        f"/api/v1/groups/{wednesday.id}/enrollments",
        {"member_id": str(cast.mia.id), "joined_on": timezone.localdate().isoformat()},
        content_type="application/json",
    )
    assert api.status_code == 400 and "emergency access" in api.content.decode()
    assert entries("enrollment.create") == before
    time_machine.shift(datetime.timedelta(minutes=1))
    with pytest.raises(Http404):
        access_member(cast.dave, cast.mia.id)
    assert client.get(reverse("member_detail", args=[cast.mia.id])).status_code == 404
    # A practice admin may still enrol her there, on the record.
    actions.enroll_member(
        wednesday, cast.mia, joined_on=timezone.localdate(), acting_user=cast.alice
    )
    assert access_member(cast.dave, cast.mia.id) == cast.mia

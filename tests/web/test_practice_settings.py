from __future__ import annotations

from django.urls import reverse

from groupguard.accounts.models import User
from groupguard.audit.models import AuditEntry
from tests.conftest import Cast


def test_only_admins_manage_the_practice_and_staff(cast: Cast) -> None:
    for name, args in [
        ("practice_settings", []),
        ("staff_create", []),
        ("staff_profile", [cast.bob.pk]),
    ]:
        assert cast.client_for(cast.bob).get(reverse(name, args=args)).status_code == 404
    assert (
        cast.client_for(cast.oscar).get(reverse("staff_profile", args=[cast.bob.pk])).status_code
        == 404
    )
    assert (
        cast.client_for(cast.oscar).post(reverse("staff_active", args=[cast.bob.pk])).status_code
        == 404
    )


def test_an_admin_adds_a_practitioner_with_a_licence(cast: Cast) -> None:
    response = cast.client_for(cast.alice).post(
        reverse("staff_create"),
        {
            "username": "erin",
            "first_name": "Erin",
            "last_name": "Q",
            "role": "clinician",
            "password": "a-long-enough-passphrase",
            "license_type": "MFT",
            "ethics_code": "AAMFT",
        },
    )
    assert response.status_code == 302
    erin = User.objects.get(username="erin")
    assert erin.practice == cast.north and erin.practitioner.ethics_code == "AAMFT"
    assert AuditEntry.objects.filter(action="user.create", object_id=str(erin.pk)).exists()


def test_bad_staff_input_is_refused_and_nothing_is_created(cast: Cast) -> None:
    response = cast.client_for(cast.alice).post(
        reverse("staff_create"),
        {
            "username": "erin",
            "first_name": "Erin",
            "last_name": "Q",
            "role": "clinician",
            "password": "short",
            "license_type": "MFT",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "ethics code" in html and "too short" in html
    assert not User.objects.filter(username="erin").exists()


def test_deactivating_staff_needs_their_groups_handed_over(cast: Cast) -> None:
    client = cast.client_for(cast.alice)
    client.post(reverse("staff_active", args=[cast.bob.pk]), {"active": "0"})
    cast.bob.refresh_from_db()
    assert cast.bob.is_active  # still leads Thursday Group
    client.post(reverse("staff_active", args=[cast.dave.pk]), {"active": "0"})
    cast.dave.refresh_from_db()
    assert not cast.dave.is_active
    assert AuditEntry.objects.filter(action="user.deactivate", object_id=str(cast.dave.pk)).exists()


def test_the_practice_time_zone_is_validated(cast: Cast) -> None:
    response = cast.client_for(cast.alice).post(
        reverse("practice_settings"),
        {
            "name": "Northside",
            "jurisdiction": "US-CA",
            "timezone": "Mars/Olympus",
            "referral_reminder_days": "14",
        },
    )
    assert "not an IANA time zone" in response.content.decode()
    cast.north.refresh_from_db()
    assert cast.north.timezone == "America/Los_Angeles"


def test_the_referral_reminder_period_is_a_practice_setting(cast: Cast) -> None:
    client = cast.client_for(cast.alice)
    settings = {"name": "Northside", "jurisdiction": "US-CA", "timezone": "America/Los_Angeles"}
    response = client.post(
        reverse("practice_settings"), {**settings, "referral_reminder_days": "0"}
    )
    assert "greater than or equal to 1" in response.content.decode()
    client.post(reverse("practice_settings"), {**settings, "referral_reminder_days": "30"})
    cast.north.refresh_from_db()
    assert cast.north.referral_reminder_days == 30
    entry = AuditEntry.objects.filter(action="practice.update").latest("index")
    assert b"referral_reminder_days" in bytes(entry.leaf)

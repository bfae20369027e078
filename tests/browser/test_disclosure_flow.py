"""From a contact to a recorded decision and outcome, in a browser."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from groupguard.contacts import actions as contacts
from groupguard.disclosures.models import Assessment, Choice, Disclosure
from tests.browser.test_attendance_flow import log_in
from tests.conftest import Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_may_i_raise_this_in_group(cast: Cast, live_server, desktop) -> None:
    contact = contacts.log_contact(
        group=cast.thursday,
        members=[cast.mia],
        acting_user=cast.bob,
        occurred_at=timezone.now() - datetime.timedelta(hours=20),
        setting="phone",
        initiated_by="member",
        summary="Mia called: she relapsed on Saturday and nobody in the group knows.",
        request="implied",
        reminded_agreement=True,
    )
    page = desktop
    base = live_server.url
    log_in(page, base, "bob")
    page.goto(f"{base}/contacts/{contact.id}/")
    page.get_by_role("link", name="May I raise this in group?").click()
    page.get_by_role("heading", name="From the records").wait_for()
    known = page.locator("dl.facts").inner_text()
    assert "Signed agreement version 1" in known and "Phone call" in known
    page.get_by_label("What do you want to share?").fill("Her relapse, in Thursday's group")
    page.get_by_label("With whom?").select_option("group")
    page.get_by_label("I told the member, or gave them the chance to raise it first").check()
    page.get_by_role("button", name="Assess").click()

    page.get_by_role("heading", name="What to do next").wait_for()
    assessment = Assessment.objects.get()
    heading = page.get_by_role("heading", level=1).inner_text()
    assert {"low": "Low", "elevated": "Elevated", "high": "High"}[assessment.level] in heading
    assert "group.treatment" in page.locator(".factors").inner_text()

    page.get_by_label("What you decided").select_option("talk_first")
    page.get_by_label("Note").fill("I will call her before Thursday.")
    page.get_by_role("button", name="Record decision").click()
    page.get_by_text("Decision recorded").wait_for()
    assert Choice.objects.get().kind == "talk_first"

    page.get_by_text("Record what you shared").click()
    page.get_by_label("What you shared").fill("She told the group herself; I supported her.")
    page.get_by_role("button", name="Record disclosure").click()
    page.get_by_text("Disclosure recorded").wait_for()
    disclosure = Disclosure.objects.get()
    assert disclosure.assessment == assessment and disclosure.recipient == "group"

    page.goto(f"{base}/members/{cast.mia.id}/")
    timeline = page.locator("#timeline").inner_text()
    assert "may I share this?" in timeline and "Shared with the group, in session" in timeline

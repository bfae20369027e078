"""A facilitator logs an after-session remark on a phone and follows the guidance."""

from __future__ import annotations

import pytest

from groupguard.contacts.models import Contact, Promise, Referral
from tests.browser.test_attendance_flow import log_in
from tests.conftest import Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTE = (
    "Mia waited until everyone left, then told me her sister is in hospital. "
    "Please don't tell the group, she said."
)


def test_log_an_after_session_remark_on_a_phone(cast: Cast, live_server, phone) -> None:
    page = phone
    base = live_server.url
    log_in(page, base, "bob")
    page.goto(f"{base}/members/{cast.mia.id}/")
    page.get_by_role("link", name="Log a contact").first.click()
    page.get_by_role("heading", name="Log a contact").wait_for()
    page.wait_for_load_state("load")  # htmx (deferred) is listening
    assert page.get_by_label("Mia Zephyrine").is_checked()
    assert page.get_by_label("Where or how").input_value() == "after_session"

    page.get_by_label("What was said").fill(NOTE)
    detection = page.locator("#detection")
    detection.locator("mark.req-explicit").first.wait_for()
    assert detection.locator("mark.req-implied").count() >= 1  # "waited until everyone left"
    # why it was found, in words (rule ids stay in the saved contact's "for the record")
    assert "asks the facilitator not to tell the group" in detection.inner_text()
    assert "explicit.dont-tell" not in detection.inner_text()
    # screen readers hear one short status line, not the whole guidance
    assert page.locator("#detection-status").text_content().startswith("Explicit request")
    # the suggestion pre-fills the answer
    assert page.locator('input[name="request"][value="explicit"]').is_checked()
    # the guidance: the clause Mia signed, with its version, and what to say
    guidance = detection.locator(".guidance")
    assert "version 1" in guidance.inner_text()
    assert "Things you tell a facilitator privately" in guidance.inner_text()
    assert "What you might say" in guidance.inner_text()
    page.get_by_label("I reminded them of the group agreement").check()
    page.get_by_role("button", name="Save, with a referral offered").click()

    page.get_by_role("heading", name="Referrals").wait_for()
    page.get_by_text("Contact saved and signed").wait_for()
    contact = Contact.objects.get()
    assert (contact.request, contact.detected_request) == ("explicit", "explicit")
    assert contact.reminded_agreement and contact.offered_referral
    referral = Referral.objects.get()
    assert referral.status == "offered"

    page.get_by_text("Name the therapist", exact=True).click()
    page.get_by_label("…or an outside therapist").first.fill("Dr. Ines Wren")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("Referral updated").wait_for()

    page.goto(f"{base}/members/{cast.mia.id}/")
    timeline = page.locator("#timeline")
    timeline.get_by_text("Right after a session with Bob Tester").wait_for()
    text = timeline.inner_text()
    assert "Explicit request" in text
    assert "Offered a referral" in text and "Reminded of the group agreement" in text
    assert "Referral offered by Bob Tester to Dr. Ines Wren" in text
    assert "sister is in hospital" in text
    # nothing overflows sideways on a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_promise_guard_asks_for_confirmation(cast: Cast, live_server, phone) -> None:
    page = phone
    base = live_server.url
    log_in(page, base, "bob")
    page.goto(f"{base}/contacts/new/?member={cast.noah.id}")
    page.wait_for_load_state("load")
    page.get_by_label("What was said").fill("Noah asked me to keep his relapse between us.")
    page.locator("#detection mark").first.wait_for()
    assert not page.get_by_text("Before you record a promise").is_visible()
    page.get_by_label("I promised to keep it confidential").check()
    page.get_by_text("Before you record a promise").wait_for()
    page.get_by_role("button", name="Save contact").click()
    page.get_by_text("confirm that you made it").wait_for()
    assert Contact.objects.count() == 0
    page.get_by_label("What the promise covers").fill("His relapse, until he tells the group.")
    page.get_by_label("I made this promise").check()
    page.get_by_role("button", name="Save contact").click()
    page.get_by_text("Contact saved and signed").wait_for()
    assert Promise.objects.get().member == cast.noah
    page.goto(f"{base}/")
    page.get_by_role("heading", name="Open promises of confidentiality").wait_for()
    assert "Noah Zephyrine" in page.locator("main").inner_text()


def test_the_live_highlight_flags_risk_and_the_facilitators_own_promise(
    cast: Cast, live_server, phone
) -> None:
    page = phone
    base = live_server.url
    log_in(page, base, "bob")
    page.goto(f"{base}/contacts/new/?member={cast.noah.id}")
    page.wait_for_load_state("load")
    page.get_by_label("What was said").fill(
        "Noah called late and said he has been drinking again since Friday. "
        "I told him I would not mention it in group."
    )
    detection = page.locator("#detection")
    detection.locator("mark.req-risk").first.wait_for()
    text = detection.inner_text()
    assert "Risk to look at" in text and "substance use" in text
    assert "Possible promise of confidentiality" in text
    assert detection.locator(".note-preview mark.req-promise").count() == 1
    # the facilitator's own words are not the member's request
    assert page.locator('input[name="request"][value="none"]').is_checked()
    status = page.locator("#detection-status").text_content()
    assert "Risk flagged: 1." in status and "possible promise" in status
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

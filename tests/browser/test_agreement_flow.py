from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from groupguard.agreements import render, selectors
from groupguard.practice import actions
from groupguard.practice.models import Attendance
from tests.browser.test_attendance_flow import log_in
from tests.conftest import Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_publish_link_sign_on_a_phone_attendance_gate_and_re_consent(
    cast: Cast, live_server, desktop, browser
) -> None:
    base = live_server.url
    pat = actions.create_member(
        practice=cast.north, given_name="Pat", family_name="Unsigned", acting_user=cast.alice
    )
    actions.enroll_member(
        cast.monday,
        pat,
        joined_on=timezone.localdate() - datetime.timedelta(days=30),
        acting_user=None,
    )
    session = actions.schedule_session(
        cast.monday, starts_at=timezone.now() - datetime.timedelta(hours=2), acting_user=cast.carol
    )

    # The facilitator publishes the agreement and issues a link.
    page = desktop
    log_in(page, base, "carol")
    page.goto(f"{base}/groups/{cast.monday.id}/agreement/")
    page.get_by_role("button", name="Publish").click()
    page.get_by_text("Version 1 published").wait_for()
    row = page.locator(f"#consent-{cast.olga.id}")
    row.get_by_text("Send signing link").click()
    row.get_by_role("button", name="Create link").click()
    url = page.locator("#signing-url").inner_text()
    assert "/sign/" in url

    # The member signs on a phone-sized screen: a wrong answer first, then the right ones.
    phone_context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    phone = phone_context.new_page()
    phone.goto(url)
    # Before the identity check the page names neither the group nor the practice.
    assert phone.title() == "Confirm it is you"
    for secret in (cast.monday.name, cast.north.name, cast.olga.family_name, "Carol"):
        assert secret not in phone.content(), secret
    phone.get_by_label("Your date of birth").fill("1990-01-03")
    phone.get_by_role("button", name="Continue").click()
    phone.get_by_text("does not match our records").wait_for()
    assert cast.monday.name not in phone.content()
    phone.get_by_label("Your date of birth").fill("1990-01-02")
    phone.get_by_role("button", name="Continue").click()
    phone.get_by_role("heading", name="Please read the agreement").wait_for()
    version = selectors.current_version(cast.monday)
    assert version is not None
    questions = render.questions_for(version.clause_ids, selectors.extra_clauses(cast.north))
    for q in questions:
        wrong = (q.correct + 1) % len(q.choices)
        phone.locator(f'input[name="q-{q.id}"][value="{wrong}"]').check()
    phone.get_by_role("button", name="Continue").click()
    phone.get_by_text("Not quite").first.wait_for()
    # The page opens at the questions with a count of what to look at, not at the top of a
    # long agreement with the feedback screens below.
    assert phone.get_by_text("need another look").is_visible()
    top = phone.evaluate("document.getElementById('check').getBoundingClientRect().top")
    assert -5 < top < 100, top
    for q in questions:
        phone.locator(f'input[name="q-{q.id}"][value="{q.correct}"]').check()
    phone.get_by_role("button", name="Continue").click()
    phone.get_by_label("I have read the agreement and I agree to it.").check()
    phone.get_by_label("Type your full name").fill("Olga Zephyrine")
    phone.get_by_role("button", name="Sign").click()
    phone.get_by_text("you have signed").wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone_context.close()

    # Attendance: accepted for the member who signed, refused for the one who did not.
    page.goto(f"{base}/sessions/{session.id}/")
    page.locator(f"#att-{cast.olga.id}").get_by_role("button", name="Attended").click()
    page.locator(f"#att-{cast.olga.id}").get_by_text("Saved").wait_for()
    page.locator(f"#att-{pat.id}").get_by_role("button", name="Attended").click()
    page.locator(f"#att-{pat.id}").get_by_text("cannot be recorded as attending").wait_for()
    assert Attendance.objects.get(session=session, member=cast.olga).status == "attended"
    assert not Attendance.objects.filter(session=session, member=pat).exists()

    # A new version flips the member to "re-consent needed".
    page.goto(f"{base}/groups/{cast.monday.id}/agreement/")
    page.get_by_label("Limited secrets").check()
    page.get_by_role("button", name="Publish version 2").click()
    page.get_by_text("Version 2 published").wait_for()
    assert "Re-consent needed" in page.locator(f"#consent-{cast.olga.id}").inner_text()

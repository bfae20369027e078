"""Every page of the story, at 390 px and at 1366 px: axe-core (vendored, tests/browser/vendor)
finds no serious or critical violation of WCAG 2.1 A/AA, nothing scrolls sideways, and the
browser logs no error."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from groupguard.agreements import actions as agreements
from groupguard.contacts.actions import log_contact
from groupguard.evidence import actions as evidence
from groupguard.practice import actions
from tests.browser.test_attendance_flow import log_in
from tests.conftest import Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
RUN = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    resultTypes: ["violations"],
  });
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target)}));
}"""


# What sticks out past the screen's edge, to name it when the page scrolls sideways.
WIDER = """(edge) => Array.from(document.querySelectorAll('body *'))
  .filter(e => e.getBoundingClientRect().right > edge + 1).slice(0, 8)
  .map(e => `${e.tagName}.${e.className} ${(e.textContent || '').trim().slice(0, 40)}`)"""


def _check(page: Any, where: str, errors: list[str]) -> None:
    page.evaluate(AXE)  # evaluated by the browser, not a <script>: the page's CSP stays on
    violations = page.evaluate(RUN)
    assert violations == [], (where, json.dumps(violations, indent=1))
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, (where, width, page.evaluate(WIDER, viewport))
    assert errors == [], (where, errors)


@pytest.mark.parametrize("width", [390, 1366])
def test_the_story_is_accessible_on_a_phone_and_a_laptop(
    cast: Cast, live_server, browser, width: int
) -> None:
    base = live_server.url
    contact = log_contact(
        group=cast.thursday,
        members=[cast.mia],
        acting_user=cast.bob,
        occurred_at=timezone.now() - datetime.timedelta(hours=3),
        setting="phone",
        initiated_by="member",
        summary="Mia called after group and asked me not to tell the others about the relapse.",
        request="explicit",
        reminded_agreement=True,
        offered_referral=True,
    )
    complaint = evidence.record_complaint(
        member=cast.mia,
        acting_user=cast.alice,
        board="Board of Behavioral Sciences",
        received_on=cast.north.today(),
        allegation="Alleges a broken confidence.",
    )
    pat = actions.create_member(
        practice=cast.north, given_name="Pat", family_name="Newcomer", acting_user=cast.alice
    )
    pat.date_of_birth = datetime.date(1991, 5, 6)
    pat.save()
    actions.enroll_member(cast.thursday, pat, joined_on=timezone.localdate(), acting_user=None)
    _, token, _ = agreements.issue_signing_link(cast.thursday, pat, acting_user=cast.bob)

    phone = width < 600
    context = browser.new_context(
        viewport={"width": width, "height": 844 if phone else 900},
        is_mobile=phone,
        has_touch=phone,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    # The member's side first: the identity check and the agreement to read.
    page.goto(f"{base}/sign/{token}/")
    _check(page, "sign start", errors)
    page.get_by_label("Your date of birth").fill("1991-05-06")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/sign/{token}/read/")
    _check(page, "sign read", errors)

    page.goto(f"{base}/login/")
    page.get_by_text("Cannot sign in?").click()
    _check(page, "login", errors)
    log_in(page, base, "alice")
    for path in (
        "/",
        "/members/",
        f"/members/{cast.mia.id}/",
        f"/groups/{cast.thursday.id}/",
        f"/groups/{cast.thursday.id}/agreement/",
        f"/sessions/{cast.session.id}/",
        "/contacts/new/",
        f"/contacts/{contact.id}/",
        f"/contacts/{contact.id}/assess/",
        "/complaints/",
        f"/complaints/{complaint.id}/",
        "/audit/",
        "/practice/",
        "/account/",
    ):
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        _check(page, path, errors)
    context.close()

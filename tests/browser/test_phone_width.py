"""At 390 px (a phone) no page is wider than the screen: wide tables scroll inside their own
region, and nothing in them (a screen-reader-only label is positioned absolutely) escapes it."""

from __future__ import annotations

import pytest

from tests.browser.test_attendance_flow import log_in
from tests.conftest import Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_admins_pages_fit_a_phone(cast: Cast, live_server, phone) -> None:
    page = phone
    base = live_server.url
    log_in(page, base, "alice")
    for path in (
        "/",
        f"/groups/{cast.thursday.id}/",
        f"/groups/{cast.thursday.id}/agreement/",
        f"/members/{cast.mia.id}/",
        f"/sessions/{cast.session.id}/",
        "/members/",
        "/practice/",
        "/audit/",
    ):
        page.goto(base + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)

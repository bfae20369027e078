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


TAP_TARGETS = (
    "button, .button, .top nav a, .pager a, .crumb a, table.cards th[scope=row] > a:first-child"
)


def test_lists_read_as_cards_with_tap_targets_on_a_phone(cast: Cast, live_server, phone) -> None:
    page = phone
    base = live_server.url
    log_in(page, base, "alice")
    for path in ("/", "/members/", f"/groups/{cast.thursday.id}/", "/audit/"):
        page.goto(base + path)
        page.wait_for_selector("table.cards[data-labelled]")
        # Each row is a card: its cells stack, each labelled with its column's header.
        shown = page.evaluate(
            """() => Array.from(document.querySelectorAll('table.cards tbody td')).map(td => [
                getComputedStyle(td).display, td.dataset.label || '',
                getComputedStyle(td, '::before').content])"""
        )
        assert shown, path
        assert all(display in ("block", "none") for display, _, _ in shown), (path, shown[:3])
        assert any(label and before == f'"{label}"' for _, label, before in shown), path
        small = page.evaluate(
            f"""() => Array.from(document.querySelectorAll('{TAP_TARGETS}'))
                .filter(el => el.offsetParent !== null)
                .map(el => [el.textContent.trim().slice(0, 30), el.getBoundingClientRect().height])
                .filter(([, h]) => h < 43.5)"""
        )
        assert small == [], (path, small)
    # On a wide screen the same lists are tables.
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(base + "/members/")
    page.wait_for_selector("table.cards[data-labelled]")
    assert page.evaluate("getComputedStyle(document.querySelector('table.cards td')).display") == (
        "table-cell"
    )

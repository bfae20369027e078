from __future__ import annotations

import re

import pytest

from groupguard.accounts.models import User
from groupguard.practice.models import Attendance
from tests.conftest import Cast
from tests.factories import PASSWORD
from tests.support import authenticator_for, code_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, base: str, username: str, password: str = PASSWORD) -> None:
    """Both steps of sign-in: the password, then a code from the user's authenticator (given
    one first if they have none)."""
    user = User.objects.get(username=username)
    authenticator_for(user)
    page.goto(f"{base}/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/login/code/"))
    page.get_by_label("Code").fill(code_for(user))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/")


def test_a_facilitator_logs_in_opens_a_group_and_records_attendance(
    cast: Cast, live_server, desktop
) -> None:
    page = desktop
    log_in(page, live_server.url, "bob")
    page.get_by_role("link", name="Thursday Group").click()
    page.get_by_role("heading", name="Thursday Group").wait_for()
    # The page shows the session's time where the practice is ("Thu 3 Dec 2026, 19:00").
    starts = cast.session.starts_at.astimezone(cast.north.tz)
    page.get_by_role("link", name=f"{starts:%a} {starts.day} {starts:%b %Y, %H:%M}").click()
    page.get_by_role("heading", name="Attendance").wait_for()
    row = page.locator(f"#att-{cast.mia.id}")
    row.get_by_role("button", name="Late").click()
    page.locator(f"#att-{cast.mia.id}").get_by_text("Saved").wait_for()
    assert (
        page.locator(f"#att-{cast.mia.id}")
        .get_by_role("button", name="Late")
        .get_attribute("aria-pressed")
        == "true"
    )
    assert Attendance.objects.get(session=cast.session, member=cast.mia).status == "late"
    page.reload()
    assert (
        page.locator(f"#att-{cast.mia.id}")
        .get_by_role("button", name="Late")
        .get_attribute("aria-pressed")
        == "true"
    )


def test_attendance_works_without_javascript_on_a_phone(cast: Cast, live_server, browser) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, live_server.url, "bob")
    page.goto(f"{live_server.url}/sessions/{cast.session.id}/")
    page.locator(f"#att-{cast.noah.id}").get_by_role("button", name="Absent").click()
    page.get_by_text("Attendance saved for Noah Zephyrine").wait_for()
    assert Attendance.objects.get(session=cast.session, member=cast.noah).status == "absent"
    context.close()

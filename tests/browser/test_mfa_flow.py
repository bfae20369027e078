"""Two-step sign-in in a browser: set up an authenticator from the page, sign in with a code,
a replayed code refused, and, left alone, a warning before the idle limit and then the login
page.

The live server runs in a thread of this process, so ``time_machine`` moves its clock too;
Playwright's ``page.clock`` moves the page's clock alongside.
"""

from __future__ import annotations

import base64
import datetime
import re
import time

import pytest
from django.utils import timezone
from django_otp.oath import totp

from tests.browser.test_attendance_flow import log_in
from tests.conftest import Cast
from tests.factories import PASSWORD
from tests.support import code_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def password_step(page, base: str, username: str = "bob") -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def code_from_secret(secret: str) -> str:
    """What an authenticator app shows for the key typed in from the page."""
    compact = secret.replace(" ", "")
    key = base64.b32decode(compact + "=" * (-len(compact) % 8))
    return str(totp(key)).zfill(6)


def test_set_up_an_authenticator_sign_in_with_a_code_and_a_replay_is_refused(
    cast: Cast, live_server, desktop
) -> None:
    page, base = desktop, live_server.url
    password_step(page, base)
    page.get_by_role("heading", name="Set up two-step sign-in").wait_for()
    assert page.locator(".qr svg").count() == 1
    code = code_from_secret(page.get_by_test_id("totp-secret").inner_text())
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Your recovery codes").wait_for()
    codes = page.get_by_test_id("recovery-codes").locator("code").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="I have saved them: continue").click()
    page.wait_for_url(f"{base}/")

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/login/"))
    password_step(page, base)
    page.get_by_label("Code").fill(code)  # the code just used, replayed
    page.get_by_role("button", name="Continue").click()
    page.get_by_text("used already").wait_for()
    assert "/login/code/" in page.url
    time.sleep(1.2)  # the pause after a wrong code
    page.get_by_label("Code").fill(code_for(cast.bob))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/")


def test_left_alone_a_warning_comes_then_the_login_page(
    cast: Cast, live_server, desktop, time_machine
) -> None:
    page, base = desktop, live_server.url
    time_machine.move_to(timezone.now(), tick=True)
    page.clock.install()
    log_in(page, base, "bob")
    page.get_by_role("link", name="Members", exact=True).click()
    page.wait_for_url(f"{base}/members/")
    warning = page.locator("#session-warning")
    stay = page.get_by_role("button", name="Stay signed in")
    assert warning.is_hidden()

    def later(minutes: float) -> None:
        time_machine.shift(datetime.timedelta(minutes=minutes))
        page.clock.fast_forward(int(minutes * 60 * 1000))

    later(13.5)  # two minutes before the idle limit, or less
    stay.wait_for()
    assert "signed out in" in warning.inner_text()
    stay.click()
    warning.wait_for(state="hidden")

    later(14)  # staying restarted the server's timer: still signed in, warned again
    stay.wait_for()
    later(2)  # past the limit: the page leaves by itself
    page.wait_for_url(re.compile(r"/login/\?expired=idle"))
    page.get_by_text("signed out after 15 minutes without activity").wait_for()
    page.goto(f"{base}/members/")
    assert "/login/" in page.url

"""Passkeys in Chromium, with a virtual authenticator (the DevTools WebAuthn domain through
Playwright's CDP session) standing in for a phone or a laptop's chip: make a passkey on the
account's passkey page, sign in with the password and the passkey as the second step, then
with the passkey alone. Every byte the server checks comes from Chromium's own WebAuthn
implementation and web/static/web/passkeys.js."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from groupguard.audit.models import AuditEntry
from groupguard.passkeys.models import Passkey
from tests.browser.test_attendance_flow import log_in
from tests.conftest import Cast
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def virtual_authenticator(page: Any) -> tuple[Any, str]:
    """A platform authenticator that keeps passkeys with the account (resident keys) and
    checks its holder (user verification), answering at once, as if touched."""
    client = page.context.new_cdp_session(page)
    client.send("WebAuthn.enable")
    added = client.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return client, added["authenticatorId"]


def log_out(page: Any) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/login/"))


def test_make_a_passkey_then_sign_in_with_it_after_the_password_and_on_its_own(
    cast: Cast, live_server, desktop
) -> None:
    page, base = desktop, live_server.url
    cdp, authenticator_id = virtual_authenticator(page)

    # Signed in with the password and a code: that second step is fresh proof, so the
    # passkey page lets bob add one straight away.
    log_in(page, base, "bob")
    page.get_by_role("link", name="Account").click()
    page.get_by_role("link", name="Manage passkeys").click()
    page.get_by_role("heading", name="Passkeys", exact=True).wait_for()
    page.get_by_label("Name").fill("this browser")
    page.get_by_role("button", name="Add a passkey").click()
    page.get_by_text("Passkey “this browser” added").wait_for()
    assert page.get_by_role("cell", name="this browser", exact=True).count() == 1
    held = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    assert len(held["credentials"]) == 1 and held["credentials"][0]["isResidentCredential"]
    passkey = Passkey.objects.get(user=cast.bob)
    assert passkey.name == "this browser" and passkey.transports == ["internal"]
    log_out(page)

    # The second step: the password, then the passkey in place of a code.
    page.get_by_label("User name").fill("bob")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/login/code/"))
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(f"{base}/")
    page.get_by_role("link", name="Members", exact=True).click()
    page.wait_for_url(f"{base}/members/")
    log_out(page)

    # No password at all: the authenticator offers the passkey it keeps for this site.
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url(f"{base}/")
    page.get_by_role("link", name="Members", exact=True).click()
    page.wait_for_url(f"{base}/members/")

    passkey.refresh_from_db()
    assert passkey.last_used_at is not None
    used = [
        json.loads(bytes(entry.leaf))["detail"]
        for entry in AuditEntry.objects.filter(action="auth.mfa").order_by("recorded_at", "id")
    ]
    assert [d["method"] for d in used] == ["totp", "passkey", "passkey"]
    assert [d.get("passwordless") for d in used[1:]] == [False, True]
    assert AuditEntry.objects.filter(action="passkey.enrol", severity="high").count() == 1
    assert not AuditEntry.objects.filter(action="auth.mfa_failed").exists()


def test_a_browser_without_passkeys_is_told_to_use_the_code(
    cast: Cast, live_server, desktop
) -> None:
    page, base = desktop, live_server.url
    # As in a browser that has no WebAuthn at all (injected by the test, not by the page).
    page.add_init_script("delete window.PublicKeyCredential;")
    page.goto(f"{base}/login/")
    page.get_by_text("This browser cannot use passkeys").wait_for()
    assert page.get_by_role("button", name="Sign in with a passkey").is_disabled()
    # The password and a code still work.
    log_in(page, base, "bob")

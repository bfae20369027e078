"""Two-step sign-in: setting up an authenticator, the code step, recovery codes, and the rule
that nothing but the sign-in pages answers a session that has given only its password."""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from groupguard.accounts import actions, mfa
from groupguard.accounts.demo_accounts import DEMO_PASSWORD
from groupguard.accounts.models import Authenticator
from groupguard.audit.models import AuditEntry
from groupguard.demo.practice import build_demo
from tests.api.test_api import API, bearer, call
from tests.conftest import Cast
from tests.factories import PASSWORD
from tests.support import authenticator_for, mfa_login

RECOVERY_CODE = re.compile(r"<code>([a-z2-7]{5}-[a-z2-7]{5})</code>")


@pytest.fixture
def frozen(time_machine):
    """Time stands still (codes do not roll over mid-test); shift it by hand."""
    time_machine.move_to(timezone.now(), tick=False)
    return time_machine


def password_step(client: Client, username: str = "bob", password: str = PASSWORD) -> None:
    response = client.post(reverse("login"), {"username": username, "password": password})
    assert response.status_code == 302, response.content[:300]


def code_step(client: Client, code: str, next_url: str = "") -> Any:
    return client.post(reverse("mfa_verify"), {"code": code, "next": next_url})


def wrong(code: str) -> str:
    return str((int(code) + 500_000) % 1_000_000).zfill(6)


def actions_logged(prefix: str) -> list[str]:
    return list(
        AuditEntry.objects.filter(action__startswith=prefix)
        .order_by("log_id", "index")
        .values_list("action", flat=True)
    )


# --- Setting up ---------------------------------------------------------------------------


def test_a_first_sign_in_goes_to_setup_with_a_qr_code_and_the_secret(cast: Cast) -> None:
    client = Client()
    password_step(client)
    response = client.get(reverse("member_detail", args=[cast.mia.id]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_setup") + "?next=/members/")
    html = client.get(response["Location"]).content.decode()
    device = Authenticator.objects.get(user=cast.bob, confirmed=False)
    assert "<svg" in html and "QR code to add groupguard to your authenticator app" in html
    assert mfa.secret_text(device) in html
    assert device.config_url.startswith("otpauth://totp/groupguard%3Abob?secret=")
    assert "issuer=groupguard" in device.config_url
    # Reloading keeps the same secret, so a code already scanned still confirms it.
    assert mfa.secret_text(device) in client.get(reverse("mfa_setup")).content.decode()
    assert TOTPDevice.objects.filter(user=cast.bob).count() == 1


def test_setup_confirms_with_a_first_code_then_shows_ten_recovery_codes_once(
    cast: Cast, frozen
) -> None:
    client = Client()
    password_step(client)
    client.get(reverse("mfa_setup"))
    device = Authenticator.objects.get(user=cast.bob)
    refused = client.post(reverse("mfa_setup"), {"code": wrong(mfa.current_code(device))})
    assert refused.status_code == 200 and "does not match" in refused.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    # The right code at once, inside the pause after a wrong one: told to wait, not "wrong".
    waited = client.post(reverse("mfa_setup"), {"code": mfa.current_code(device)})
    page = waited.content.decode()
    assert "wait 1 s before the next one" in page and "does not match" not in page
    device.refresh_from_db()
    assert not device.confirmed
    frozen.shift(datetime.timedelta(seconds=2))  # past the pause after a wrong code
    response = client.post(
        reverse("mfa_setup"), {"code": mfa.current_code(device), "next": "/members/"}
    )
    html = response.content.decode()
    codes = RECOVERY_CODE.findall(html)
    assert len(codes) == len(set(codes)) == 10
    assert 'href="/members/"' in html
    device.refresh_from_db()
    assert device.confirmed
    # Only keyed hashes are stored: a copy of the database holds no usable code.
    stored = set(StaticToken.objects.filter(device__user=cast.bob).values_list("token", flat=True))
    assert stored == {mfa.recovery_digest(code) for code in codes}
    assert not stored & set(codes)
    assert client.get(reverse("member_list")).status_code == 200  # this session is verified
    assert actions_logged("mfa.") == ["mfa.enrol"]
    # Shown once: the setup page now wants the password and a code first.
    again = client.get(reverse("mfa_setup"))
    assert again.status_code == 302 and again["Location"] == reverse("account_security")
    assert not RECOVERY_CODE.findall(client.get(reverse("account_security")).content.decode())


# --- The code step ------------------------------------------------------------------------


def test_sign_in_takes_the_password_then_a_code(cast: Cast, frozen) -> None:
    device = authenticator_for(cast.bob)
    client = Client()
    password_step(client)
    waiting = client.get(reverse("dashboard"))
    assert waiting.status_code == 302
    assert waiting["Location"] == reverse("mfa_verify") + "?next=/"
    page = client.get(waiting["Location"]).content.decode()
    assert 'autocomplete="one-time-code"' in page and "demo-code" not in page
    response = code_step(client, mfa.current_code(device), "/members/")
    assert response.status_code == 302 and response["Location"] == "/members/"
    assert client.get(reverse("member_list")).status_code == 200
    assert actions_logged("auth.") == ["auth.login", "auth.mfa"]


def test_the_code_step_only_returns_to_our_own_pages(cast: Cast, frozen) -> None:
    device = authenticator_for(cast.bob)
    client = Client()
    password_step(client)
    response = code_step(client, mfa.current_code(device), "https://evil.example/")
    assert response["Location"] == "/"


def test_a_replayed_code_is_refused(cast: Cast, frozen) -> None:
    device = authenticator_for(cast.bob)
    code = mfa.current_code(device)
    first = Client()
    password_step(first)
    assert code_step(first, code).status_code == 302
    device.refresh_from_db()
    used_step = device.last_t
    assert used_step >= 0
    second = Client()
    password_step(second)
    replay = code_step(second, code)
    assert replay.status_code == 200
    assert "used already" in replay.content.decode()
    assert second.get(reverse("dashboard"))["Location"].startswith(reverse("mfa_verify"))
    device.refresh_from_db()
    assert device.last_t == used_step
    failed = AuditEntry.objects.get(action="auth.mfa_failed")
    assert failed.severity == "high" and failed.object_id == str(cast.bob.pk)


def test_wrong_codes_make_the_next_try_wait(cast: Cast, frozen) -> None:
    device = authenticator_for(cast.bob)
    client = Client()
    password_step(client)
    code_step(client, wrong(mfa.current_code(device)))
    # Even the right code waits: 1 s after one wrong code, then 2, 4, 8… (django-otp).
    throttled = code_step(client, mfa.current_code(device))
    assert "Too many wrong codes: wait 1 s" in throttled.content.decode()
    frozen.shift(datetime.timedelta(seconds=1))
    assert code_step(client, mfa.current_code(device)).status_code == 302


def test_a_recovery_code_works_once(cast: Cast, frozen) -> None:
    pending = mfa.pending_authenticator(cast.bob)
    codes = actions.confirm_authenticator(
        pending, mfa.current_code(pending), acting_user=cast.bob, keep_session=None
    )
    first = Client()
    password_step(first)
    response = code_step(first, codes[0], "/members/")
    assert response["Location"] == "/members/"
    assert "recovery code; 9 left" in first.get("/members/").content.decode()
    second = Client()
    password_step(second)
    assert code_step(second, codes[0]).status_code == 200
    frozen.shift(datetime.timedelta(seconds=2))
    # Typed in capitals, without the dash: still the code.
    assert code_step(second, codes[1].replace("-", "").upper()).status_code == 302
    assert mfa.recovery_codes_left(cast.bob) == 8
    used = AuditEntry.objects.filter(action="auth.mfa").order_by("index").first()
    assert used is not None and used.severity == "high"


# --- Nothing else before the code ---------------------------------------------------------


@pytest.mark.parametrize(
    "name,args",
    [
        ("dashboard", None),
        ("member_list", None),
        ("member_detail", "mia"),
        ("group_detail", "thursday"),
        ("session_detail", "session"),
        ("contact_create", None),
        ("tokens", None),
        ("account_security", None),
        ("practice_settings", None),
        ("audit_log", None),
    ],
)
def test_phi_pages_send_a_password_only_session_to_the_code_step(
    cast: Cast, name: str, args: str | None
) -> None:
    authenticator_for(cast.alice)
    client = Client()
    password_step(client, "alice")
    url = reverse(name, args=[getattr(cast, args).id] if args else None)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_verify") + "?next=")


def test_writes_and_the_admin_are_refused_before_the_code(cast: Cast) -> None:
    authenticator_for(cast.bob)
    client = Client()
    password_step(client)
    url = reverse("attendance_set", args=[cast.session.id, cast.mia.id])
    assert client.post(url, {"status": "late"}).status_code == 302
    htmx = client.post(url, {"status": "late"}, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 401 and htmx["HX-Redirect"] == reverse("mfa_verify")
    assert client.get("/admin/").status_code == 404  # the operators' admin: hidden from staff
    from groupguard.practice.models import Attendance

    assert not Attendance.objects.exists()


def test_the_sign_in_pages_stay_reachable_before_the_code(cast: Cast) -> None:
    authenticator_for(cast.bob)
    client = Client()
    password_step(client)
    assert client.get(reverse("healthz")).status_code == 200
    assert client.get(reverse("mfa_verify")).status_code == 200
    assert client.get(reverse("session_status")).status_code == 401  # no timer until then
    # A member's signing link answers on its own terms (here: no such link), not the code step.
    assert client.get(reverse("sign_start", args=["not-a-token"])).status_code != 302
    assert client.post(reverse("logout"))["Location"] == reverse("login")
    assert client.get(reverse("dashboard"))["Location"].startswith(reverse("login"))


def test_session_auth_in_the_api_needs_the_code(cast: Cast) -> None:
    authenticator_for(cast.bob)
    client = Client()
    password_step(client)
    assert client.get(f"{API}/me").status_code == 401
    assert client.get(f"{API}/groups").status_code == 401
    # Bearer tokens are scoped and revocable: they are the exception.
    assert call("get", "/me", bearer(cast, cast.bob)).status_code == 200
    assert mfa_login(Client(), cast.bob).get(f"{API}/me").status_code == 200


# --- Changing and removing ----------------------------------------------------------------


def test_a_new_authenticator_needs_the_password_and_a_code_and_ends_other_sessions(
    cast: Cast, frozen
) -> None:
    client = cast.client_for(cast.bob)
    elsewhere = cast.client_for(cast.bob)
    old = mfa.authenticator(cast.bob)
    assert old is not None
    assert client.get(reverse("mfa_setup"))["Location"] == reverse("account_security")
    form = {"form": "mfa", "do": "authenticator", "mfa-code": mfa.current_code(old)}
    refused = client.post(reverse("account_security"), {**form, "mfa-password": "nope"})
    assert "That is not your password." in refused.content.decode()
    response = client.post(reverse("account_security"), {**form, "mfa-password": PASSWORD})
    assert response["Location"] == reverse("mfa_setup")
    assert "Set up a new authenticator" in client.get(reverse("mfa_setup")).content.decode()
    new = Authenticator.objects.get(user=cast.bob, confirmed=False)
    codes = RECOVERY_CODE.findall(
        client.post(reverse("mfa_setup"), {"code": mfa.current_code(new)}).content.decode()
    )
    assert len(codes) == 10
    assert list(TOTPDevice.objects.filter(user=cast.bob)) == [new]
    assert client.get(reverse("dashboard")).status_code == 200
    assert elsewhere.get(reverse("dashboard"))["Location"].startswith(reverse("login"))
    entry = AuditEntry.objects.get(action="mfa.replace")
    assert entry.object_id == str(cast.bob.pk)


def test_new_recovery_codes_replace_the_old_ones(cast: Cast, frozen) -> None:
    pending = mfa.pending_authenticator(cast.bob)
    old_codes = actions.confirm_authenticator(
        pending, mfa.current_code(pending), acting_user=cast.bob, keep_session=None
    )
    client = mfa_login(Client(), cast.bob)
    frozen.shift(datetime.timedelta(seconds=30))
    response = client.post(
        reverse("account_security"),
        {
            "form": "mfa",
            "do": "recovery_codes",
            "mfa-password": PASSWORD,
            "mfa-code": mfa.current_code(pending),
        },
    )
    new_codes = RECOVERY_CODE.findall(response.content.decode())
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    assert "earlier recovery codes no longer work" in response.content.decode()
    other = Client()
    password_step(other)
    assert code_step(other, old_codes[0]).status_code == 200
    assert actions_logged("mfa.") == ["mfa.enrol", "mfa.recovery_codes"]


def test_a_practice_admin_resets_a_lost_authenticator(cast: Cast) -> None:
    bob = cast.client_for(cast.bob)
    url = reverse("staff_mfa_reset", args=[cast.bob.pk])
    assert cast.client_for(cast.carol).post(url).status_code == 404  # clinicians cannot
    assert cast.client_for(cast.oscar).post(url).status_code == 404  # nor other practices
    page = cast.client_for(cast.alice).get(reverse("practice_settings")).content.decode()
    assert "Reset two-step sign-in of Bob Tester" in page
    assert cast.client_for(cast.alice).post(url).status_code == 302
    assert not TOTPDevice.objects.filter(user=cast.bob).exists()
    assert bob.get(reverse("dashboard"))["Location"].startswith(reverse("login"))
    entry = AuditEntry.objects.get(action="mfa.reset")
    assert entry.severity == "high" and entry.object_id == str(cast.bob.pk)
    assert json.loads(bytes(entry.leaf))["detail"] == {"sessions_ended": 1}
    again = Client()
    password_step(again)
    assert again.get(reverse("dashboard"))["Location"].startswith(reverse("mfa_setup"))


# --- The demo -----------------------------------------------------------------------------


def test_demo_accounts_sign_in_only_in_demo_mode_where_the_code_is_shown(
    db: None, settings, frozen
) -> None:
    demo = build_demo()
    settings.DEMO_MODE = False
    client = Client()
    refused = client.post(reverse("login"), {"username": "ada", "password": DEMO_PASSWORD})
    assert refused.status_code == 200
    settings.DEMO_MODE = True
    login_page = client.get(reverse("login")).content.decode()
    assert "Demo logins (demo mode only)" in login_page and "GROUPGUARDDEMO" in login_page
    password_step(client, "ada", DEMO_PASSWORD)
    page = client.get(reverse("mfa_verify")).content.decode()
    shown = re.search(r'data-testid="demo-code">(\d{6})<', page)
    device = mfa.authenticator(demo.staff["ada"])
    assert shown is not None and device is not None
    assert "Demo only" in page and shown.group(1) == mfa.current_code(device)
    assert code_step(client, shown.group(1)).status_code == 302
    # Once used, the page offers the next code, which the device also takes.
    other = Client()
    password_step(other, "ada", DEMO_PASSWORD)
    page = other.get(reverse("mfa_verify")).content.decode()
    following = re.search(r'data-testid="demo-code">(\d{6})<', page)
    assert following is not None and following.group(1) != shown.group(1)
    assert code_step(other, following.group(1)).status_code == 302


def test_a_real_account_never_shows_its_code_even_in_demo_mode(cast: Cast, settings) -> None:
    settings.DEMO_MODE = True
    authenticator_for(cast.bob)
    client = Client()
    password_step(client)
    assert "demo-code" not in client.get(reverse("mfa_verify")).content.decode()


def test_wrong_codes_count_towards_the_sign_in_lockout(cast: Cast) -> None:
    from django.test import Client
    from django.urls import reverse

    from groupguard.lockout.models import LoginFailure

    client = Client()
    authenticator_for(cast.bob)
    client.post(reverse("login"), {"username": "bob", "password": PASSWORD})
    before = LoginFailure.objects.count()
    for _ in range(5):
        client.post(reverse("mfa_verify"), {"code": "000000"})
    assert LoginFailure.objects.count() == before + 5
    response = client.post(reverse("mfa_verify"), {"code": "000000"})
    assert response.status_code == 429

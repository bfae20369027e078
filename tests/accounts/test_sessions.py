"""Sign-in sessions: a new key at each step of sign-in, the idle and absolute limits, the
warning before the idle limit, and every way a session ends (logout, deactivation, a new
password)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from groupguard.accounts import mfa
from groupguard.audit.models import AuditEntry
from tests.accounts.test_mfa import code_step, password_step
from tests.conftest import Cast
from tests.factories import PASSWORD
from tests.support import authenticator_for

MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    return time_machine


def signed_out(client: Client) -> bool:
    response = client.get(reverse("dashboard"))
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_each_step_of_sign_in_gives_a_new_session_key(cast: Cast, frozen) -> None:
    device = authenticator_for(cast.bob)
    client = Client()
    anonymous = client.session
    anonymous["seen"] = True
    anonymous.save()
    before = anonymous.session_key
    password_step(client)
    after_password = client.cookies["sessionid"].value
    code_step(client, mfa.current_code(device))
    after_code = client.cookies["sessionid"].value
    assert len({before, after_password, after_code}) == 3
    assert not Session.objects.filter(session_key__in=[before, after_password]).exists()
    assert client.get(reverse("dashboard")).status_code == 200


def test_logging_out_ends_the_session_for_good(cast: Cast) -> None:
    client = cast.client_for(cast.bob)
    key = client.cookies["sessionid"].value
    client.post(reverse("logout"))
    replay = Client()
    replay.cookies["sessionid"] = key
    assert signed_out(replay)


def test_an_idle_session_ends_after_fifteen_minutes(cast: Cast, frozen) -> None:
    client = cast.client_for(cast.bob)
    for _ in range(3):
        frozen.shift(14 * MINUTE)
        assert client.get(reverse("dashboard")).status_code == 200  # activity restarts it
    frozen.shift(15 * MINUTE)
    assert signed_out(client)


@override_settings(SESSION_COOKIE_AGE=5 * 60)
def test_the_idle_limit_follows_its_setting(cast: Cast, frozen) -> None:
    client = cast.client_for(cast.bob)
    frozen.shift(4 * MINUTE)
    assert client.get(reverse("dashboard")).status_code == 200
    frozen.shift(5 * MINUTE)
    assert signed_out(client)


def test_a_session_ends_after_twelve_hours_however_active(cast: Cast, frozen) -> None:
    client = cast.client_for(cast.bob)
    for _ in range(51):  # 11 h 54 min of steady work
        frozen.shift(14 * MINUTE)
        assert client.get(reverse("dashboard")).status_code == 200
    frozen.shift(6 * MINUTE)
    assert signed_out(client)


@override_settings(GROUPGUARD_SESSION_ABSOLUTE_SECONDS=3600)
def test_the_absolute_limit_follows_its_setting(cast: Cast, frozen) -> None:
    client = cast.client_for(cast.bob)
    for _ in range(5):
        frozen.shift(11 * MINUTE)
        assert client.get(reverse("dashboard")).status_code == 200
    frozen.shift(6 * MINUTE)
    assert signed_out(client)


def test_asking_for_the_time_left_is_not_activity_but_staying_signed_in_is(
    cast: Cast, frozen
) -> None:
    client = cast.client_for(cast.bob)
    url = reverse("session_status")
    frozen.shift(10 * MINUTE)
    assert client.get(url).json() == {
        "signed_in": True,
        "idle_seconds": 5 * 60,
        "absolute_seconds": 12 * 3600 - 10 * 60,
    }
    frozen.shift(4 * MINUTE)
    assert client.get(url).json()["idle_seconds"] == 60  # the first ask did not restart it
    assert client.post(url).json()["idle_seconds"] == 15 * 60  # "Stay signed in"
    frozen.shift(14 * MINUTE)
    assert client.get(reverse("dashboard")).status_code == 200


def test_the_session_timer_answers_401_when_signed_out(cast: Cast, frozen) -> None:
    assert Client().get(reverse("session_status")).status_code == 401
    client = cast.client_for(cast.bob)
    frozen.shift(16 * MINUTE)
    assert client.get(reverse("session_status")).json() == {"signed_in": False}


def test_staying_signed_in_needs_the_csrf_token(cast: Cast) -> None:
    client = cast.client_for(cast.bob)
    client.handler.enforce_csrf_checks = True
    assert client.post(reverse("session_status")).status_code == 403


def test_pages_carry_the_timer_and_the_warning_without_inline_script(cast: Cast, frozen) -> None:
    # Frozen: on a slow machine a second can pass between signing in and the page.
    html = cast.client_for(cast.bob).get(reverse("dashboard")).content.decode()
    assert 'data-session-url="/account/session/"' in html
    assert 'data-idle-left="900"' in html and 'data-warn-before="120"' in html
    assert 'data-absolute-left="43200"' in html
    assert re.search(r'<div class="session-warning" id="session-warning"[^>]* hidden>', html)
    assert "Stay signed in" in html
    assert '<script src="/static/web/session-timeout.js" defer></script>' in html
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
    # The login page has no timer: there is nothing to time.
    assert "session-timeout.js" not in Client().get(reverse("login")).content.decode()


@override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True)
def test_the_warning_script_is_served(client: Client) -> None:
    response = client.get("/static/web/session-timeout.js")
    assert response.status_code == 200
    script = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert "data-warn-before" in script and "X-CSRFToken" in script
    assert "?expired=" in script


def test_the_login_page_says_why_a_session_ended(db: None) -> None:
    client = Client()
    idle = client.get(reverse("login") + "?expired=idle").content.decode()
    assert "signed out after 15 minutes without activity" in idle
    absolute = client.get(reverse("login") + "?expired=absolute").content.decode()
    assert "a sign-in lasts at most 12 hours" in absolute


def test_deactivating_someone_ends_all_their_sessions(cast: Cast) -> None:
    phone, laptop = cast.client_for(cast.dave), cast.client_for(cast.dave)
    colleague = cast.client_for(cast.carol)
    admin = cast.client_for(cast.alice)
    admin.post(reverse("staff_active", args=[cast.dave.pk]), {"active": "0"})
    assert signed_out(phone) and signed_out(laptop)
    assert colleague.get(reverse("dashboard")).status_code == 200
    # Reactivating them does not bring an old session back.
    admin.post(reverse("staff_active", args=[cast.dave.pk]), {"active": "1"})
    assert signed_out(phone)


def test_a_new_password_ends_the_other_sessions_and_keeps_this_one(cast: Cast) -> None:
    here, elsewhere = cast.client_for(cast.bob), cast.client_for(cast.bob)
    new = "a brand new harbor lantern"
    url = reverse("account_security")
    form = {"form": "password", "pw-new_password1": new, "pw-new_password2": new}
    wrong = here.post(url, {**form, "pw-old_password": "not it"})
    assert wrong.status_code == 200 and "incorrectly" in wrong.content.decode()
    short = here.post(
        url,
        {
            **form,
            "pw-old_password": PASSWORD,
            "pw-new_password1": "short",
            "pw-new_password2": "short",
        },
    )
    assert "too short" in short.content.decode()
    response = here.post(url, {**form, "pw-old_password": PASSWORD})
    assert response.status_code == 302
    assert here.get(reverse("dashboard")).status_code == 200
    assert signed_out(elsewhere)
    cast.bob.refresh_from_db()
    assert cast.bob.check_password(new)
    assert AuditEntry.objects.filter(action="auth.password_change").count() == 1

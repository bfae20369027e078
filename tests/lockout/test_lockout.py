"""Failed sign-ins lock out one user name, per address and across addresses, never an office."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
import time_machine
from django.contrib.auth.signals import user_login_failed
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django.utils import timezone

from groupguard.audit.models import AuditEntry
from groupguard.lockout.models import LoginFailure
from groupguard.web.security import refuse_if_locked_out
from tests.conftest import Cast
from tests.factories import PASSWORD

OFFICE = "198.51.100.7"
WRONG = "wrong-password"


def attempt(username: str, password: str = WRONG, *, ip: str = OFFICE, **headers: Any):
    return Client().post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip, **headers
    )


def fail(username: str, times: int, *, ip: str = OFFICE, **headers: Any) -> None:
    for _ in range(times):
        assert attempt(username, ip=ip, **headers).status_code == 200  # the form, with its error


def signed_in(response) -> bool:
    return response.status_code == 302 and not response["Location"].startswith(reverse("login"))


def test_it_locks_a_name_from_one_address_after_five_failures(cast: Cast) -> None:
    fail("bob", 5)
    response = attempt("bob", PASSWORD)  # even the right password waits
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed attempts" in page and "about 15 minutes" in page
    assert "Traceback" not in page
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    assert response["Content-Security-Policy"].startswith("default-src 'self'")


def test_colleagues_behind_the_same_address_still_sign_in(cast: Cast) -> None:
    fail("bob", 5)
    assert signed_in(attempt("carol", PASSWORD))
    assert attempt("bob", PASSWORD).status_code == 429


def test_the_same_name_from_another_address_is_not_locked_by_the_first(cast: Cast) -> None:
    fail("bob", 5)
    assert signed_in(attempt("bob", PASSWORD, ip="203.0.113.9"))


def test_a_forged_forwarded_for_buys_no_extra_tries(cast: Cast) -> None:
    for n in range(5):
        assert attempt("bob", HTTP_X_FORWARDED_FOR=f"10.9.9.{n}").status_code == 200
    assert attempt("bob", HTTP_X_FORWARDED_FOR="10.9.9.99").status_code == 429


@override_settings(GROUPGUARD_BEHIND_PROXY=True)
def test_behind_a_proxy_the_address_the_proxy_appended_counts(cast: Cast) -> None:
    proxy = "10.0.0.2"  # every request arrives from the proxy itself
    for n in range(5):
        # The client may send any X-Forwarded-For; the proxy appends the address it saw.
        forged = f"192.0.2.{n}, {OFFICE}"
        assert attempt("bob", ip=proxy, HTTP_X_FORWARDED_FOR=forged).status_code == 200
    assert attempt("bob", ip=proxy, HTTP_X_FORWARDED_FOR=OFFICE).status_code == 429
    # Another client behind the same proxy is another address.
    home = attempt("bob", PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.50")
    assert signed_in(home)


def test_the_account_counter_caps_tries_spread_over_many_addresses(cast: Cast) -> None:
    for n in range(20):
        assert attempt("bob", ip=f"203.0.113.{n}").status_code == 200
    assert attempt("bob", PASSWORD, ip="203.0.113.200").status_code == 429
    assert signed_in(attempt("carol", PASSWORD, ip="203.0.113.200"))


def test_a_lockout_lifts_when_its_failures_age_out(cast: Cast) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        fail("bob", 5)
        assert attempt("bob", PASSWORD).status_code == 429
    with time_machine.travel(start + datetime.timedelta(minutes=14), tick=False):
        assert attempt("bob", PASSWORD).status_code == 429
    with time_machine.travel(start + datetime.timedelta(minutes=15, seconds=1), tick=False):
        assert signed_in(attempt("bob", PASSWORD))


def test_a_successful_sign_in_forgets_that_addresses_failures(cast: Cast) -> None:
    fail("bob", 4)
    assert signed_in(attempt("bob", PASSWORD))
    fail("bob", 4)
    assert signed_in(attempt("bob", PASSWORD))


def test_unknown_names_lock_out_like_real_ones(cast: Cast) -> None:
    fail("nobody-here", 5)
    assert attempt("nobody-here").status_code == 429


def test_variants_of_a_name_share_its_counters(cast: Cast) -> None:
    fail("bob", 3)
    fail("BOB", 1)
    fail(" Bob", 1)
    assert attempt("bob", PASSWORD).status_code == 429


def test_the_start_of_a_lockout_is_audited_and_no_name_is_stored(cast: Cast) -> None:
    fail("bob", 5)
    attempt("bob")  # refused: neither counted nor audited again
    [entry] = AuditEntry.objects.filter(action="auth.lockout")
    assert entry.severity == "high" and entry.object_id == str(cast.bob.pk)
    assert LoginFailure.objects.count() == 5
    for failure in LoginFailure.objects.all():
        assert re.fullmatch(r"[0-9a-f]{64}", failure.account)
        assert failure.client == OFFICE


def test_the_admin_login_is_limited_too(cast: Cast) -> None:
    url = reverse("admin:login")
    for _ in range(5):
        response = Client().post(url, {"username": "bob", "password": "x"}, REMOTE_ADDR=OFFICE)
        assert response.status_code == 200
    assert (
        Client().post(url, {"username": "bob", "password": "x"}, REMOTE_ADDR=OFFICE).status_code
        == 429
    )
    assert attempt("bob", PASSWORD).status_code == 429


@pytest.mark.django_db
def test_a_second_factor_step_counts_wrong_codes_through_the_signal(cast: Cast) -> None:
    """The contract for the MFA step: refuse_if_locked_out first, user_login_failed per wrong
    code. Its failures share the password step's counters."""
    request = RequestFactory().post("/login/code/", REMOTE_ADDR=OFFICE)
    assert refuse_if_locked_out(request, "bob") is None
    for _ in range(5):
        user_login_failed.send(sender=__name__, credentials={"username": "bob"}, request=request)
    refused = refuse_if_locked_out(request, "bob")
    assert refused is not None and refused.status_code == 429
    assert attempt("bob", PASSWORD).status_code == 429


# Full-width letters: what Django's sign-in form turns into "bob" (NFKC) before the password
# check. The attack typed these 25 times and then signed in while "locked".
FULL_WIDTH_BOB = "\uff42\uff4f\uff42"


def test_a_name_typed_in_full_width_letters_counts_under_the_name(cast: Cast) -> None:
    fail(FULL_WIDTH_BOB, 5)
    assert attempt(FULL_WIDTH_BOB, PASSWORD).status_code == 429
    assert attempt("bob", PASSWORD).status_code == 429


def test_spellings_spread_over_addresses_reach_the_account_limit(cast: Cast) -> None:
    spellings = [FULL_WIDTH_BOB, "BOB", "Bob ", "\uff22\uff2f\uff22", "bob"]
    for n in range(20):
        assert attempt(spellings[n % len(spellings)], ip=f"203.0.113.{n}").status_code == 200
    for spelling in spellings:
        assert attempt(spelling, PASSWORD, ip="203.0.113.200").status_code == 429


def test_the_admin_login_counts_full_width_names_under_the_name(cast: Cast) -> None:
    url = reverse("admin:login")
    for _ in range(5):
        response = Client().post(
            url, {"username": FULL_WIDTH_BOB, "password": "x"}, REMOTE_ADDR=OFFICE
        )
        assert response.status_code == 200
    again = Client().post(
        url, {"username": FULL_WIDTH_BOB, "password": PASSWORD}, REMOTE_ADDR=OFFICE
    )
    assert again.status_code == 429
    assert attempt("bob", PASSWORD).status_code == 429


def test_any_spelling_of_a_name_signs_in_as_its_account(cast: Cast) -> None:
    for spelling in ("BOB", FULL_WIDTH_BOB, " Bob"):
        response = attempt(spelling, PASSWORD)
        assert signed_in(response), spelling


def test_the_limits_come_from_the_settings(cast: Cast) -> None:
    with override_settings(GROUPGUARD_LOCKOUT_CLIENT_FAILURES=2):
        fail("bob", 2)
        assert attempt("bob", PASSWORD).status_code == 429


def test_the_account_page_is_no_password_oracle_for_a_borrowed_session(cast: Cast) -> None:
    """Found by the review of #15: the account page checked passwords without the lockout, so
    someone holding a signed-in session could guess the password without end."""
    client = cast.client_for(cast.bob)
    url = reverse("account_security")
    wrong_old = {
        "form": "password",
        "pw-old_password": WRONG,
        "pw-new_password1": "a-new-quiet-meadow",
        "pw-new_password2": "a-new-quiet-meadow",
    }
    for _ in range(5):
        assert client.post(url, wrong_old, REMOTE_ADDR=OFFICE).status_code == 200
    right = {**wrong_old, "pw-old_password": PASSWORD}
    assert client.post(url, right, REMOTE_ADDR=OFFICE).status_code == 429
    reauth = {"form": "mfa", "mfa-password": PASSWORD, "mfa-code": "123456"}
    assert client.post(url, reauth, REMOTE_ADDR=OFFICE).status_code == 429
    cast.bob.refresh_from_db()
    assert cast.bob.check_password(PASSWORD)  # nothing changed while locked
    assert attempt("bob", PASSWORD).status_code == 429

"""Passkeys through the pages: the second step on the code page, sign-in without a password
on the login page, and the account's passkey page (add, rename, remove), with the lockout and
the relying party from the settings."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from groupguard.audit.models import AuditEntry
from groupguard.lockout.models import LoginFailure
from groupguard.passkeys.models import Passkey
from tests.conftest import Cast
from tests.factories import PASSWORD
from tests.passkeys.authenticator import SoftAuthenticator, enrol
from tests.support import authenticator_for, mfa_login

OPTIONS = re.compile(r'data-options="([^"]*)"')


def password_step(client: Client, username: str = "bob") -> None:
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:300]


def code_page_options(client: Client) -> str:
    page = client.get(reverse("mfa_verify")).content.decode()
    found = OPTIONS.search(page)
    assert found is not None, "the code page offers no passkey"
    return html.unescape(found.group(1))


def actions_logged(prefix: str) -> list[str]:
    return list(
        AuditEntry.objects.filter(action__startswith=prefix)
        .order_by("log_id", "index")
        .values_list("action", flat=True)
    )


@pytest.fixture
def bob_with_passkey(cast: Cast) -> SoftAuthenticator:
    authenticator_for(cast.bob)
    _, device = enrol(cast.bob)
    return device


# --- The second step ----------------------------------------------------------------------


def test_the_code_page_offers_a_passkey_only_to_someone_who_has_one(cast: Cast) -> None:
    authenticator_for(cast.carol)
    client = Client()
    password_step(client, "carol")
    page = client.get(reverse("mfa_verify")).content.decode()
    assert "Use a passkey" not in page and "passkeys.js" not in page
    assert 'autocomplete="one-time-code"' in page


def test_a_passkey_at_the_code_step_verifies_the_session_like_a_code(
    cast: Cast, bob_with_passkey: SoftAuthenticator
) -> None:
    client = Client()
    password_step(client)
    options = code_page_options(client)
    assert "Use a passkey" in client.get(reverse("mfa_verify")).content.decode()
    options = code_page_options(client)  # each showing of the page has a new challenge
    response = client.post(
        reverse("mfa_verify"),
        {"credential": bob_with_passkey.get(options), "next": "/members/"},
    )
    assert response.status_code == 302 and response["Location"] == "/members/"
    assert client.get(reverse("member_list")).status_code == 200
    assert actions_logged("auth.") == ["auth.login", "auth.mfa"]


def test_a_refused_passkey_leaves_the_code_as_the_way_in(
    cast: Cast, bob_with_passkey: SoftAuthenticator
) -> None:
    client = Client()
    password_step(client)
    forged = bob_with_passkey.get(code_page_options(client), signing_key=SoftAuthenticator().key)
    response = client.post(reverse("mfa_verify"), {"credential": forged})
    page = response.content.decode()
    assert response.status_code == 200 and "That passkey did not sign you in" in page
    assert "This field is required" not in page  # the code form was not sent
    assert client.get(reverse("dashboard"))["Location"].startswith(reverse("mfa_verify"))
    from groupguard.accounts import mfa

    device = mfa.authenticator(cast.bob)
    assert device is not None
    ok = client.post(reverse("mfa_verify"), {"code": mfa.current_code(device)})
    assert ok.status_code == 302


def test_wrong_passkey_answers_count_towards_the_sign_in_lockout(
    cast: Cast, bob_with_passkey: SoftAuthenticator
) -> None:
    client = Client()
    password_step(client)
    before = LoginFailure.objects.count()
    for _ in range(5):
        options = code_page_options(client)
        forged = bob_with_passkey.get(options, signing_key=SoftAuthenticator().key)
        client.post(reverse("mfa_verify"), {"credential": forged})
    assert LoginFailure.objects.count() == before + 5
    # Locked out: even a right answer is not looked at.
    options = json.dumps({"challenge": "AAAA", "rpId": "testserver"})
    response = client.post(reverse("mfa_verify"), {"credential": bob_with_passkey.get(options)})
    assert response.status_code == 429


# --- Without a password -------------------------------------------------------------------


def passwordless_options(client: Client) -> str:
    response = client.post(reverse("passkey_login_options"))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    return response.content.decode()


def test_the_login_page_offers_a_passkey(db: None) -> None:
    page = Client().get(reverse("login")).content.decode()
    assert "Sign in with a passkey" in page and reverse("passkey_login_options") in page
    assert "/static/web/passkeys.js" in page


def test_a_passkey_alone_signs_in_both_steps(
    cast: Cast, bob_with_passkey: SoftAuthenticator
) -> None:
    client = Client()
    answer = bob_with_passkey.get(passwordless_options(client))
    response = client.post(reverse("passkey_login"), {"credential": answer, "next": "/members/"})
    assert response.status_code == 302 and response["Location"] == "/members/"
    assert client.get(reverse("member_list")).status_code == 200
    assert client.get(reverse("session_status")).status_code == 200  # the clock started
    assert actions_logged("auth.") == ["auth.mfa", "auth.login"]
    mfa_entry = AuditEntry.objects.get(action="auth.mfa")
    assert json.loads(bytes(mfa_entry.leaf))["detail"]["passwordless"] is True


def test_a_passkey_alone_is_refused_to_a_deactivated_account(
    cast: Cast, bob_with_passkey: SoftAuthenticator
) -> None:
    from groupguard.practice import actions as practice

    authenticator_for(cast.dave)
    _, daves = enrol(cast.dave)
    practice.set_staff_active(cast.dave, active=False, acting_user=cast.alice)
    client = Client()
    response = client.post(
        reverse("passkey_login"), {"credential": daves.get(passwordless_options(client))}
    )
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert "did not sign you in" in client.get(response["Location"]).content.decode()
    assert client.get(reverse("dashboard"))["Location"].startswith(reverse("login"))


def test_a_passkey_alone_counts_failures_and_is_refused_when_locked_out(
    cast: Cast, bob_with_passkey: SoftAuthenticator
) -> None:
    client = Client()
    for _ in range(5):
        answer = bob_with_passkey.get(passwordless_options(client), user_verified=False)
        assert client.post(reverse("passkey_login"), {"credential": answer}).status_code == 302
    answer = bob_with_passkey.get(passwordless_options(client))
    assert client.post(reverse("passkey_login"), {"credential": answer}).status_code == 429
    # bob's password is locked out too: it is one lockout per user name.
    locked = Client().post(reverse("login"), {"username": "bob", "password": PASSWORD})
    assert locked.status_code == 429


def test_an_empty_or_foreign_answer_at_the_login_is_refused(db: None) -> None:
    client = Client()
    for data in (
        {},
        {"credential": "{}"},
        {"credential": SoftAuthenticator().get(passwordless_options(client))},
    ):
        response = client.post(reverse("passkey_login"), data)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.get(reverse("passkey_login")).status_code == 405


def test_the_relying_party_comes_from_the_settings_when_set(
    cast: Cast, bob_with_passkey: SoftAuthenticator, settings
) -> None:
    settings.GROUPGUARD_WEBAUTHN_RP_ID = "groupguard.example.org"
    settings.GROUPGUARD_WEBAUTHN_ORIGIN = "https://groupguard.example.org"
    client = Client()
    options = passwordless_options(client)
    assert json.loads(options)["rpId"] == "groupguard.example.org"
    # The passkey was made for "testserver": an answer from there does not fit.
    answer = bob_with_passkey.get(options, rp_id="testserver")
    assert client.post(reverse("passkey_login"), {"credential": answer}).status_code == 302
    assert client.get(reverse("dashboard"))["Location"].startswith(reverse("login"))
    failed = AuditEntry.objects.get(action="auth.mfa_failed")
    assert json.loads(bytes(failed.leaf))["detail"]["reason"] == "invalid"


# --- The account's passkeys ---------------------------------------------------------------


def add_passkey(client: Client, device: SoftAuthenticator, name: str = "laptop") -> Any:
    options = client.post(reverse("passkey_register_options"))
    assert options.status_code == 200, options.content
    return client.post(
        reverse("passkey_register"),
        {"credential": device.create(options.content.decode()), "name": name},
    )


def test_the_account_page_leads_to_the_passkeys(cast: Cast) -> None:
    client = cast.client_for(cast.bob)
    page = client.get(reverse("account_security")).content.decode()
    assert f'href="{reverse("passkey_list")}"' in page and "Manage passkeys" in page


def test_adding_a_passkey_takes_the_password_again(cast: Cast) -> None:
    client = cast.client_for(cast.bob)  # signed in a while ago: no fresh proof
    elsewhere = cast.client_for(cast.bob)
    page = client.get(reverse("passkey_list")).content.decode()
    assert "give your password again" in page and "Add a passkey" not in page
    refused = client.post(reverse("passkey_register_options"))
    assert refused.status_code == 403 and "password" in refused.json()["error"]
    wrong = client.post(reverse("passkey_list"), {"password": "not my password"})
    assert "That is not your password." in wrong.content.decode()
    assert client.post(reverse("passkey_list"), {"password": PASSWORD}).status_code == 302
    assert "Add a passkey" in client.get(reverse("passkey_list")).content.decode()
    response = add_passkey(client, SoftAuthenticator(), "work laptop")
    assert response["Location"] == reverse("passkey_list")
    page = client.get(reverse("passkey_list")).content.decode()
    assert "Passkey “work laptop” added" in page
    assert Passkey.objects.get(user=cast.bob).name == "work laptop"
    assert elsewhere.get(reverse("dashboard"))["Location"].startswith(reverse("login"))


def test_a_second_step_just_taken_is_proof_enough_to_add_a_passkey(cast: Cast) -> None:
    from groupguard.accounts import mfa

    device = authenticator_for(cast.bob)
    client = Client()
    password_step(client)
    client.post(reverse("mfa_verify"), {"code": mfa.current_code(device)})
    assert add_passkey(client, SoftAuthenticator()).status_code == 302
    assert Passkey.objects.filter(user=cast.bob).count() == 1


def test_renaming_and_removing_a_passkey_from_the_page(cast: Cast) -> None:
    passkey, _ = enrol(cast.bob, name="phone")
    client = cast.client_for(cast.bob)
    rename = reverse("passkey_rename", args=[passkey.pk])
    remove = reverse("passkey_remove", args=[passkey.pk])
    assert client.post(rename, {"name": "old phone"}).status_code == 302
    passkey.refresh_from_db()
    assert passkey.name == "old phone"
    # Removing takes fresh proof too.
    assert client.post(remove).status_code == 302
    assert Passkey.objects.filter(pk=passkey.pk).exists()
    client.post(reverse("passkey_list"), {"password": PASSWORD})
    assert client.post(remove).status_code == 302
    assert not Passkey.objects.filter(pk=passkey.pk).exists()
    assert actions_logged("passkey.") == ["passkey.enrol", "passkey.rename", "passkey.remove"]


def test_another_users_passkey_is_not_found(cast: Cast) -> None:
    passkey, _ = enrol(cast.bob)
    carol = cast.client_for(cast.carol)
    carol.post(reverse("passkey_list"), {"password": PASSWORD})
    for name in ("passkey_rename", "passkey_remove"):
        url = reverse(name, args=[passkey.pk])
        assert carol.post(url, {"name": "mine now"}).status_code == 404
    passkey.refresh_from_db()
    assert passkey.name == "test passkey"
    assert "test passkey" not in carol.get(reverse("passkey_list")).content.decode()


def test_a_password_only_session_reaches_none_of_the_passkey_pages(
    cast: Cast, bob_with_passkey: SoftAuthenticator
) -> None:
    client = Client()
    password_step(client)
    passkey = Passkey.objects.get(user=cast.bob)
    for url in (
        reverse("passkey_list"),
        reverse("passkey_register_options"),
        reverse("passkey_register"),
        reverse("passkey_rename", args=[passkey.pk]),
        reverse("passkey_remove", args=[passkey.pk]),
        reverse("passkey_login_options"),
        reverse("passkey_login"),
    ):
        response = client.post(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("mfa_verify")), url
    assert mfa_login(Client(), cast.bob).get(reverse("passkey_list")).status_code == 200

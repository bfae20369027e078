"""The passkey actions on real WebAuthn answers (tests/passkeys/authenticator.py): making a
passkey, the second step and sign-in without a password, renaming and removing, each with
its audit entry, and every way an answer can be wrong."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

from groupguard.accounts import actions as account_actions
from groupguard.accounts.models import User
from groupguard.audit.models import AuditEntry
from groupguard.passkeys import actions, selectors
from groupguard.passkeys.models import Passkey
from groupguard.passkeys.session import CHALLENGE_SECONDS
from groupguard.practice import actions as practice
from tests.conftest import Cast
from tests.factories import make_user
from tests.passkeys.authenticator import AAGUID, TEST_RP, SoftAuthenticator, enrol
from tests.support import authenticator_for


def detail(entry: AuditEntry) -> dict[str, Any]:
    return dict(json.loads(bytes(entry.leaf))["detail"])


def entries(prefix: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action__startswith=prefix).order_by("recorded_at", "id"))


def second_step(user: User, authenticator: SoftAuthenticator, **answer: Any) -> actions.SignIn:
    session = SessionStore()
    options = actions.begin_authentication(user, session=session, rp=TEST_RP)
    return actions.finish_authentication(
        authenticator.get(options, **answer), session=session, user=user
    )


def passwordless(authenticator: SoftAuthenticator, **answer: Any) -> actions.SignIn:
    session = SessionStore()
    options = actions.begin_authentication(None, session=session, rp=TEST_RP)
    return actions.finish_authentication(authenticator.get(options, **answer), session=session)


# --- Making a passkey ---------------------------------------------------------------------


def test_the_options_ask_for_a_discoverable_verified_passkey_without_attestation(
    cast: Cast,
) -> None:
    first, _ = enrol(cast.bob)
    options = json.loads(actions.begin_registration(cast.bob, session=SessionStore(), rp=TEST_RP))
    assert options["rp"] == {"id": "testserver", "name": "groupguard"}
    assert options["user"]["name"] == "bob"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["attestation"] == "none"
    # The passkey already made is excluded (the same device would make a second one), and the
    # account keeps one WebAuthn user id: 32 random bytes, nothing about the person.
    assert [c["id"] for c in options["excludeCredentials"]] == [first.credential_id]
    assert options["user"]["id"] == first.user_handle
    assert len(base64url_to_bytes(first.user_handle)) == 32


def test_a_passkey_is_kept_with_its_key_and_flags_and_its_enrolment_audited_high(
    cast: Cast,
) -> None:
    elsewhere = cast.client_for(cast.bob)
    device = SoftAuthenticator(backed_up=True)
    passkey, _ = enrol(cast.bob, device, name="  work   laptop ")
    passkey.refresh_from_db()
    assert passkey.user == cast.bob and passkey.name == "work laptop"
    assert passkey.credential_id == bytes_to_base64url(device.credential_id)
    assert passkey.aaguid == str(AAGUID)
    assert passkey.transports == ["internal", "hybrid"]
    assert passkey.backup_eligible and passkey.backed_up
    assert passkey.sign_count == 0 and passkey.last_used_at is None
    assert passkey.persistent_id == f"passkeys.passkey/{passkey.pk}"  # a django-otp device
    entry = AuditEntry.objects.get(action="passkey.enrol")
    assert entry.severity == "high" and entry.object_id == str(passkey.pk)
    assert detail(entry) == {
        "user": cast.bob.pk,
        "backed_up": True,
        "aaguid": str(AAGUID),
        "sessions_ended": 1,
    }
    # Nothing the person typed (the name) goes into the log.
    assert b"laptop" not in bytes(entry.leaf)
    assert elsewhere.get(reverse("dashboard"))["Location"].startswith(reverse("login"))


def test_a_name_left_empty_becomes_a_numbered_one(cast: Cast) -> None:
    enrol(cast.bob, name="")
    second, _ = enrol(cast.bob, name=" ")
    assert list(selectors.passkeys_of(user=cast.bob).values_list("name", flat=True)) == [
        "Passkey 1",
        "Passkey 2",
    ]
    assert second.name == "Passkey 2"


@pytest.mark.parametrize(
    "answer",
    [
        {"origin": "https://evil.example"},  # made on a look-alike site
        {"challenge": "AAAA"},  # not the challenge given
        {"user_verified": False},  # nobody checked who holds the device
        None,  # not even JSON
    ],
)
def test_a_registration_that_does_not_check_out_stores_nothing(
    cast: Cast, answer: dict[str, Any] | None
) -> None:
    session = SessionStore()
    options = actions.begin_registration(cast.bob, session=session, rp=TEST_RP)
    response = "{not json" if answer is None else SoftAuthenticator().create(options, **answer)
    with pytest.raises(ValidationError, match="could not be checked"):
        actions.finish_registration(
            cast.bob, response, name="b", session=session, acting_user=cast.bob, keep_session=None
        )
    assert not Passkey.objects.exists()
    assert not AuditEntry.objects.filter(action="passkey.enrol").exists()


def test_a_registration_challenge_works_once_for_its_user_and_not_for_long(
    cast: Cast, time_machine
) -> None:
    time_machine.move_to(datetime.datetime.now(tz=datetime.UTC), tick=False)
    session = SessionStore()
    options = actions.begin_registration(cast.bob, session=session, rp=TEST_RP)
    actions.finish_registration(
        cast.bob,
        SoftAuthenticator().create(options),
        name="first",
        session=session,
        acting_user=cast.bob,
        keep_session=None,
    )
    with pytest.raises(ValidationError, match="expired"):  # spent
        actions.finish_registration(
            cast.bob,
            SoftAuthenticator().create(options),
            name="again",
            session=session,
            acting_user=cast.bob,
            keep_session=None,
        )
    options = actions.begin_registration(cast.bob, session=session, rp=TEST_RP)
    with pytest.raises(ValidationError, match="expired"):  # made for bob
        actions.finish_registration(
            cast.carol,
            SoftAuthenticator().create(options),
            name="carol's",
            session=session,
            acting_user=cast.carol,
            keep_session=None,
        )
    options = actions.begin_registration(cast.bob, session=session, rp=TEST_RP)
    time_machine.shift(datetime.timedelta(seconds=CHALLENGE_SECONDS))
    with pytest.raises(ValidationError, match="expired"):  # too late
        actions.finish_registration(
            cast.bob,
            SoftAuthenticator().create(options),
            name="late",
            session=session,
            acting_user=cast.bob,
            keep_session=None,
        )
    assert list(Passkey.objects.values_list("name", flat=True)) == ["first"]


def test_the_same_passkey_cannot_be_registered_twice(cast: Cast) -> None:
    _, device = enrol(cast.bob)
    with pytest.raises(ValidationError, match="already set up"):
        enrol(cast.carol, device)
    assert Passkey.objects.count() == 1


# --- The second step ----------------------------------------------------------------------


def test_the_second_step_takes_a_signature_from_the_users_passkey(cast: Cast) -> None:
    passkey, device = enrol(cast.bob)
    options = json.loads(actions.begin_authentication(cast.bob, session=SessionStore(), rp=TEST_RP))
    assert [c["id"] for c in options["allowCredentials"]] == [passkey.credential_id]
    assert options["userVerification"] == "preferred"  # the password was the other factor
    result = second_step(cast.bob, device, user_verified=False)
    assert result.ok and result.passkey == passkey and result.user == cast.bob
    passkey.refresh_from_db()
    assert passkey.sign_count == 1 and passkey.last_used_at is not None
    entry = AuditEntry.objects.get(action="auth.mfa")
    assert entry.severity == "info" and entry.object_id == str(cast.bob.pk)
    assert detail(entry) == {"method": "passkey", "passkey": passkey.pk, "passwordless": False}


def test_a_syncing_passkey_that_keeps_its_count_at_zero_still_signs_in(cast: Cast) -> None:
    passkey, device = enrol(cast.bob, SoftAuthenticator(counter_step=0, backed_up=True))
    assert second_step(cast.bob, device).ok
    assert second_step(cast.bob, device).ok
    passkey.refresh_from_db()
    assert passkey.sign_count == 0 and passkey.backed_up


@pytest.mark.parametrize(
    "answer,reason",
    [
        ({"signing_key": SoftAuthenticator().key}, "invalid"),  # a forged signature
        ({"origin": "https://evil.example"}, "invalid"),  # a look-alike site relayed it
        ({"rp_id": "evil.example"}, "invalid"),  # signed for another site
        ({"challenge": "AAAA"}, "invalid"),  # an old answer
    ],
)
def test_a_second_step_answer_that_does_not_check_out_is_refused_and_audited_high(
    cast: Cast, answer: dict[str, Any], reason: str
) -> None:
    passkey, device = enrol(cast.bob)
    result = second_step(cast.bob, device, **answer)
    assert not result.ok and result.reason == reason and result.user == cast.bob
    passkey.refresh_from_db()
    assert passkey.sign_count == 0 and passkey.last_used_at is None
    entry = AuditEntry.objects.get(action="auth.mfa_failed")
    assert entry.severity == "high" and entry.object_id == str(cast.bob.pk)
    assert detail(entry) == {
        "method": "passkey",
        "reason": reason,
        "passwordless": False,
        "passkey": passkey.pk,
    }
    assert not AuditEntry.objects.filter(action="auth.mfa").exists()


def test_an_answer_is_taken_once_and_a_count_that_goes_back_is_refused(cast: Cast) -> None:
    _, device = enrol(cast.bob)
    session = SessionStore()
    options = actions.begin_authentication(cast.bob, session=session, rp=TEST_RP)
    answer = device.get(options)
    assert actions.finish_authentication(answer, session=session, user=cast.bob).ok
    replay = actions.finish_authentication(answer, session=session, user=cast.bob)
    assert replay.reason == "expired"  # the challenge was spent
    # A copy of the key whose counter lags behind the original's: perhaps a cloned key.
    clone = SoftAuthenticator(key=device.key, credential_id=device.credential_id)
    assert second_step(cast.bob, clone).reason == "invalid"


def test_the_second_step_takes_only_the_signed_in_users_own_passkeys(cast: Cast) -> None:
    enrol(cast.bob)
    _, carols = enrol(cast.carol)
    result = second_step(cast.bob, carols)
    assert result.reason == "unknown" and result.user == cast.bob
    entry = AuditEntry.objects.get(action="auth.mfa_failed")
    assert entry.object_id == str(cast.bob.pk) and "passkey" not in detail(entry)


def test_a_second_step_challenge_expires(cast: Cast, time_machine) -> None:
    time_machine.move_to(datetime.datetime.now(tz=datetime.UTC), tick=False)
    _, device = enrol(cast.bob)
    session = SessionStore()
    options = actions.begin_authentication(cast.bob, session=session, rp=TEST_RP)
    time_machine.shift(datetime.timedelta(seconds=CHALLENGE_SECONDS))
    result = actions.finish_authentication(device.get(options), session=session, user=cast.bob)
    assert result.reason == "expired"


def test_a_malformed_answer_is_refused_not_a_crash(cast: Cast) -> None:
    _, device = enrol(cast.bob)
    good = json.loads(device.get(json.dumps({"challenge": "AAAA", "rpId": "testserver"})))
    broken = [
        "",
        "null",
        "[]",
        '{"id": 1}',
        json.dumps({**good, "rawId": "not base64url!"}),
        json.dumps({**good, "id": "AAAA"}),  # id and rawId differ
        json.dumps({**good, "response": {**good["response"], "authenticatorData": "AA"}}),
        json.dumps({**good, "response": {**good["response"], "signature": ""}}),
        "x" * 70_000,
    ]
    for answer in broken:
        session = SessionStore()
        actions.begin_authentication(cast.bob, session=session, rp=TEST_RP)
        result = actions.finish_authentication(answer, session=session, user=cast.bob)
        assert not result.ok and result.reason in {"malformed", "invalid"}, answer[:80]


# --- Without a password -------------------------------------------------------------------


def test_without_a_password_a_verified_passkey_signs_its_owner_in(cast: Cast) -> None:
    authenticator_for(cast.bob)
    passkey, device = enrol(cast.bob)
    options = json.loads(actions.begin_authentication(None, session=SessionStore(), rp=TEST_RP))
    assert options["allowCredentials"] == [] and options["userVerification"] == "required"
    result = passwordless(device)
    assert result.ok and result.user == cast.bob and result.passkey == passkey
    entry = AuditEntry.objects.get(action="auth.mfa")
    assert detail(entry) == {"method": "passkey", "passkey": passkey.pk, "passwordless": True}


@pytest.mark.parametrize(
    "answer,reason",
    [
        ({"user_verified": False}, "invalid"),  # nobody checked who holds the device
        ({"user_handle": b"x" * 32}, "invalid"),  # the authenticator names another account
        ({"signing_key": SoftAuthenticator().key}, "invalid"),
    ],
)
def test_without_a_password_the_device_must_check_its_holder_and_name_the_account(
    cast: Cast, answer: dict[str, Any], reason: str
) -> None:
    authenticator_for(cast.bob)
    _, device = enrol(cast.bob)
    result = passwordless(device, **answer)
    assert not result.ok and result.reason == reason and result.user == cast.bob
    entry = AuditEntry.objects.get(action="auth.mfa_failed")
    assert entry.severity == "high" and entry.object_id == str(cast.bob.pk)
    assert json.loads(bytes(entry.leaf))["actor"] == {"kind": "anonymous", "id": None}


def test_an_unknown_passkey_without_a_password_names_nobody(cast: Cast) -> None:
    result = passwordless(SoftAuthenticator(user_handle=b"h" * 32))
    assert result.reason == "unknown" and result.user is None
    entry = AuditEntry.objects.get(action="auth.mfa_failed")
    assert entry.severity == "info" and entry.object_id == ""
    assert entry.log.name == "site"


def test_without_a_password_deactivated_and_demo_accounts_are_refused(cast: Cast, settings) -> None:
    for user in (cast.dave, cast.bob):
        authenticator_for(user)
    _, daves = enrol(cast.dave)
    practice.set_staff_active(cast.dave, active=False, acting_user=cast.alice)
    assert passwordless(daves).reason == "not_allowed"

    demo = practice.create_practice(
        name="Demo", slug="demo", jurisdiction="US-CA", acting_user=None
    )
    ada = make_user(demo, "ada", "admin")
    authenticator_for(ada)
    _, adas = enrol(ada)
    settings.DEMO_MODE = False
    assert passwordless(adas).reason == "not_allowed"
    settings.DEMO_MODE = True
    assert passwordless(adas).ok


def test_without_a_password_an_account_whose_authenticator_was_reset_is_refused(
    cast: Cast,
) -> None:
    """An admin resets a lost phone's authenticator; a passkey does not skip setting up a
    new one."""
    _, device = enrol(cast.bob)  # bob has no authenticator app (yet, or any more)
    assert passwordless(device).reason == "no_authenticator"


# --- Renaming and removing ----------------------------------------------------------------


def test_renaming_is_audited_without_the_name(cast: Cast) -> None:
    passkey, _ = enrol(cast.bob, name="phone")
    actions.rename_passkey(passkey, name=" old   phone ", acting_user=cast.bob)
    passkey.refresh_from_db()
    assert passkey.name == "old phone"
    entry = AuditEntry.objects.get(action="passkey.rename")
    assert json.loads(bytes(entry.leaf))["fields"] == ["name"]
    assert b"phone" not in bytes(entry.leaf)
    actions.rename_passkey(passkey, name="old phone", acting_user=cast.bob)  # no change
    with pytest.raises(ValidationError):
        actions.rename_passkey(passkey, name="   ", acting_user=cast.bob)
    assert AuditEntry.objects.filter(action="passkey.rename").count() == 1


def test_removing_a_passkey_is_audited_high_and_ends_the_other_sessions(cast: Cast) -> None:
    authenticator_for(cast.bob)
    passkey, device = enrol(cast.bob)
    kept, other = Client(), Client()
    for client in (kept, other):
        client.force_login(cast.bob)
    passkey_id = passkey.pk
    actions.remove_passkey(passkey, acting_user=cast.bob, keep_session=kept.session.session_key)
    assert not Passkey.objects.filter(pk=passkey_id).exists()
    entry = AuditEntry.objects.get(action="passkey.remove")
    assert entry.severity == "high" and entry.object_id == str(passkey_id)
    assert detail(entry) == {"user": cast.bob.pk, "sessions_ended": 1}
    assert kept.get(reverse("mfa_verify")).status_code == 200
    assert other.get(reverse("mfa_verify"))["Location"].startswith(reverse("login"))
    # Gone: it signs nobody in any more.
    assert passwordless(device).reason == "unknown"


def test_resetting_a_lost_phones_second_step_removes_its_passkeys(cast: Cast) -> None:
    """After an admin's reset, the lost phone's passkey must not work again once the colleague
    sets up a new authenticator."""
    enrol(cast.bob)
    account_actions.reset_mfa(cast.bob, acting_user=cast.alice)
    assert not Passkey.objects.filter(user=cast.bob).exists()
    enrol(cast.carol)
    account_actions.reset_password(cast.carol, acting_user=cast.alice, reset_second_step=True)
    assert not Passkey.objects.filter(user=cast.carol).exists()

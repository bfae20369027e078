"""Password rules (ASVS 5.0 V6.2): 12 to 128 characters of any kind, not common, not like the
user's own names."""

from __future__ import annotations

import pytest
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

from groupguard.accounts.models import User
from groupguard.practice import actions
from tests.conftest import Cast

PHRASE = "harbor lantern velvet cactus " * 5  # 145 characters


def refusal_codes(password: str, user: User | None = None) -> set[str]:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        return {e.code or "" for e in exc.error_list}
    return set()


def test_eleven_characters_are_refused() -> None:
    assert refusal_codes("x7#kq!m2p9z") == {"password_too_short"}


def test_twelve_and_128_characters_are_accepted() -> None:
    assert refusal_codes("x7#kq!m2p9zw") == set()
    assert refusal_codes(PHRASE[:128]) == set()


def test_129_characters_are_refused() -> None:
    assert refusal_codes(PHRASE[:129]) == {"password_too_long"}


def test_a_common_password_is_refused() -> None:
    assert refusal_codes("qwerty123456") == {"password_too_common"}


def test_a_password_like_the_users_name_is_refused() -> None:
    user = User(username="alicetester", first_name="Alice", last_name="Tester")
    assert refusal_codes("alice.tester.1", user) == {"password_too_similar"}


def test_any_composition_is_allowed_even_all_digits() -> None:
    # No composition rules (ASVS 5.0 V6.2.5): length does the work, the common list the rest.
    assert refusal_codes("739204618375") == set()
    assert refusal_codes("ünïcödé pässwörd ✓") == set()


def test_creating_staff_applies_the_rules(cast: Cast) -> None:
    with pytest.raises(ValidationError, match="too long"):
        actions.create_staff_user(
            practice=cast.north,
            username="erin",
            password="p" * 129,
            role="clinician",
            acting_user=cast.alice,
        )


# --- Breached passwords (ASVS 5.0 V6.2.12) -------------------------------------------------
# "woodpecker21" and "football2011" are in the bundled list of breached passwords and not in
# Django's list of common ones: only the breached-password rule can refuse them.


def test_a_breached_password_is_refused() -> None:
    assert refusal_codes("woodpecker21") == {"password_breached"}
    assert refusal_codes("football2011") == {"password_breached"}


@pytest.mark.parametrize(
    "typed",
    [
        "WoodPecker21",
        "  woodpecker21\t",
        "\uff57\uff4f\uff4f\uff44\uff50\uff45\uff43\uff4b\uff45\uff52\uff12\uff11",  # full width
    ],
)
def test_a_breached_password_is_refused_whatever_its_case_spacing_or_width(typed: str) -> None:
    assert "password_breached" in refusal_codes(typed)


def test_the_breached_list_covers_every_length_the_length_rule_lets_through(settings) -> None:
    from groupguard.accounts.passwords import BREACHED_MIN_LENGTH, breached_passwords

    # The bundled list keeps only passwords of BREACHED_MIN_LENGTH characters and more (shorter
    # ones are refused for their length). Lowering the minimum below it would let short
    # breached passwords through unchecked.
    minimum = next(
        v["OPTIONS"]["min_length"]
        for v in settings.AUTH_PASSWORD_VALIDATORS
        if v["NAME"].endswith(".MinimumLengthValidator")
    )
    assert minimum >= BREACHED_MIN_LENGTH
    names = [v["NAME"] for v in settings.AUTH_PASSWORD_VALIDATORS]
    assert "groupguard.accounts.passwords.BreachedPasswordValidator" in names
    # The two lists are kept apart: Django's own list stays in force for the common ones.
    assert "django.contrib.auth.password_validation.CommonPasswordValidator" in names
    listed = breached_passwords()
    assert len(listed) > 40_000
    assert min(len(p) for p in listed) >= BREACHED_MIN_LENGTH


def test_the_breached_list_is_read_once() -> None:
    from groupguard.accounts.passwords import breached_passwords

    refusal_codes("first-try-of-the-list")
    before = breached_passwords.cache_info()
    refusal_codes("second-try-of-the-list")
    refusal_codes("woodpecker21")
    after = breached_passwords.cache_info()
    assert after.misses == before.misses and after.hits > before.hits


def test_a_new_password_of_ones_own_cannot_be_a_breached_one(cast: Cast) -> None:
    from groupguard.accounts.actions import change_password

    with pytest.raises(ValidationError) as refused:
        change_password(cast.bob, "Football2011", acting_user=cast.bob, keep_session=None)
    assert "breach" in " ".join(refused.value.messages)
    cast.bob.refresh_from_db()
    assert not cast.bob.check_password("Football2011")


def test_creating_staff_refuses_a_breached_password(cast: Cast) -> None:
    with pytest.raises(ValidationError, match="breach"):
        actions.create_staff_user(
            practice=cast.north,
            username="erin",
            password="woodpecker21",
            role="clinician",
            acting_user=cast.alice,
        )

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

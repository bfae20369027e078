"""One form of a user name for storing, signing in and counting failures (accounts.usernames)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from groupguard.core.usernames import normalize_username
from groupguard.lockout.selectors import account_key
from groupguard.practice import actions
from tests.conftest import Cast
from tests.factories import PASSWORD


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Ada", "ada"),
        ("  ada ", "ada"),
        ("\uff41\uff44\uff41", "ada"),  # full-width letters
        ("\uff21\uff24\uff21", "ada"),
        ("Stra\u00dfe", "strasse"),  # ß folds to ss
        ("STRASSE", "strasse"),
        ("Jose\u0301", "jos\u00e9"),  # a decomposed accent is composed
        ("\ufb01nn", "finn"),  # the "fi" ligature
    ],
)
def test_every_spelling_has_one_form(typed: str, stored: str) -> None:
    assert normalize_username(typed) == stored


def test_the_lockout_counts_every_spelling_under_one_key() -> None:
    assert account_key("\uff41\uff44\uff41") == account_key("ADA") == account_key("ada")
    assert account_key("ada") != account_key("adam")


def test_a_new_account_is_stored_in_the_one_form(cast: Cast) -> None:
    user = actions.create_staff_user(
        practice=cast.north,
        username="\uff24\uff41\uff4e",
        password=PASSWORD,
        role="clinician",
        acting_user=cast.alice,
    )
    assert user.username == "dan"


def test_two_spellings_of_one_name_are_one_account(cast: Cast) -> None:
    with pytest.raises(ValidationError) as refused:
        actions.create_staff_user(
            practice=cast.north,
            username="BOB",
            password=PASSWORD,
            role="clinician",
            acting_user=cast.alice,
        )
    assert "username" in refused.value.message_dict

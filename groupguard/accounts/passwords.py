"""Password rules beyond Django's own validators (see AUTH_PASSWORD_VALIDATORS in settings)."""

from __future__ import annotations

import functools
import gzip
import unicodedata
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured, ValidationError

# Passwords exposed in data breaches, one a line, normalised (see normalize_password), sorted;
# where the list comes from, its licence and how it was built: data/README.md.
BREACHED_LIST = Path(__file__).resolve().parent / "data" / "breached-passwords.txt.gz"
# The list keeps only passwords this long and longer: shorter ones are refused for their length
# (MinimumLengthValidator, 12), and leaving them out keeps the file small.
BREACHED_MIN_LENGTH = 12


class MaximumLengthValidator:
    """Refuse passwords longer than ``max_length`` characters (128 by default).

    Long passphrases are welcome; the cap only stops a megabyte "password" from making every
    sign-in attempt an expensive hash. Passwords are never truncated.
    """

    def __init__(self, max_length: int = 128) -> None:
        self.max_length = max_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                f"This password is too long: use at most {self.max_length} characters.",
                code="password_too_long",
                params={"max_length": self.max_length},
            )

    def get_help_text(self) -> str:
        return f"Your password can be up to {self.max_length} characters long."


def normalize_password(password: str) -> str:
    """The form a password is looked up in the breached list: compatibility-composed (full-width
    letters become plain ones), case-folded and without surrounding white space. Django's
    common-password check does the same with lower() and strip()."""
    return unicodedata.normalize("NFKC", password).casefold().strip()


@functools.cache
def breached_passwords(path: Path = BREACHED_LIST) -> frozenset[str]:
    """The bundled list, read once per process on first use (about 44,000 passwords, 4 MB in
    memory)."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            return frozenset(line.rstrip("\n") for line in lines if line.strip())
    except OSError as exc:
        # Refusing every password change is better than silently checking against nothing.
        raise ImproperlyConfigured(f"the list of breached passwords cannot be read: {exc}") from exc


class BreachedPasswordValidator:
    """Refuse passwords found in a list of passwords exposed in data breaches (ASVS 5.0 V6.2.12).

    Attackers try these first, against every account, so a password on the list is weak
    however long it is. The list ships with groupguard (no lookup over the network) and holds
    the breached passwords of 12 characters or more that Django's list of 20,000 common
    passwords (``CommonPasswordValidator``, kept alongside) does not already hold.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else BREACHED_LIST

    def validate(self, password: str, user: Any = None) -> None:
        if normalize_password(password) in breached_passwords(self.path):
            raise ValidationError(
                "This password has appeared in a data breach, so attackers will try it: "
                "choose another.",
                code="password_breached",
            )

    def get_help_text(self) -> str:
        return "Your password cannot be one that has appeared in a known data breach."

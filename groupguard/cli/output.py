"""What the commands share: JSON output, and lookups that fail with a message naming the
practice, the user or the id that was wrong."""

from __future__ import annotations

import getpass
import json
import sys
import uuid
from typing import Any, TypeVar

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.management.base import CommandError
from django.db.models import Model, QuerySet

from groupguard.accounts.models import User
from groupguard.core.usernames import normalize_username
from groupguard.practice.models import Practice

M = TypeVar("M", bound=Model)


def dump_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)


def practice_by_slug(slug: str) -> Practice:
    practice = Practice.objects.filter(slug=slug).first()
    if practice is None:
        known = ", ".join(Practice.objects.values_list("slug", flat=True)) or "none yet"
        raise CommandError(f"no practice with slug {slug!r} (known: {known})")
    return practice


def user_in_practice(practice: Practice, username: str, *, option: str = "--as") -> User:
    """An active staff user of ``practice``; a user of another practice is not found."""
    user = (
        User.objects.select_related("practice")
        .filter(practice=practice, username=normalize_username(username), is_active=True)
        .first()
    )
    if user is None:
        active = User.objects.filter(practice=practice, is_active=True).order_by("username")
        known = ", ".join(active.values_list("username", flat=True)) or "none"
        raise CommandError(
            f"{option}: no active user {username!r} in practice {practice.slug!r} "
            f"(active users: {known})"
        )
    return user


def one_of(
    queryset: QuerySet[M], what: str, value: str, practice: Practice, user: User | None = None
) -> M:
    """The row with id ``value`` in ``queryset``, which the caller has already scoped to the
    practice (or to what ``user`` may see). Missing and out of scope read the same."""
    try:
        pk = uuid.UUID(value)
    except ValueError:
        raise CommandError(f"a {what} id is a UUID, not {value!r}") from None
    found = queryset.filter(pk=pk).first()
    if found is None:
        seen_by = f" that {user.username} can see" if user is not None else ""
        raise CommandError(f"no {what} {value!r} in practice {practice.slug!r}{seen_by}")
    return found


def validation_error(error: ValidationError) -> CommandError:
    """An action's ValidationError as a CommandError listing each field and its message."""
    if not hasattr(error, "error_dict"):
        return CommandError(" ".join(error.messages))
    parts = []
    for field, messages in error.message_dict.items():
        text = " ".join(messages)
        # Some messages name their field already (the disclosure engine's facts do).
        named = field == NON_FIELD_ERRORS or text.startswith(f"{field}:")
        parts.append(text if named else f"{field}: {text}")
    return CommandError("; ".join(parts))


def read_password(password_file: str | None, *, label: str = "Password") -> str:
    """A password from the first line of ``password_file``, from standard input when it is
    not a terminal, or asked for twice."""
    if password_file:
        with open(password_file, encoding="utf-8") as handle:
            return handle.readline().rstrip("\n")
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass(f"{label}: ")
    if first != getpass.getpass(f"{label} (again): "):
        raise CommandError("the passwords do not match")
    return first

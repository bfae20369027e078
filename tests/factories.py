"""Making test records through the real actions (so audit entries and checks run), in one
place: staff, members and contacts. The shared cast (``tests.conftest.cast``) is built from
these; a test that needs one more record calls them with what differs from the defaults."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from groupguard.accounts.models import User
from groupguard.contacts import actions as contact_actions
from groupguard.contacts.models import Contact
from groupguard.practice import actions
from groupguard.practice.models import Member, Practice

if TYPE_CHECKING:
    from tests.conftest import Cast

PASSWORD = "correct-horse-battery-staple"


def make_user(practice: Practice, username: str, role: str = "clinician") -> User:
    return actions.create_staff_user(
        practice=practice,
        username=username,
        password=PASSWORD,
        role=role,
        first_name=username.title(),
        last_name="Tester",
        acting_user=None,
    )


def make_member(practice: Practice, given: str, **extra: object) -> Member:
    return actions.create_member(
        practice=practice,
        given_name=given,
        family_name="Zephyrine",
        date_of_birth=datetime.date(1990, 1, 2),
        acting_user=None,
        **extra,
    )


def make_contact(cast: Cast, **overrides: Any) -> Contact:
    """A contact with Mia of the Thursday Group, logged by Bob two hours ago after session,
    with no request; ``overrides`` are the arguments of ``contacts.actions.log_contact``."""
    values: dict[str, Any] = {
        "group": cast.thursday,
        "members": [cast.mia],
        "acting_user": cast.bob,
        "occurred_at": timezone.now() - datetime.timedelta(hours=2),
        "setting": "after_session",
        "initiated_by": "member",
        "summary": "Mia mentioned her new job after group.",
        "request": "none",
    }
    values.update(overrides)
    return contact_actions.log_contact(**values)

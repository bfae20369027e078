"""Writes of the practice domain. Each action is atomic and writes its audit entry.

Views, API handlers and commands parse input and check access, then call exactly one action.
Actions validate (raising ``django.core.exceptions.ValidationError`` with per-field messages)
before anything is written, so bad input changes nothing.

One module per noun: ``practices``, ``staff``, ``groups``, ``members`` (members,
enrolments, role relationships), ``sessions`` and ``breakglass``; ``common`` holds the checks
they share. Import from here or from the noun's module.
"""

from __future__ import annotations

from groupguard.practice.actions.breakglass import (
    BREAK_GLASS_MIN_REASON,
    break_glass,
    review_break_glass,
)
from groupguard.practice.actions.groups import add_co_facilitator, create_group, update_group
from groupguard.practice.actions.members import (
    MEMBER_FIELDS,
    add_member,
    create_member,
    end_enrollment,
    end_role,
    enroll_member,
    record_role,
    update_member,
)
from groupguard.practice.actions.practices import create_practice, update_practice
from groupguard.practice.actions.sessions import schedule_session, set_session_status
from groupguard.practice.actions.staff import (
    add_staff,
    create_staff_user,
    set_practitioner_profile,
    set_staff_active,
)

__all__ = [
    "add_staff",
    "BREAK_GLASS_MIN_REASON",
    "MEMBER_FIELDS",
    "add_co_facilitator",
    "add_member",
    "break_glass",
    "create_group",
    "create_member",
    "create_practice",
    "create_staff_user",
    "end_enrollment",
    "end_role",
    "enroll_member",
    "record_role",
    "review_break_glass",
    "schedule_session",
    "set_practitioner_profile",
    "set_session_status",
    "set_staff_active",
    "update_group",
    "update_member",
    "update_practice",
]

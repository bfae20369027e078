"""The audit history of the scale practice (``seed_scale(audit_entries=N)``).

``audit_entries`` generated entries of the kinds the product writes (members, groups and
sessions viewed, contacts written and read, attendance taken, sign-ins), each naming seeded
objects and a staff user, stamped over the two years the calendar covers, in index order. They
are real entries, not placeholders: canonical leaf bytes, leaf hashes, the signed head of every
entry, the stored subtree nodes, a checkpoint every ``GROUPGUARD_CHECKPOINT_EVERY`` entries and
the log's size and peaks, exactly what ``audit.log.record()`` would have stored, so
``groupguard audit verify`` passes and later appends continue the same tree: they are written
through the log's public bulk append (``audit.bulk.BulkAppender``).
"""

from __future__ import annotations

import datetime
import itertools
import random
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from groupguard.audit.bulk import Draft

# The column lists and time format record() uses, so generated rows match its rows exactly.
from groupguard.practice.models.sessions import SessionStatus

HISTORY_DAYS = 730  # the calendar (and this history) reach back about two years


# The audit history: what the staff did over two years, by kind of entry (weights).
AUDIT_ACTIONS = {
    "member.view": 30,
    "attendance.create": 20,
    "group.view": 12,
    "contact.create": 10,
    "contact.view": 10,
    "groupsession.view": 6,
    "attendance.update": 4,
    "auth.login": 4,
    "session.update": 3,
    "auth.logout": 1,
}

# (time, acting user id, action, object type, object id, fields, member id, detail): the
# arguments of one record() call, before the entry has an index.


def _desk(user_id: int) -> str:
    """A made-up desk per user (TEST-NET-1, RFC 5737), as the address ``record()`` stores."""
    return f"192.0.2.{10 + user_id % 200}"


@dataclass
class AuditRefs:
    """The seeded rows the generated history names: ids, and who would have acted."""

    admin: int
    members: list[tuple[Any, int]]  # member id, the lead of their first group
    groups: list[tuple[Any, int]]  # group id, its lead
    sessions: list[tuple[Any, int]]  # held session id, its group's lead
    contacts: list[tuple[Any, Any]]  # contact, member id
    attendance: list[tuple[Any, Any, Any, str, int]]  # id, session, member, status, recorder
    staff: list[int]


def audit_history(
    rng: random.Random,
    refs: AuditRefs,
    count: int,
    now: datetime.datetime,
    tz: zoneinfo.ZoneInfo,
) -> Iterator[Draft]:
    """``count`` entries spread evenly over the calendar's two years up to ``now``.

    Each has the action, object, fields, member and detail the real action writes (see
    ``practice.actions``, ``contacts.actions``, ``audit.reads.record_view`` and the sign-in
    signals); values are never logged, so neither are they here. Mostly the group's lead acts,
    sometimes the admin.
    """
    pools: dict[str, list[Any]] = {
        "member": refs.members,
        "attendance": refs.attendance,
        "group": refs.groups,
        "contact": refs.contacts,
        "groupsession": refs.sessions,
        "session": refs.sessions,
        "auth": refs.staff,
    }
    weights = {a: w for a, w in AUDIT_ACTIONS.items() if pools[a.split(".")[0]]}
    actions, cumulative = list(weights), list(itertools.accumulate(weights.values()))
    start = now - datetime.timedelta(days=HISTORY_DAYS)
    step = (now - start) / (count + 1)
    for i in range(count):
        when = start + step * (i + 1)
        action = rng.choices(actions, cum_weights=cumulative)[0]
        kind = action.split(".")[0]
        pick = rng.choice(pools[kind])
        by_admin = rng.random() < 0.1
        if kind in ("member", "group", "groupsession", "session"):
            obj_id, lead = pick
            actor = refs.admin if by_admin else lead
            if kind == "member":
                yield Draft(
                    when, actor, action, "member", str(obj_id), [], obj_id, {}, _desk(actor)
                )
            elif kind == "session":  # a session's status set after it was held
                detail: dict[str, Any] = {"status": SessionStatus.HELD.value}
                yield Draft(
                    when,
                    actor,
                    action,
                    "groupsession",
                    str(obj_id),
                    ["status"],
                    None,
                    detail,
                    _desk(actor),
                )
            else:
                yield Draft(when, actor, action, kind, str(obj_id), [], None, {}, _desk(actor))
        elif kind == "contact":
            contact, member_id = pick
            actor = contact.facilitator_id
            if action == "contact.view":
                actor = refs.admin if by_admin else actor
                yield Draft(
                    when, actor, action, "contact", str(contact.pk), [], member_id, {}, _desk(actor)
                )
                continue
            detail = {
                "group": str(contact.group_id),
                "setting": contact.setting,
                "request": contact.request,
                "detected": contact.detected_request,
                "responses": [
                    name
                    for name in (
                        "reminded_agreement",
                        "offered_referral",
                        "promised_confidentiality",
                    )
                    if getattr(contact, name)
                ],
                "sha256": contact.content_sha256,
            }
            yield Draft(
                when,
                actor,
                action,
                "contact",
                str(contact.pk),
                ["summary"],
                member_id,
                detail,
                _desk(actor),
            )
        elif kind == "attendance":
            row_id, session_id, member_id, status, recorder = pick
            detail = {"session": str(session_id), "status": str(status)}
            yield Draft(
                when,
                recorder,
                action,
                "attendance",
                str(row_id),
                ["status"],
                member_id,
                detail,
                _desk(recorder),
            )
        else:  # auth.login, auth.logout: the object is the user
            yield Draft(when, pick, action, "user", str(pick), [], None, {}, _desk(pick))

"""A large fictional practice for benchmarks (``groupguard seed-scale``, ``make bench``).

``seed_scale`` builds the practice with slug ``scale``: an admin, about one clinician per ten
groups (each the lead of about ten groups, some also co-facilitating others), the groups,
members with syllable-made names, enrollments (about ten members a group; some members sit in
two groups, some have left), a few documented roles (most of them dual roles), sessions from two
years ago to two months ahead, and attendance for the sessions that were held.

The practice and its staff go through ``actions.create_practice`` and
``actions.create_staff_user``, with their audit entries. Everything else is written with
``bulk_create`` in batches, for speed, and so deliberately skips the per-row audit entries the
actions would write: generated rows are not facts anybody recorded. One audit entry,
``practice.seed_scale`` with the counts, says where they came from. Encrypted fields are still
sealed, because ``bulk_create`` calls each field's ``pre_save`` and primary keys are generated
client side before the insert. The whole practice is written in one transaction: it appears
complete or not at all.

With ``audit_entries`` it also carries an **audit history** (``scale_audit``).
"""

from __future__ import annotations

import datetime
import random
import secrets
import time
import zoneinfo
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.utils import timezone

from groupguard.accounts.models import Role, User
from groupguard.audit.baseline import bind_unbound_rows
from groupguard.audit.bulk import BulkAppender
from groupguard.audit.log import SYSTEM, record
from groupguard.demo.scale_audit import HISTORY_DAYS, AuditRefs, audit_history
from groupguard.demo.scale_rows import (
    ATTENDANCE_WEIGHTS,
    FAMILY_ENDINGS,
    GROUP_KINDS,
    LICENCES,
    PLACE_ENDINGS,
    ROLE_WEIGHTS,
    WEEKDAYS,
    Seat,
    bulk_rows,
    seed_contacts,
    weighted,
    word,
)
from groupguard.practice import actions
from groupguard.practice.models import (
    Attendance,
    Enrollment,
    Group,
    GroupFacilitator,
    GroupSession,
    Member,
    Practice,
    PractitionerProfile,
    RoleRelationship,
)
from groupguard.practice.models.groups import FacilitatorRole, GroupStatus, Membership, Modality
from groupguard.practice.models.roles import RoleKind
from groupguard.practice.models.sessions import SessionStatus

SCALE_SLUG = "scale"
ADMIN_USERNAME = "scale-admin"
CLINICIAN_PREFIX = "scale-clin-"
TIMEZONE = "America/Los_Angeles"
CONTACTS_PER_MEMBER = 10  # out-of-session contacts, on average
AHEAD_DAYS = 61  # and sessions about two months ahead
AUDIT_ENTRIES_PER_1X = 100_000  # seed-scale's default history: 1,000,000 at --scale 10
AUDIT_SAMPLE = 50_000  # attendance rows kept (a uniform sample) for the history to name


class ScalePracticeExists(Exception):
    """The ``scale`` practice is already in this database; it is generated only once."""


def seed_scale(
    *,
    groups: int = 200,
    members: int = 2000,
    sessions: int = 20000,
    attendance: bool = True,
    contacts_per_member: int = CONTACTS_PER_MEMBER,
    audit_entries: int = 0,
    seed: int = 1,
) -> dict[str, Any]:
    """Create the ``scale`` practice and return what was made (counts, usernames, seconds).

    ``audit_entries`` generated entries of audit history go into the practice's log besides
    the entries of the actions (see the module docstring). The same ``seed`` gives the same
    names, rosters and calendar (relative to today), with or without the history; primary
    keys differ. Raises ``ScalePracticeExists`` when the practice is already there and
    ``ValueError`` for sizes that make no practice.
    """
    if groups < 1:
        raise ValueError("groups must be at least 1")
    if members < 0 or sessions < 0 or audit_entries < 0:
        raise ValueError("members, sessions and audit entries cannot be negative")
    if Practice.objects.filter(slug=SCALE_SLUG).exists():
        raise ScalePracticeExists(
            f"a practice with slug {SCALE_SLUG!r} already exists in this database; seed-scale "
            "generates it once, so use a fresh data directory (or database) to seed again"
        )
    started = time.perf_counter()
    rng = random.Random(seed)  # noqa: S311  (deterministic fiction, not security)
    with transaction.atomic():
        practice, result = _build(
            rng,
            groups=groups,
            members=members,
            sessions=sessions,
            attendance=attendance,
            contacts=members * contacts_per_member,
            audit_entries=audit_entries,
            audit_rng=random.Random(seed + 7_919),  # noqa: S311  (its own stream: see above)
        )
        record(
            practice_id=practice.pk,
            actor=SYSTEM,
            action="practice.seed_scale",
            detail={"seed": seed, **result["counts"]},
        )
    # The bulk load skipped the actions, so its rows are bound now, as an upgrade's would be
    # (audit.rows): audit verify --records and packets hold on the scale practice too.
    result["rows_bound"] = bind_unbound_rows(own_bulk_load=practice.pk)
    result["seconds"] = round(time.perf_counter() - started, 2)
    return result


def _build(
    rng: random.Random,
    *,
    groups: int,
    members: int,
    sessions: int,
    attendance: bool,
    contacts: int,
    audit_entries: int,
    audit_rng: random.Random,
) -> tuple[Practice, dict[str, Any]]:
    now = timezone.now()
    tz = zoneinfo.ZoneInfo(TIMEZONE)
    today = now.astimezone(tz).date()

    practice = actions.create_practice(
        name="Scale Test Practice (generated)",
        slug=SCALE_SLUG,
        jurisdiction="US-CA",
        timezone=TIMEZONE,
        acting_user=None,
    )
    # Nobody is meant to log in with these passwords; `groupguard changepassword` sets one.
    admin = actions.create_staff_user(
        practice=practice,
        username=ADMIN_USERNAME,
        password=secrets.token_urlsafe(24),
        role=Role.ADMIN,
        first_name="Scale",
        last_name="Admin",
        acting_user=None,
        validate_password=False,
    )
    clinicians = [
        actions.create_staff_user(
            practice=practice,
            username=f"{CLINICIAN_PREFIX}{i + 1:03d}",
            password=secrets.token_urlsafe(24),
            role=Role.CLINICIAN,
            first_name=word(rng),
            last_name=word(rng) + rng.choice(FAMILY_ENDINGS),
            acting_user=None,
            validate_password=False,
        )
        for i in range(max(1, round(groups / 10)))
    ]
    staff: list[User] = [admin, *clinicians]
    bulk_rows(
        PractitionerProfile,
        (
            PractitionerProfile(
                user=user,
                license_type=LICENCES[i % len(LICENCES)][0],
                ethics_code=LICENCES[i % len(LICENCES)][1],
                license_number=f"SCALE-{10000 + i}",
                license_jurisdiction="US-CA",
            )
            for i, user in enumerate(staff)
        ),
    )

    # Groups, each led by one clinician in turn; two in five also have a co-facilitator.
    group_rows: list[Group] = []
    leads: list[User] = []
    facilitators: list[GroupFacilitator] = []
    hours: list[int] = []
    for g in range(groups):
        modality = rng.choice(list(Modality))
        status = weighted(
            rng, {GroupStatus.ACTIVE: 85, GroupStatus.FORMING: 5, GroupStatus.CLOSED: 10}
        )
        hour = rng.choice([9, 10, 12, 16, 17, 18, 19])
        group = Group(
            practice=practice,
            name=f"{word(rng)}{rng.choice(PLACE_ENDINGS)} {GROUP_KINDS[modality]} {g + 1:03d}",
            modality=modality,
            part2_program=modality == Modality.SUPPORT and rng.random() < 0.3,
            membership=rng.choice(list(Membership)),
            status=status,
            schedule=f"{rng.choice(WEEKDAYS)} {hour:02d}:00",
        )
        lead = clinicians[g % len(clinicians)]
        facilitators.append(GroupFacilitator(group=group, user=lead, role=FacilitatorRole.LEAD))
        if len(clinicians) > 1 and rng.random() < 0.4:
            co = rng.choice([c for c in clinicians if c.pk != lead.pk])
            facilitators.append(GroupFacilitator(group=group, user=co, role=FacilitatorRole.CO))
        group_rows.append(group)
        leads.append(lead)
        hours.append(hour)
    bulk_rows(Group, group_rows)
    bulk_rows(GroupFacilitator, facilitators)

    # Members: fictional syllable names; the encrypted fields are sealed by pre_save.
    member_rows: list[Member] = []
    for i in range(members):
        given, family = word(rng), word(rng) + rng.choice(FAMILY_ENDINGS)
        minor = rng.random() < 0.03
        age_days = rng.randint(12 * 365, 17 * 365) if minor else rng.randint(19 * 365, 75 * 365)
        member_rows.append(
            Member(
                practice=practice,
                given_name=given,
                family_name=family,
                preferred_name=given[:3] if rng.random() < 0.15 else "",
                date_of_birth=today - datetime.timedelta(days=age_days),
                email=f"{given}.{family}.{i}@example.net".lower(),
                phone=f"555-01{rng.randint(0, 99):02d}",
                is_minor=minor,
                guardian_name=f"{word(rng)} {family}" if minor else "",
                guardian_contact=f"555-02{rng.randint(0, 99):02d}" if minor else "",
            )
        )
    bulk_rows(Member, member_rows)

    # Enrollments: every member in one group in turn, three in ten in a second; one in ten left.
    seats: list[list[Seat]] = [[] for _ in range(groups)]
    enrollment_rows: list[Enrollment] = []
    for i, member in enumerate(member_rows):
        in_groups = [i % groups]
        if groups > 1 and rng.random() < 0.3:
            in_groups.append((i + rng.randint(1, groups - 1)) % groups)
        for g in in_groups:
            joined = today - datetime.timedelta(days=rng.randint(14, HISTORY_DAYS))
            left = None
            if rng.random() < 0.1:
                stayed = rng.randint(7, max(7, (today - joined).days - 1))
                left = min(joined + datetime.timedelta(days=stayed), today - datetime.timedelta(1))
            enrollment_rows.append(
                Enrollment(group=group_rows[g], member=member, joined_on=joined, left_on=left)
            )
            seats[g].append(Seat(member.pk, joined, left))
    bulk_rows(Enrollment, enrollment_rows)

    # A few documented roles: one member in twenty, mostly with their first group's lead.
    role_rows: list[RoleRelationship] = []
    for i, member in enumerate(member_rows):
        if rng.random() >= 0.05:
            continue
        practitioner = leads[i % groups] if rng.random() < 0.7 else rng.choice(clinicians)
        starts = today - datetime.timedelta(days=rng.randint(30, HISTORY_DAYS))
        ends = None
        if rng.random() < 0.2:
            ends = starts + datetime.timedelta(days=rng.randint(0, (today - starts).days))
        role_rows.append(
            RoleRelationship(
                practitioner=practitioner,
                member=member,
                kind=weighted(rng, ROLE_WEIGHTS),
                starts_on=starts,
                ends_on=ends,
            )
        )
    bulk_rows(RoleRelationship, role_rows)

    # Sessions: each group's share spread evenly from two years ago to two months ahead.
    span = HISTORY_DAYS + AHEAD_DAYS
    first_day = today - datetime.timedelta(days=HISTORY_DAYS)
    held: list[tuple[GroupSession, int]] = []

    def session_rows() -> Iterator[GroupSession]:
        for g in range(groups):
            count = sessions // groups + (1 if g < sessions % groups else 0)
            telehealth = rng.random() < 0.2
            for k in range(count):
                day = first_day + datetime.timedelta(days=(k * span) // max(count, 1))
                starts_at = datetime.datetime.combine(day, datetime.time(hours[g]), tzinfo=tz)
                past = starts_at < now
                cancelled = rng.random() < (0.03 if past else 0.02)
                status = (
                    SessionStatus.CANCELLED
                    if cancelled
                    else SessionStatus.HELD
                    if past
                    else SessionStatus.SCHEDULED
                )
                session = GroupSession(
                    group=group_rows[g],
                    starts_at=starts_at,
                    duration_minutes=rng.choice([60, 90]),
                    location="" if telehealth else f"Room {g % 12 + 1}",
                    telehealth=telehealth,
                    status=status,
                )
                if status == SessionStatus.HELD:
                    held.append((session, g))
                yield session

    session_count = bulk_rows(GroupSession, session_rows())

    # Attendance for every held session: whoever was enrolled that day, recorded by the lead.
    # The audit history names a uniform sample of the rows (reservoir sampling, with its own
    # random stream so the practice itself does not depend on whether there is a history).
    sample: list[Attendance] = []

    def attendance_rows() -> Iterator[Attendance]:
        seen = 0
        for session, g in held:
            day = session.starts_at.astimezone(tz).date()
            for seat in seats[g]:
                if seat.current(day):
                    row = Attendance(
                        session_id=session.pk,
                        member_id=seat.member_id,
                        status=weighted(rng, ATTENDANCE_WEIGHTS),
                        recorded_by_id=leads[g].pk,
                    )
                    if audit_entries:
                        if seen < AUDIT_SAMPLE:
                            sample.append(row)
                        elif (k := audit_rng.randrange(seen + 1)) < AUDIT_SAMPLE:
                            sample[k] = row
                        seen += 1
                    yield row

    attendance_count = bulk_rows(Attendance, attendance_rows()) if attendance else 0
    contact_counts, contact_rows = seed_contacts(
        rng, practice, group_rows, seats, leads, tz, now, contacts
    )
    audit_seconds = 0.0
    if audit_entries:
        started = time.perf_counter()
        refs = AuditRefs(
            admin=admin.pk,
            members=[(m.pk, leads[i % groups].pk) for i, m in enumerate(member_rows)],
            groups=[(gr.pk, leads[g].pk) for g, gr in enumerate(group_rows)],
            sessions=[(s.pk, leads[g].pk) for s, g in held],
            contacts=contact_rows,
            attendance=[
                (a.pk, a.session_id, a.member_id, a.status, a.recorded_by_id) for a in sample
            ],
            staff=[u.pk for u in staff],
        )
        BulkAppender(practice.pk).append(audit_history(audit_rng, refs, audit_entries, now, tz))
        audit_seconds = round(time.perf_counter() - started, 2)

    counts = {
        "staff": len(staff),
        "clinicians": len(clinicians),
        "groups": len(group_rows),
        "facilitator_links": len(facilitators),
        "members": len(member_rows),
        "enrollments": len(enrollment_rows),
        "roles": len(role_rows),
        "dual_roles": sum(1 for r in role_rows if r.kind != RoleKind.GROUP_ONLY),
        "sessions": session_count,
        "held_sessions": len(held),
        "attendance": attendance_count,
        **contact_counts,
        "audit_history": audit_entries,
    }
    return practice, {
        "audit_seconds": audit_seconds,
        "practice": SCALE_SLUG,
        "practice_id": str(practice.pk),
        "admin": admin.username,
        "clinicians": [c.username for c in clinicians],
        "counts": counts,
    }

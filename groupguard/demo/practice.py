"""The demo practice: fictional people and records to explore groupguard with.

Every name here is invented. Later features add their own records (agreements and
signatures, contacts, decisions, a complaint) from ``build_demo``.
"""

from __future__ import annotations

import base64
import datetime
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from groupguard.accounts.demo_accounts import (
    DEMO_PASSWORD,
    DEMO_SLUG,
    DEMO_TOTP_SECRET,
)
from groupguard.accounts.models import Role, User
from groupguard.agreements import attendance
from groupguard.audit.log import SYSTEM, record
from groupguard.practice import actions
from groupguard.practice.models import Group, Member, Practice
from groupguard.practice.models.roles import RoleKind
from groupguard.practice.models.sessions import AttendanceStatus, SessionStatus

STAFF = [
    # username, first, last, role, licence, ethics code
    ("ada", "Ada", "Quillfeather", Role.ADMIN, "MFT", "AAMFT"),
    ("ben", "Ben", "Marrowby", Role.CLINICIAN, "LCSW", "NASW"),
    ("cleo", "Cleo", "Vantwist", Role.CLINICIAN, "LPCC", "ACA"),
]

# given, family, preferred, date of birth
MEMBERS = [
    ("Juniper", "Ashgrove", "June", "1988-03-14"),
    ("Rowan", "Bellwhistle", "", "1979-11-02"),
    ("Marisol", "Cobblewick", "", "1991-07-21"),
    ("Thaddeus", "Dunmoor", "Tad", "1969-01-30"),
    ("Ilse", "Fernsby", "", "1985-05-09"),
    ("Oren", "Glimmerdale", "", "1994-09-17"),
    ("Priya", "Hollowmere", "", "1990-12-05"),
    ("Casimir", "Inkwell", "Cas", "1982-04-26"),
    ("Delphine", "Jasperholt", "", "1976-08-13"),
    ("Emeric", "Kettleburn", "", "1998-02-19"),
    ("Saoirse", "Larkspurr", "", "1987-06-01"),
    ("Tobias", "Moonfallow", "Toby", "1973-10-10"),
    ("Wilhelmina", "Nettlecombe", "Mina", "1965-03-03"),
    ("Yusuf", "Oddleigh", "", "1993-01-22"),
    ("Beatrix", "Puddingstone", "Bea", "1989-09-09"),
    ("Lucan", "Quibbleton", "", "2001-05-15"),
    ("Noor", "Rainsford-Pike", "", "1984-12-24"),
    ("Anselm", "Saltmarsh", "", "1971-07-07"),
    ("Fenna", "Thistlebrook", "", "1996-11-11"),
    ("Kit", "Umberwood", "", "2010-04-18"),  # the minor
]


@dataclass
class DemoPractice:
    practice: Practice
    staff: dict[str, User]
    groups: dict[str, Group]
    members: list[Member]


def demo_exists() -> bool:
    return Practice.objects.filter(slug=DEMO_SLUG).exists()


def _demo_authenticator(user: User) -> None:
    from groupguard.accounts.mfa import new_authenticator

    # Sealed like every real secret, though this one is published.
    new_authenticator(
        user,
        name="demo authenticator",
        confirmed=True,
        secret=base64.b32decode(DEMO_TOTP_SECRET),
    )
    record(
        practice_id=user.practice_id,
        actor=SYSTEM,
        action="mfa.enrol",
        obj=user,
        detail={"demo": True},
    )


DEMO_TIMEZONE = "America/Los_Angeles"


@transaction.atomic
def build_demo(*, today: datetime.date | None = None, seed: int = 2008) -> DemoPractice:
    """The demo practice, dated around ``today`` (default: the practice's today). Everything is
    built on the practice's calendar, as its pages show it, not the server's (UTC): in the
    Pacific evening the server's date is already tomorrow."""
    with timezone.override(DEMO_TIMEZONE):
        return _build_demo(today or timezone.localdate(), seed)


def _build_demo(today: datetime.date, seed: int) -> DemoPractice:
    rng = random.Random(seed)  # noqa: S311  (deterministic fiction, not security)
    practice = actions.create_practice(
        name="Harborview Group Practice (demo)",
        slug=DEMO_SLUG,
        jurisdiction="US-CA",
        timezone=DEMO_TIMEZONE,
        acting_user=None,
    )
    staff: dict[str, User] = {}
    for username, first, last, role, licence, code in STAFF:
        user = actions.create_staff_user(
            practice=practice,
            username=username,
            password=DEMO_PASSWORD,
            role=role,
            first_name=first,
            last_name=last,
            email=f"{username}@example.org",
            acting_user=None,
            validate_password=False,
        )
        actions.set_practitioner_profile(
            user=user,
            license_type=licence,
            ethics_code=code,
            license_number=f"DEMO-{rng.randint(10000, 99999)}",
            license_jurisdiction="US-CA",
            acting_user=None,
        )
        _demo_authenticator(user)
        staff[username] = user

    groups = {
        "process": actions.create_group(
            practice=practice,
            name="Tuesday Evening Process Group",
            modality="therapy",
            lead=staff["ada"],
            co_facilitators=[staff["ben"]],
            membership="closed",
            status="active",
            schedule="Tuesdays 18:00–19:30",
            acting_user=None,
        ),
        "teens": actions.create_group(
            practice=practice,
            name="Young Adult Coping Skills",
            modality="psychoeducation",
            lead=staff["cleo"],
            membership="closed",
            status="active",
            schedule="Thursdays 16:00–17:00",
            acting_user=None,
        ),
        "recovery": actions.create_group(
            practice=practice,
            name="Recovery Support Circle",
            modality="support",
            lead=staff["ben"],
            co_facilitators=[staff["cleo"]],
            part2_program=True,
            membership="open",
            status="active",
            schedule="Mondays 12:00–13:00, telehealth",
            acting_user=None,
        ),
    }

    members: list[Member] = []
    for given, family, preferred, dob in MEMBERS:
        is_minor = dob.startswith("2010")
        members.append(
            actions.create_member(
                practice=practice,
                given_name=given,
                family_name=family,
                preferred_name=preferred,
                date_of_birth=datetime.date.fromisoformat(dob),
                email=f"{given.lower()}.{family.lower()}@example.net",
                phone=f"555-01{rng.randint(10, 99)}",
                is_minor=is_minor,
                guardian_name="Orla Umberwood" if is_minor else "",
                guardian_contact="555-0199" if is_minor else "",
                acting_user=None,
            )
        )

    start = today - datetime.timedelta(weeks=10)
    rosters = {
        "process": members[0:8],
        "teens": [members[15], members[19], members[9], members[18]],
        "recovery": members[10:15] + [members[16], members[17], members[3]],
    }
    for key, roster in rosters.items():
        for i, member in enumerate(roster):
            joined = start + datetime.timedelta(days=i % 3)
            if key == "recovery" and i >= 6:
                joined = today - datetime.timedelta(weeks=3)  # open group: newer members
            actions.enroll_member(groups[key], member, joined_on=joined, acting_user=None)

    # Juniper is also Ada's individual client: the dual role the product exists to surface.
    actions.record_role(
        practitioner=staff["ada"],
        member=members[0],
        kind=RoleKind.INDIVIDUAL,
        starts_on=start - datetime.timedelta(weeks=30),
        note="Weekly individual therapy, before and during the group.",
        acting_user=None,
    )
    actions.record_role(
        practitioner=staff["ben"],
        member=members[12],
        kind=RoleKind.COUPLE_FAMILY,
        starts_on=start - datetime.timedelta(weeks=8),
        note="Couple sessions with her partner, fortnightly.",
        acting_user=None,
    )
    process_leaver = actions.enroll_member(
        groups["process"], members[8], joined_on=start, acting_user=None
    )

    leads = {"process": staff["ada"], "teens": staff["cleo"], "recovery": staff["ben"]}
    _agreements(groups, leads, start)
    # A past member of the process group, who signed and left after four weeks.
    actions.end_enrollment(
        process_leaver, left_on=start + datetime.timedelta(weeks=4), acting_user=staff["ada"]
    )
    _sessions(practice, groups, staff, rng, today)
    _after_sessions(groups, leads, rosters, today)
    demo = DemoPractice(practice, staff, groups, members)
    from groupguard.demo.contacts import add_demo_contacts
    from groupguard.demo.disclosures import add_demo_disclosures
    from groupguard.demo.evidence import add_demo_complaint

    add_demo_disclosures(demo, add_demo_contacts(demo, today))
    add_demo_complaint(demo)
    return demo


def _signed_at(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(17, 30), tzinfo=datetime.UTC)


def _agreements(
    groups: dict[str, Group],
    leads: dict[str, User],
    start: datetime.date,
) -> None:
    """Each group's agreement, published before the group began and signed in person.

    One newcomer of the open recovery group (Tad) has not signed yet: a link is waiting.
    """
    from groupguard.agreements import actions as agreements

    for key, group in groups.items():
        agreements.publish(
            group, acting_user=leads[key], effective_on=start - datetime.timedelta(days=7)
        )
        for enrollment in group.enrollments.select_related("member").order_by("joined_on"):
            member = enrollment.member
            if key == "recovery" and member.given_name == "Thaddeus":
                continue
            day = enrollment.joined_on - datetime.timedelta(days=2)
            agreements.record_signature(
                group,
                member,
                typed_name=member.full_name,
                guardian_name=member.guardian_name if member.is_minor else "",
                minor_assent=member.is_minor,
                method="in_person",
                acting_user=leads[key],
                signed_at=_signed_at(day),
            )


def _after_sessions(
    groups: dict[str, Group],
    leads: dict[str, User],
    rosters: dict[str, list[Member]],
    today: datetime.date,
) -> None:
    """Recent events: a second version of the process group's agreement (so two members need
    to re-consent), and a signing link waiting for the recovery group's newcomer."""
    from groupguard.agreements import actions as agreements

    process = groups["process"]
    draft = agreements.draft_for(process)
    agreements.save_draft(
        process,
        policy=draft.policy,
        clause_ids=list(draft.clause_ids),
        role_statement=draft.role_statement
        + " From this month, Ben Marrowby co-facilitates every session.",
        acting_user=leads["process"],
    )
    agreements.publish(process, acting_user=leads["process"])
    for member in rosters["process"][:6]:
        agreements.record_signature(
            process,
            member,
            typed_name=member.full_name,
            method="in_person",
            acting_user=leads["process"],
        )
    newcomer = next(m for m in rosters["recovery"] if m.given_name == "Thaddeus")
    agreements.issue_signing_link(
        groups["recovery"],
        newcomer,
        identity_check="dob",
        valid_days=2,
        acting_user=leads["recovery"],
    )


def _sessions(
    practice: Practice,
    groups: dict[str, Group],
    staff: dict[str, User],
    rng: random.Random,
    today: datetime.date,
) -> None:
    import zoneinfo

    tz = zoneinfo.ZoneInfo(practice.timezone)
    plans = {
        "process": (1, datetime.time(18, 0), 90, "Room 2, Harborview offices", False, staff["ada"]),
        "teens": (3, datetime.time(16, 0), 60, "Room 1, Harborview offices", False, staff["cleo"]),
        "recovery": (0, datetime.time(12, 0), 60, "", True, staff["ben"]),
    }
    weights = [
        (AttendanceStatus.ATTENDED, 80),
        (AttendanceStatus.LATE, 8),
        (AttendanceStatus.ABSENT, 8),
        (AttendanceStatus.CANCELLED, 4),
    ]
    from groupguard.agreements import selectors as agreements

    overridden: dict[object, bool] = {}
    statuses = [s for s, _ in weights]
    probabilities = [w for _, w in weights]
    for key, (weekday, at, minutes, place, telehealth, recorder) in plans.items():
        group = groups[key]
        first = today - datetime.timedelta(weeks=9)
        first += datetime.timedelta(days=(weekday - first.weekday()) % 7)
        for week in range(12):
            day = first + datetime.timedelta(weeks=week)
            starts = datetime.datetime.combine(day, at, tzinfo=tz)
            past = day < today
            session = actions.schedule_session(
                group,
                starts_at=starts,
                duration_minutes=minutes,
                location=place,
                telehealth=telehealth,
                status=SessionStatus.HELD if past else SessionStatus.SCHEDULED,
                acting_user=None,
            )
            if not past:
                continue
            for enrollment in group.enrollments.current(day).select_related("member"):
                status = rng.choices(statuses, probabilities)[0]
                member = enrollment.member
                if status in attendance.ATTENDING and not agreements.may_attend(session, member):
                    if not overridden.get(group.pk):
                        # The newcomer came once before signing: recorded with a reason.
                        attendance.record_override(
                            session,
                            member,
                            reason="Joined this week; signed on paper, scan to follow.",
                            acting_user=recorder,
                        )
                        overridden[group.pk] = True
                    else:
                        status = AttendanceStatus.ABSENT
                attendance.record_attendance(session, member, status=status, acting_user=recorder)

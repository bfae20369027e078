"""The scale practice's fiction and its row writing: the syllables its names are made of, the
weights its choices follow, out-of-session contacts, and writing rows in batches.
"""

from __future__ import annotations

import datetime
import json
import random
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import models

from groupguard.accounts.models import User
from groupguard.practice.models import (
    Group,
    Practice,
)
from groupguard.practice.models.groups import Modality
from groupguard.practice.models.practice import EthicsCode, LicenseType
from groupguard.practice.models.roles import RoleKind
from groupguard.practice.models.sessions import AttendanceStatus

BATCH = 2000  # objects per bulk_create call (Django splits further for SQLite's limits)


SYLLABLES = (
    "ba bel bri cal cor da del dor el fa fen gar hal hen is jo ka kel la lor lu ma mer mi na "
    "nor o pa per qui ra ren ros sa sel ta tor u va vin wen ya zel"
).split()


FAMILY_ENDINGS = "by ton wick mere holt ford dale wood brook stone field more well".split()


PLACE_ENDINGS = "ford haven mere vale wick bury holm".split()


GROUP_KINDS = {
    Modality.THERAPY: "Process Group",
    Modality.COUNSELING: "Counseling Group",
    Modality.PSYCHOEDUCATION: "Skills Class",
    Modality.SUPPORT: "Support Circle",
}


WEEKDAYS = ["Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays"]


LICENCES = [
    (LicenseType.MFT, EthicsCode.AAMFT),
    (LicenseType.LCSW, EthicsCode.NASW),
    (LicenseType.LPCC, EthicsCode.ACA),
    (LicenseType.PSYCHOLOGIST, EthicsCode.APA),
]


ATTENDANCE_WEIGHTS = {
    AttendanceStatus.ATTENDED: 80,
    AttendanceStatus.LATE: 8,
    AttendanceStatus.ABSENT: 8,
    AttendanceStatus.CANCELLED: 4,
}


ROLE_WEIGHTS = {
    RoleKind.INDIVIDUAL: 55,
    RoleKind.COUPLE_FAMILY: 15,
    RoleKind.SUPERVISOR: 5,
    RoleKind.GROUP_ONLY: 25,
}


M = TypeVar("M", bound=models.Model)


@dataclass
class Seat:
    """One enrollment, kept in memory to decide who attended which session."""

    member_id: Any
    joined_on: datetime.date
    left_on: datetime.date | None

    def current(self, day: datetime.date) -> bool:
        return self.joined_on <= day and (self.left_on is None or self.left_on >= day)


def word(rng: random.Random, low: int = 2, high: int = 3) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(low, high))).capitalize()


def chunks(items: Iterable[M], size: int = BATCH) -> Iterator[list[M]]:
    chunk: list[M] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def bulk_rows(model: type[M], rows: Iterable[M]) -> int:
    count = 0
    for chunk in chunks(rows):
        model._default_manager.bulk_create(chunk)
        count += len(chunk)
    return count


def weighted(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), list(weights.values()))[0]


CONTACT_LINES = (
    "Stayed after group to ask about the holiday schedule.",
    "Called to say they would be late next week.",
    "Texted to confirm the new room.",
    "Talked about a hard week at work; plans to bring it to group.",
    "Asked what the limits of confidentiality are; I went over the agreement.",
    "Mentioned trouble sleeping since the last session.",
    "Said it is fine to share this with the group next time.",
    "Thanked me for the referral to an individual therapist.",
)


CONTACT_REQUESTS = (
    ("explicit", "Please don't tell the group, they said."),
    ("explicit", "Asked me to keep it between us."),
    ("implied", "Nobody in the group knows about it yet."),
    ("implied", "Waited until everyone left before raising it."),
)


CONTACT_SETTINGS = {
    "after_session": 40,
    "phone": 20,
    "text": 15,
    "email": 8,
    "portal": 5,
    "before_session": 5,
    "chance": 4,
    "one_to_one": 3,
}


def seed_contacts(
    rng: random.Random,
    practice: Practice,
    group_rows: list[Group],
    seats: list[list[Seat]],
    leads: list[User],
    tz: zoneinfo.ZoneInfo,
    now: datetime.datetime,
    count: int,
) -> tuple[dict[str, int], list[Any]]:
    """Out-of-session contacts: each with a seated member, in the time they were enrolled.

    Returns the counts and the contacts as ``(contact, member id)`` pairs.

    About one in four carries a request (explicit or implied); one in three of those got a
    referral, and one in fifty contacts a promise, which stays open in one case of three.
    """
    from groupguard.contacts.actions import content_sha256
    from groupguard.contacts.detect import detect
    from groupguard.contacts.models import Contact, ContactMember, Promise, Referral

    slots = [(g, seat) for g, group_seats in enumerate(seats) for seat in group_seats]
    if not slots or count <= 0:
        return {"contacts": 0, "referrals": 0, "promises": 0}, []
    contact_rows: list[Contact] = []
    links: list[ContactMember] = []
    referrals: list[Referral] = []
    promises: list[Promise] = []
    settings = list(CONTACT_SETTINGS)
    weights = list(CONTACT_SETTINGS.values())
    for _ in range(count):
        g, seat = rng.choice(slots)
        end = seat.left_on or (now.astimezone(tz).date() - datetime.timedelta(days=1))
        days = max(0, (end - seat.joined_on).days)
        day = seat.joined_on + datetime.timedelta(days=rng.randint(0, days))
        occurred_at = datetime.datetime.combine(
            day, datetime.time(rng.randint(8, 20), rng.choice([0, 15, 30, 45])), tzinfo=tz
        )
        lines = rng.sample(CONTACT_LINES, rng.randint(1, 2))
        if rng.random() < 0.25:
            lines.append(rng.choice(CONTACT_REQUESTS)[1])
        summary = " ".join(lines)
        detected = detect(summary)
        referral = detected.request != "none" and rng.random() < 0.33
        promise = rng.random() < 0.02
        contact = Contact(
            practice=practice,
            group=group_rows[g],
            facilitator=leads[g],
            occurred_at=occurred_at,
            setting=rng.choices(settings, weights)[0],
            initiated_by="member" if rng.random() < 0.8 else "facilitator",
            summary=summary,
            request=detected.request,
            detected_request=detected.request,
            detected_rules=[
                {"rule": m.rule, "start": m.start, "end": m.end} for m in detected.matches
            ],
            detection=json.dumps(detected.as_record(), sort_keys=True),
            reminded_agreement=detected.request != "none" and rng.random() < 0.7,
            offered_referral=referral,
            promised_confidentiality=promise,
        )
        contact.content_sha256 = content_sha256(contact, [seat.member_id])
        contact_rows.append(contact)
        links.append(ContactMember(contact=contact, member_id=seat.member_id))
        if referral:
            answered = rng.random()
            referrals.append(
                Referral(
                    practice=practice,
                    member_id=seat.member_id,
                    contact=contact,
                    offered_by=leads[g],
                    reason="A confidential space to talk.",
                    status="offered" if answered < 0.3 else "accepted",
                    offered_on=day,
                    accepted_on=None if answered < 0.3 else day,
                )
            )
        if promise:
            promises.append(
                Promise(
                    practice=practice,
                    contact=contact,
                    member_id=seat.member_id,
                    made_by=leads[g],
                    made_at=occurred_at,
                    scope="What was said in this conversation.",
                    acknowledged_conflict=True,
                    status="open" if rng.random() < 0.33 else "released",
                    closed_at=None,
                )
            )
    for promise_row in promises:
        if promise_row.status == "released":
            promise_row.closed_at = promise_row.made_at + datetime.timedelta(days=7)
            promise_row.closed_by = promise_row.made_by
            promise_row.closing_note = "Released by the member in group."
    bulk_rows(Contact, contact_rows)
    bulk_rows(ContactMember, links)
    bulk_rows(Referral, referrals)
    bulk_rows(Promise, promises)
    counts = {"contacts": len(contact_rows), "referrals": len(referrals), "promises": len(promises)}
    return counts, [(link.contact, link.member_id) for link in links]

"""The shared cast, built through the real actions so audit entries are exercised.

Northside practice (US-CA):
- alice: practice admin
- bob: clinician, lead facilitator of "Thursday Group"
- carol: clinician, co-facilitator of "Thursday Group", lead of "Monday Group"
- dave: clinician with no groups
Members: mia and noah in Thursday Group (both signed its agreement); olga in Monday Group
(no agreement published there).
Southside practice (US-NY): oscar, an outsider (practice admin there), and his member "sam".
"""

from __future__ import annotations

import datetime
import os
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.test import Client
from django.utils import timezone

from groupguard.accounts.models import User
from groupguard.practice import actions
from groupguard.practice.models import Group, GroupSession, Member, Practice
from tests.factories import make_member, make_user
from tests.support import mfa_login, next_evening


@dataclass
class Cast:
    north: Practice
    south: Practice
    alice: User
    bob: User
    carol: User
    dave: User
    oscar: User
    thursday: Group
    monday: Group
    south_group: Group
    mia: Member
    noah: Member
    olga: Member
    sam: Member
    session: GroupSession

    def client_for(self, user: User) -> Client:
        """A client signed in as ``user``, both steps (password and code) done."""
        return mfa_login(Client(), user)


@pytest.fixture
def cast(db: None) -> Cast:
    north = actions.create_practice(
        name="Northside",
        slug="north",
        jurisdiction="US-CA",
        timezone="America/Los_Angeles",
        acting_user=None,
    )
    south = actions.create_practice(
        name="Southside", slug="south", jurisdiction="US-NY", acting_user=None
    )
    alice = make_user(north, "alice", "admin")
    bob = make_user(north, "bob")
    carol = make_user(north, "carol")
    dave = make_user(north, "dave")
    oscar = make_user(south, "oscar", "admin")
    thursday = actions.create_group(
        practice=north,
        name="Thursday Group",
        modality="therapy",
        lead=bob,
        co_facilitators=[carol],
        status="active",
        acting_user=alice,
    )
    monday = actions.create_group(
        practice=north,
        name="Monday Group",
        modality="support",
        lead=carol,
        status="active",
        acting_user=alice,
    )
    south_group = actions.create_group(
        practice=south, name="South Group", modality="therapy", lead=oscar, acting_user=oscar
    )
    joined = timezone.localdate() - datetime.timedelta(days=60)
    mia = make_member(north, "Mia")
    noah = make_member(north, "Noah")
    olga = make_member(north, "Olga")
    sam = make_member(south, "Sam")
    for group, member in [(thursday, mia), (thursday, noah), (monday, olga), (south_group, sam)]:
        actions.enroll_member(group, member, joined_on=joined, acting_user=None)
    # Thursday Group has a published agreement that mia and noah signed; Monday Group has none.
    from groupguard.agreements import actions as agreements

    agreements.publish(thursday, acting_user=bob, effective_on=joined)
    for member in (mia, noah):
        agreements.record_signature(
            thursday,
            member,
            typed_name=member.full_name,
            method="in_person",
            acting_user=bob,
            signed_at=timezone.now() - datetime.timedelta(days=59),
        )
    session = actions.schedule_session(
        thursday,
        starts_at=timezone.now() - datetime.timedelta(days=1),
        acting_user=bob,
    )
    return Cast(
        north,
        south,
        alice,
        bob,
        carol,
        dave,
        oscar,
        thursday,
        monday,
        south_group,
        mia,
        noah,
        olga,
        sam,
        session,
    )


@pytest.fixture(scope="session", autouse=True)
def _flush_past_the_audit_triggers() -> None:
    """Transactional tests end with a flush; the append-only triggers would refuse it."""
    from django.core.management.commands import flush
    from django.db import connections

    from groupguard.audit import triggers

    original = flush.Command.handle
    if getattr(original, "_suspends_triggers", False):
        return

    def handle(self, *args, **options):
        with triggers.suspended(connections[options.get("database", "default")]):
            return original(self, *args, **options)

    handle._suspends_triggers = True  # type: ignore[attr-defined]
    setattr(flush.Command, "handle", handle)  # noqa: B010


PRACTICE_EVENING = datetime.time(19, 30)


@pytest.fixture(autouse=True)
def _practice_evening_clock(request: pytest.FixtureRequest) -> Iterator[None]:
    """With ``GROUPGUARD_TEST_CLOCK=practice-evening`` (the PostgreSQL pass of ``make test``)
    each test runs from the next 19:30 in Los Angeles, the test practice's zone, when it is
    already the next day in UTC, the server's zone: a date taken in the wrong zone ("today"
    on the server instead of at the practice) fails there, whatever the time of the run. The
    clock ticks. Tests that start other processes (tests/durability) keep the real clock,
    which those processes share."""
    if os.environ.get("GROUPGUARD_TEST_CLOCK") != "practice-evening" or (
        "durability" in request.node.path.parts
    ):
        yield
        return
    import time_machine

    evening = next_evening(zoneinfo.ZoneInfo("America/Los_Angeles"), PRACTICE_EVENING)
    assert evening.astimezone(datetime.UTC).date() != evening.date()
    with time_machine.travel(evening, tick=True):
        yield


def pytest_report_header(config: pytest.Config) -> str:
    from tests.support import FUZZ_EXAMPLES, FUZZ_SEED

    seed = "derandomized" if FUZZ_SEED is None else f"seed {FUZZ_SEED}"
    return (
        f"fuzz: {FUZZ_EXAMPLES} cases per API operation, {seed} "
        "(GROUPGUARD_FUZZ=full for the CI depth; GROUPGUARD_FUZZ_SEED=N replays a seed)"
    )

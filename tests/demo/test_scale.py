from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.models import Count
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.settings import TEMPLATES as BENCH_TEMPLATES
from groupguard.accounts.models import Role, User
from groupguard.audit.models import AuditEntry
from groupguard.demo.scale import (
    ADMIN_USERNAME,
    CLINICIAN_PREFIX,
    SCALE_SLUG,
    ScalePracticeExists,
    seed_scale,
)
from groupguard.practice.models import (
    Attendance,
    Enrollment,
    Group,
    GroupFacilitator,
    GroupSession,
    Member,
    Practice,
)
from groupguard.practice.models.sessions import SessionStatus
from tests.support import mfa_login


def test_seed_scale_makes_the_practice_it_reports(db: None) -> None:
    summary = seed_scale(groups=4, members=30, sessions=40)
    practice = Practice.objects.get(slug=SCALE_SLUG)
    counts = summary["counts"]
    assert Group.objects.filter(practice=practice).count() == counts["groups"] == 4
    assert Member.objects.filter(practice=practice).count() == counts["members"] == 30
    assert GroupSession.objects.filter(group__practice=practice).count() == counts["sessions"] == 40
    enrollments = Enrollment.objects.filter(group__practice=practice)
    assert enrollments.count() == counts["enrollments"]
    assert 30 <= counts["enrollments"] <= 60  # every member in one or two groups
    assert not Member.objects.filter(practice=practice, enrollments__isnull=True).exists()
    assert (
        Attendance.objects.filter(session__group__practice=practice).count()
        == (counts["attendance"])
    )
    assert counts["attendance"] > 0
    assert not Attendance.objects.exclude(session__status=SessionStatus.HELD).exists()
    from groupguard.contacts.actions import content_sha256
    from groupguard.contacts.models import Contact

    contacts = Contact.objects.filter(practice=practice)
    assert contacts.count() == counts["contacts"] == 300  # ten per member
    contact = contacts.prefetch_related("member_links").first()
    assert contact is not None
    [link] = contact.member_links.all()
    assert contact.content_sha256 == content_sha256(contact, [link.member_id])
    assert Enrollment.objects.filter(
        group=contact.group, member_id=link.member_id, joined_on__lte=contact.occurred_at.date()
    ).exists()

    staff = User.objects.filter(practice=practice)
    assert staff.get(username=ADMIN_USERNAME).role == Role.ADMIN
    clinicians = staff.filter(role=Role.CLINICIAN, username__startswith=CLINICIAN_PREFIX)
    assert clinicians.count() == counts["clinicians"] == 1  # about one per ten groups
    assert GroupFacilitator.objects.filter(group__practice=practice, role="lead").count() == 4

    # PHI went in sealed and comes back out.
    member = Member.objects.filter(practice=practice).first()
    assert member is not None and member.given_name and member.family_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT given_name FROM {Member._meta.db_table} WHERE id = %s",  # noqa: S608
            [Member._meta.pk.get_db_prep_value(member.pk, connection)],
        )
        (stored,) = cursor.fetchone()
    assert stored.startswith("gg1:") and member.given_name not in stored

    # Bulk rows have no audit entries of their own; one entry records the seeding.
    entry = AuditEntry.objects.get(action="practice.seed_scale")
    assert entry.log.practice_id == practice.pk
    assert not AuditEntry.objects.filter(action__in=["member.create", "group.create"]).exists()


def test_seed_scale_refuses_a_second_time(db: None) -> None:
    seed_scale(groups=1, members=3, sessions=2, attendance=False)
    with pytest.raises(ScalePracticeExists, match="already exists"):
        seed_scale(groups=1, members=3, sessions=2, attendance=False)
    assert Practice.objects.filter(slug=SCALE_SLUG).count() == 1


def _page_query_counts(*, groups: int, members: int, sessions: int) -> dict[str, int]:
    """Seed at this size, count each page's queries, then roll the seeding back."""
    counts: dict[str, int] = {}
    with transaction.atomic():
        seed_scale(groups=groups, members=members, sessions=sessions)
        clinician = User.objects.get(username=f"{CLINICIAN_PREFIX}001")
        admin = User.objects.get(username=ADMIN_USERNAME)
        group = Group.objects.filter(facilitator_links__user=clinician).order_by("name").first()
        in_group = Member.objects.annotate(groups=Count("enrollments")).filter(
            id__in=Enrollment.objects.filter(group=group).values("member")
        )
        # A member of one group and one of two: the page's per-group reads must not add up.
        member = in_group.filter(groups=1).order_by("id").first()
        member_of_two = in_group.filter(groups=2).order_by("id").first()
        assert group is not None and member is not None and member_of_two is not None
        paths = {
            "dashboard": reverse("dashboard"),
            "group": reverse("group_detail", args=[group.id]),
            "member": reverse("member_detail", args=[member.id]),
            "member of two groups": reverse("member_detail", args=[member_of_two.id]),
        }
        for role, user in (("clinician", clinician), ("admin", admin)):
            client = Client()
            mfa_login(client, user)
            for page, path in paths.items():
                assert client.get(path).status_code == 200  # warm caches (session, content types)
                with CaptureQueriesContext(connection) as ctx:
                    response = client.get(path)
                assert response.status_code == 200
                counts[f"{page} as {role}"] = len(ctx.captured_queries)
        transaction.set_rollback(True)
    return counts


def test_page_query_counts_do_not_grow_with_the_practice(db: None) -> None:
    small = _page_query_counts(groups=2, members=12, sessions=10)
    large = _page_query_counts(groups=12, members=90, sessions=150)
    assert small == large
    for role in ("clinician", "admin"):
        assert small[f"member as {role}"] == small[f"member of two groups as {role}"]


@override_settings(ROOT_URLCONF="bench.urls", TEMPLATES=BENCH_TEMPLATES)
def test_the_benchmark_floor_makes_no_queries(db: None) -> None:
    client = Client()
    client.get(reverse("bench_floor"))
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("bench_floor"))
    assert response.status_code == 200
    assert response.content.count(b"<tr>") == 51  # the header and 50 rows
    assert ctx.captured_queries == []

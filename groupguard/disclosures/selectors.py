"""Reads of assessments, disclosures and authorizations, through the access rules.

They follow the member: whoever may see the member may see them, except an assessment made
from a contact, which also needs the contact's group (as the contact does), and a disclosure
recorded from such an assessment, which follows its assessment. A clinician who sees a member
only through another group therefore never reads what was shared from a contact she cannot
open (#15: the member page, the timeline, the accounting and its PDF showed it).
"""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from groupguard.disclosures.models import Assessment, Authorization, Choice, Disclosure, Recipient
from groupguard.practice.access import parse_id, visible_groups, visible_members
from groupguard.practice.models import Member


def visible_assessments(user: Any) -> QuerySet[Assessment]:
    return Assessment.objects.filter(member__in=visible_members(user).values("id")).filter(
        Q(contact__isnull=True) | Q(contact__group__in=visible_groups(user).values("id"))
    )


def visible_disclosures(user: Any) -> QuerySet[Disclosure]:
    groups = visible_groups(user).values("id")
    return Disclosure.objects.filter(member__in=visible_members(user).values("id")).filter(
        Q(assessment__isnull=True)
        | Q(assessment__contact__isnull=True)
        | Q(assessment__contact__group__in=groups)
    )


def access_assessment(user: Any, assessment_id: Any) -> Assessment:
    assessment = (
        visible_assessments(user)
        .select_related("member", "member__practice", "contact", "contact__group", "asked_by")
        .filter(pk=parse_id(assessment_id))
        .first()
    )
    if assessment is None:
        raise Http404("not found")
    return assessment


def visible_authorizations(user: Any) -> QuerySet[Authorization]:
    return Authorization.objects.filter(member__in=visible_members(user).values("id"))


def access_authorization(user: Any, authorization_id: Any) -> Authorization:
    authorization = (
        visible_authorizations(user)
        .select_related("member")
        .filter(pk=parse_id(authorization_id))
        .first()
    )
    if authorization is None:
        raise Http404("not found")
    return authorization


def with_details(assessments: QuerySet[Assessment]) -> QuerySet[Assessment]:
    """``assessments`` with their people, choices and disclosures, in a fixed number of
    queries however many there are."""
    return assessments.select_related("member", "asked_by", "contact").prefetch_related(
        Prefetch("choices", queryset=Choice.objects.select_related("decided_by")),
        Prefetch(
            "disclosures", queryset=Disclosure.objects.select_related("member", "recorded_by")
        ),
    )


def assessments_for(user: Any, member: Member) -> list[Assessment]:
    return list(
        with_details(visible_assessments(user).filter(member=member)).order_by("-created_at")
    )


def authorizations_for(member: Member) -> list[Authorization]:
    """Newest first, without the scans (up to 5 MB each; read one through its row)."""
    return list(
        Authorization.objects.filter(member=member)
        .select_related("member", "recorded_by", "revoked_by")
        .defer("scan")
        .order_by("-signed_on", "-created_at")
    )


def accounting(
    member: Member,
    *,
    among: QuerySet[Disclosure],
    start: datetime.datetime | None = None,
    end: datetime.datetime | None = None,
) -> list[Disclosure]:
    """Disclosures outside the group, oldest first (45 CFR 164.528's accounting), from
    ``among``: ``visible_disclosures(user)`` for a user, or the practice's for its operator."""
    rows = among.filter(member=member).exclude(recipient=Recipient.GROUP)
    if start is not None:
        rows = rows.filter(disclosed_at__gte=start)
    if end is not None:
        rows = rows.filter(disclosed_at__lte=end)
    return list(rows.select_related("member", "recorded_by", "assessment").order_by("disclosed_at"))


def accounting_days(
    member: Member,
    *,
    among: QuerySet[Disclosure],
    first: datetime.date | None = None,
    last: datetime.date | None = None,
) -> list[Disclosure]:
    """The accounting over whole days of the practice's calendar, ``last`` included."""
    tz = member.practice.tz
    start = _midnight(first, tz) if first else None
    end = _midnight(last + datetime.timedelta(days=1), tz) - _TICK if last else None
    return accounting(member, among=among, start=start, end=end)


_TICK = datetime.timedelta(microseconds=1)  # the finest step a stored time takes


def _midnight(day: datetime.date, tz: zoneinfo.ZoneInfo) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)


def disclosures_for(user: Any, member: Member) -> list[Disclosure]:
    return list(
        visible_disclosures(user)
        .filter(member=member)
        .select_related("recorded_by")
        .order_by("-disclosed_at")
    )

"""Reads of assessments, disclosures and authorizations, through the access rules.

They follow the member: whoever may see the member may see them, except an assessment made
from a contact, which also needs the contact's group (as the contact does).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from groupguard.disclosures.models import Assessment, Authorization, Disclosure, Recipient
from groupguard.practice.access import _parse_id, visible_groups, visible_members
from groupguard.practice.models import Member


def visible_assessments(user: Any) -> QuerySet[Assessment]:
    return Assessment.objects.filter(member__in=visible_members(user).values("id")).filter(
        Q(contact__isnull=True) | Q(contact__group__in=visible_groups(user).values("id"))
    )


def access_assessment(user: Any, assessment_id: Any) -> Assessment:
    assessment = (
        visible_assessments(user)
        .select_related("member", "member__practice", "contact", "contact__group", "asked_by")
        .filter(pk=_parse_id(assessment_id))
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
        .filter(pk=_parse_id(authorization_id))
        .first()
    )
    if authorization is None:
        raise Http404("not found")
    return authorization


def assessments_for(user: Any, member: Member) -> list[Assessment]:
    return list(
        visible_assessments(user)
        .filter(member=member)
        .select_related("asked_by", "contact")
        .prefetch_related("choices", "disclosures")
        .order_by("-created_at")
    )


def authorizations_for(member: Member) -> list[Authorization]:
    return list(Authorization.objects.filter(member=member).order_by("-signed_on", "-created_at"))


def accounting(
    member: Member,
    *,
    start: datetime.datetime | None = None,
    end: datetime.datetime | None = None,
) -> list[Disclosure]:
    """Disclosures outside the group, oldest first (45 CFR 164.528's accounting)."""
    rows = Disclosure.objects.filter(member=member).exclude(recipient=Recipient.GROUP)
    if start is not None:
        rows = rows.filter(disclosed_at__gte=start)
    if end is not None:
        rows = rows.filter(disclosed_at__lte=end)
    return list(rows.select_related("recorded_by", "assessment").order_by("disclosed_at"))


def disclosures_for(member: Member) -> list[Disclosure]:
    return list(
        Disclosure.objects.filter(member=member)
        .select_related("recorded_by")
        .order_by("-disclosed_at")
    )

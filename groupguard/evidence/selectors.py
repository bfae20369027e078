"""Reads of complaints. Complaints are for practice admins: they see their practice's."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from groupguard.evidence.models import Complaint, ComplaintStatus, PacketBuild
from groupguard.practice.access import parse_id

REMIND_DAYS = 14


def visible_complaints(user: Any) -> QuerySet[Complaint]:
    if not getattr(user, "is_authenticated", False) or not getattr(
        user, "is_practice_admin", False
    ):
        return Complaint.objects.none()
    return Complaint.objects.filter(practice_id=user.practice_id)


def access_complaint(user: Any, complaint_id: Any) -> Complaint:
    complaint = (
        visible_complaints(user)
        .select_related("member", "member__practice", "practitioner")
        .filter(pk=parse_id(complaint_id))
        .first()
    )
    if complaint is None:
        raise Http404("not found")
    return complaint


def access_packet_build(user: Any, build_id: Any) -> PacketBuild:
    """A packet built in the user's practice, for a practice admin; else the same 404."""
    if not getattr(user, "is_authenticated", False) or not getattr(
        user, "is_practice_admin", False
    ):
        raise Http404("not found")
    build = PacketBuild.objects.filter(practice_id=user.practice_id, pk=parse_id(build_id)).first()
    if build is None:
        raise Http404("not found")
    return build


def deadlines_soon(user: Any, today: datetime.date, days: int = REMIND_DAYS) -> list[Complaint]:
    """Open complaints whose response is due within ``days`` (or overdue)."""
    return list(
        visible_complaints(user)
        .filter(status=ComplaintStatus.OPEN, deadline__lte=today + datetime.timedelta(days=days))
        .select_related("member")
        .order_by("deadline")
    )

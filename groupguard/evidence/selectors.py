"""Reads of complaints. A practice admin sees the practice's complaints and acts on them; a
clinician sees, read only, those naming them and those about a member of a group they lead
(a complaint about their own work is not kept from them)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from groupguard.evidence.models import Complaint, ComplaintStatus, PacketBuild
from groupguard.practice.access import parse_id, visible_members

REMIND_DAYS = 14


def visible_complaints(user: Any) -> QuerySet[Complaint]:
    if not getattr(user, "is_authenticated", False) or user.practice_id is None:
        return Complaint.objects.none()
    complaints = Complaint.objects.filter(practice_id=user.practice_id)
    if user.is_practice_admin:
        return complaints
    # Not through an emergency-access grant: that reads a member's records for a crisis, not
    # the practice's complaints about them.
    members = visible_members(user, with_grants=False).order_by().values("id")
    return complaints.filter(Q(practitioner=user) | Q(member_id__in=members))


def may_act_on_complaints(user: Any) -> bool:
    """Recording a complaint, changing its status and building or downloading its packet are
    the practice admin's."""
    return bool(getattr(user, "is_practice_admin", False))


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

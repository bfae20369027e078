"""Who may see what. Every view, API handler and command goes through these helpers.

A practice admin sees their whole practice; a clinician sees the groups they facilitate and
the members enrolled in them; nobody sees another practice. ``access_*`` raise the same
``Http404`` for a row that does not exist and for one the user may not see, so ids cannot be
probed.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from groupguard.practice.models import Group, GroupSession, Member


def _parse_id(value: Any) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Http404("not found") from None


def visible_groups(user: Any) -> QuerySet[Group]:
    if not getattr(user, "is_authenticated", False) or user.practice_id is None:
        return Group.objects.none()
    groups = Group.objects.filter(practice_id=user.practice_id)
    if user.is_practice_admin:
        return groups
    return groups.filter(facilitator_links__user=user)


def visible_members(user: Any) -> QuerySet[Member]:
    if not getattr(user, "is_authenticated", False) or user.practice_id is None:
        return Member.objects.none()
    members = Member.objects.filter(practice_id=user.practice_id)
    if user.is_practice_admin:
        return members
    # A subquery keeps this one query and free of duplicate rows.
    member_ids = visible_groups(user).values("enrollments__member_id")
    return members.filter(Q(id__in=member_ids))


def visible_sessions(user: Any) -> QuerySet[GroupSession]:
    return GroupSession.objects.filter(group__in=visible_groups(user).values("id"))


def access_group(user: Any, group_id: Any) -> Group:
    group = visible_groups(user).filter(id=_parse_id(group_id)).select_related("practice").first()
    if group is None:
        raise Http404("No such group")
    return group


def access_member(user: Any, member_id: Any) -> Member:
    member = (
        visible_members(user).filter(id=_parse_id(member_id)).select_related("practice").first()
    )
    if member is None:
        raise Http404("No such member")
    return member


def access_session(user: Any, session_id: Any) -> GroupSession:
    session = (
        visible_sessions(user)
        .filter(id=_parse_id(session_id))
        .select_related("group", "group__practice")
        .first()
    )
    if session is None:
        raise Http404("No such session")
    return session


def require_admin(user: Any) -> None:
    if not getattr(user, "is_practice_admin", False):
        raise Http404("not found")

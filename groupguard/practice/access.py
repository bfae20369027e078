"""Who may see what. Every view, API handler and command goes through these helpers.

A practice admin sees their whole practice; a clinician sees the groups they facilitate and
the members enrolled in them, plus any member they opened with an active emergency-access grant
(``models.breakglass``); nobody sees another practice. ``access_*`` raise the same
``Http404`` for a row that does not exist and for one the user may not see, so ids cannot be
probed.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from groupguard.accounts.models import User
from groupguard.practice.models import BreakGlassGrant, Group, GroupSession, Member


def parse_id(value: Any) -> uuid.UUID:
    """An id from a URL or a request as a UUID; anything else is a 404, like an id that is
    not there or not visible (so a malformed id tells a prober nothing more)."""
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


def visible_members(user: Any, *, with_grants: bool = True) -> QuerySet[Member]:
    """Members the user may see; ``with_grants=False`` leaves out those seen only through a
    running emergency-access grant (what a clinician may act on beyond reading)."""
    if not getattr(user, "is_authenticated", False) or user.practice_id is None:
        return Member.objects.none()
    members = Member.objects.filter(practice_id=user.practice_id)
    if user.is_practice_admin:
        return members
    member_ids = visible_groups(user).order_by().values("enrollments__member_id")
    if not with_grants:
        return members.filter(id__in=member_ids)
    # One subquery (a UNION) keeps this one query and free of duplicate rows. Two subqueries
    # joined by OR would make PostgreSQL read every member of the practice to test each.
    granted = active_grants(user).order_by().values("member_id")
    return members.filter(id__in=member_ids.union(granted))


def seen_only_through_a_grant(user: Any, member: Member) -> bool:
    """Whether ``user`` sees ``member`` only through emergency access. Such a member may be
    read while the grant runs, but not enrolled in the user's group: the enrolment would
    outlive the grant and make the access permanent (#15)."""
    if getattr(user, "is_practice_admin", False):
        return False
    return (
        active_grants(user).filter(member_id=member.id).exists()
        and not visible_members(user, with_grants=False).filter(id=member.id).exists()
    )


def active_grants(user: Any) -> QuerySet[BreakGlassGrant]:
    """The user's emergency-access grants still running."""
    return BreakGlassGrant.objects.filter(
        user=user, practice_id=user.practice_id, expires_at__gt=timezone.now()
    )


def visible_sessions(user: Any) -> QuerySet[GroupSession]:
    return GroupSession.objects.filter(group__in=visible_groups(user).values("id"))


def access_group(user: Any, group_id: Any) -> Group:
    group = visible_groups(user).filter(id=parse_id(group_id)).select_related("practice").first()
    if group is None:
        raise Http404("No such group")
    return group


def access_member(user: Any, member_id: Any) -> Member:
    member = visible_members(user).filter(id=parse_id(member_id)).select_related("practice").first()
    if member is None:
        raise Http404("No such member")
    return member


def access_session(user: Any, session_id: Any) -> GroupSession:
    session = (
        visible_sessions(user)
        .filter(id=parse_id(session_id))
        .select_related("group", "group__practice")
        .first()
    )
    if session is None:
        raise Http404("No such session")
    return session


def break_glass_candidate(user: Any, member_id: Any) -> Member:
    """A member of the user's own practice, for a clinician about to ask for emergency access:
    the same 404 for a member that does not exist and one of another practice."""
    if not getattr(user, "is_authenticated", False) or user.practice_id is None:
        raise Http404("No such member")
    member = Member.objects.filter(practice_id=user.practice_id, id=parse_id(member_id)).first()
    if member is None:
        raise Http404("No such member")
    return member


def access_grant(user: Any, grant_id: Any) -> BreakGlassGrant:
    """An emergency-access grant of the user's practice, for its admins to review."""
    require_admin(user)
    grant = (
        BreakGlassGrant.objects.filter(practice_id=user.practice_id, id=parse_id(grant_id))
        .select_related("user", "member", "reviewed_by")
        .first()
    )
    if grant is None:
        raise Http404("No such grant")
    return grant


def access_staff(user: Any, user_id: Any) -> User:
    """A staff account of the admin's own practice (a colleague in another is "not found")."""
    require_admin(user)
    target = User.objects.filter(practice_id=user.practice_id, pk=user_id).first()
    if target is None:
        raise Http404("No such staff member")
    return target


def require_admin(user: Any) -> None:
    if not getattr(user, "is_practice_admin", False):
        raise Http404("not found")

"""Reads of the practice domain, shaped for the pages and the API.

Each selector issues a fixed number of queries whatever the number of rows (pinned in tests):
related rows come through ``select_related``/``prefetch_related`` or one grouped query.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from groupguard.accounts.models import User
from groupguard.core.usernames import normalize_username
from groupguard.practice.access import visible_groups, visible_members
from groupguard.practice.models import (
    Attendance,
    BreakGlassGrant,
    Enrollment,
    Group,
    GroupFacilitator,
    GroupSession,
    Member,
    Practice,
    PractitionerProfile,
    RoleRelationship,
)
from groupguard.practice.models.roles import RoleKind
from groupguard.practice.models.sessions import SessionStatus


def _current_enrollment_q(prefix: str, day: datetime.date) -> Q:
    return Q(**{f"{prefix}joined_on__lte": day}) & (
        Q(**{f"{prefix}left_on__isnull": True}) | Q(**{f"{prefix}left_on__gte": day})
    )


DASHBOARD_GROUPS_PER_PAGE = 50


def groups_for_dashboard(*, user: User, page: Any = 1) -> Page:  # type: ignore[type-arg]
    """The user's groups with their current member count and next session.

    Both figures are correlated subqueries rather than joins: joining enrollments and
    sessions at once would multiply every member by every session before counting.
    """
    today = timezone.localdate()
    now = timezone.now()
    members = (
        Enrollment.objects.filter(group=OuterRef("pk"))
        .filter(_current_enrollment_q("", today))
        .order_by()
        .values("group")
        .annotate(n=Count("id"))
        .values("n")
    )
    next_session = (
        GroupSession.objects.filter(group=OuterRef("pk"), starts_at__gte=now)
        .exclude(status=SessionStatus.CANCELLED)
        .order_by("starts_at")
        .values("starts_at")[:1]
    )
    groups = visible_groups(user).order_by("name")
    paged = Paginator(groups, DASHBOARD_GROUPS_PER_PAGE).get_page(page)
    paged.object_list = list(
        Group.objects.filter(id__in=[g.id for g in paged.object_list])
        .annotate(
            member_count=Coalesce(Subquery(members), 0),
            next_session_at=Subquery(next_session),
        )
        .prefetch_related(
            Prefetch(
                "facilitator_links",
                queryset=GroupFacilitator.objects.select_related("user").order_by(
                    "-role", "created_at"
                ),
            )
        )
        .order_by("name")
    )
    return paged


def upcoming_sessions(*, user: User, days: int = 7, limit: int = 20) -> list[GroupSession]:
    now = timezone.now()
    return list(
        GroupSession.objects.filter(
            group__in=visible_groups(user).values("id"),
            starts_at__gte=now,
            starts_at__lt=now + datetime.timedelta(days=days),
        )
        .exclude(status=SessionStatus.CANCELLED)
        .select_related("group")
        .order_by("starts_at")[:limit]
    )


@dataclass
class RoleCell:
    kinds: list[str]
    labels: list[str]
    dual: bool


@dataclass
class MemberRow:
    member: Member
    enrollment: Enrollment
    roles: dict[int, RoleCell] = field(default_factory=dict)

    @property
    def has_dual_role(self) -> bool:
        return any(cell.dual for cell in self.roles.values())


@dataclass
class GroupPage:
    group: Group
    facilitators: list[GroupFacilitator]
    rows: list[MemberRow]
    past_members: list[Enrollment]
    recent_sessions: list[GroupSession]
    upcoming_sessions: list[GroupSession]


def _role_cell(roles: list[RoleRelationship]) -> RoleCell:
    # No documented role beyond the group means "group facilitator only".
    kinds = sorted({r.kind for r in roles if r.kind != RoleKind.GROUP_ONLY})
    if not kinds:
        return RoleCell([RoleKind.GROUP_ONLY], [RoleKind.GROUP_ONLY.label], False)
    return RoleCell(kinds, [RoleKind(k).label for k in kinds], True)


def group_page(*, group: Group, sessions_shown: int = 8) -> GroupPage:
    today = timezone.localdate()
    now = timezone.now()
    facilitators = list(
        group.facilitator_links.select_related("user").order_by("-role", "created_at")
    )
    enrollments = list(
        Enrollment.objects.filter(group=group).select_related("member").order_by("joined_on")
    )
    current = [e for e in enrollments if e.is_current(today)]
    past = [e for e in enrollments if e.left_on is not None and e.left_on < today]
    facilitator_ids = [f.user_id for f in facilitators]
    roles_by_pair: dict[tuple[Any, int], list[RoleRelationship]] = {}
    for role in RoleRelationship.objects.on(today).filter(
        practitioner_id__in=facilitator_ids, member_id__in=[e.member_id for e in current]
    ):
        roles_by_pair.setdefault((role.member_id, role.practitioner_id), []).append(role)
    rows = []
    for enrollment in current:
        row = MemberRow(member=enrollment.member, enrollment=enrollment)
        for uid in facilitator_ids:
            row.roles[uid] = _role_cell(roles_by_pair.get((enrollment.member_id, uid), []))
        rows.append(row)
    rows.sort(key=lambda r: r.member.display_name.casefold())
    sessions = GroupSession.objects.filter(group=group)
    recent = list(sessions.filter(starts_at__lt=now).order_by("-starts_at")[:sessions_shown])
    upcoming = list(sessions.filter(starts_at__gte=now).order_by("starts_at")[:sessions_shown])
    return GroupPage(group, facilitators, rows, past, recent, upcoming)


@dataclass
class MemberPage:
    member: Member
    enrollments: list[Enrollment]
    roles: list[RoleRelationship]
    attendance: list[Attendance]


def member_page(*, user: User, member: Member, attendance_shown: int = 20) -> MemberPage:
    groups = visible_groups(user).values("id")
    enrollments = list(
        Enrollment.objects.filter(member=member, group__in=groups)
        .select_related("group")
        .order_by("-joined_on")
    )
    roles = list(
        RoleRelationship.objects.filter(member=member)
        .select_related("practitioner")
        .order_by("-starts_on")
    )
    attendance = list(
        Attendance.objects.filter(member=member, session__group__in=groups)
        .select_related("session", "session__group")
        .order_by("-session__starts_at")[:attendance_shown]
    )
    return MemberPage(member, enrollments, roles, attendance)


@dataclass
class MemberListRow:
    member: Member
    groups: list[Group]


def member_list(*, user: User) -> list[MemberListRow]:
    """All members the user may see, with their current groups, sorted by name."""
    today = timezone.localdate()
    groups = visible_groups(user).values("id")
    members = list(
        visible_members(user).prefetch_related(
            Prefetch(
                "enrollments",
                queryset=Enrollment.objects.filter(group__in=groups)
                .filter(_current_enrollment_q("", today))
                .select_related("group"),
                to_attr="current_enrollments",
            )
        )
    )
    rows = [MemberListRow(m, [e.group for e in m.current_enrollments]) for m in members]
    rows.sort(key=lambda r: r.member.display_name.casefold())
    return rows


def staff_list(*, practice: Practice) -> list[User]:
    """The practice's staff for its settings page, active first, each with its licence and
    whether an authenticator app is set up (``has_authenticator``)."""
    return list(
        User.objects.filter(practice=practice)
        .select_related("practitioner")
        .annotate(
            has_authenticator=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True))
        )
        .order_by("-is_active", "last_name")
    )


def current_members(group: Group) -> list[Member]:
    """The group's members enrolled today, by name."""
    rows = Enrollment.objects.filter(group=group).current().select_related("member")
    return sorted((e.member for e in rows), key=lambda m: m.display_name.casefold())


def current_member_ids(group: Group) -> QuerySet[Enrollment, Any]:
    """The ids of the group's members enrolled today, as a subquery."""
    return Enrollment.objects.filter(group=group).current().values("member_id")


def active_staff(*, practice_id: Any) -> QuerySet[User]:
    """The practice's active staff, by last name: whom a group, a role or a referral may name."""
    return User.objects.filter(practice_id=practice_id, is_active=True).order_by(
        "last_name", "first_name"
    )


def licence_of(user: User) -> PractitionerProfile | None:
    """The practitioner's licence on file, if any."""
    return PractitionerProfile.objects.filter(user=user).first()


def staff_named(*, practice_id: Any, username: str) -> User | None:
    """The practice's staff account with this user name (as typed: it is normalised)."""
    return User.objects.filter(
        practice_id=practice_id, username=normalize_username(username)
    ).first()


def member_names(*, practice_id: Any, ids: Iterable[Any]) -> dict[str, str]:
    """Display names of the practice's members among ``ids``, by id (as text)."""
    rows = Member.objects.filter(practice_id=practice_id, id__in=list(ids))
    return {str(m.id): m.display_name for m in rows}


def staff_names(*, practice_id: Any, ids: Iterable[Any]) -> dict[str, str]:
    """Display names of the practice's staff among ``ids``, by id (as text)."""
    rows = User.objects.filter(practice_id=practice_id, id__in=list(ids))
    return {str(u.pk): u.display_name for u in rows}


def grants_for_review(*, practice_id: Any, limit: int = 200) -> list[BreakGlassGrant]:
    """The practice's emergency-access grants, those not reviewed yet first, newest first."""
    return list(
        BreakGlassGrant.objects.filter(practice_id=practice_id)
        .select_related("user", "member", "reviewed_by")
        .order_by("reviewed_at", "-created_at")[:limit]
    )


def group_sessions(group: Group, *, limit: int = 200) -> list[GroupSession]:
    """The group's sessions, newest first."""
    return list(GroupSession.objects.filter(group=group).order_by("-starts_at")[:limit])

"""Writes of the practice domain. Each action is atomic and writes its audit entry.

Views, API handlers and commands parse input and check access, then call exactly one action.
Actions validate (raising ``django.core.exceptions.ValidationError`` with per-field messages)
before anything is written, so bad input changes nothing.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone as dj_timezone

from groupguard.accounts.models import Role, User
from groupguard.audit.log import Actor, log_for, record
from groupguard.audit.models import Severity
from groupguard.core.usernames import normalize_username
from groupguard.practice.access import seen_only_through_a_grant
from groupguard.practice.models import (
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
from groupguard.practice.models.groups import FacilitatorRole
from groupguard.practice.models.sessions import SessionStatus


def _clean(obj: models.Model, *, exclude: list[str] | None = None) -> None:
    obj.full_clean(exclude=exclude, validate_unique=True, validate_constraints=True)


def _apply(obj: models.Model, changes: dict[str, Any], allowed: set[str]) -> list[str]:
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(
            {name: "This field cannot be changed here." for name in sorted(unknown)}
        )
    changed = []
    for name, value in changes.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.append(name)
    return changed


# Practices and staff ----------------------------------------------------------------------


@transaction.atomic
def create_practice(
    *, name: str, slug: str, jurisdiction: str, timezone: str = "UTC", acting_user: User | None
) -> Practice:
    practice = Practice(name=name, slug=slug, jurisdiction=jurisdiction, timezone=timezone)
    _clean(practice)
    practice.save()
    log_for(practice.id)
    record(
        practice_id=practice.id,
        actor=Actor.user(acting_user) if acting_user else Actor("system"),
        action="practice.create",
        obj=practice,
        fields=["name", "slug", "jurisdiction", "timezone"],
    )
    return practice


@transaction.atomic
def create_staff_user(
    *,
    practice: Practice,
    username: str,
    password: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    acting_user: User | None,
    validate_password: bool = True,
) -> User:
    from django.contrib.auth import password_validation

    user = User(
        practice=practice,
        username=normalize_username(username),
        role=role,
        first_name=first_name,
        last_name=last_name,
        email=email,
    )
    _clean(user, exclude=["password"])
    if role not in Role.values:
        raise ValidationError({"role": f"Choose one of {', '.join(Role.values)}."})
    if validate_password:
        password_validation.validate_password(password, user)
    user.set_password(password)
    user.save()
    record(
        practice_id=practice.id,
        actor=Actor.user(acting_user) if acting_user else Actor("system"),
        action="user.create",
        obj=user,
        fields=["username", "role", "first_name", "last_name", "email"],
        detail={"role": role},
    )
    return user


@transaction.atomic
def set_practitioner_profile(
    *,
    user: User,
    license_type: str,
    ethics_code: str,
    license_number: str = "",
    license_jurisdiction: str = "",
    acting_user: User | None,
) -> PractitionerProfile:
    profile = PractitionerProfile.objects.filter(user=user).first() or PractitionerProfile(
        user=user
    )
    created = profile._state.adding
    changed = _apply(
        profile,
        {
            "license_type": license_type,
            "ethics_code": ethics_code,
            "license_number": license_number,
            "license_jurisdiction": license_jurisdiction,
        },
        {"license_type", "ethics_code", "license_number", "license_jurisdiction"},
    )
    _clean(profile, exclude=["user"])
    profile.save()
    record(
        practice_id=user.practice_id,
        actor=Actor.user(acting_user) if acting_user else Actor("system"),
        action="practitioner.create" if created else "practitioner.update",
        obj=profile,
        fields=changed,
    )
    return profile


# Groups ----------------------------------------------------------------------------------


def _check_facilitator(practice: Practice, user: User, field: str) -> None:
    if user.practice_id != practice.id or not user.is_active:
        raise ValidationError({field: "Facilitators must be active staff of this practice."})


@transaction.atomic
def create_group(
    *,
    practice: Practice,
    name: str,
    modality: str,
    lead: User,
    co_facilitators: list[User] | None = None,
    part2_program: bool = False,
    membership: str = "closed",
    status: str = "forming",
    schedule: str = "",
    acting_user: User | None,
) -> Group:
    group = Group(
        practice=practice,
        name=name,
        modality=modality,
        part2_program=part2_program,
        membership=membership,
        status=status,
        schedule=schedule,
    )
    _clean(group)
    _check_facilitator(practice, lead, "lead")
    co = [u for u in (co_facilitators or []) if u.pk != lead.pk]
    for user in co:
        _check_facilitator(practice, user, "co_facilitators")
    group.save()
    actor = Actor.user(acting_user) if acting_user else Actor("system")
    record(
        practice_id=practice.id,
        actor=actor,
        action="group.create",
        obj=group,
        fields=["name", "modality", "part2_program", "membership", "status", "schedule"],
    )
    _add_facilitator(group, lead, FacilitatorRole.LEAD, actor)
    for user in co:
        _add_facilitator(group, user, FacilitatorRole.CO, actor)
    return group


def _add_facilitator(group: Group, user: User, role: str, actor: Actor) -> GroupFacilitator:
    link = GroupFacilitator.objects.create(group=group, user=user, role=role)
    record(
        practice_id=group.practice_id,
        actor=actor,
        action="group.facilitator_add",
        obj=link,
        detail={"group": str(group.id), "user": user.pk, "role": role},
    )
    return link


@transaction.atomic
def update_group(group: Group, *, acting_user: User, **changes: Any) -> Group:
    changed = _apply(
        group, changes, {"name", "modality", "part2_program", "membership", "status", "schedule"}
    )
    if not changed:
        return group
    _clean(group)
    group.save(update_fields=[*changed, "updated_at"])
    record(
        practice_id=group.practice_id,
        actor=Actor.user(acting_user),
        action="group.update",
        obj=group,
        fields=changed,
    )
    return group


@transaction.atomic
def add_co_facilitator(group: Group, user: User, *, acting_user: User) -> GroupFacilitator:
    _check_facilitator(group.practice, user, "user")
    if GroupFacilitator.objects.filter(group=group, user=user).exists():
        raise ValidationError({"user": "Already a facilitator of this group."})
    return _add_facilitator(group, user, FacilitatorRole.CO, Actor.user(acting_user))


# Members ---------------------------------------------------------------------------------

MEMBER_FIELDS = {
    "given_name",
    "family_name",
    "preferred_name",
    "date_of_birth",
    "email",
    "phone",
    "is_minor",
    "guardian_name",
    "guardian_contact",
}


def _check_member(member: Member) -> None:
    errors: dict[str, str] = {}
    if not (member.given_name or "").strip():
        errors["given_name"] = "Enter the member's given name."
    if not (member.family_name or "").strip():
        errors["family_name"] = "Enter the member's family name."
    if member.is_minor and not (member.guardian_name or "").strip():
        errors["guardian_name"] = "A minor needs a guardian on record."
    if member.date_of_birth is not None and member.date_of_birth > dj_timezone.localdate():
        errors["date_of_birth"] = "The date of birth cannot be in the future."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_member(*, practice: Practice, acting_user: User | None, **values: Any) -> Member:
    unknown = set(values) - MEMBER_FIELDS
    if unknown:
        raise ValidationError({name: "Unknown member field." for name in sorted(unknown)})
    member = Member(practice=practice, **values)
    _check_member(member)
    _clean(member)
    member.save()
    record(
        practice_id=practice.id,
        actor=Actor.user(acting_user) if acting_user else Actor("system"),
        action="member.create",
        obj=member,
        member_id=member.id,
        fields=[k for k, v in values.items() if v not in ("", None)],
    )
    return member


@transaction.atomic
def add_member(
    *,
    practice: Practice,
    acting_user: User,
    group: Group | None,
    joined_on: datetime.date | None = None,
    **values: Any,
) -> Member:
    """A new member, enrolled in ``group`` from ``joined_on`` (the practice's today by
    default), in one transaction. A clinician adds members to one of their groups (the face
    checked the group is theirs); only a practice admin may add a member to no group yet."""
    if group is None and not acting_user.is_practice_admin:
        raise ValidationError(
            {"group": "Clinicians add members to one of their groups: choose the group."}
        )
    member = create_member(practice=practice, acting_user=acting_user, **values)
    if group is not None:
        enroll_member(
            group, member, joined_on=joined_on or practice.today(), acting_user=acting_user
        )
    return member


@transaction.atomic
def update_member(member: Member, *, acting_user: User, **changes: Any) -> Member:
    changed = _apply(member, changes, MEMBER_FIELDS)
    if not changed:
        return member
    _check_member(member)
    _clean(member)
    member.save(update_fields=[*changed, "updated_at"])
    record(
        practice_id=member.practice_id,
        actor=Actor.user(acting_user),
        action="member.update",
        obj=member,
        member_id=member.id,
        fields=changed,
    )
    return member


@transaction.atomic
def enroll_member(
    group: Group, member: Member, *, joined_on: datetime.date, acting_user: User | None
) -> Enrollment:
    if member.practice_id != group.practice_id:
        raise ValidationError({"member": "The member belongs to another practice."})
    if Enrollment.objects.filter(group=group, member=member, left_on__isnull=True).exists():
        raise ValidationError({"member": "The member is already enrolled in this group."})
    if acting_user is not None and seen_only_through_a_grant(acting_user, member):
        raise ValidationError(
            {
                "member": "You see this member only through emergency access, which ends on "
                "its own. A practice admin can enrol them in your group."
            }
        )
    enrollment = Enrollment(group=group, member=member, joined_on=joined_on)
    _clean(enrollment)
    enrollment.save()
    record(
        practice_id=group.practice_id,
        actor=Actor.user(acting_user) if acting_user else Actor("system"),
        action="enrollment.create",
        obj=enrollment,
        member_id=member.id,
        fields=["joined_on"],
        detail={"group": str(group.id)},
    )
    return enrollment


@transaction.atomic
def end_enrollment(
    enrollment: Enrollment, *, left_on: datetime.date, acting_user: User
) -> Enrollment:
    if enrollment.left_on is not None:
        raise ValidationError({"left_on": "This enrollment has already ended."})
    if left_on < enrollment.joined_on:
        raise ValidationError({"left_on": "The leaving date is before the joining date."})
    enrollment.left_on = left_on
    enrollment.save(update_fields=["left_on", "updated_at"])
    record(
        practice_id=enrollment.group.practice_id,
        actor=Actor.user(acting_user),
        action="enrollment.end",
        obj=enrollment,
        member_id=enrollment.member_id,
        fields=["left_on"],
        detail={"group": str(enrollment.group_id)},
    )
    return enrollment


# Roles -----------------------------------------------------------------------------------


@transaction.atomic
def record_role(
    *,
    practitioner: User,
    member: Member,
    kind: str,
    starts_on: datetime.date,
    note: str = "",
    acting_user: User | None,
) -> RoleRelationship:
    if practitioner.practice_id != member.practice_id:
        raise ValidationError({"practitioner": "The practitioner belongs to another practice."})
    role = RoleRelationship(
        practitioner=practitioner, member=member, kind=kind, starts_on=starts_on, note=note
    )
    _clean(role)
    # Roles of one kind with one member must not overlap: end the open one first.
    if RoleRelationship.objects.filter(
        practitioner=practitioner, member=member, kind=kind, ends_on__isnull=True
    ).exists():
        raise ValidationError(
            {"kind": "This role is already open; end it before recording it again."}
        )
    role.save()
    record(
        practice_id=member.practice_id,
        actor=Actor.user(acting_user) if acting_user else Actor("system"),
        action="role.create",
        obj=role,
        member_id=member.id,
        fields=["kind", "starts_on", "note"],
        detail={"kind": kind, "practitioner": practitioner.pk},
    )
    return role


@transaction.atomic
def end_role(
    role: RoleRelationship, *, ends_on: datetime.date, acting_user: User
) -> RoleRelationship:
    if role.ends_on is not None:
        raise ValidationError({"ends_on": "This role has already ended."})
    if ends_on < role.starts_on:
        raise ValidationError({"ends_on": "The end date is before the start date."})
    role.ends_on = ends_on
    role.save(update_fields=["ends_on", "updated_at"])
    record(
        practice_id=role.member.practice_id,
        actor=Actor.user(acting_user),
        action="role.end",
        obj=role,
        member_id=role.member_id,
        fields=["ends_on"],
    )
    return role


# Sessions and attendance -----------------------------------------------------------------


@transaction.atomic
def schedule_session(
    group: Group,
    *,
    starts_at: datetime.datetime,
    duration_minutes: int = 90,
    location: str = "",
    telehealth: bool = False,
    status: str = SessionStatus.SCHEDULED,
    acting_user: User | None,
) -> GroupSession:
    session = GroupSession(
        group=group,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        location=location,
        telehealth=telehealth,
        status=status,
    )
    _clean(session)
    if not (1 <= duration_minutes <= 600):
        raise ValidationError({"duration_minutes": "A session lasts between 1 and 600 minutes."})
    session.save()
    record(
        practice_id=group.practice_id,
        actor=Actor.user(acting_user) if acting_user else Actor("system"),
        action="session.create",
        obj=session,
        fields=["starts_at", "duration_minutes", "location", "telehealth", "status"],
        detail={"group": str(group.id)},
    )
    return session


@transaction.atomic
def set_session_status(session: GroupSession, *, status: str, acting_user: User) -> GroupSession:
    if status not in SessionStatus.values:
        raise ValidationError({"status": f"Choose one of {', '.join(SessionStatus.values)}."})
    if session.status == status:
        return session
    session.status = status
    session.save(update_fields=["status", "updated_at"])
    record(
        practice_id=session.group.practice_id,
        actor=Actor.user(acting_user),
        action="session.update",
        obj=session,
        fields=["status"],
        detail={"status": status},
    )
    return session


@transaction.atomic
def update_practice(practice: Practice, *, acting_user: User, **changes: Any) -> Practice:
    changed = _apply(
        practice, changes, {"name", "jurisdiction", "timezone", "referral_reminder_days"}
    )
    if not changed:
        return practice
    _clean(practice)
    practice.save(update_fields=[*changed, "updated_at"])
    record(
        practice_id=practice.id,
        actor=Actor.user(acting_user),
        action="practice.update",
        obj=practice,
        fields=changed,
    )
    return practice


@transaction.atomic
def set_staff_active(user: User, *, active: bool, acting_user: User) -> User:
    """Deactivate (or reactivate) a staff account; a deactivated user cannot log in."""
    if user.pk == acting_user.pk and not active:
        raise ValidationError({"user": "You cannot deactivate your own account."})
    if (
        not active
        and user.facilitator_links.filter(group__status__in=["forming", "active"]).exists()
    ):
        raise ValidationError(
            {"user": "This person still facilitates an open group: hand the group over first."}
        )
    if user.is_active == active:
        return user
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        # Sign them out everywhere and stop their API tokens.
        from django.utils import timezone as tz

        from groupguard.accounts.sessions import end_sessions

        user.api_tokens.filter(revoked_at__isnull=True).update(revoked_at=tz.now())
        end_sessions(user.pk)
    record(
        practice_id=user.practice_id,
        actor=Actor.user(acting_user),
        action="user.activate" if active else "user.deactivate",
        obj=user,
        fields=["is_active"],
    )
    return user


# Emergency access -------------------------------------------------------------------------

BREAK_GLASS_MIN_REASON = 20


@transaction.atomic
def break_glass(member: Member, *, reason: str, acting_user: User) -> BreakGlassGrant:
    """Open a member outside the clinician's groups for ``GROUPGUARD_BREAK_GLASS_MINUTES``,
    with a written reason; audited with severity high, for the practice admins to review."""
    from django.conf import settings

    from groupguard.practice.access import visible_members

    if acting_user.practice_id != member.practice_id:
        raise ValidationError("Emergency access is only to members of your own practice.")
    if acting_user.is_practice_admin:
        raise ValidationError("Practice admins already see every member of the practice.")
    if visible_members(acting_user).filter(pk=member.pk).exists():
        raise ValidationError("You can already see this member.")
    reason = (reason or "").strip()
    if len(reason) < BREAK_GLASS_MIN_REASON:
        raise ValidationError(
            {
                "reason": "Write why you need this member's record now "
                f"({BREAK_GLASS_MIN_REASON} characters or more)."
            }
        )
    if len(reason) > 2000:
        raise ValidationError({"reason": "Keep the reason under 2,000 characters."})
    minutes: int = settings.GROUPGUARD_BREAK_GLASS_MINUTES
    now = dj_timezone.now()
    grant = BreakGlassGrant.objects.create(
        practice_id=member.practice_id,
        user=acting_user,
        member=member,
        reason=reason,
        expires_at=now + datetime.timedelta(minutes=minutes),
    )
    record(
        practice_id=member.practice_id,
        actor=Actor.user(acting_user),
        action="break_glass.open",
        obj=grant,
        member_id=member.id,
        fields=["reason"],
        severity=Severity.HIGH,
        detail={"minutes": minutes},
    )
    return grant


@transaction.atomic
def review_break_glass(grant: BreakGlassGrant, *, note: str = "", acting_user: User) -> None:
    """A practice admin has looked at an emergency access and why it was needed."""
    if not acting_user.is_practice_admin or acting_user.practice_id != grant.practice_id:
        raise ValidationError("Only the practice's admins review emergency access.")
    grant = BreakGlassGrant.objects.select_for_update().get(pk=grant.pk)
    if grant.reviewed_at is not None:
        raise ValidationError("This emergency access was already reviewed.")
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationError({"note": "Keep the note under 2,000 characters."})
    grant.reviewed_at = dj_timezone.now()
    grant.reviewed_by = acting_user
    grant.review_note = note
    grant.save(update_fields=["reviewed_at", "reviewed_by", "review_note", "updated_at"])
    record(
        practice_id=grant.practice_id,
        actor=Actor.user(acting_user),
        action="break_glass.review",
        obj=grant,
        member_id=grant.member_id,
        fields=["review_note"] if note else [],
    )

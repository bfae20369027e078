"""Members: creating and changing them, enrolling them in groups, and the practitioner's documented
role with each.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone as dj_timezone

from groupguard.accounts.models import User
from groupguard.audit.log import Actor, record
from groupguard.practice.access import seen_only_through_a_grant
from groupguard.practice.actions.common import apply_changes, validate
from groupguard.practice.models import (
    Enrollment,
    Group,
    Member,
    Practice,
    RoleRelationship,
)

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
    validate(member)
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
    changed = apply_changes(member, changes, MEMBER_FIELDS)
    if not changed:
        return member
    _check_member(member)
    validate(member)
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
    validate(enrollment)
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
    validate(role)
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

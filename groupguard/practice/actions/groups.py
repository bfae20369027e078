"""Groups and their facilitators."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from groupguard.accounts.models import User
from groupguard.audit.log import Actor, record
from groupguard.practice.actions.common import apply_changes, validate
from groupguard.practice.models import (
    Group,
    GroupFacilitator,
    Practice,
)
from groupguard.practice.models.groups import FacilitatorRole


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
    validate(group)
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
    changed = apply_changes(
        group, changes, {"name", "modality", "part2_program", "membership", "status", "schedule"}
    )
    if not changed:
        return group
    validate(group)
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

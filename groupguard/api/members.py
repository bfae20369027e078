"""Members through the API: listing, creating (and enrolling), reading, changing, and the
practitioner's documented roles.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router, Status

from groupguard.api import schemas as s
from groupguard.api.auth import staff_of
from groupguard.audit.reads import record_view
from groupguard.practice import actions, selectors
from groupguard.practice.access import (
    access_group,
    access_member,
)
from groupguard.practice.models import Member

router = Router()


def _member_out(member: Member) -> dict[str, Any]:
    return {name: getattr(member, name) for name in s.MemberOut.model_fields}


@router.get("/members", response=list[s.MemberListOut], tags=["members"])
def list_members(request: HttpRequest) -> list[dict[str, Any]]:
    user = staff_of(request)
    rows = selectors.member_list(user=user)
    record_view(
        user=user,
        practice_id=user.practice_id,
        action="member.list",
        object_type="member",
        detail={"count": len(rows)},
    )
    return [
        {
            "id": row.member.id,
            "name": row.member.display_name,
            "is_minor": row.member.is_minor,
            "groups": [{"id": g.id, "name": g.name} for g in row.groups],
        }
        for row in rows
    ]


@router.post(
    "/members", response={201: s.MemberOut, 400: s.ErrorOut, 404: s.ErrorOut}, tags=["members"]
)
def create_member(request: HttpRequest, payload: s.MemberIn) -> Status[dict[str, Any]]:
    user = staff_of(request)
    data = payload.dict()
    group_id = data.pop("group_id")
    joined_on = data.pop("joined_on")
    group = access_group(user, group_id) if group_id else None
    assert user.practice is not None  # noqa: S101
    try:
        member = actions.add_member(
            practice=user.practice, acting_user=user, group=group, joined_on=joined_on, **data
        )
    except ValidationError as error:
        # The API names the field group_id.
        if not hasattr(error, "error_dict"):
            raise
        raise ValidationError(
            {"group_id" if k == "group" else k: v for k, v in error.error_dict.items()}
        ) from None
    return Status(201, _member_out(member))


@router.get(
    "/members/{member_id}", response={200: s.MemberDetailOut, 404: s.ErrorOut}, tags=["members"]
)
def get_member(request: HttpRequest, member_id: uuid.UUID) -> dict[str, Any]:
    user = staff_of(request)
    member = access_member(user, member_id)
    page = selectors.member_page(user=user, member=member)
    record_view(user=user, practice_id=member.practice_id, obj=member, member_id=member.id)
    out = _member_out(member)
    out["enrollments"] = page.enrollments
    out["roles"] = page.roles
    return out


@router.patch(
    "/members/{member_id}",
    response={200: s.MemberOut, 400: s.ErrorOut, 404: s.ErrorOut},
    tags=["members"],
)
def patch_member(
    request: HttpRequest, member_id: uuid.UUID, payload: s.MemberPatch
) -> dict[str, Any]:
    user = staff_of(request)
    member = access_member(user, member_id)
    member = actions.update_member(member, acting_user=user, **payload.dict(exclude_unset=True))
    return _member_out(member)


@router.post(
    "/members/{member_id}/roles",
    response={201: s.RoleOut, 400: s.ErrorOut, 404: s.ErrorOut},
    tags=["members"],
)
def create_role(request: HttpRequest, member_id: uuid.UUID, payload: s.RoleIn) -> Status[Any]:
    user = staff_of(request)
    member = access_member(user, member_id)
    practitioner = (
        selectors.active_staff(practice_id=user.practice_id)
        .filter(pk=payload.practitioner_id)
        .first()
    )
    if practitioner is None:
        raise ValidationError(
            {"practitioner_id": "No active staff member of this practice has that id."}
        )
    role = actions.record_role(
        practitioner=practitioner,
        member=member,
        kind=payload.kind,
        starts_on=payload.starts_on,
        note=payload.note,
        acting_user=user,
    )
    return Status(201, role)

"""The practice's own API: the caller, the practice and its staff, groups, their sessions and
attendance.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router, Status

from groupguard.agreements import attendance as attendance_actions
from groupguard.api import schemas as s
from groupguard.api.auth import staff_of
from groupguard.audit.reads import record_view
from groupguard.practice import actions, selectors
from groupguard.practice.access import (
    access_group,
    access_member,
    access_session,
    require_admin,
    visible_groups,
)
from groupguard.practice.models import Group

router = Router()


def _group_out(group: Group) -> dict[str, Any]:
    return {
        "id": group.id,
        "name": group.name,
        "modality": group.modality,
        "membership": group.membership,
        "status": group.status,
        "part2_program": group.part2_program,
        "schedule": group.schedule,
        "facilitators": [
            {"user_id": f.user_id, "name": f.user.display_name, "role": f.role}
            for f in group.facilitator_links.all()
        ],
    }


@router.get("/me", response=s.MeOut, tags=["account"])
def me(request: HttpRequest) -> dict[str, Any]:
    user = staff_of(request)
    return {
        "id": user.pk,
        "username": user.username,
        "name": user.display_name,
        "role": user.role,
        "practice": user.practice.slug if user.practice else None,
    }


@router.get("/practice", response=s.PracticeOut, tags=["account"])
def practice(request: HttpRequest) -> Any:
    return staff_of(request).practice


@router.get("/staff", response=list[s.StaffOut], tags=["account"])
def staff(request: HttpRequest) -> list[dict[str, Any]]:
    user = staff_of(request)
    out = []
    assert user.practice is not None  # noqa: S101  (staff users belong to a practice)
    for person in selectors.staff_list(practice=user.practice):
        profile = getattr(person, "practitioner", None)
        out.append(
            {
                "id": person.pk,
                "username": person.username,
                "name": person.display_name,
                "role": person.role,
                "is_active": person.is_active,
                "license_type": profile.license_type if profile else None,
                "license_number": profile.license_number if profile else None,
                "license_jurisdiction": profile.license_jurisdiction if profile else None,
                "ethics_code": profile.ethics_code if profile else None,
            }
        )
    return sorted(out, key=lambda row: str(row["name"]).casefold())


@router.get("/groups", response=list[s.GroupOut], tags=["groups"])
def list_groups(request: HttpRequest) -> list[dict[str, Any]]:
    user = staff_of(request)
    groups = visible_groups(user).prefetch_related("facilitator_links__user").order_by("name")
    return [_group_out(g) for g in groups]


@router.post(
    "/groups", response={201: s.GroupOut, 400: s.ErrorOut, 404: s.ErrorOut}, tags=["groups"]
)
def create_group(request: HttpRequest, payload: s.GroupIn) -> Status[dict[str, Any]]:
    user = staff_of(request)
    require_admin(user)
    staff = {u.pk: u for u in selectors.active_staff(practice_id=user.practice_id)}
    if payload.lead_user_id not in staff:
        raise ValidationError(
            {"lead_user_id": "No active staff member of this practice has that id."}
        )
    missing = [i for i in payload.co_facilitator_ids if i not in staff]
    if missing:
        raise ValidationError({"co_facilitator_ids": f"Unknown staff ids: {missing}."})
    assert user.practice is not None  # noqa: S101
    group = actions.create_group(
        practice=user.practice,
        acting_user=user,
        lead=staff[payload.lead_user_id],
        co_facilitators=[staff[i] for i in payload.co_facilitator_ids],
        **payload.dict(exclude={"lead_user_id", "co_facilitator_ids"}),
    )
    return Status(201, _group_out(group))


@router.get(
    "/groups/{group_id}", response={200: s.GroupDetailOut, 404: s.ErrorOut}, tags=["groups"]
)
def get_group(request: HttpRequest, group_id: uuid.UUID) -> dict[str, Any]:
    user = staff_of(request)
    group = access_group(user, group_id)
    page = selectors.group_page(group=group)
    record_view(user=user, practice_id=group.practice_id, obj=group)
    out = _group_out(group)
    out["members"] = [
        {
            "member_id": row.member.id,
            "name": row.member.display_name,
            "joined_on": row.enrollment.joined_on,
            "roles": [
                {"practitioner_id": uid, "kinds": cell.kinds, "dual": cell.dual}
                for uid, cell in row.roles.items()
            ],
            "dual_role": row.has_dual_role,
        }
        for row in page.rows
    ]
    return out


@router.patch(
    "/groups/{group_id}",
    response={200: s.GroupOut, 400: s.ErrorOut, 404: s.ErrorOut},
    tags=["groups"],
)
def patch_group(request: HttpRequest, group_id: uuid.UUID, payload: s.GroupPatch) -> dict[str, Any]:
    user = staff_of(request)
    group = access_group(user, group_id)
    group = actions.update_group(group, acting_user=user, **payload.dict(exclude_unset=True))
    return _group_out(group)


@router.post(
    "/groups/{group_id}/enrollments",
    response={201: s.EnrollmentOut, 400: s.ErrorOut, 404: s.ErrorOut},
    tags=["groups"],
)
def enroll(request: HttpRequest, group_id: uuid.UUID, payload: s.EnrollmentIn) -> Status[Any]:
    user = staff_of(request)
    group = access_group(user, group_id)
    member = access_member(user, payload.member_id)
    enrollment = actions.enroll_member(group, member, joined_on=payload.joined_on, acting_user=user)
    return Status(201, enrollment)


@router.get(
    "/groups/{group_id}/sessions",
    response={200: list[s.SessionOut], 404: s.ErrorOut},
    tags=["sessions"],
)
def list_sessions(request: HttpRequest, group_id: uuid.UUID) -> Any:
    user = staff_of(request)
    group = access_group(user, group_id)
    return selectors.group_sessions(group)


@router.post(
    "/groups/{group_id}/sessions",
    response={201: s.SessionOut, 400: s.ErrorOut, 404: s.ErrorOut},
    tags=["sessions"],
)
def create_session(request: HttpRequest, group_id: uuid.UUID, payload: s.SessionIn) -> Status[Any]:
    user = staff_of(request)
    group = access_group(user, group_id)
    return Status(201, actions.schedule_session(group, acting_user=user, **payload.dict()))


@router.get(
    "/sessions/{session_id}", response={200: s.SessionDetailOut, 404: s.ErrorOut}, tags=["sessions"]
)
def get_session(request: HttpRequest, session_id: uuid.UUID) -> dict[str, Any]:
    user = staff_of(request)
    session = access_session(user, session_id)
    page = attendance_actions.session_page(session=session)
    record_view(user=user, practice_id=session.group.practice_id, obj=session)
    out = s.SessionOut.from_orm(session).dict()
    out["attendance"] = [
        {
            "member_id": row.member.id,
            "name": row.member.display_name,
            "status": row.attendance.status if row.attendance else None,
            "consent": row.consent,
        }
        for row in page.rows
    ]
    return out


@router.put(
    "/sessions/{session_id}/attendance/{member_id}",
    response={200: s.AttendanceOut, 400: s.ErrorOut, 404: s.ErrorOut},
    tags=["sessions"],
)
def put_attendance(
    request: HttpRequest, session_id: uuid.UUID, member_id: uuid.UUID, payload: s.AttendanceIn
) -> dict[str, Any]:
    user = staff_of(request)
    session = access_session(user, session_id)
    member = access_member(user, member_id)
    attendance = attendance_actions.record_attendance(
        session, member, status=payload.status, acting_user=user
    )
    return {"session_id": session.id, "member_id": member.id, "status": attendance.status}

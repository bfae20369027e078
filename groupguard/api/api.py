"""The REST API under /api/v1 (OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs).

Handlers parse input, check access through ``practice.access`` and call one action, as the
web views do. Authentication: a bearer token, or the browser session with its CSRF token.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Status
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser

from groupguard.accounts.models import User
from groupguard.agreements import attendance as attendance_actions
from groupguard.api import schemas as s
from groupguard.api.auth import SessionAuth, TokenAuth
from groupguard.audit.reads import record_view
from groupguard.practice import actions, selectors
from groupguard.practice.access import (
    access_group,
    access_member,
    access_session,
    require_admin,
    visible_groups,
)
from groupguard.practice.models import Group, GroupSession, Member


def _check_strings(value: Any) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("a string holds a NUL character")
        value.encode("utf-8")  # a lone UTF-16 surrogate raises UnicodeEncodeError
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_strings(key)
            _check_strings(item)
    elif isinstance(value, list):
        for item in value:
            _check_strings(item)


class _StorableJSON(Parser):
    """JSON bodies whose every string the records can keep: no NUL character (PostgreSQL
    refuses it in text) and no lone surrogate escape such as ``"\\ud800"`` (it has no UTF-8
    form, so it can be neither encrypted nor stored). Either is a 400 before a handler runs."""

    def parse_body(self, request: HttpRequest) -> Any:
        data = json.loads(request.body)
        _check_strings(data)
        return data


class _DocumentedErrorsAPI(NinjaAPI):
    """Declares on every operation the errors that the exception handlers below (and the
    authentication) answer for any of them, so the OpenAPI document lists every status the
    API can return: 400 naming the fields at fault, 401 without credentials, 403 for the
    browser session without its CSRF token, 404 for missing and not yours alike."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        errors = {
            400: "The input is invalid: `errors` names each field at fault.",
            401: "No valid credentials.",
            403: "The browser session without its CSRF token.",
            404: "Not found, or not yours: the same answer for both.",
        }
        for item in schema["paths"].values():
            for operation in item.values():
                takes_input = operation.get("parameters") or operation.get("requestBody")
                for status, description in errors.items():
                    if status == 400 and not takes_input:
                        continue
                    operation["responses"].setdefault(
                        status, {"description": description, "content": body}
                    )
        return schema


api = _DocumentedErrorsAPI(
    title="groupguard API",
    version="1",
    description=(
        "Records of a group therapy practice: groups, members, roles, sessions and attendance. "
        "Decision support, not legal advice."
    ),
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
    parser=_StorableJSON(),
)


def _mount_routers() -> None:
    from groupguard.api.agreements import router as agreements
    from groupguard.api.contacts import router as contacts
    from groupguard.api.disclosures import router as disclosures
    from groupguard.api.referrals import router as referrals

    api.add_router("", agreements)
    api.add_router("", contacts)
    api.add_router("", referrals)
    api.add_router("", disclosures)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    detail = "; ".join(
        f"{k}: {' '.join(v)}" if k != "__all__" else " ".join(v) for k, v in errors.items()
    )
    return api.create_response(request, {"detail": detail, "errors": errors}, status=400)


@api.exception_handler(NinjaValidationError)
def _schema_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "payload", "query", "path")]
        errors.setdefault(".".join(loc) or "__all__", []).append(str(err.get("msg", "invalid")))
    detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items())
    return api.create_response(request, {"detail": detail, "errors": errors}, status=400)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found"}, status=404)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, {"detail": "Authentication required"}, status=401)


def _user(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    if not isinstance(user, User) or user.practice_id is None:
        raise Http404("not found")
    return user


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


def _member_out(member: Member) -> dict[str, Any]:
    return {name: getattr(member, name) for name in s.MemberOut.model_fields}


@api.get("/me", response=s.MeOut, tags=["account"])
def me(request: HttpRequest) -> dict[str, Any]:
    user = _user(request)
    return {
        "id": user.pk,
        "username": user.username,
        "name": user.display_name,
        "role": user.role,
        "practice": user.practice.slug if user.practice else None,
    }


@api.get("/practice", response=s.PracticeOut, tags=["account"])
def practice(request: HttpRequest) -> Any:
    return _user(request).practice


@api.get("/staff", response=list[s.StaffOut], tags=["account"])
def staff(request: HttpRequest) -> list[dict[str, Any]]:
    user = _user(request)
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


@api.get("/groups", response=list[s.GroupOut], tags=["groups"])
def list_groups(request: HttpRequest) -> list[dict[str, Any]]:
    user = _user(request)
    groups = visible_groups(user).prefetch_related("facilitator_links__user").order_by("name")
    return [_group_out(g) for g in groups]


@api.post("/groups", response={201: s.GroupOut, 400: s.ErrorOut, 404: s.ErrorOut}, tags=["groups"])
def create_group(request: HttpRequest, payload: s.GroupIn) -> Status[dict[str, Any]]:
    user = _user(request)
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


@api.get("/groups/{group_id}", response={200: s.GroupDetailOut, 404: s.ErrorOut}, tags=["groups"])
def get_group(request: HttpRequest, group_id: uuid.UUID) -> dict[str, Any]:
    user = _user(request)
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


@api.patch(
    "/groups/{group_id}",
    response={200: s.GroupOut, 400: s.ErrorOut, 404: s.ErrorOut},
    tags=["groups"],
)
def patch_group(request: HttpRequest, group_id: uuid.UUID, payload: s.GroupPatch) -> dict[str, Any]:
    user = _user(request)
    group = access_group(user, group_id)
    group = actions.update_group(group, acting_user=user, **payload.dict(exclude_unset=True))
    return _group_out(group)


@api.post(
    "/groups/{group_id}/enrollments",
    response={201: s.EnrollmentOut, 400: s.ErrorOut, 404: s.ErrorOut},
    tags=["groups"],
)
def enroll(request: HttpRequest, group_id: uuid.UUID, payload: s.EnrollmentIn) -> Status[Any]:
    user = _user(request)
    group = access_group(user, group_id)
    member = access_member(user, payload.member_id)
    enrollment = actions.enroll_member(group, member, joined_on=payload.joined_on, acting_user=user)
    return Status(201, enrollment)


@api.get(
    "/groups/{group_id}/sessions",
    response={200: list[s.SessionOut], 404: s.ErrorOut},
    tags=["sessions"],
)
def list_sessions(request: HttpRequest, group_id: uuid.UUID) -> Any:
    user = _user(request)
    group = access_group(user, group_id)
    return list(GroupSession.objects.filter(group=group).order_by("-starts_at")[:200])


@api.post(
    "/groups/{group_id}/sessions",
    response={201: s.SessionOut, 400: s.ErrorOut, 404: s.ErrorOut},
    tags=["sessions"],
)
def create_session(request: HttpRequest, group_id: uuid.UUID, payload: s.SessionIn) -> Status[Any]:
    user = _user(request)
    group = access_group(user, group_id)
    return Status(201, actions.schedule_session(group, acting_user=user, **payload.dict()))


@api.get(
    "/sessions/{session_id}", response={200: s.SessionDetailOut, 404: s.ErrorOut}, tags=["sessions"]
)
def get_session(request: HttpRequest, session_id: uuid.UUID) -> dict[str, Any]:
    user = _user(request)
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


@api.put(
    "/sessions/{session_id}/attendance/{member_id}",
    response={200: s.AttendanceOut, 400: s.ErrorOut, 404: s.ErrorOut},
    tags=["sessions"],
)
def put_attendance(
    request: HttpRequest, session_id: uuid.UUID, member_id: uuid.UUID, payload: s.AttendanceIn
) -> dict[str, Any]:
    user = _user(request)
    session = access_session(user, session_id)
    member = access_member(user, member_id)
    attendance = attendance_actions.record_attendance(
        session, member, status=payload.status, acting_user=user
    )
    return {"session_id": session.id, "member_id": member.id, "status": attendance.status}


@api.get("/members", response=list[s.MemberListOut], tags=["members"])
def list_members(request: HttpRequest) -> list[dict[str, Any]]:
    user = _user(request)
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


@api.post(
    "/members", response={201: s.MemberOut, 400: s.ErrorOut, 404: s.ErrorOut}, tags=["members"]
)
def create_member(request: HttpRequest, payload: s.MemberIn) -> Status[dict[str, Any]]:
    user = _user(request)
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


@api.get(
    "/members/{member_id}", response={200: s.MemberDetailOut, 404: s.ErrorOut}, tags=["members"]
)
def get_member(request: HttpRequest, member_id: uuid.UUID) -> dict[str, Any]:
    user = _user(request)
    member = access_member(user, member_id)
    page = selectors.member_page(user=user, member=member)
    record_view(user=user, practice_id=member.practice_id, obj=member, member_id=member.id)
    out = _member_out(member)
    out["enrollments"] = page.enrollments
    out["roles"] = page.roles
    return out


@api.patch(
    "/members/{member_id}",
    response={200: s.MemberOut, 400: s.ErrorOut, 404: s.ErrorOut},
    tags=["members"],
)
def patch_member(
    request: HttpRequest, member_id: uuid.UUID, payload: s.MemberPatch
) -> dict[str, Any]:
    user = _user(request)
    member = access_member(user, member_id)
    member = actions.update_member(member, acting_user=user, **payload.dict(exclude_unset=True))
    return _member_out(member)


@api.post(
    "/members/{member_id}/roles",
    response={201: s.RoleOut, 400: s.ErrorOut, 404: s.ErrorOut},
    tags=["members"],
)
def create_role(request: HttpRequest, member_id: uuid.UUID, payload: s.RoleIn) -> Status[Any]:
    user = _user(request)
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


_mount_routers()

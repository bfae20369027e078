"""REST endpoints of the group agreement (mounted under /api/v1 by api.py)."""

from __future__ import annotations

import datetime
import uuid
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.urls import reverse
from ninja import Path, Router, Schema, Status
from pydantic import Field

from groupguard.agreements import actions, attendance, selectors
from groupguard.agreements.models import StatementVersion
from groupguard.api.auth import staff_of
from groupguard.api.schemas import ErrorOut, In
from groupguard.audit.reads import record_view
from groupguard.practice.access import access_group, access_member, access_session

router = Router(tags=["agreements"])


class VersionOut(Schema):
    number: int
    sha256: str
    effective_on: datetime.date
    policy: str
    clause_ids: list[str]


class VersionTextOut(VersionOut):
    text: str


class ConsentOut(Schema):
    member_id: uuid.UUID
    name: str
    status: Literal["signed", "reconsent", "pending", "withdrawn", "no_agreement"]
    signed_version: int | None
    signed_at: datetime.datetime | None
    method: str | None


class AgreementStatusOut(Schema):
    group_id: uuid.UUID
    current_version: VersionOut | None
    members: list[ConsentOut]
    pending_revisit: list[uuid.UUID]


class DraftIn(In):
    policy: Literal["no_secrets", "limited_secrets", "discretion"]
    clause_ids: list[str]
    role_statement: str = Field(min_length=1, max_length=4000)


class LinkIn(In):
    identity_check: Literal["dob", "code"] = "dob"
    valid_days: int = Field(7, ge=1, le=30)


class LinkOut(Schema):
    url: str
    code: str
    expires_at: datetime.datetime
    version: int


class SignatureIn(In):
    typed_name: str = Field(min_length=1, max_length=200)
    guardian_name: str = Field("", max_length=200)
    minor_assent: bool = False


class SignatureOut(Schema):
    id: uuid.UUID
    member_id: uuid.UUID
    version: int
    version_sha256: str
    signed_at: datetime.datetime
    method: str


class WithdrawIn(In):
    reason: str = Field("", max_length=2000)


class OverrideIn(In):
    status: Literal["attended", "late"] = "attended"
    reason: str = Field(min_length=1, max_length=2000)


def _version(v: StatementVersion | None) -> dict[str, Any] | None:
    if v is None:
        return None
    return {
        "number": v.number,
        "sha256": v.sha256,
        "effective_on": v.effective_on,
        "policy": v.policy,
        "clause_ids": v.clause_ids,
    }


def agreement_status(group: Any) -> dict[str, Any]:
    rows = selectors.consent_rows(group)
    return {
        "group_id": group.id,
        "current_version": _version(selectors.current_version(group)),
        "members": [
            {
                "member_id": r.member.id,
                "name": r.member.display_name,
                "status": r.status,
                "signed_version": r.signature.version.number if r.signature else None,
                "signed_at": r.signature.signed_at if r.signature else None,
                "method": r.signature.method if r.signature else None,
            }
            for r in rows
        ],
        "pending_revisit": [e.member_id for e in selectors.pending_revisit(group)],
    }


@router.get("/groups/{group_id}/agreement", response={200: AgreementStatusOut, 404: ErrorOut})
def get_agreement(request: HttpRequest, group_id: uuid.UUID) -> dict[str, Any]:
    user = staff_of(request)
    group = access_group(user, group_id)
    record_view(user=user, practice_id=group.practice_id, obj=group)
    return agreement_status(group)


@router.put(
    "/groups/{group_id}/agreement/draft",
    response={200: AgreementStatusOut, 400: ErrorOut, 404: ErrorOut},
)
def put_draft(request: HttpRequest, group_id: uuid.UUID, payload: DraftIn) -> dict[str, Any]:
    user = staff_of(request)
    group = access_group(user, group_id)
    actions.save_draft(group, acting_user=user, **payload.dict())
    return agreement_status(group)


@router.post(
    "/groups/{group_id}/agreement/publish", response={201: VersionOut, 400: ErrorOut, 404: ErrorOut}
)
def publish(request: HttpRequest, group_id: uuid.UUID) -> Status[dict[str, Any] | None]:
    user = staff_of(request)
    group = access_group(user, group_id)
    return Status(201, _version(actions.publish(group, acting_user=user)))


@router.get(
    "/groups/{group_id}/agreement/versions/{number}", response={200: VersionTextOut, 404: ErrorOut}
)
def get_version(
    request: HttpRequest,
    group_id: uuid.UUID,
    # A version number is a 32-bit column on PostgreSQL: larger would fail the query.
    number: Annotated[int, Path(ge=1, le=2**31 - 1)],
) -> dict[str, Any]:
    user = staff_of(request)
    group = access_group(user, group_id)
    version = selectors.access_version(group, number)
    return {**(_version(version) or {}), "text": version.text}


@router.post(
    "/groups/{group_id}/agreement/members/{member_id}/links",
    response={201: LinkOut, 400: ErrorOut, 404: ErrorOut},
)
def create_link(
    request: HttpRequest, group_id: uuid.UUID, member_id: uuid.UUID, payload: LinkIn
) -> Status[dict[str, Any]]:
    user = staff_of(request)
    group = access_group(user, group_id)
    member = access_member(user, member_id)
    link, token, code = actions.issue_signing_link(
        group, member, acting_user=user, **payload.dict()
    )
    return Status(
        201,
        {
            "url": request.build_absolute_uri(reverse("sign_start", args=[token])),
            "code": code,
            "expires_at": link.expires_at,
            "version": link.version.number,
        },
    )


@router.post(
    "/groups/{group_id}/agreement/members/{member_id}/signatures",
    response={201: SignatureOut, 400: ErrorOut, 404: ErrorOut},
)
def create_signature(
    request: HttpRequest, group_id: uuid.UUID, member_id: uuid.UUID, payload: SignatureIn
) -> Status[dict[str, Any]]:
    """A signature given in person (paper signatures need the scan: use the web form)."""
    user = staff_of(request)
    group = access_group(user, group_id)
    member = access_member(user, member_id)
    sig = actions.record_signature(
        group, member, method="in_person", acting_user=user, **payload.dict()
    )
    return Status(
        201,
        {
            "id": sig.id,
            "member_id": member.id,
            "version": sig.version.number,
            "version_sha256": sig.version_sha256,
            "signed_at": sig.signed_at,
            "method": sig.method,
        },
    )


@router.post(
    "/groups/{group_id}/agreement/members/{member_id}/withdraw",
    response={200: AgreementStatusOut, 400: ErrorOut, 404: ErrorOut},
)
def withdraw(
    request: HttpRequest, group_id: uuid.UUID, member_id: uuid.UUID, payload: WithdrawIn
) -> dict[str, Any]:
    user = staff_of(request)
    group = access_group(user, group_id)
    member = access_member(user, member_id)
    actions.withdraw_consent(group, member, reason=payload.reason, acting_user=user)
    return agreement_status(group)


@router.post(
    "/sessions/{session_id}/attendance/{member_id}/override",
    response={200: dict[str, Any], 400: ErrorOut, 404: ErrorOut},
)
def override(
    request: HttpRequest, session_id: uuid.UUID, member_id: uuid.UUID, payload: OverrideIn
) -> dict[str, Any]:
    user = staff_of(request)
    session = access_session(user, session_id)
    member = access_member(user, member_id)
    row = attendance.record_with_override(
        session, member, status=payload.status, reason=payload.reason, acting_user=user
    )
    return {"session_id": str(session.id), "member_id": str(member.id), "status": row.status}

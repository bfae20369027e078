from __future__ import annotations

import datetime
import uuid
from typing import Literal

from ninja import Schema
from pydantic import Field


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] = {}


class MeOut(Schema):
    id: int
    username: str
    name: str
    role: str
    practice: str | None


class PracticeOut(Schema):
    id: uuid.UUID
    name: str
    slug: str
    jurisdiction: str
    timezone: str


class StaffOut(Schema):
    id: int
    username: str
    name: str
    role: str
    is_active: bool
    license_type: str | None
    license_number: str | None
    license_jurisdiction: str | None
    ethics_code: str | None


class FacilitatorOut(Schema):
    user_id: int
    name: str
    role: Literal["lead", "co"]


class GroupOut(Schema):
    id: uuid.UUID
    name: str
    modality: str
    membership: str
    status: str
    part2_program: bool
    schedule: str
    facilitators: list[FacilitatorOut]


class GroupIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    modality: Literal["therapy", "counseling", "psychoeducation", "support"]
    membership: Literal["open", "closed"] = "closed"
    status: Literal["forming", "active", "closed"] = "forming"
    part2_program: bool = False
    schedule: str = Field("", max_length=200)
    lead_user_id: int
    co_facilitator_ids: list[int] = []


class GroupPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    modality: Literal["therapy", "counseling", "psychoeducation", "support"] | None = None
    membership: Literal["open", "closed"] | None = None
    status: Literal["forming", "active", "closed"] | None = None
    part2_program: bool | None = None
    schedule: str | None = Field(None, max_length=200)


class RoleCellOut(Schema):
    practitioner_id: int
    kinds: list[str]
    dual: bool


class GroupMemberOut(Schema):
    member_id: uuid.UUID
    name: str
    joined_on: datetime.date
    roles: list[RoleCellOut]
    dual_role: bool


class GroupDetailOut(GroupOut):
    members: list[GroupMemberOut]


class MemberGroupOut(Schema):
    id: uuid.UUID
    name: str


class MemberOut(Schema):
    id: uuid.UUID
    given_name: str
    family_name: str
    preferred_name: str
    date_of_birth: datetime.date | None
    email: str
    phone: str
    is_minor: bool
    guardian_name: str
    guardian_contact: str


class MemberListOut(Schema):
    id: uuid.UUID
    name: str
    is_minor: bool
    groups: list[MemberGroupOut]


class MemberIn(Schema):
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    preferred_name: str = Field("", max_length=100)
    date_of_birth: datetime.date | None = None
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)
    is_minor: bool = False
    guardian_name: str = Field("", max_length=100)
    guardian_contact: str = Field("", max_length=200)
    group_id: uuid.UUID | None = None
    joined_on: datetime.date | None = None


class MemberPatch(Schema):
    given_name: str | None = Field(None, min_length=1, max_length=100)
    family_name: str | None = Field(None, min_length=1, max_length=100)
    preferred_name: str | None = Field(None, max_length=100)
    date_of_birth: datetime.date | None = None
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)
    is_minor: bool | None = None
    guardian_name: str | None = Field(None, max_length=100)
    guardian_contact: str | None = Field(None, max_length=200)


class RoleIn(Schema):
    practitioner_id: int
    kind: Literal[
        "group_facilitator_only",
        "individual_therapist",
        "couple_family_therapist",
        "supervisor",
        "other",
    ]
    starts_on: datetime.date
    note: str = Field("", max_length=300)


class RoleOut(Schema):
    id: uuid.UUID
    practitioner_id: int
    kind: str
    starts_on: datetime.date
    ends_on: datetime.date | None
    note: str


class EnrollmentIn(Schema):
    member_id: uuid.UUID
    joined_on: datetime.date


class EnrollmentOut(Schema):
    id: uuid.UUID
    group_id: uuid.UUID
    member_id: uuid.UUID
    joined_on: datetime.date
    left_on: datetime.date | None


class MemberDetailOut(MemberOut):
    enrollments: list[EnrollmentOut]
    roles: list[RoleOut]


class SessionIn(Schema):
    starts_at: datetime.datetime
    duration_minutes: int = Field(90, ge=1, le=600)
    location: str = Field("", max_length=200)
    telehealth: bool = False


class SessionOut(Schema):
    id: uuid.UUID
    group_id: uuid.UUID
    starts_at: datetime.datetime
    duration_minutes: int
    location: str
    telehealth: bool
    status: str


class AttendanceRowOut(Schema):
    member_id: uuid.UUID
    name: str
    status: str | None
    consent: str


class SessionDetailOut(SessionOut):
    attendance: list[AttendanceRowOut]


class AttendanceIn(Schema):
    status: Literal["attended", "late", "absent", "cancelled"]


class AttendanceOut(Schema):
    session_id: uuid.UUID
    member_id: uuid.UUID
    status: str

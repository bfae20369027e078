from __future__ import annotations

import datetime
import re
import uuid
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import AfterValidator, BeforeValidator, Field, model_validator

# Staff ids are the databases' 64-bit keys: a larger number would overflow the query rather
# than miss, so the schema bounds it.
StaffId = Annotated[int, Field(ge=1, le=2**63 - 1)]
# Where a page of a list starts: beyond any real list, within what the databases accept.
Offset = Annotated[int, Field(ge=0, le=10**9)]


# The years a record can be about. Beyond them a moment may not exist in every time zone
# (0001-01-01T00:00Z is in year 0 in California), and nothing a practice records is there.
YEARS = range(1900, 3000)

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}.*")


def _iso(pattern: re.Pattern[str], example: str) -> Any:
    # Pydantic would also read a number (or "0.0") as seconds since 1970; the schema says an
    # ISO 8601 string, and so does the API.
    def check(value: Any) -> Any:
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise ValueError(f"Give it in ISO 8601 form, such as {example}.")
        return value

    return BeforeValidator(check)


def _day(value: datetime.date) -> datetime.date:
    if value.year not in YEARS:
        raise ValueError(f"Give a date between {YEARS.start} and {YEARS.stop - 1}.")
    return value


def _moment(value: datetime.datetime) -> datetime.datetime:
    if value.utcoffset() is None:
        raise ValueError("Give a time zone offset, such as 2026-03-05T18:30:00-08:00.")
    _day(value.date())  # first: converting year 9999 or year 1 may overflow
    # The same instant in UTC: PostgreSQL refuses offsets beyond 15:59 that RFC 3339 allows.
    utc = value.astimezone(datetime.UTC)
    _day(utc.date())
    return utc


# A calendar day as the API takes it: YYYY-MM-DD.
Day = Annotated[datetime.date, _iso(_DAY, "2026-03-05"), AfterValidator(_day)]
# A moment in time as the API takes it: with its offset (a bare local time would be read in
# the server's time zone).
Moment = Annotated[
    datetime.datetime, _iso(_MOMENT, "2026-03-05T18:30:00-08:00"), AfterValidator(_moment)
]


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def omittable(**constraints: Any) -> Any:
    """A field of a partial update (PATCH): leave it out to keep the stored value; ``null`` is
    refused like any other wrong type, since the action would refuse it (or fail on it)."""
    return Field(None, json_schema_extra=_no_default, **constraints)


class In(Schema):
    """A request body: a JSON object. (Ninja's schemas read attributes of whatever they are
    given, so ``true`` or ``5`` would otherwise pass as a body whose fields are all left out.)"""

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, data: Any) -> Any:
        # Ninja hands the value over wrapped in its attribute reader, DjangoGetter.
        if not isinstance(getattr(data, "_obj", data), dict):
            raise ValueError("Send a JSON object.")
        return data


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


class GroupIn(In):
    name: str = Field(min_length=1, max_length=200)
    modality: Literal["therapy", "counseling", "psychoeducation", "support"]
    membership: Literal["open", "closed"] = "closed"
    status: Literal["forming", "active", "closed"] = "forming"
    part2_program: bool = False
    schedule: str = Field("", max_length=200)
    lead_user_id: StaffId
    co_facilitator_ids: list[StaffId] = []


class GroupPatch(In):
    name: str = omittable(min_length=1, max_length=200)
    modality: Literal["therapy", "counseling", "psychoeducation", "support"] = omittable()
    membership: Literal["open", "closed"] = omittable()
    status: Literal["forming", "active", "closed"] = omittable()
    part2_program: bool = omittable()
    schedule: str = omittable(max_length=200)


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


class MemberIn(In):
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    preferred_name: str = Field("", max_length=100)
    date_of_birth: Day | None = None
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)
    is_minor: bool = False
    guardian_name: str = Field("", max_length=100)
    guardian_contact: str = Field("", max_length=200)
    group_id: uuid.UUID | None = None
    joined_on: Day | None = None


class MemberPatch(In):
    given_name: str = omittable(min_length=1, max_length=100)
    family_name: str = omittable(min_length=1, max_length=100)
    preferred_name: str = omittable(max_length=100)
    date_of_birth: Day | None = Field(None, description="null clears it.")
    email: str = omittable(max_length=254)
    phone: str = omittable(max_length=40)
    is_minor: bool = omittable()
    guardian_name: str = omittable(max_length=100)
    guardian_contact: str = omittable(max_length=200)


class RoleIn(In):
    practitioner_id: StaffId
    kind: Literal[
        "group_facilitator_only",
        "individual_therapist",
        "couple_family_therapist",
        "supervisor",
        "other",
    ]
    starts_on: Day
    note: str = Field("", max_length=300)


class RoleOut(Schema):
    id: uuid.UUID
    practitioner_id: int
    kind: str
    starts_on: datetime.date
    ends_on: datetime.date | None
    note: str


class EnrollmentIn(In):
    member_id: uuid.UUID
    joined_on: Day


class EnrollmentOut(Schema):
    id: uuid.UUID
    group_id: uuid.UUID
    member_id: uuid.UUID
    joined_on: datetime.date
    left_on: datetime.date | None


class MemberDetailOut(MemberOut):
    enrollments: list[EnrollmentOut]
    roles: list[RoleOut]


class SessionIn(In):
    starts_at: Moment
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


class AttendanceIn(In):
    status: Literal["attended", "late", "absent", "cancelled"]


class AttendanceOut(Schema):
    session_id: uuid.UUID
    member_id: uuid.UUID
    status: str

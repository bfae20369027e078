"""REST endpoints of "may I raise this in group?": the engine's decision for a fact set,
stored assessments and the choices made after them, disclosures and the accounting of
disclosures, and members' authorizations (mounted under /api/v1 by api.py; schemas in
``disclosure_schemas.py``).

``POST /disclosures/assess`` is the pure engine, as ``groupguard assess`` runs it: nothing is
stored or audited. Everything else follows the member (``practice.access`` and
``disclosures.selectors``: the same 404 for missing and not yours). Reads that show free text
are audited, one entry per call; writes are the actions in ``disclosures.actions``, which
audit themselves.

A stored assessment's answers are only the facts the records do not hold; a 400 about one of
them names it inside the body, as ``answers.<fact>``.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest
from ninja import Body, Query, Router, Status

from groupguard.api import disclosure_schemas as s
from groupguard.api.auth import staff_of
from groupguard.api.contacts import member_ref, staff_ref
from groupguard.api.schemas import ErrorOut
from groupguard.audit.reads import record_view
from groupguard.contacts import selectors as contact_selectors
from groupguard.disclosures import actions, engine, selectors
from groupguard.disclosures.models import Assessment, Authorization, Choice, Disclosure
from groupguard.practice.access import access_member

router = Router(tags=["disclosures"])

# The action's errors that name a field of the body rather than a fact of the answers.
_BODY_FIELDS = {
    NON_FIELD_ERRORS: NON_FIELD_ERRORS,
    "question": "question",
    "member": "contact",  # "was not part of that contact"
    "facts": "answers",
}


# --- Shapes ------------------------------------------------------------------------------


def _choice_out(choice: Choice) -> dict[str, Any]:
    return {
        "id": choice.id,
        "assessment": choice.assessment_id,
        "kind": choice.kind,
        "note": choice.note,
        "decided_by": staff_ref(choice.decided_by),
        "created_at": choice.created_at,
    }


def _disclosure_out(disclosure: Disclosure) -> dict[str, Any]:
    return {
        "id": disclosure.id,
        "member": member_ref(disclosure.member),
        "assessment": disclosure.assessment_id,
        "recipient": disclosure.recipient,
        "recipient_detail": disclosure.recipient_detail,
        "disclosed_at": disclosure.disclosed_at,
        "what": disclosure.what,
        "purpose": disclosure.purpose,
        "recorded_by": staff_ref(disclosure.recorded_by),
        "created_at": disclosure.created_at,
    }


def _assessment_out(assessment: Assessment) -> dict[str, Any]:
    """``assessment`` comes from ``selectors.with_details`` or ``access_assessment``."""
    return {
        "id": assessment.id,
        "member": member_ref(assessment.member),
        "contact": assessment.contact_id,
        "asked_by": staff_ref(assessment.asked_by),
        "created_at": assessment.created_at,
        "question": assessment.question,
        "facts": assessment.facts,
        "prefilled": assessment.prefilled,
        "decision": assessment.decision,
        "level": assessment.level,
        "rules_version": assessment.rules_version,
        "choices": [_choice_out(c) for c in assessment.choices.all()],
        "disclosures": [_disclosure_out(d) for d in assessment.disclosures.all()],
    }


def _authorization_out(authorization: Authorization) -> dict[str, Any]:
    revoked_by = authorization.revoked_by
    return {
        "id": authorization.id,
        "member": member_ref(authorization.member),
        "recipient": authorization.recipient,
        "recipient_detail": authorization.recipient_detail,
        "purpose": authorization.purpose,
        "signed_on": authorization.signed_on,
        "expires_on": authorization.expires_on,
        "in_force": authorization.in_force(authorization.member.practice.today()),
        "revoked_at": authorization.revoked_at,
        "revoked_by": staff_ref(revoked_by) if revoked_by else None,
        "revocation_note": authorization.revocation_note,
        "scan": {
            "content_type": authorization.scan_content_type,
            "sha256": authorization.scan_sha256,
        }
        if authorization.scan_sha256
        else None,
        "recorded_by": staff_ref(authorization.recorded_by),
        "created_at": authorization.created_at,
    }


def _answers_named(error: ValidationError) -> ValidationError:
    """The action names a fact by itself; in the body it is under ``answers``."""
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError(
        {_BODY_FIELDS.get(k, f"answers.{k}"): v for k, v in error.error_dict.items()}
    )


# --- The engine --------------------------------------------------------------------------


@router.post("/disclosures/assess", response={200: s.DecisionOut, 400: ErrorOut})
def assess_facts(request: HttpRequest, facts: Body[dict[str, Any]]) -> Status[dict[str, Any]]:
    """The engine's decision for a full fact set (docs/rules.md), exactly as ``groupguard
    assess`` prints it. Nothing is read from the records, stored or audited."""
    staff_of(request)
    try:
        decision = engine.evaluate(facts)
    except engine.FactsError as error:
        message = str(error)
        # The whole body is the fact set: an error without a field is about all of it.
        return Status(400, {"detail": message, "errors": {error.field or "facts": [message]}})
    return Status(200, decision.as_json())


# --- Assessments -------------------------------------------------------------------------


@router.get(
    "/members/{member_id}/assessments",
    response={200: list[s.AssessmentOut], 404: ErrorOut},
    tags=["members"],
)
def list_assessments(request: HttpRequest, member_id: uuid.UUID) -> list[dict[str, Any]]:
    """The member's assessments the caller may see, newest first."""
    user = staff_of(request)
    member = access_member(user, member_id)
    rows = selectors.assessments_for(user, member)
    record_view(
        user=user,
        practice_id=user.practice_id,
        action="assessment.list",
        object_type="assessment",
        member_id=member.id if member else None,
        detail={"count": len(rows)},
    )
    return [_assessment_out(a) for a in rows]


@router.post(
    "/members/{member_id}/assessments",
    response={201: s.AssessmentOut, 400: ErrorOut, 404: ErrorOut},
    tags=["members"],
)
def create_assessment(
    request: HttpRequest, member_id: uuid.UUID, payload: s.AssessmentIn
) -> Status[dict[str, Any]]:
    """Ask "may I share this?" about a member: the records answer the facts they hold (from
    the contact, when given), ``answers`` the rest. The facts, the decision and the rules
    version are kept."""
    user = staff_of(request)
    member = access_member(user, member_id)
    contact = contact_selectors.access_contact(user, payload.contact) if payload.contact else None
    try:
        assessment = actions.assess(
            member=member,
            acting_user=user,
            answers=payload.answers,
            contact=contact,
            question=payload.question,
        )
    except ValidationError as error:
        raise _answers_named(error) from None
    return Status(201, _assessment_out(assessment))


@router.get("/assessments/{assessment_id}", response={200: s.AssessmentOut, 404: ErrorOut})
def get_assessment(request: HttpRequest, assessment_id: uuid.UUID) -> dict[str, Any]:
    user = staff_of(request)
    assessment = selectors.access_assessment(user, assessment_id)
    record_view(
        user=user,
        practice_id=assessment.practice_id,
        obj=assessment,
        member_id=assessment.member_id,
    )
    return _assessment_out(assessment)


@router.post(
    "/assessments/{assessment_id}/choices",
    response={201: s.ChoiceOut, 400: ErrorOut, 404: ErrorOut},
)
def create_choice(
    request: HttpRequest, assessment_id: uuid.UUID, payload: s.ChoiceIn
) -> Status[dict[str, Any]]:
    """What the practitioner decided after reading the assessment; a later choice supersedes
    an earlier one."""
    user = staff_of(request)
    assessment = selectors.access_assessment(user, assessment_id)
    choice = actions.record_choice(
        assessment, kind=payload.kind, note=payload.note, acting_user=user
    )
    return Status(201, _choice_out(choice))


# --- Disclosures and the accounting ------------------------------------------------------


@router.post(
    "/members/{member_id}/disclosures",
    response={201: s.DisclosureOut, 400: ErrorOut, 404: ErrorOut},
    tags=["members"],
)
def create_disclosure(
    request: HttpRequest, member_id: uuid.UUID, payload: s.DisclosureIn
) -> Status[dict[str, Any]]:
    """What was shared, with whom and when; outside the group it enters the accounting."""
    user = staff_of(request)
    member = access_member(user, member_id)
    assessment = (
        selectors.access_assessment(user, payload.assessment) if payload.assessment else None
    )
    disclosure = actions.record_disclosure(
        member=member,
        acting_user=user,
        assessment=assessment,
        **payload.dict(exclude={"assessment"}),
    )
    return Status(201, _disclosure_out(disclosure))


@router.get(
    "/members/{member_id}/accounting",
    response={200: list[s.DisclosureOut], 400: ErrorOut, 404: ErrorOut},
    tags=["members"],
)
def member_accounting(
    request: HttpRequest, member_id: uuid.UUID, period: Query[s.AccountingFilter]
) -> list[dict[str, Any]]:
    """The accounting of disclosures (45 CFR 164.528): disclosures outside the group, oldest
    first, between two days of the practice's calendar (both included; either may be left
    out)."""
    user = staff_of(request)
    member = access_member(user, member_id)
    if period.start and period.end and period.end < period.start:
        raise ValidationError({"end": "The last day cannot be before the first (start)."})
    rows = selectors.accounting_days(
        member, among=selectors.visible_disclosures(user), first=period.start, last=period.end
    )
    record_view(
        user=user,
        practice_id=member.practice_id,
        action="accounting.view",
        obj=member,
        member_id=member.id,
        detail={
            "count": len(rows),
            **{k: str(v) for k, v in period.dict().items() if v is not None},
        },
    )
    return [_disclosure_out(d) for d in rows]


# --- Authorizations ----------------------------------------------------------------------


@router.get(
    "/members/{member_id}/authorizations",
    response={200: list[s.AuthorizationOut], 404: ErrorOut},
    tags=["members"],
)
def list_authorizations(request: HttpRequest, member_id: uuid.UUID) -> list[dict[str, Any]]:
    """The member's written authorizations, newest first, revoked and expired ones too."""
    user = staff_of(request)
    member = access_member(user, member_id)
    rows = selectors.authorizations_for(member)
    record_view(
        user=user,
        practice_id=user.practice_id,
        action="authorization.list",
        object_type="authorization",
        member_id=member.id if member else None,
        detail={"count": len(rows)},
    )
    return [_authorization_out(a) for a in rows]


@router.post(
    "/members/{member_id}/authorizations",
    response={201: s.AuthorizationOut, 400: ErrorOut, 404: ErrorOut},
    tags=["members"],
)
def create_authorization(
    request: HttpRequest, member_id: uuid.UUID, payload: s.AuthorizationIn
) -> Status[dict[str, Any]]:
    """Record a member's signed authorization (the scan is uploaded on the web page)."""
    user = staff_of(request)
    member = access_member(user, member_id)
    authorization = actions.record_authorization(member=member, acting_user=user, **payload.dict())
    return Status(201, _authorization_out(authorization))


@router.post(
    "/authorizations/{authorization_id}/revoke",
    response={200: s.AuthorizationOut, 400: ErrorOut, 404: ErrorOut},
)
def revoke_authorization(
    request: HttpRequest, authorization_id: uuid.UUID, payload: s.RevokeIn
) -> dict[str, Any]:
    """The member withdrew it: from now on it no longer covers a disclosure."""
    user = staff_of(request)
    authorization = selectors.access_authorization(user, authorization_id)
    authorization = actions.revoke_authorization(authorization, note=payload.note, acting_user=user)
    return _authorization_out(authorization)

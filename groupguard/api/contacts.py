"""REST endpoints of out-of-session contacts, their amendments, detection and the member
timeline (mounted under /api/v1 by api.py; schemas in ``contact_schemas.py``). Promises and
referrals are in ``referrals.py``, which shares the shapes and helpers defined here.

Objects are found through ``contacts.selectors`` and ``practice.access`` (the same 404 for
missing and not yours). Reads of free text are audited: a list with one entry per call, a
contact or a timeline with one entry per view. Writes are the actions in ``contacts.actions``,
which audit themselves.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from groupguard.accounts.models import User
from groupguard.api import contact_schemas as s
from groupguard.api.auth import staff_of
from groupguard.api.schemas import ErrorOut
from groupguard.audit.reads import record_view
from groupguard.contacts import actions, selectors
from groupguard.contacts.detect import describe, detect
from groupguard.contacts.guidance import Guidance, guidance_for
from groupguard.contacts.models import (
    REFERRAL_MOVES,
    Amendment,
    Contact,
    Promise,
    Referral,
)
from groupguard.evidence import timeline as timeline_of
from groupguard.practice.access import access_group, access_member
from groupguard.practice.models import Member
from groupguard.practice.selectors import active_staff

router = Router(tags=["contacts"])

_M = TypeVar("_M", bound=models.Model)

# log_contact offers its referral through offer_referral, whose errors name its own fields.
_REFERRAL_FIELDS = {
    "reason": "referral_reason",
    "to_practitioner": "referral_to",
    "to_name": "referral_to_name",
    "to_contact": "referral_to_contact",
}


# --- Shapes ------------------------------------------------------------------------------


def staff_ref(user: User) -> dict[str, Any]:
    return {"id": user.pk, "name": user.display_name}


def member_ref(member: Member) -> dict[str, Any]:
    return {"id": member.id, "name": member.display_name}


def _contact_out(contact: Contact, now: datetime.datetime) -> dict[str, Any]:
    """``contact`` comes from ``selectors.with_details`` (members and amendments prefetched)."""
    return {
        "id": contact.id,
        "group": {"id": contact.group_id, "name": contact.group.name},
        "members": [member_ref(m) for m in selectors.members_of(contact)],
        "facilitator": staff_ref(contact.facilitator),
        "occurred_at": contact.occurred_at,
        "setting": contact.setting,
        "initiated_by": contact.initiated_by,
        "request": selectors.effective_request(contact),
        "recorded_request": contact.request,
        "detected_request": contact.detected_request,
        "reminded_agreement": contact.reminded_agreement,
        "offered_referral": contact.offered_referral,
        "promised_confidentiality": contact.promised_confidentiality,
        "summary": contact.summary,
        "follow_up_on": contact.follow_up_on,
        "created_at": contact.created_at,
        "edited_at": contact.edited_at,
        "locked": contact.is_locked(now),
        "locks_at": contact.locks_at,
    }


def _stored_match(summary: str, match: dict[str, Any]) -> dict[str, Any]:
    known = describe(match["rule"])
    return {
        **match,
        "text": summary[match["start"] : match["end"]],
        "level": known[0] if known else None,
        "explanation": known[1] if known else None,
    }


def _amendment_out(amendment: Amendment) -> dict[str, Any]:
    return {
        "id": amendment.id,
        "contact": amendment.contact_id,
        "author": staff_ref(amendment.author),
        "created_at": amendment.created_at,
        "text": amendment.text,
        "request": amendment.request or None,
        "content_sha256": amendment.content_sha256,
    }


def promise_out(promise: Promise) -> dict[str, Any]:
    group = promise.contact.group
    return {
        "id": promise.id,
        "contact": promise.contact_id,
        "group": {"id": group.id, "name": group.name},
        "member": member_ref(promise.member),
        "made_by": staff_ref(promise.made_by),
        "made_at": promise.made_at,
        "scope": promise.scope,
        "acknowledged_conflict": promise.acknowledged_conflict,
        "status": promise.status,
        "closed_at": promise.closed_at,
        "closed_by": staff_ref(promise.closed_by) if promise.closed_by else None,
        "closing_note": promise.closing_note,
    }


def referral_out(referral: Referral) -> dict[str, Any]:
    return {
        "id": referral.id,
        "member": member_ref(referral.member),
        "contact": referral.contact_id,
        "offered_by": staff_ref(referral.offered_by),
        "to_practitioner": staff_ref(referral.to_practitioner)
        if referral.to_practitioner
        else None,
        "to_name": referral.to_name,
        "to_contact": referral.to_contact,
        "recipient": referral.recipient,
        "reason": referral.reason,
        "status": referral.status,
        "offered_on": referral.offered_on,
        "accepted_on": referral.accepted_on,
        "declined_on": referral.declined_on,
        "completed_on": referral.completed_on,
        "moves": sorted(REFERRAL_MOVES[referral.status]),
    }


def _guidance_out(guidance: Guidance | None) -> dict[str, Any] | None:
    if guidance is None:
        return None
    return {
        "request": guidance.request,
        "warnings": guidance.warnings,
        "version": guidance.version.number if guidance.version else None,
        "clauses": [
            {"number": c.number, "title": c.title, "text": c.text} for c in guidance.clauses
        ],
        "script": guidance.script,
        "notes": guidance.notes,
    }


def _contact_detail(contact: Contact) -> dict[str, Any]:
    """``contact`` comes from ``selectors.access_contact``. While the request is not answered,
    the guidance follows the detector's suggestion (as the contact form does)."""
    promises = contact.promises.select_related("member", "made_by", "closed_by", "contact__group")
    referrals = contact.referrals.select_related("member", "offered_by", "to_practitioner")
    guidance = guidance_for(
        group=contact.group,
        members=selectors.members_of(contact),
        request=selectors.request_for_guidance(contact),
        setting=contact.setting,
        at=contact.occurred_at,
    )
    return {
        **_contact_out(contact, timezone.now()),
        "others_present": contact.others_present,
        "follow_up": contact.follow_up,
        "content_sha256": contact.content_sha256,
        "detection": {
            "request": contact.detected_request,
            "matches": [_stored_match(contact.summary, m) for m in contact.detected_rules],
            "model": contact.detector_version,
        },
        "amendments": [_amendment_out(a) for a in contact.amendments.all()],
        "promises": [promise_out(p) for p in promises.order_by("made_at", "created_at")],
        "referrals": [referral_out(r) for r in referrals.order_by("created_at")],
        "guidance": _guidance_out(guidance),
    }


# --- Helpers -----------------------------------------------------------------------------


def page(queryset: models.QuerySet[_M], filters: Any) -> tuple[dict[str, int], list[_M]]:
    head = {"count": queryset.count(), "limit": filters.limit, "offset": filters.offset}
    return head, list(queryset[filters.offset : filters.offset + filters.limit])


def staff_member(user: User, staff_id: int | None, field: str) -> User | None:
    if staff_id is None:
        return None
    found = active_staff(practice_id=user.practice_id).filter(pk=staff_id).first()
    if found is None:
        raise ValidationError({field: "No active staff member of this practice has that id."})
    return found


def _renamed(error: ValidationError, names: dict[str, str]) -> ValidationError:
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError({names.get(k, k): v for k, v in error.error_dict.items()})


def _unused_details(payload: s.ContactIn) -> None:
    """Refuse a promise's scope or a referral's details when the response did not include
    them: log_contact would drop them without a word."""
    problems: dict[str, str] = {}
    if payload.promise_scope.strip() and not payload.promised_confidentiality:
        problems["promised_confidentiality"] = (
            "A promise scope was given: set promised_confidentiality, or leave the scope out."
        )
    referral = (
        payload.referral_reason.strip(),
        payload.referral_to is not None,
        payload.referral_to_name.strip(),
        payload.referral_to_contact.strip(),
    )
    if any(referral) and not payload.offered_referral:
        problems["offered_referral"] = (
            "Referral details were given: set offered_referral, or leave them out."
        )
    if problems:
        raise ValidationError(problems)


# --- Detection ---------------------------------------------------------------------------


# Registered before /contacts/{contact_id}, so that "detect" is never read as an id.
@router.post("/contacts/detect", response={200: s.DetectionOut, 400: ErrorOut})
def detect_request(request: HttpRequest, payload: s.DetectIn) -> dict[str, Any]:
    """Requests for confidentiality in a note, the facilitator's own promises, words set aside
    as someone else's, and risk flags, as ``groupguard detect`` finds them, each with its
    explanation. Nothing is stored or audited."""
    staff_of(request)
    found = detect(payload.text).as_json()
    for key in ("matches", "set_aside", "promises", "flags"):
        for match in found[key]:
            known = describe(match["rule"])
            match["explanation"] = known[1] if known else match["rule"]
    return found


# --- Contacts ----------------------------------------------------------------------------


@router.get("/contacts", response={200: s.ContactPageOut, 400: ErrorOut, 404: ErrorOut})
def list_contacts(request: HttpRequest, filters: Query[s.ContactFilter]) -> dict[str, Any]:
    """Contacts the caller may see, newest first; filter by member, group and/or request
    (``request=unanswered``: those waiting for the facilitator's answer)."""
    user = staff_of(request)
    member = access_member(user, filters.member) if filters.member else None
    group = access_group(user, filters.group) if filters.group else None
    contacts = selectors.with_details(selectors.visible_contacts(user))
    if member is not None:
        contacts = contacts.filter(member_links__member=member)
    if group is not None:
        contacts = contacts.filter(group=group)
    if filters.request is not None:
        contacts = selectors.with_request(contacts, filters.request)
    head, rows = page(contacts.order_by("-occurred_at", "-created_at"), filters)
    record_view(
        user=user,
        practice_id=user.practice_id,
        action="contact.list",
        object_type="contact",
        member_id=member.id if member else None,
        detail={"count": len(rows), "group": str(group.id) if group else None},
    )
    now = timezone.now()
    return {**head, "items": [_contact_out(c, now) for c in rows]}


@router.post("/contacts", response={201: s.ContactDetailOut, 400: ErrorOut, 404: ErrorOut})
def create_contact(request: HttpRequest, payload: s.ContactIn) -> Status[dict[str, Any]]:
    """Log a contact, with its promise and referral when the response included them. The
    answer carries the guidance for a request."""
    user = staff_of(request)
    group = access_group(user, payload.group)
    members = [access_member(user, member_id) for member_id in payload.members]
    _unused_details(payload)
    referral_to = staff_member(user, payload.referral_to, "referral_to")
    try:
        contact = actions.log_contact(
            group=group,
            members=members,
            acting_user=user,
            referral_to=referral_to,
            **payload.dict(exclude={"group", "members", "referral_to"}),
        )
    except ValidationError as error:
        raise _renamed(error, _REFERRAL_FIELDS) from None
    return Status(201, _contact_detail(selectors.access_contact(user, contact.id)))


@router.get("/contacts/{contact_id}", response={200: s.ContactDetailOut, 404: ErrorOut})
def get_contact(request: HttpRequest, contact_id: uuid.UUID) -> dict[str, Any]:
    user = staff_of(request)
    contact = selectors.access_contact(user, contact_id)
    actions.record_view(contact, user=user)
    return _contact_detail(contact)


@router.patch(
    "/contacts/{contact_id}",
    response={200: s.ContactDetailOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def patch_contact(
    request: HttpRequest, contact_id: uuid.UUID, payload: s.ContactPatch
) -> Status[dict[str, Any]]:
    """Edit an entry within 24 hours of writing it (its writer only). A locked entry is a 409:
    add an amendment instead."""
    user = staff_of(request)
    contact = selectors.access_contact(user, contact_id)
    changes = payload.dict(exclude_unset=True)
    scope = changes.pop("promise_scope", "")
    confirmed = changes.pop("promise_confirmed", False)
    try:
        actions.edit_contact(
            contact, acting_user=user, promise_scope=scope, promise_confirmed=confirmed, **changes
        )
    except ValidationError as error:
        if getattr(error, "code", None) == "locked":
            return Status(409, {"detail": " ".join(error.messages)})
        raise
    return Status(200, _contact_detail(selectors.access_contact(user, contact.id)))


@router.post(
    "/contacts/{contact_id}/amendments",
    response={201: s.AmendmentOut, 400: ErrorOut, 404: ErrorOut},
)
def create_amendment(
    request: HttpRequest, contact_id: uuid.UUID, payload: s.AmendmentIn
) -> Status[dict[str, Any]]:
    """Add to or correct an entry; the original never changes."""
    user = staff_of(request)
    contact = selectors.access_contact(user, contact_id)
    amendment = actions.amend_contact(
        contact, acting_user=user, text=payload.text, request=payload.request or ""
    )
    return Status(201, _amendment_out(amendment))


# --- Timeline ----------------------------------------------------------------------------


@router.get(
    "/members/{member_id}/timeline",
    response={200: s.TimelineOut, 404: ErrorOut},
    tags=["members"],
)
def member_timeline(request: HttpRequest, member_id: uuid.UUID) -> dict[str, Any]:
    """A member's contacts, requests, responses, amendments, promises and referrals, newest
    first."""
    user = staff_of(request)
    member = access_member(user, member_id)
    items = timeline_of.member_timeline(user=user, member=member)
    record_view(user=user, practice_id=member.practice_id, obj=member, member_id=member.id)
    # A contact with several members carries its note and the others' names: the answer read
    # those members' records too.
    for other in timeline_of.others_on_timeline(items, member):
        record_view(user=user, practice_id=member.practice_id, obj=member, member_id=other)
    return {
        "member": member_ref(member),
        "items": [
            {
                "when": i.when,
                "date_only": i.date_only,
                "kind": i.kind,
                "title": i.title,
                "body": i.body,
                "badges": i.badges,
                "contact": i.contact_id,
                "referral": i.referral_id,
                "assessment": i.assessment_id,
            }
            for i in items
        ],
    }

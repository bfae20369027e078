"""REST endpoints of confidentiality promises and referrals (mounted under /api/v1 by api.py;
shapes and helpers shared with ``contacts.py``, schemas in ``contact_schemas.py``).

A promise is found through its contact's group, a referral through its member
(``contacts.selectors``): the same 404 for missing and not yours. Lists are audited with one
entry per call; writes are the actions in ``contacts.actions``, which audit themselves.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest
from ninja import Query, Router, Status

from groupguard.accounts.models import User
from groupguard.api import contact_schemas as s
from groupguard.api.auth import staff_of
from groupguard.api.contacts import page, promise_out, referral_out, staff_member
from groupguard.api.schemas import ErrorOut
from groupguard.audit.reads import record_view
from groupguard.contacts import actions, selectors
from groupguard.contacts.models import Promise
from groupguard.practice.access import access_member

router = Router()


# --- Promises ----------------------------------------------------------------------------


def _promises(user: User) -> models.QuerySet[Promise]:
    return selectors.visible_promises(user).select_related(
        "member", "made_by", "closed_by", "contact__group"
    )


@router.get(
    "/promises", response={200: s.PromisePageOut, 400: ErrorOut, 404: ErrorOut}, tags=["promises"]
)
def list_promises(request: HttpRequest, filters: Query[s.PromiseFilter]) -> dict[str, Any]:
    """Confidentiality promises the caller may see, newest first."""
    user = staff_of(request)
    member = access_member(user, filters.member) if filters.member else None
    promises = _promises(user)
    if member is not None:
        promises = promises.filter(member=member)
    if filters.status is not None:
        promises = promises.filter(status=filters.status)
    head, rows = page(promises.order_by("-made_at", "-created_at"), filters)
    record_view(
        user=user,
        practice_id=user.practice_id,
        action="promise.list",
        object_type="promise",
        member_id=member.id if member else None,
        detail={"count": len(rows), "status": filters.status},
    )
    return {**head, "items": [promise_out(p) for p in rows]}


@router.post(
    "/promises/{promise_id}/close",
    response={200: s.PromiseOut, 400: ErrorOut, 404: ErrorOut},
    tags=["promises"],
)
def close_promise(
    request: HttpRequest, promise_id: uuid.UUID, payload: s.PromiseCloseIn
) -> dict[str, Any]:
    """Released by the member, or withdrawn after telling them."""
    user = staff_of(request)
    promise = selectors.access_promise(user, promise_id)
    actions.close_promise(promise, status=payload.status, note=payload.note, acting_user=user)
    return promise_out(_promises(user).get(pk=promise.pk))


# --- Referrals ---------------------------------------------------------------------------


@router.get(
    "/referrals",
    response={200: s.ReferralPageOut, 400: ErrorOut, 404: ErrorOut},
    tags=["referrals"],
)
def list_referrals(request: HttpRequest, filters: Query[s.ReferralFilter]) -> dict[str, Any]:
    """Referrals the caller may see, newest first."""
    user = staff_of(request)
    member = access_member(user, filters.member) if filters.member else None
    referrals = selectors.visible_referrals(user).select_related(
        "member", "offered_by", "to_practitioner"
    )
    if member is not None:
        referrals = referrals.filter(member=member)
    if filters.status is not None:
        referrals = referrals.filter(status=filters.status)
    if filters.awaiting and user.practice is not None:
        referrals = selectors.awaiting_answer(referrals, user.practice)
    head, rows = page(referrals.order_by("-offered_on", "-created_at"), filters)
    record_view(
        user=user,
        practice_id=user.practice_id,
        action="referral.list",
        object_type="referral",
        member_id=member.id if member else None,
        detail={"count": len(rows), "status": filters.status, "awaiting": filters.awaiting or None},
    )
    return {**head, "items": [referral_out(r) for r in rows]}


@router.post(
    "/referrals", response={201: s.ReferralOut, 400: ErrorOut, 404: ErrorOut}, tags=["referrals"]
)
def create_referral(request: HttpRequest, payload: s.ReferralIn) -> Status[dict[str, Any]]:
    """Offer a member a referral to an individual therapist, after a contact or on its own."""
    user = staff_of(request)
    member = access_member(user, payload.member)
    contact = selectors.access_contact(user, payload.contact) if payload.contact else None
    if contact is not None and member not in selectors.members_of(contact):
        raise ValidationError({"contact": f"{member.display_name} was not part of that contact."})
    referral = actions.offer_referral(
        member=member,
        acting_user=user,
        reason=payload.reason,
        contact=contact,
        to_practitioner=staff_member(user, payload.to_practitioner, "to_practitioner"),
        to_name=payload.to_name,
        to_contact=payload.to_contact,
        offered_on=payload.offered_on,
    )
    return Status(201, referral_out(referral))


@router.patch(
    "/referrals/{referral_id}",
    response={200: s.ReferralOut, 400: ErrorOut, 404: ErrorOut},
    tags=["referrals"],
)
def patch_referral(
    request: HttpRequest, referral_id: uuid.UUID, payload: s.ReferralPatch
) -> dict[str, Any]:
    """Move a referral on (accepted, declined, completed) or name who it goes to."""
    user = staff_of(request)
    referral = selectors.access_referral(user, referral_id)
    changes = payload.dict(exclude_unset=True)
    practitioner = staff_member(user, changes.pop("to_practitioner", None), "to_practitioner")
    actions.update_referral(referral, acting_user=user, to_practitioner=practitioner, **changes)
    return referral_out(selectors.access_referral(user, referral.id))

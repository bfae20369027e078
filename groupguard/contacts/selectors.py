"""Reads of contacts, promises and referrals, each through the access rules.

A contact belongs to a group: whoever may see the group (its facilitators, the practice's
admins) may see the contact. Referrals and promises follow the member: whoever may see the
member may see them.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from groupguard.contacts.models import (
    Amendment,
    Contact,
    ContactMember,
    Promise,
    PromiseStatus,
    Referral,
    ReferralStatus,
    Request,
)
from groupguard.practice.access import parse_id, visible_groups, visible_members
from groupguard.practice.models import Member, Practice


def visible_contacts(user: Any) -> QuerySet[Contact]:
    return Contact.objects.filter(group__in=visible_groups(user).values("id"))


def with_details(contacts: QuerySet[Contact]) -> QuerySet[Contact]:
    return contacts.select_related("group", "facilitator").prefetch_related(
        Prefetch(
            "member_links",
            queryset=ContactMember.objects.select_related("member").order_by("created_at"),
        ),
        Prefetch(
            "amendments", queryset=Amendment.objects.select_related("author").order_by("created_at")
        ),
    )


def access_contact(user: Any, contact_id: Any) -> Contact:
    contact = with_details(visible_contacts(user)).filter(pk=parse_id(contact_id)).first()
    if contact is None:
        raise Http404("not found")
    return contact


def visible_referrals(user: Any) -> QuerySet[Referral]:
    """Referrals follow the member, and one offered from a contact also needs the contact's
    group (its reason comes from what was said there), as disclosures do (#15)."""
    return Referral.objects.filter(member__in=visible_members(user).values("id")).filter(
        Q(contact__isnull=True) | Q(contact__group__in=visible_groups(user).values("id"))
    )


def access_referral(user: Any, referral_id: Any) -> Referral:
    referral = (
        visible_referrals(user)
        .select_related("member", "to_practitioner", "offered_by")
        .filter(pk=parse_id(referral_id))
        .first()
    )
    if referral is None:
        raise Http404("not found")
    return referral


def visible_promises(user: Any) -> QuerySet[Promise]:
    return Promise.objects.filter(contact__group__in=visible_groups(user).values("id"))


def access_promise(user: Any, promise_id: Any) -> Promise:
    promise = (
        visible_promises(user)
        .select_related("member", "contact", "made_by")
        .filter(pk=parse_id(promise_id))
        .first()
    )
    if promise is None:
        raise Http404("not found")
    return promise


def members_of(contact: Contact) -> list[Member]:
    return [link.member for link in contact.member_links.all()]


def effective_request(contact: Contact) -> str:
    """The request as last corrected: the latest amendment that corrected (or answered) it, or
    the entry's, which may be ``unanswered``."""
    request = contact.request
    for amendment in contact.amendments.all():
        if amendment.request:
            request = amendment.request
    return request


def request_for_guidance(contact: Contact) -> str:
    """The request the guidance answers: the facilitator's, or while they have not answered,
    the detector's suggestion (as the contact form does before they answer). Guidance only:
    never a recorded fact."""
    request = effective_request(contact)
    return contact.detected_request if request == Request.UNANSWERED else request


def with_request(contacts: QuerySet[Contact], request: str) -> QuerySet[Contact]:
    """Of ``contacts``, those whose request, as last corrected, is ``request`` (the same as
    ``effective_request``, in SQL)."""
    corrected = (
        Amendment.objects.filter(contact=OuterRef("pk"))
        .exclude(request="")
        .order_by("-created_at")
        .values("request")[:1]
    )
    return contacts.annotate(effective=Coalesce(Subquery(corrected), F("request"))).filter(
        effective=request
    )


def unanswered_contacts(user: Any, limit: int = 20) -> list[Contact]:
    """Contacts the user may see whose request for confidentiality nobody has answered yet,
    oldest first, with their group and members (two queries)."""
    answered_later = Amendment.objects.filter(contact=OuterRef("pk")).exclude(request="")
    return list(
        visible_contacts(user)
        .filter(practice_id=user.practice_id, request=Request.UNANSWERED)
        .exclude(Exists(answered_later))
        .select_related("group")
        .prefetch_related(
            Prefetch(
                "member_links",
                queryset=ContactMember.objects.select_related("member").order_by("created_at"),
            )
        )
        .order_by("occurred_at")[:limit]
    )


def open_promises(user: Any, limit: int = 20) -> list[Promise]:
    return list(
        visible_promises(user)
        .filter(practice_id=user.practice_id, status=PromiseStatus.OPEN)
        .select_related("member", "made_by", "contact__group")
        .order_by("-made_at")[:limit]
    )


def referrals_awaiting(user: Any, limit: int = 20) -> list[Referral]:
    """Referrals offered and still unanswered after the practice's reminder period."""
    practice = getattr(user, "practice", None)
    if practice is None:
        return []
    referrals = visible_referrals(user).filter(practice=practice)
    return list(
        awaiting_answer(referrals, practice)
        .select_related("member", "to_practitioner")
        .order_by("offered_on")[:limit]
    )


def awaiting_answer(referrals: QuerySet[Referral], practice: Practice) -> QuerySet[Referral]:
    """Of ``referrals``, those offered and unanswered after the practice's reminder period."""
    cutoff = practice.today() - datetime.timedelta(days=practice.referral_reminder_days)
    return referrals.filter(status=ReferralStatus.OFFERED, offered_on__lte=cutoff)


@dataclass
class DetectorStats:
    """How the detector's suggestion compared with what facilitators recorded. Contacts whose
    request is not answered yet have nothing to compare: they are counted apart."""

    total: int
    agreed: int
    confusion: dict[str, dict[str, int]]  # detected -> recorded -> count
    unanswered: int = 0

    @property
    def agreement(self) -> float | None:
        return self.agreed / self.total if self.total else None

    def as_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "agreed": self.agreed,
            "agreement": round(self.agreement, 4) if self.agreement is not None else None,
            "confusion": self.confusion,
            "unanswered": self.unanswered,
        }


def detector_stats(practice: Practice) -> DetectorStats:
    """Counts per (detected, recorded) pair, with corrections made by amendment applied."""
    contacts = Contact.objects.filter(practice=practice).prefetch_related(
        Prefetch("amendments", queryset=Amendment.objects.order_by("created_at"))
    )
    pairs: Counter[tuple[str, str]] = Counter()
    for contact in contacts.only("id", "request", "detected_request"):
        pairs[(contact.detected_request, effective_request(contact))] += 1
    levels = ("none", "implied", "explicit")
    confusion = {d: {r: pairs[(d, r)] for r in levels} for d in levels}
    total = sum(pairs[(d, r)] for d in levels for r in levels)
    agreed = sum(pairs[(x, x)] for x in levels)
    unanswered = sum(n for (_d, r), n in pairs.items() if r == Request.UNANSWERED)
    return DetectorStats(total, agreed, confusion, unanswered)

"""Reads of contacts, promises and referrals, each through the access rules.

A contact belongs to a group: whoever may see the group (its facilitators, the practice's
admins) may see the contact. Referrals and promises follow the member: whoever may see the
member may see them.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
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
class TimelineItem:
    when: datetime.datetime
    date_only: bool
    kind: str  # contact, amendment, promise, promise_closed, referral
    title: str
    body: str = ""
    badges: list[str] = field(default_factory=list)
    contact_id: Any = None
    referral_id: Any = None
    assessment_id: Any = None


def _end_of_day(day: datetime.date, tz: zoneinfo.ZoneInfo) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(23, 59, 59), tzinfo=tz)


def member_timeline(*, user: Any, member: Member, limit: int = 200) -> list[TimelineItem]:
    """Contacts, requests, responses, amendments, promises and referrals, newest first."""
    tz = zoneinfo.ZoneInfo(member.practice.timezone)
    items: list[TimelineItem] = []
    contacts = list(
        with_details(visible_contacts(user).filter(member_links__member=member)).order_by(
            "-occurred_at"
        )[:limit]
    )
    for c in contacts:
        request = effective_request(c)
        badges = []
        if request == Request.UNANSWERED:
            badges.append("Request not answered yet")
        elif request != Request.NONE:
            badges.append(f"{request.capitalize()} request")
        badges += c.responses
        others = [
            link.member.display_name for link in c.member_links.all() if link.member_id != member.id
        ]
        title = f"{c.get_setting_display()} with {c.facilitator.display_name}"
        if others:
            title += f" (also {', '.join(others)})"
        items.append(
            TimelineItem(c.occurred_at, False, "contact", title, c.summary, badges, contact_id=c.id)
        )
        for a in c.amendments.all():
            amend_badges = [f"Request corrected to {a.request}"] if a.request else []
            items.append(
                TimelineItem(
                    a.created_at,
                    False,
                    "amendment",
                    f"Amendment by {a.author.display_name}",
                    a.text,
                    amend_badges,
                    contact_id=c.id,
                )
            )
    for p in visible_promises(user).filter(member=member).select_related("made_by", "closed_by"):
        items.append(
            TimelineItem(
                p.made_at,
                False,
                "promise",
                f"Confidentiality promised by {p.made_by.display_name}",
                p.scope,
                [p.get_status_display()],
                contact_id=p.contact_id,
            )
        )
        if p.closed_at and p.closed_by:
            items.append(
                TimelineItem(
                    p.closed_at,
                    False,
                    "promise_closed",
                    f"Promise {p.get_status_display().lower()}",
                    p.closing_note,
                    contact_id=p.contact_id,
                )
            )
    for r in (
        visible_referrals(user)
        .filter(member=member)
        .select_related("to_practitioner", "offered_by")
    ):
        items.append(
            TimelineItem(
                _end_of_day(r.offered_on, tz),
                True,
                "referral",
                f"Referral offered by {r.offered_by.display_name} "
                + (f"to {r.recipient}" if r.is_addressed else "(therapist not named yet)"),
                r.reason,
                [f"Now {r.get_status_display().lower()}"],
                contact_id=r.contact_id,
                referral_id=r.id,
            )
        )
        for status in (ReferralStatus.ACCEPTED, ReferralStatus.DECLINED, ReferralStatus.COMPLETED):
            day = getattr(r, f"{status}_on")
            if day is not None:
                items.append(
                    TimelineItem(
                        _end_of_day(day, tz),
                        True,
                        "referral",
                        f"Referral {status.label.lower()} ({r.recipient})",
                        contact_id=r.contact_id,
                        referral_id=r.id,
                    )
                )
    items += _decision_items(user, member)
    items.sort(key=lambda i: i.when, reverse=True)
    return items[:limit]


def others_on_timeline(items: list[TimelineItem], member: Member) -> list[Any]:
    """The other members of the contacts on ``member``'s timeline (their notes name them too,
    so a page showing the timeline audits a read of each)."""
    contact_ids = {item.contact_id for item in items if item.kind == "contact"}
    if not contact_ids:
        return []
    others = (
        ContactMember.objects.filter(contact_id__in=contact_ids)
        .exclude(member_id=member.id)
        .order_by()
        .values_list("member_id", flat=True)
        .distinct()
    )
    return sorted(others)


def _decision_items(user: Any, member: Member) -> list[TimelineItem]:
    """Disclosure assessments and what was shared (the disclosures app builds on contacts)."""
    from groupguard.disclosures import selectors as disclosure_selectors

    items = []
    for a in disclosure_selectors.assessments_for(user, member):
        choices = list(a.choices.all())
        badges = [f"Level: {a.level.replace('_', ' ')}"]
        if choices:
            badges.append(f"Decided: {choices[-1].get_kind_display().lower()}")
        items.append(
            TimelineItem(
                a.created_at,
                False,
                "assessment",
                f"Asked “may I share this?” ({a.asked_by.display_name})",
                a.question,
                badges,
                contact_id=a.contact_id,
                assessment_id=a.id,
            )
        )
    for d in disclosure_selectors.disclosures_for(user, member):
        items.append(
            TimelineItem(
                d.disclosed_at,
                False,
                "disclosure",
                f"Shared with {d.get_recipient_display().lower()} ({d.recorded_by.display_name})",
                d.what,
                ["Outside the group"] if d.outside_group else [],
                assessment_id=d.assessment_id,
            )
        )
    return items


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

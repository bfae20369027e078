"""A member's record in time order: contacts, amendments, promises, referrals, "may I raise
this?" assessments and disclosures, newest first, as the member page and the API show it.

It sits above contacts and disclosures (it reads both), so neither of them imports the other
for it; each row is what the asking user may see (``visible_*`` selectors).
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from groupguard.contacts.models import ContactMember, ReferralStatus, Request
from groupguard.contacts.selectors import (
    effective_request,
    visible_contacts,
    visible_promises,
    visible_referrals,
    with_details,
)
from groupguard.disclosures import selectors as disclosure_selectors
from groupguard.practice.models import Member


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
    """Disclosure assessments and what was shared."""
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

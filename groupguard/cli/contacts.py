"""What the ``contacts``, ``referrals`` and ``promises`` commands share: what a command may
see, the JSON it prints, and the audit entry for showing PHI.

A command run ``--as USERNAME`` sees what that user sees (the same selectors as the web
pages); one run without it sees the whole practice, as ``groupguard members`` does.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import CommandParser
from django.db.models import QuerySet

from groupguard.accounts.models import User
from groupguard.cli.output import user_in_practice
from groupguard.contacts import selectors
from groupguard.contacts.guidance import Guidance
from groupguard.contacts.models import Amendment, Contact, Promise, Referral
from groupguard.practice.access import visible_groups, visible_members
from groupguard.practice.models import Group, Member, Practice

RESPONSES = ("reminded_agreement", "offered_referral", "promised_confidentiality")


def contacts_seen(practice: Practice, user: User | None) -> QuerySet[Contact]:
    if user is not None:
        return selectors.visible_contacts(user)
    return Contact.objects.filter(practice=practice)


def groups_seen(practice: Practice, user: User | None) -> QuerySet[Group]:
    if user is not None:
        return visible_groups(user)
    return Group.objects.filter(practice=practice)


def members_seen(practice: Practice, user: User | None) -> QuerySet[Member]:
    if user is not None:
        return visible_members(user)
    return Member.objects.filter(practice=practice)


def referrals_seen(practice: Practice, user: User | None) -> QuerySet[Referral]:
    if user is not None:
        return selectors.visible_referrals(user)
    return Referral.objects.filter(practice=practice)


def promises_seen(practice: Practice, user: User | None) -> QuerySet[Promise]:
    if user is not None:
        return selectors.visible_promises(user)
    return Promise.objects.filter(practice=practice)


def _iso(value: datetime.date | datetime.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _member(member: Member) -> dict[str, str]:
    return {"id": str(member.id), "name": member.display_name}


def contact_row(contact: Contact, now: datetime.datetime) -> dict[str, Any]:
    """A contact without its free text. ``contact`` comes from ``selectors.with_details``."""
    return {
        "id": str(contact.id),
        "group": {"id": str(contact.group_id), "name": contact.group.name},
        "members": [_member(m) for m in selectors.members_of(contact)],
        "facilitator": contact.facilitator.username,
        "occurred_at": contact.occurred_at.isoformat(),
        "setting": contact.setting,
        "initiated_by": contact.initiated_by,
        "request": selectors.effective_request(contact),
        "detected_request": contact.detected_request,
        "responses": [name for name in RESPONSES if getattr(contact, name)],
        "locked": contact.is_locked(now),
    }


def contact_detail(contact: Contact, now: datetime.datetime) -> dict[str, Any]:
    """Everything recorded about a contact: its text, amendments, promises and referrals."""
    promises = contact.promises.select_related("member", "made_by", "closed_by", "contact__group")
    referrals = contact.referrals.select_related("member", "offered_by", "to_practitioner")
    return {
        **contact_row(contact, now),
        "recorded_request": contact.request,
        "detection": {
            "request": contact.detected_request,
            "matches": [
                {**match, "text": contact.summary[match["start"] : match["end"]]}
                for match in contact.detected_rules
            ],
            "model": contact.detector_version,
        },
        "summary": contact.summary,
        "others_present": contact.others_present,
        "follow_up": contact.follow_up,
        "follow_up_on": _iso(contact.follow_up_on),
        "created_at": contact.created_at.isoformat(),
        "edited_at": _iso(contact.edited_at),
        "locks_at": contact.locks_at.isoformat(),
        "content_sha256": contact.content_sha256,
        "amendments": [amendment_json(a) for a in contact.amendments.all()],
        "promises": [promise_json(p) for p in promises.order_by("made_at")],
        "referrals": [referral_json(r) for r in referrals.order_by("created_at")],
    }


def amendment_json(amendment: Amendment) -> dict[str, Any]:
    return {
        "id": str(amendment.id),
        "contact": str(amendment.contact_id),
        "author": amendment.author.username,
        "created_at": amendment.created_at.isoformat(),
        "text": amendment.text,
        "request": amendment.request or None,
        "content_sha256": amendment.content_sha256,
    }


def promise_json(promise: Promise) -> dict[str, Any]:
    """``promise`` with member, made_by, closed_by and contact__group selected."""
    return {
        "id": str(promise.id),
        "member": _member(promise.member),
        "contact": str(promise.contact_id),
        "group": {"id": str(promise.contact.group_id), "name": promise.contact.group.name},
        "made_by": promise.made_by.username,
        "made_at": promise.made_at.isoformat(),
        "scope": promise.scope,
        "status": promise.status,
        "closed_at": _iso(promise.closed_at),
        "closed_by": promise.closed_by.username if promise.closed_by else None,
        "closing_note": promise.closing_note,
    }


def referral_json(referral: Referral) -> dict[str, Any]:
    """``referral`` with member, offered_by and to_practitioner selected."""
    to_user = referral.to_practitioner
    return {
        "id": str(referral.id),
        "member": _member(referral.member),
        "contact": str(referral.contact_id) if referral.contact_id else None,
        "offered_by": referral.offered_by.username,
        "to": referral.recipient,
        "to_user": to_user.username if to_user is not None else None,
        "to_name": referral.to_name,
        "to_contact": referral.to_contact,
        "reason": referral.reason,
        "status": referral.status,
        "offered_on": referral.offered_on.isoformat(),
        "status_on": _iso(referral.status_on()),
    }


def guidance_json(guidance: Guidance | None) -> dict[str, Any] | None:
    """What to say and do after a request: the same guidance the contact form shows."""
    if guidance is None:
        return None
    return {
        "warnings": guidance.warnings,
        "agreement_version": guidance.version.number if guidance.version else None,
        "clauses": [
            {"number": c.number, "title": c.title, "text": c.text} for c in guidance.clauses
        ],
        "script": guidance.script,
        "notes": guidance.notes,
    }


def practice_option(parser: CommandParser) -> None:
    parser.add_argument("--practice", required=True, metavar="SLUG", help="the practice's slug")


def as_option(parser: CommandParser, *, required: bool) -> None:
    """``--as USERNAME``: who acts (required for writes), or whose view a read takes."""
    parser.add_argument(
        "--as",
        dest="as_user",
        required=required,
        metavar="USERNAME",
        help="act as this active user of the practice"
        + ("" if required else " and see only what they see (default: the whole practice)"),
    )


def viewer(practice: Practice, options: dict[str, Any]) -> User | None:
    """The user whose view a read takes, or None for the whole practice."""
    if options["as_user"] is None:
        return None
    return user_in_practice(practice, options["as_user"])

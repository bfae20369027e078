"""Contacts: logging one (with the detector's suggestion kept apart), editing it within the window,
amending it later, and reading it (audited).
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from groupguard.accounts.models import User
from groupguard.audit import reads as audit_reads
from groupguard.audit import rows
from groupguard.audit.jcs import canonicalize
from groupguard.audit.log import Actor, record
from groupguard.contacts.actions.common import check_choice
from groupguard.contacts.actions.promises import create_promise, promise_scope_text
from groupguard.contacts.actions.referrals import offer_referral
from groupguard.contacts.detect import detect
from groupguard.contacts.models import (
    ANSWERS,
    Amendment,
    Contact,
    ContactMember,
    Initiator,
    Request,
    Setting,
)
from groupguard.core.text import clean_text
from groupguard.practice.models import Enrollment, Group, Member

# A phone's clock may run a little ahead of the server's.
CLOCK_SKEW = datetime.timedelta(minutes=5)


EDITABLE = (
    "occurred_at",
    "setting",
    "initiated_by",
    "others_present",
    "summary",
    "request",
    "reminded_agreement",
    "follow_up",
    "follow_up_on",
)


def content_sha256(contact: Contact, member_ids: Sequence[Any]) -> str:
    """The hash that signs an entry: every recorded fact, canonical JSON (RFC 8785)."""
    content = {
        "contact": str(contact.id),
        "group": str(contact.group_id),
        "facilitator": contact.facilitator_id,
        "members": sorted(str(m) for m in member_ids),
        "occurred_at": contact.occurred_at.astimezone(datetime.UTC).isoformat(),
        "setting": contact.setting,
        "initiated_by": contact.initiated_by,
        "others_present": contact.others_present,
        "summary": contact.summary,
        "request": contact.request,
        "responses": {
            "reminded_agreement": contact.reminded_agreement,
            "offered_referral": contact.offered_referral,
            "promised_confidentiality": contact.promised_confidentiality,
        },
        "follow_up": contact.follow_up,
        "follow_up_on": contact.follow_up_on.isoformat() if contact.follow_up_on else None,
    }
    return hashlib.sha256(canonicalize(content)).hexdigest()


def amendment_sha256(amendment: Amendment) -> str:
    content = {
        "amendment": str(amendment.id),
        "contact": str(amendment.contact_id),
        "author": amendment.author_id,
        "text": amendment.text,
        "request": amendment.request,
    }
    return hashlib.sha256(canonicalize(content)).hexdigest()


def _check_facts(values: dict[str, Any]) -> None:
    occurred_at = values["occurred_at"]
    if occurred_at is None or timezone.is_naive(occurred_at):
        raise ValidationError({"occurred_at": "Give the date and time of the contact."})
    if occurred_at > timezone.now() + CLOCK_SKEW:
        raise ValidationError({"occurred_at": "The contact cannot be in the future."})
    check_choice(values["setting"], "setting", Setting)
    check_choice(values["initiated_by"], "initiated_by", Initiator)
    check_choice(values["request"], "request", Request)
    values["summary"] = clean_text(values["summary"], "summary", required=True, label="summary")
    values["others_present"] = clean_text(
        values["others_present"], "others_present", required=False, label="list of others"
    )
    values["follow_up"] = clean_text(
        values["follow_up"], "follow_up", required=False, label="follow-up"
    )


def _check_members(group: Group, members: Sequence[Member], day: datetime.date) -> None:
    if not members:
        raise ValidationError({"members": "Choose the member or members you spoke with."})
    if len({m.id for m in members}) != len(members):
        raise ValidationError({"members": "A member is listed twice."})
    enrolled = set(
        Enrollment.objects.filter(group=group, member__in=members, joined_on__lte=day).values_list(
            "member_id", flat=True
        )
    )
    missing = [m.display_name for m in members if m.id not in enrolled]
    if missing:
        raise ValidationError(
            {
                "members": f"Not a member of {group.name} on {day:%d %b %Y}: "
                + ", ".join(missing)
                + "."
            }
        )


def _check_writer(group: Group, user: User) -> None:
    if user.practice_id != group.practice_id:
        raise ValidationError("You can log contacts only for your own practice's groups.")
    if not (user.is_practice_admin or group.facilitator_links.filter(user=user).exists()):
        raise ValidationError(
            "Only the group's facilitators (or a practice admin) can log contacts for it."
        )


def _detect_into(contact: Contact) -> None:
    """Keep the detector's suggestion for the summary: the request and the rules that matched
    (``detected_request``, ``detected_rules``) and its whole output as it returned it
    (``detection``). It never fills in ``request``: that is the facilitator's answer."""
    found = detect(contact.summary)
    contact.detected_request = found.request
    contact.detected_rules = [
        {"rule": m.rule, "start": m.start, "end": m.end} for m in found.matches
    ]
    contact.detection = json.dumps(found.as_record(), sort_keys=True)


def _audit(
    contact: Contact,
    user: User,
    action: str,
    member_ids: Sequence[Any],
    *,
    fields: Sequence[str] = (),
    detail: dict[str, Any] | None = None,
    severity: str = "info",
) -> None:
    # One entry per member, so each member's history (and complaint packet) finds it.
    for member_id in member_ids:
        record(
            practice_id=contact.practice_id,
            actor=Actor.user(user),
            action=action,
            obj=contact,
            member_id=member_id,
            fields=fields,
            severity=severity,
            detail={"group": str(contact.group_id), **(detail or {})},
        )


@transaction.atomic
def log_contact(
    *,
    group: Group,
    members: Sequence[Member],
    acting_user: User,
    occurred_at: datetime.datetime,
    setting: str,
    initiated_by: str,
    summary: str,
    request: str = Request.UNANSWERED,
    others_present: str = "",
    reminded_agreement: bool = False,
    offered_referral: bool = False,
    promised_confidentiality: bool = False,
    follow_up: str = "",
    follow_up_on: datetime.date | None = None,
    promise_scope: str = "",
    promise_confirmed: bool = False,
    referral_reason: str = "",
    referral_to: User | None = None,
    referral_to_name: str = "",
    referral_to_contact: str = "",
) -> Contact:
    """Record a contact, with its promise and referral when the response included them.

    ``request`` is the facilitator's answer to "did the member ask for confidentiality?";
    without one the entry says it is not answered yet (never the detector's suggestion, which
    is kept beside it)."""
    values: dict[str, Any] = {
        "occurred_at": occurred_at,
        "setting": setting,
        "initiated_by": initiated_by,
        "summary": summary,
        "request": request,
        "others_present": others_present,
        "follow_up": follow_up,
    }
    _check_facts(values)
    _check_writer(group, acting_user)
    day = group.practice.day_of(occurred_at)
    _check_members(group, members, day)
    scope = promise_scope_text(promise_scope, promise_confirmed) if promised_confidentiality else ""
    contact = Contact(
        practice_id=group.practice_id,
        group=group,
        facilitator=acting_user,
        reminded_agreement=bool(reminded_agreement),
        offered_referral=bool(offered_referral),
        promised_confidentiality=bool(promised_confidentiality),
        follow_up_on=follow_up_on,
        **values,
    )
    _detect_into(contact)
    member_ids = [m.id for m in members]
    contact.content_sha256 = content_sha256(contact, member_ids)
    contact.save()
    links = ContactMember.objects.bulk_create(
        [ContactMember(contact=contact, member_id=member_id) for member_id in member_ids]
    )
    rows.note_written(ContactMember, [link.pk for link in links])  # bound by the entry below
    _audit(
        contact,
        acting_user,
        "contact.create",
        member_ids,
        fields=[k for k in ("summary", "others_present", "follow_up") if values[k]],
        detail={
            "setting": contact.setting,
            "request": contact.request,
            "detected": contact.detected_request,
            "responses": _responses(contact),
            "sha256": contact.content_sha256,
        },
    )
    for member in members:
        if promised_confidentiality:
            create_promise(contact, member, scope, acting_user)
        if offered_referral:
            offer_referral(
                member=member,
                contact=contact,
                acting_user=acting_user,
                reason=referral_reason or _default_reason(contact),
                to_practitioner=referral_to,
                to_name=referral_to_name,
                to_contact=referral_to_contact,
                offered_on=day,
            )
    return contact


def _responses(contact: Contact) -> list[str]:
    return [
        name
        for name in ("reminded_agreement", "offered_referral", "promised_confidentiality")
        if getattr(contact, name)
    ]


def _default_reason(contact: Contact) -> str:
    return "A confidential space to talk about what the member raised outside the group."


def member_ids_of(contact: Contact) -> list[Any]:
    return list(
        ContactMember.objects.filter(contact=contact)
        .order_by("created_at")
        .values_list("member_id", flat=True)
    )


@transaction.atomic
def edit_contact(
    contact: Contact,
    *,
    acting_user: User,
    promise_scope: str = "",
    promise_confirmed: bool = False,
    **changes: Any,
) -> Contact:
    """Change an entry within 24 hours of writing it; afterwards only amendments. An entry
    whose request is not answered yet is answered here (``request=...``)."""
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    now = timezone.now()
    if contact.is_locked(now):
        raise ValidationError(
            "This entry was locked on "
            f"{contact.locks_at.astimezone(contact.group.practice.tz):%d %b %Y %H:%M}, "
            "24 hours after it was written. Add an amendment instead: the original stays as "
            "it was.",
            code="locked",
        )
    if contact.facilitator_id != acting_user.pk:
        raise ValidationError("Only the facilitator who wrote an entry can edit it.")
    unknown = set(changes) - set(EDITABLE) - {"promised_confidentiality"}
    if unknown:
        raise ValidationError(f"These cannot be edited: {', '.join(sorted(unknown))}.")
    values = {k: changes.get(k, getattr(contact, k)) for k in EDITABLE}
    _check_facts(values)
    make_promise = bool(changes.get("promised_confidentiality")) and not (
        contact.promised_confidentiality
    )
    if changes.get("promised_confidentiality") is False and contact.promised_confidentiality:
        raise ValidationError(
            {
                "promised_confidentiality": "A recorded promise cannot be taken back by editing: "
                "close it (released by the member, or withdrawn after telling them)."
            }
        )
    scope = promise_scope_text(promise_scope, promise_confirmed) if make_promise else ""
    member_ids = member_ids_of(contact)
    day = contact.group.practice.day_of(values["occurred_at"])
    _check_members(contact.group, list(Member.objects.filter(id__in=member_ids)), day)
    changed = [k for k in EDITABLE if values[k] != getattr(contact, k)]
    if make_promise:
        changed.append("promised_confidentiality")
        contact.promised_confidentiality = True
    if not changed:
        return contact
    for k in EDITABLE:
        setattr(contact, k, values[k])
    _detect_into(contact)
    contact.edited_at = now
    contact.content_sha256 = content_sha256(contact, member_ids)
    contact.save()
    _audit(
        contact,
        acting_user,
        "contact.edit",
        member_ids,
        fields=changed,
        detail={
            "request": contact.request,
            "detected": contact.detected_request,
            "responses": _responses(contact),
            "sha256": contact.content_sha256,
        },
    )
    if make_promise:
        for member in Member.objects.filter(id__in=member_ids):
            create_promise(contact, member, scope, acting_user)
    return contact


@transaction.atomic
def amend_contact(
    contact: Contact, *, acting_user: User, text: str, request: str = ""
) -> Amendment:
    """Add to or correct an entry; ``request`` answers a request not answered yet, or corrects
    the answer. The original is never changed."""
    _check_writer(contact.group, acting_user)
    text = clean_text(text, "text", required=True, label="amendment")
    if request not in ("", *(value for value, _label in ANSWERS)):
        raise ValidationError(
            {
                "request": "An amendment answers or corrects the request: choose one of "
                f"{', '.join(value for value, _label in ANSWERS)} (or leave it out)."
            }
        )
    amendment = Amendment(contact=contact, author=acting_user, text=text, request=request)
    amendment.content_sha256 = amendment_sha256(amendment)
    amendment.save()
    for member_id in member_ids_of(contact):
        record(
            practice_id=contact.practice_id,
            actor=Actor.user(acting_user),
            action="contact.amend",
            obj=amendment,
            member_id=member_id,
            fields=["text"],
            detail={
                "contact": str(contact.id),
                "request": request or None,
                "sha256": amendment.content_sha256,
            },
        )
    return amendment


@transaction.atomic
def record_view(contact: Contact, *, user: User) -> None:
    """Audit that ``user`` was shown the contact: one entry per member, so each member's
    history lists who read about them."""
    audit_reads.record_view(
        user=user,
        practice_id=contact.practice_id,
        obj=contact,
        member_ids=member_ids_of(contact),
    )

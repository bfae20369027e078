"""Referrals to an individual therapist: offered, then accepted, declined or completed."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from groupguard.accounts.models import User
from groupguard.audit.log import Actor, record
from groupguard.contacts.actions.common import check_choice
from groupguard.contacts.models import (
    REFERRAL_MOVES,
    Contact,
    Referral,
    ReferralStatus,
)
from groupguard.core.text import clean_text
from groupguard.practice.models import Enrollment, Member


def _check_recipient(member: Member, to_practitioner: User | None, to_name: str) -> None:
    practice_id = member.practice_id
    if to_practitioner is not None:
        if to_practitioner.practice_id != practice_id or not to_practitioner.is_active:
            raise ValidationError(
                {"to_practitioner": "Choose an active practitioner of your practice."}
            )
        if to_name:
            raise ValidationError(
                {
                    "to_name": "Refer either to a practitioner of the practice or to an outside "
                    "therapist, not both."
                }
            )
        _check_not_a_facilitator_of(member, to_practitioner)


def _check_not_a_facilitator_of(member: Member, practitioner: User) -> None:
    """A facilitator of one of the member's current groups cannot also take them on for
    individual therapy through a referral: that is the dual role the group's agreement says no
    facilitator holds, and the product's pages, the engine and the packet would all still say
    "group facilitator only". Such a role is recorded on purpose, on the member's page."""
    groups = (
        Enrollment.objects.current(member.practice.today())
        .filter(member=member, group__facilitator_links__user=practitioner)
        .values_list("group__name", flat=True)
    )
    names = sorted(set(groups))
    if names:
        raise ValidationError(
            {
                "to_practitioner": (
                    f"{practitioner.display_name} facilitates "
                    f"{', '.join(names)}, which {member.display_name} attends: a referral for "
                    "individual therapy must go to someone outside the member's groups (a "
                    "colleague or an outside therapist). Holding both roles is a dual role; "
                    "if it is intended, record it on the member's page first."
                )
            }
        )


@transaction.atomic
def offer_referral(
    *,
    member: Member,
    acting_user: User,
    reason: str,
    contact: Contact | None = None,
    to_practitioner: User | None = None,
    to_name: str = "",
    to_contact: str = "",
    offered_on: datetime.date | None = None,
) -> Referral:
    if member.practice_id != acting_user.practice_id:
        raise ValidationError("You can refer only your own practice's members.")
    reason = clean_text(reason, "reason", required=True, label="reason for the referral")
    to_name = clean_text(to_name, "to_name", required=False, label="therapist's name")
    to_contact = clean_text(to_contact, "to_contact", required=False, label="therapist's contact")
    _check_recipient(member, to_practitioner, to_name)
    if contact is not None and not contact.member_links.filter(member=member).exists():
        raise ValidationError({"member": f"{member.display_name} was not part of that contact."})
    today = member.practice.today()
    offered_on = offered_on or today
    if offered_on > today:
        raise ValidationError({"offered_on": "The referral cannot be offered in the future."})
    referral = Referral.objects.create(
        practice_id=member.practice_id,
        member=member,
        contact=contact,
        offered_by=acting_user,
        to_practitioner=to_practitioner,
        to_name=to_name,
        to_contact=to_contact,
        reason=reason,
        offered_on=offered_on,
    )
    record(
        practice_id=member.practice_id,
        actor=Actor.user(acting_user),
        action="referral.offer",
        obj=referral,
        member_id=member.id,
        fields=[
            "reason",
            *(["to_name"] if to_name else []),
            *(["to_contact"] if to_contact else []),
        ],
        detail={
            "contact": str(contact.id) if contact else None,
            "to_practitioner": to_practitioner.pk if to_practitioner else None,
        },
    )
    return referral


@transaction.atomic
def update_referral(
    referral: Referral,
    *,
    acting_user: User,
    status: str | None = None,
    on: datetime.date | None = None,
    to_practitioner: User | None = None,
    to_name: str | None = None,
    to_contact: str | None = None,
) -> Referral:
    """Move a referral on (accepted, declined, completed) or name who it goes to."""
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    changed: list[str] = []
    if to_practitioner is not None or to_name is not None or to_contact is not None:
        if referral.status in (ReferralStatus.DECLINED, ReferralStatus.COMPLETED):
            raise ValidationError("This referral is closed; offer a new one instead.")
        # Naming one kind of recipient replaces the other.
        keep_name = to_name is None and to_practitioner is None
        name = clean_text(
            to_name if to_name is not None else (referral.to_name if keep_name else ""),
            "to_name",
            required=False,
            label="therapist's name",
        )
        practitioner = to_practitioner if to_practitioner is not None else None
        if to_practitioner is None and to_name is None:
            practitioner = referral.to_practitioner
        _check_recipient(referral.member, practitioner, name)
        new_contact = clean_text(
            to_contact if to_contact is not None else referral.to_contact,
            "to_contact",
            required=False,
            label="therapist's contact",
        )
        for field, value in (
            ("to_practitioner", practitioner),
            ("to_name", name),
            ("to_contact", new_contact),
        ):
            current = (
                referral.to_practitioner if field == "to_practitioner" else getattr(referral, field)
            )
            if value != current:
                setattr(referral, field, value)
                changed.append(field)
    if status is not None and status != referral.status:
        check_choice(status, "status", ReferralStatus)
        if status == ReferralStatus.ACCEPTED and referral.to_practitioner is not None:
            # One offered before this check existed, or before the member joined the group.
            _check_not_a_facilitator_of(referral.member, referral.to_practitioner)
        if status not in REFERRAL_MOVES[referral.status]:
            raise ValidationError(
                {
                    "status": f"A referral that is {referral.get_status_display().lower()} "
                    f"cannot become {ReferralStatus(status).label.lower()}."
                }
            )
        today = referral.practice.today()
        day = on or today
        if day > today:
            raise ValidationError({"on": "The date cannot be in the future."})
        if day < referral.offered_on:
            raise ValidationError({"on": "The date cannot be before the referral was offered."})
        referral.status = status
        setattr(referral, f"{status}_on", day)
        changed += ["status", f"{status}_on"]
    if not changed:
        return referral
    referral.save()
    record(
        practice_id=referral.practice_id,
        actor=Actor.user(acting_user),
        action="referral.update",
        obj=referral,
        member_id=referral.member_id,
        fields=changed,
        detail={"status": referral.status},
    )
    return referral

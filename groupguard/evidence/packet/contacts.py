"""Out-of-session contacts (with their amendments), promises of confidentiality, referrals."""

from __future__ import annotations

from typing import Any

from groupguard.contacts.models import Contact, Promise, Referral
from groupguard.evidence.packet.collecting import Collecting, iso
from groupguard.evidence.packet_model import (
    AmendmentRecord,
    ContactRecord,
    PromiseRecord,
    ReferralRecord,
)


def contacts(c: Collecting, contact_ids: list[Any]) -> list[ContactRecord]:
    rows = (
        Contact.objects.filter(pk__in=contact_ids)
        .select_related("group", "facilitator")
        .prefetch_related("member_links", "amendments__author")
        .order_by("occurred_at", "id")
    )
    out: list[ContactRecord] = []
    for contact in rows:
        if not c.inside(contact.occurred_at):
            continue
        amendments: list[AmendmentRecord] = [
            {
                "id": str(a.id),
                "author": a.author.display_name,
                "created_at": iso(a.created_at),
                "text": c.red.text(a.text),
                "request": a.request or None,
                "content_sha256": a.content_sha256,
                "audit": c.audit.of(a.id),
            }
            for a in sorted(contact.amendments.all(), key=lambda a: (a.created_at, str(a.id)))
        ]
        request = contact.request
        for a in amendments:
            request = a["request"] or request
        out.append(
            {
                "id": str(contact.id),
                "group": contact.group.name,
                "facilitator": contact.facilitator.display_name,
                "occurred_at": iso(contact.occurred_at),
                "setting": contact.setting,
                "setting_label": contact.get_setting_display(),
                "initiated_by": contact.initiated_by,
                "others_present": c.red.text(contact.others_present),
                "with_others": sorted(
                    c.red.member(link.member_id)
                    for link in contact.member_links.all()
                    if link.member_id != c.member.id
                ),
                "summary": c.red.text(contact.summary),
                "summary_redacted": c.red.text(contact.summary) != contact.summary,
                # What the facilitator decided (as last corrected; "unanswered" while nobody
                # answered), and beside it what the detector suggested, with its version.
                "request": request,
                "request_recorded": contact.request,
                "detected_request": contact.detected_request,
                "detector": contact.detector_version,
                "responses": {
                    "reminded_agreement": contact.reminded_agreement,
                    "offered_referral": contact.offered_referral,
                    "promised_confidentiality": contact.promised_confidentiality,
                },
                "follow_up": c.red.text(contact.follow_up),
                "content_sha256": contact.content_sha256,
                "amendments": amendments,
                "audit": c.audit.of(contact.id),
            }
        )
        responses = list(contact.responses)
        c.event(
            contact.occurred_at,
            "contact",
            f"{contact.get_setting_display()} with {contact.facilitator.display_name}",
            contact.id,
            detail=f"Request: {'not answered' if request == 'unanswered' else request} "
            f"(the detector suggested {contact.detected_request}). "
            f"Response: {', '.join(responses) or 'none recorded'}.",
        )
        for amendment in contact.amendments.all():
            c.event(
                amendment.created_at,
                "amendment",
                f"Amendment by {amendment.author.display_name}",
                amendment.id,
            )
    return out


def promises(c: Collecting) -> list[PromiseRecord]:
    out: list[PromiseRecord] = []
    rows = Promise.objects.filter(member=c.member).select_related("made_by")
    for p in rows.order_by("made_at", "id"):
        if not c.inside(p.made_at):
            continue
        out.append(
            {
                "id": str(p.id),
                "contact": str(p.contact_id),
                "made_by": p.made_by.display_name,
                "made_at": iso(p.made_at),
                "scope": c.red.text(p.scope),
                "status": p.status,
                "closed_at": iso(p.closed_at),
                "closing_note": c.red.text(p.closing_note),
                "audit": c.audit.of(p.id),
            }
        )
        c.event(p.made_at, "promise", f"Confidentiality promised by {p.made_by.display_name}", p.id)
    return out


def referrals(c: Collecting) -> list[ReferralRecord]:
    out: list[ReferralRecord] = []
    rows = Referral.objects.filter(member=c.member).select_related("offered_by", "to_practitioner")
    for r in rows.order_by("offered_on", "id"):
        if not c.inside(r.offered_on):
            continue
        out.append(
            {
                "id": str(r.id),
                "contact": str(r.contact_id) if r.contact_id else None,
                "offered_by": r.offered_by.display_name,
                "to": r.recipient,
                "reason": c.red.text(r.reason),
                "status": r.status,
                "offered_on": iso(r.offered_on),
                "accepted_on": iso(r.accepted_on),
                "declined_on": iso(r.declined_on),
                "completed_on": iso(r.completed_on),
                "audit": c.audit.of(r.id),
            }
        )
        c.event(
            r.offered_on,
            "referral",
            f"Referral offered to {r.recipient}",
            r.id,
            detail=f"Status: {r.get_status_display().lower()}.",
        )
    return out

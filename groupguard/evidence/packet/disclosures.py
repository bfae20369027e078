""" "May I raise this?" assessments with their facts and choices, disclosures, authorizations,
and the accounting (the disclosures made outside the group)."""

from __future__ import annotations

from groupguard.disclosures.models import Assessment, Authorization, Disclosure, Recipient
from groupguard.evidence.packet.collecting import Collecting, iso
from groupguard.evidence.packet_model import (
    AssessmentRecord,
    AuthorizationRecord,
    ChoiceRecord,
    DisclosureRecord,
)


def assessments(c: Collecting) -> list[AssessmentRecord]:
    out: list[AssessmentRecord] = []
    rows = (
        Assessment.objects.filter(member=c.member)
        .select_related("asked_by")
        .prefetch_related("choices__decided_by", "disclosures")
        .order_by("created_at", "id")
    )
    for a in rows:
        if not c.inside(a.created_at):
            continue
        choices: list[ChoiceRecord] = [
            {
                "id": str(x.id),
                "kind": x.kind,
                "note": c.red.text(x.note),
                "decided_by": x.decided_by.display_name,
                "at": iso(x.created_at),
                "audit": c.audit.of(x.id),
            }
            for x in sorted(a.choices.all(), key=lambda x: (x.created_at, str(x.id)))
        ]
        out.append(
            {
                "id": str(a.id),
                "contact": str(a.contact_id) if a.contact_id else None,
                "asked_by": a.asked_by.display_name,
                "created_at": iso(a.created_at),
                "question": c.red.text(a.question),
                "facts": a.facts,
                "sources": {k: c.red.text(v) for k, v in sorted(a.prefilled.items())},
                "level": a.level,
                "rules_version": a.rules_version,
                "determining": a.decision.get("determining", []),
                "factors": [f["id"] for f in a.decision.get("factors", [])],
                "recommendations": a.decision.get("recommendations", []),
                "choices": choices,
                "audit": c.audit.of(a.id),
            }
        )
        c.event(
            a.created_at,
            "assessment",
            f"Asked whether it may be shared: {a.level}",
            a.id,
            detail=c.red.text(a.question),
        )
    return out


def disclosures(c: Collecting) -> list[DisclosureRecord]:
    out: list[DisclosureRecord] = []
    rows = Disclosure.objects.filter(member=c.member).select_related("recorded_by")
    for d in rows.order_by("disclosed_at", "id"):
        if not c.inside(d.disclosed_at):
            continue
        out.append(
            {
                "id": str(d.id),
                "assessment": str(d.assessment_id) if d.assessment_id else None,
                "recipient": d.recipient,
                "recipient_label": d.get_recipient_display(),
                "recipient_detail": c.red.text(d.recipient_detail),
                "disclosed_at": iso(d.disclosed_at),
                "what": c.red.text(d.what),
                "purpose": c.red.text(d.purpose),
                "outside_group": d.recipient != Recipient.GROUP,
                "recorded_by": d.recorded_by.display_name,
                "audit": c.audit.of(d.id),
            }
        )
        c.event(
            d.disclosed_at,
            "disclosure",
            f"Shared with {d.get_recipient_display().lower()}",
            d.id,
            detail=c.red.text(d.what),
        )
    return out


def authorizations(c: Collecting) -> list[AuthorizationRecord]:
    out: list[AuthorizationRecord] = []
    for z in Authorization.objects.filter(member=c.member).order_by("signed_on", "id"):
        out.append(
            {
                "id": str(z.id),
                "recipient": z.recipient,
                "recipient_detail": c.red.text(z.recipient_detail),
                "purpose": c.red.text(z.purpose),
                "signed_on": iso(z.signed_on),
                "expires_on": iso(z.expires_on),
                "revoked_at": iso(z.revoked_at),
                "scan_sha256": z.scan_sha256,
                "audit": c.audit.of(z.id),
            }
        )
        if c.inside(z.signed_on):
            c.event(
                z.signed_on,
                "authorization",
                f"Written authorization for {z.get_recipient_display().lower()}",
                z.id,
            )
    return out


def accounting(disclosures: list[DisclosureRecord]) -> list[DisclosureRecord]:
    """The accounting of disclosures (45 CFR 164.528): those made outside the group."""
    return [d for d in disclosures if d["outside_group"]]

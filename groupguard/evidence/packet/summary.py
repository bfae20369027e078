"""The packet's summary: the facts a reviewer asks first, counted from the sections."""

from __future__ import annotations

from groupguard.evidence.packet_model import (
    AgreementsSection,
    AssessmentRecord,
    ContactRecord,
    DisclosureRecord,
    PromiseRecord,
    ReferralRecord,
    RoleRecord,
    Summary,
)


def summary(
    *,
    roles: list[RoleRecord],
    agreements: AgreementsSection,
    contacts: list[ContactRecord],
    promises: list[PromiseRecord],
    referrals: list[ReferralRecord],
    assessments: list[AssessmentRecord],
    accounting: list[DisclosureRecord],
) -> Summary:
    first = contacts[0]["occurred_at"] if contacts else None
    signatures = agreements["signatures"]
    signed_before = bool(
        first and any(s["signed_at"] is not None and s["signed_at"] <= first for s in signatures)
    )
    return {
        "dual_roles": [
            f"{r['practitioner']}: {r['label']} ({r['starts_on']} to {r['ends_on'] or 'ongoing'})"
            for r in roles
            if r["dual"]
        ],
        "first_contact": first,
        "agreement_signed_before_first_contact": signed_before if first else None,
        "signatures": len(signatures),
        "contacts": len(contacts),
        "requests": {
            level: sum(1 for c in contacts if c["request"] == level)
            for level in ("explicit", "implied", "unanswered")
        },
        "reminded_of_agreement": sum(1 for c in contacts if c["responses"]["reminded_agreement"]),
        "promises": len(promises),
        "open_promises": sum(1 for p in promises if p["status"] == "open"),
        "referral_offered": bool(referrals),
        "assessments": len(assessments),
        "disclosures_outside_group": len(accounting),
    }

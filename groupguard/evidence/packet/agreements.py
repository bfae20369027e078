"""The group agreements: every version of the member's groups, and the member's signatures,
withdrawals and attendance overrides."""

from __future__ import annotations

from groupguard.agreements.models import (
    AttendanceOverride,
    ConsentWithdrawal,
    Signature,
    StatementVersion,
)
from groupguard.evidence.packet.collecting import Collecting, iso
from groupguard.evidence.packet_model import AgreementsSection


def agreements(c: Collecting) -> AgreementsSection:
    groups = c.groups
    versions = list(
        StatementVersion.objects.filter(group_id__in=list(groups))
        .select_related("published_by")
        .order_by("group_id", "number")
    )
    c.audit.add_objects([str(v.id) for v in versions])
    out: AgreementsSection = {
        "versions": [
            {
                "id": str(v.id),
                "group": groups[v.group_id].name,
                "number": v.number,
                "policy": v.policy,
                "effective_on": iso(v.effective_on),
                "sha256": v.sha256,
                "text": c.red.text(v.text),
                "text_redacted": c.red.text(v.text) != v.text,
                "audit": c.audit.of(v.id),
            }
            for v in versions
        ],
        "signatures": [],
        "withdrawals": [],
        "overrides": [],
    }
    signatures = (
        Signature.objects.filter(member=c.member).select_related("version").order_by("signed_at")
    )
    for s in signatures:
        group = groups.get(s.version.group_id)
        out["signatures"].append(
            {
                "id": str(s.id),
                "group": group.name if group else "",
                "version": s.version.number,
                "version_sha256": s.version_sha256,
                "signed_at": iso(s.signed_at),
                "method": s.method,
                "typed_name": s.typed_name,
                "guardian_name": s.guardian_name,
                "scan_sha256": s.scan_sha256,
                "audit": c.audit.of(s.id),
            }
        )
        c.event(
            s.signed_at,
            "signature",
            f"Signed the agreement of {group.name}, version {s.version.number}"
            if group
            else "Signed an agreement",
            s.id,
            detail=f"SHA-256 of the text: {s.version_sha256}",
        )
    for w in ConsentWithdrawal.objects.filter(member=c.member).order_by("withdrawn_at", "id"):
        group = groups.get(w.group_id)
        out["withdrawals"].append(
            {
                "id": str(w.id),
                "group": group.name if group else "",
                "withdrawn_at": iso(w.withdrawn_at),
                "reason": c.red.text(w.reason),
                "audit": c.audit.of(w.id),
            }
        )
        c.event(w.withdrawn_at, "withdrawal", "Withdrew consent to the group agreement", w.id)
    for o in AttendanceOverride.objects.filter(member=c.member).select_related("session"):
        out["overrides"].append(
            {
                "id": str(o.id),
                "session": str(o.session_id),
                "starts_at": iso(o.session.starts_at),
                "reason": c.red.text(o.reason),
                "audit": c.audit.of(o.id),
            }
        )
    return out

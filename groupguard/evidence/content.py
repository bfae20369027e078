"""What a packet says: every record relevant to one member, in order, as plain data.

``collect`` gathers, for the subject member (optionally between two days): the practice,
the complaint, enrollments and attendance, the practitioners' roles, every agreement version of
the member's groups and every signature, withdrawal and override, contacts with their requests,
responses, amendments, promises and referrals, disclosure assessments with their facts, level,
reasons and outcome, authorizations, the accounting of disclosures, and the audit entries that
recorded all of it (up to the checkpoint the packet is proved against). Each record names the
audit entries that recorded it (``audit``: indexes), and the timeline lists everything in order.

Other members appear only as pseudonyms (redact.py). The result depends only on the records and
the checkpoint: lists are sorted, times are UTC in ISO 8601, so the same inputs serialise to the
same bytes (packet.json).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from groupguard.agreements.models import (
    AttendanceOverride,
    ConsentWithdrawal,
    Signature,
    StatementVersion,
)
from groupguard.audit.models import AuditEntry, AuditLog, Checkpoint
from groupguard.contacts.models import Contact, ContactMember, Promise, Referral
from groupguard.disclosures.models import Assessment, Authorization, Disclosure, Recipient
from groupguard.evidence.models import Complaint
from groupguard.evidence.redact import Redactor
from groupguard.practice.models import Attendance, Enrollment, Member, RoleRelationship

FORMAT = "groupguard-packet/1"
READ_SUFFIXES = (".view", ".list", ".export")


def iso(value: datetime.datetime | datetime.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


class _Audit:
    """The subject's audit entries below the checkpoint, by the object they recorded."""

    def __init__(self, log: AuditLog | None, checkpoint: Checkpoint | None, member: Member):
        self.by_object: dict[str, list[int]] = defaultdict(list)
        self.reads = 0
        self.cited: set[int] = set()
        if log is None or checkpoint is None:
            return
        rows = AuditEntry.objects.filter(
            log=log, member_id=member.id, index__lt=checkpoint.tree_size
        ).values_list("index", "action", "object_id")
        for index, action, object_id in rows.order_by("index"):
            if action.endswith(READ_SUFFIXES):
                self.reads += 1
                continue
            self.by_object[object_id].append(index)

    def add_objects(
        self, log: AuditLog | None, checkpoint: Checkpoint | None, ids: Iterable[str]
    ) -> None:
        """Entries about records that carry no member (a published agreement version)."""
        wanted = [i for i in ids if i not in self.by_object]
        if log is None or checkpoint is None or not wanted:
            return
        rows = AuditEntry.objects.filter(
            log=log, object_id__in=wanted, index__lt=checkpoint.tree_size
        ).values_list("index", "object_id")
        for index, object_id in rows.order_by("index"):
            self.by_object[object_id].append(index)

    def of(self, *objects: Any) -> list[int]:
        found: set[int] = set()
        for obj in objects:
            found.update(self.by_object.get(str(obj), ()))
        self.cited |= found
        return sorted(found)


def _within(moment: datetime.datetime | datetime.date | None, start: Any, end: Any) -> bool:
    if moment is None:
        return True
    day = moment.date() if isinstance(moment, datetime.datetime) else moment
    return (start is None or day >= start) and (end is None or day <= end)


def collect(
    member: Member,
    *,
    checkpoint: Checkpoint | None,
    complaint: Complaint | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> dict[str, Any]:
    practice = member.practice
    log = AuditLog.objects.filter(practice=practice).first()
    audit = _Audit(log, checkpoint, member)

    enrollments = list(
        Enrollment.objects.filter(member=member).select_related("group").order_by("joined_on")
    )
    groups = {e.group_id: e.group for e in enrollments}
    others = list(
        Member.objects.filter(enrollments__group_id__in=list(groups))
        .exclude(pk=member.pk)
        .distinct()
    )
    contact_ids = list(
        ContactMember.objects.filter(member=member).values_list("contact_id", flat=True)
    )
    co_members = list(
        Member.objects.filter(contact_links__contact_id__in=contact_ids).exclude(pk=member.pk)
    )
    red = Redactor.for_members(member, [*others, *co_members])
    tz = practice.tz

    def local_day(moment: datetime.datetime) -> datetime.date:
        return moment.astimezone(tz).date()

    def inside(moment: datetime.datetime | datetime.date | None) -> bool:
        if isinstance(moment, datetime.datetime):
            return _within(local_day(moment), start, end)
        return _within(moment, start, end)

    versions = list(
        StatementVersion.objects.filter(group_id__in=list(groups))
        .select_related("published_by")
        .order_by("group_id", "number")
    )
    audit.add_objects(log, checkpoint, [str(v.id) for v in versions])
    timeline: list[dict[str, Any]] = []
    # Sorted by the practice's calendar day first (an evening contact in California is on
    # that day, although its UTC time is the next), then by the time.
    order: dict[int, tuple[str, str]] = {}

    def event(at: Any, kind: str, title: str, ref: Any, detail: str = "", refs: Any = ()) -> None:
        day = local_day(at) if isinstance(at, datetime.datetime) else at
        order[len(timeline)] = (iso(day) or "", iso(at) or "")
        timeline.append(
            {
                "at": iso(at),
                "kind": kind,
                "title": title,
                "detail": detail,
                "ref": {"type": kind.split(".")[0], "id": str(ref)},
                "audit": audit.of(ref, *refs),
            }
        )

    out: dict[str, Any] = {
        "format": FORMAT,
        "practice": {
            "name": practice.name,
            "jurisdiction": practice.jurisdiction,
            "timezone": practice.timezone,
        },
        "member": {
            "id": str(member.id),
            "name": member.full_name,
            "preferred_name": member.preferred_name,
            "date_of_birth": iso(member.date_of_birth),
            "minor": member.is_minor,
        },
        "period": {"from": iso(start), "to": iso(end)},
        "checkpoint": _checkpoint_ref(checkpoint),
        "pseudonyms": sorted(red.pseudonyms.values(), key=lambda s: (len(s), s)),
    }
    if complaint is not None:
        out["complaint"] = {
            "id": str(complaint.id),
            "board": complaint.board,
            "reference": complaint.reference,
            "received_on": iso(complaint.received_on),
            "deadline": iso(complaint.deadline),
            "status": complaint.status,
            "allegation": red.text(complaint.allegation),
            "practitioner": complaint.practitioner.display_name if complaint.practitioner else None,
            "audit": audit.of(complaint.id),
        }
        event(
            complaint.received_on,
            "complaint",
            f"Complaint received from {complaint.board}",
            complaint.id,
        )

    out["enrollments"] = []
    for e in enrollments:
        out["enrollments"].append(
            {
                "id": str(e.id),
                "group": {"id": str(e.group_id), "name": e.group.name},
                "joined_on": iso(e.joined_on),
                "left_on": iso(e.left_on),
                "audit": audit.of(e.id),
            }
        )
        if inside(e.joined_on):
            event(e.joined_on, "enrollment", f"Joined {e.group.name}", e.id)
        if e.left_on and inside(e.left_on):
            event(e.left_on, "enrollment.left", f"Left {e.group.name}", e.id)

    roles = RoleRelationship.objects.filter(member=member).select_related("practitioner")
    out["roles"] = []
    for r in roles.order_by("starts_on", "id"):
        out["roles"].append(
            {
                "id": str(r.id),
                "practitioner": r.practitioner.display_name,
                "kind": r.kind,
                "label": r.get_kind_display(),
                "dual": r.is_dual,
                "starts_on": iso(r.starts_on),
                "ends_on": iso(r.ends_on),
                "note": red.text(r.note),
                "audit": audit.of(r.id),
            }
        )
        event(r.starts_on, "role", f"{r.practitioner.display_name}: {r.get_kind_display()}", r.id)

    attendance = (
        Attendance.objects.filter(member=member)
        .select_related("session", "session__group")
        .order_by("session__starts_at", "id")
    )
    out["attendance"] = [
        {
            "id": str(a.id),
            "session": str(a.session_id),
            "group": a.session.group.name,
            "starts_at": iso(a.session.starts_at),
            "status": a.status,
            "audit": audit.of(a.id),
        }
        for a in attendance
        if inside(a.session.starts_at)
    ]

    signatures = list(
        Signature.objects.filter(member=member).select_related("version").order_by("signed_at")
    )
    out["agreements"] = {
        "versions": [
            {
                "id": str(v.id),
                "group": groups[v.group_id].name,
                "number": v.number,
                "policy": v.policy,
                "effective_on": iso(v.effective_on),
                "sha256": v.sha256,
                "text": red.text(v.text),
                "text_redacted": red.text(v.text) != v.text,
                "audit": audit.of(v.id),
            }
            for v in versions
        ],
        "signatures": [],
        "withdrawals": [],
        "overrides": [],
    }
    for s in signatures:
        out["agreements"]["signatures"].append(
            {
                "id": str(s.id),
                "group": groups[s.version.group_id].name if s.version.group_id in groups else "",
                "version": s.version.number,
                "version_sha256": s.version_sha256,
                "signed_at": iso(s.signed_at),
                "method": s.method,
                "typed_name": s.typed_name,
                "guardian_name": s.guardian_name,
                "scan_sha256": s.scan_sha256,
                "audit": audit.of(s.id),
            }
        )
        event(
            s.signed_at,
            "signature",
            f"Signed the agreement of {groups[s.version.group_id].name}, version {s.version.number}"
            if s.version.group_id in groups
            else "Signed an agreement",
            s.id,
            detail=f"SHA-256 of the text: {s.version_sha256}",
        )
    for w in ConsentWithdrawal.objects.filter(member=member).order_by("withdrawn_at", "id"):
        out["agreements"]["withdrawals"].append(
            {
                "id": str(w.id),
                "group": groups[w.group_id].name if w.group_id in groups else "",
                "withdrawn_at": iso(w.withdrawn_at),
                "reason": red.text(w.reason),
                "audit": audit.of(w.id),
            }
        )
        event(w.withdrawn_at, "withdrawal", "Withdrew consent to the group agreement", w.id)
    for o in AttendanceOverride.objects.filter(member=member).select_related("session"):
        out["agreements"]["overrides"].append(
            {
                "id": str(o.id),
                "session": str(o.session_id),
                "starts_at": iso(o.session.starts_at),
                "reason": red.text(o.reason),
                "audit": audit.of(o.id),
            }
        )

    _contacts(out, member, contact_ids, red, audit, event, inside)
    _disclosures(out, member, red, audit, event, inside)

    ranked = sorted(
        range(len(timeline)),
        key=lambda i: (*order[i], timeline[i]["kind"], timeline[i]["ref"]["id"]),
    )
    out["timeline"] = [timeline[i] for i in ranked]
    out["summary"] = _summary(out)
    out["audit"] = {
        "log": log.name if log else None,
        "entries": sorted(audit.cited),
        "reads_not_listed": audit.reads,
    }
    return out


def _checkpoint_ref(checkpoint: Checkpoint | None) -> dict[str, Any] | None:
    if checkpoint is None:
        return None
    return {
        "origin": checkpoint.origin,
        "tree_size": checkpoint.tree_size,
        "root_hash": checkpoint.root_hash,
        "timestamp": checkpoint.timestamp,
    }


def _contacts(out, member, contact_ids, red, audit, event, inside) -> None:  # type: ignore[no-untyped-def]
    contacts = list(
        Contact.objects.filter(pk__in=contact_ids)
        .select_related("group", "facilitator")
        .prefetch_related("member_links", "amendments__author")
        .order_by("occurred_at", "id")
    )
    out["contacts"] = []
    for c in contacts:
        if not inside(c.occurred_at):
            continue
        amendments = [
            {
                "id": str(a.id),
                "author": a.author.display_name,
                "created_at": iso(a.created_at),
                "text": red.text(a.text),
                "request": a.request or None,
                "content_sha256": a.content_sha256,
                "audit": audit.of(a.id),
            }
            for a in sorted(c.amendments.all(), key=lambda a: (a.created_at, str(a.id)))
        ]
        request = c.request
        for a in amendments:
            request = a["request"] or request
        record = {
            "id": str(c.id),
            "group": c.group.name,
            "facilitator": c.facilitator.display_name,
            "occurred_at": iso(c.occurred_at),
            "setting": c.setting,
            "setting_label": c.get_setting_display(),
            "initiated_by": c.initiated_by,
            "others_present": red.text(c.others_present),
            "with_others": sorted(
                red.member(link.member_id)
                for link in c.member_links.all()
                if link.member_id != member.id
            ),
            "summary": red.text(c.summary),
            "summary_redacted": red.text(c.summary) != c.summary,
            # What the facilitator decided (as last corrected; "unanswered" while nobody
            # answered), and beside it what the detector suggested, with its version.
            "request": request,
            "request_recorded": c.request,
            "detected_request": c.detected_request,
            "detector": c.detector_version,
            "responses": {
                "reminded_agreement": c.reminded_agreement,
                "offered_referral": c.offered_referral,
                "promised_confidentiality": c.promised_confidentiality,
            },
            "follow_up": red.text(c.follow_up),
            "content_sha256": c.content_sha256,
            "amendments": amendments,
            "audit": audit.of(c.id),
        }
        out["contacts"].append(record)
        responses = [label for label in c.responses]
        event(
            c.occurred_at,
            "contact",
            f"{c.get_setting_display()} with {c.facilitator.display_name}",
            c.id,
            detail=f"Request: {'not answered' if request == 'unanswered' else request} "
            f"(the detector suggested {c.detected_request}). "
            f"Response: {', '.join(responses) or 'none recorded'}.",
        )
        for amendment in c.amendments.all():
            event(
                amendment.created_at,
                "amendment",
                f"Amendment by {amendment.author.display_name}",
                amendment.id,
            )
    out["promises"] = []
    for p in (
        Promise.objects.filter(member=member).select_related("made_by").order_by("made_at", "id")
    ):
        if not inside(p.made_at):
            continue
        out["promises"].append(
            {
                "id": str(p.id),
                "contact": str(p.contact_id),
                "made_by": p.made_by.display_name,
                "made_at": iso(p.made_at),
                "scope": red.text(p.scope),
                "status": p.status,
                "closed_at": iso(p.closed_at),
                "closing_note": red.text(p.closing_note),
                "audit": audit.of(p.id),
            }
        )
        event(p.made_at, "promise", f"Confidentiality promised by {p.made_by.display_name}", p.id)
    out["referrals"] = []
    for r in (
        Referral.objects.filter(member=member)
        .select_related("offered_by", "to_practitioner")
        .order_by("offered_on", "id")
    ):
        if not inside(r.offered_on):
            continue
        out["referrals"].append(
            {
                "id": str(r.id),
                "contact": str(r.contact_id) if r.contact_id else None,
                "offered_by": r.offered_by.display_name,
                "to": r.recipient,
                "reason": red.text(r.reason),
                "status": r.status,
                "offered_on": iso(r.offered_on),
                "accepted_on": iso(r.accepted_on),
                "declined_on": iso(r.declined_on),
                "completed_on": iso(r.completed_on),
                "audit": audit.of(r.id),
            }
        )
        event(
            r.offered_on,
            "referral",
            f"Referral offered to {r.recipient}",
            r.id,
            detail=f"Status: {r.get_status_display().lower()}.",
        )


def _disclosures(out, member, red, audit, event, inside) -> None:  # type: ignore[no-untyped-def]
    out["assessments"] = []
    assessments = (
        Assessment.objects.filter(member=member)
        .select_related("asked_by")
        .prefetch_related("choices__decided_by", "disclosures")
        .order_by("created_at", "id")
    )
    for a in assessments:
        if not inside(a.created_at):
            continue
        choices = [
            {
                "id": str(c.id),
                "kind": c.kind,
                "note": red.text(c.note),
                "decided_by": c.decided_by.display_name,
                "at": iso(c.created_at),
                "audit": audit.of(c.id),
            }
            for c in sorted(a.choices.all(), key=lambda c: (c.created_at, str(c.id)))
        ]
        out["assessments"].append(
            {
                "id": str(a.id),
                "contact": str(a.contact_id) if a.contact_id else None,
                "asked_by": a.asked_by.display_name,
                "created_at": iso(a.created_at),
                "question": red.text(a.question),
                "facts": a.facts,
                "sources": {k: red.text(v) for k, v in sorted(a.prefilled.items())},
                "level": a.level,
                "rules_version": a.rules_version,
                "determining": a.decision.get("determining", []),
                "factors": [f["id"] for f in a.decision.get("factors", [])],
                "recommendations": a.decision.get("recommendations", []),
                "choices": choices,
                "audit": audit.of(a.id),
            }
        )
        event(
            a.created_at,
            "assessment",
            f"Asked whether it may be shared: {a.level}",
            a.id,
            detail=red.text(a.question),
        )
    out["disclosures"] = []
    for d in (
        Disclosure.objects.filter(member=member)
        .select_related("recorded_by")
        .order_by("disclosed_at", "id")
    ):
        if not inside(d.disclosed_at):
            continue
        out["disclosures"].append(
            {
                "id": str(d.id),
                "assessment": str(d.assessment_id) if d.assessment_id else None,
                "recipient": d.recipient,
                "recipient_label": d.get_recipient_display(),
                "recipient_detail": red.text(d.recipient_detail),
                "disclosed_at": iso(d.disclosed_at),
                "what": red.text(d.what),
                "purpose": red.text(d.purpose),
                "outside_group": d.recipient != Recipient.GROUP,
                "recorded_by": d.recorded_by.display_name,
                "audit": audit.of(d.id),
            }
        )
        event(
            d.disclosed_at,
            "disclosure",
            f"Shared with {d.get_recipient_display().lower()}",
            d.id,
            detail=red.text(d.what),
        )
    out["authorizations"] = []
    for z in Authorization.objects.filter(member=member).order_by("signed_on", "id"):
        out["authorizations"].append(
            {
                "id": str(z.id),
                "recipient": z.recipient,
                "recipient_detail": red.text(z.recipient_detail),
                "purpose": red.text(z.purpose),
                "signed_on": iso(z.signed_on),
                "expires_on": iso(z.expires_on),
                "revoked_at": iso(z.revoked_at),
                "scan_sha256": z.scan_sha256,
                "audit": audit.of(z.id),
            }
        )
        if inside(z.signed_on):
            event(
                z.signed_on,
                "authorization",
                f"Written authorization for {z.get_recipient_display().lower()}",
                z.id,
            )
    out["accounting"] = [d for d in out["disclosures"] if d["outside_group"]]


def _summary(out: dict[str, Any]) -> dict[str, Any]:
    contacts = out["contacts"]
    first = contacts[0]["occurred_at"] if contacts else None
    signatures = out["agreements"]["signatures"]
    signed_before = bool(first and any(s["signed_at"] <= first for s in signatures))
    return {
        "dual_roles": [
            f"{r['practitioner']}: {r['label']} ({r['starts_on']} to {r['ends_on'] or 'ongoing'})"
            for r in out["roles"]
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
        "promises": len(out["promises"]),
        "open_promises": sum(1 for p in out["promises"] if p["status"] == "open"),
        "referral_offered": bool(out["referrals"]),
        "assessments": len(out["assessments"]),
        "disclosures_outside_group": len(out["accounting"]),
    }

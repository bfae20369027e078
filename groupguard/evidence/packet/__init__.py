"""What a packet says: every record relevant to one member, in order, as plain data.

``collect`` gathers, for the subject member (optionally between two days): the practice,
the complaint, enrollments and attendance, the practitioners' roles, every agreement version of
the member's groups and every signature, withdrawal and override, contacts with their requests,
responses, amendments, promises and referrals, disclosure assessments with their facts, level,
reasons and outcome, authorizations, the accounting of disclosures, and the audit entries that
recorded all of it (up to the checkpoint the packet is proved against). Each record names the
audit entries that recorded it (``audit``: indexes), and the timeline lists everything in order.

One collector per section (``membership``, ``agreements``, ``contacts``, ``disclosures``,
``summary``), each adding its events to the shared timeline (``collecting.Collecting``); the
result is a ``packet_model.Packet``, the typed shape the PDF and FHIR builders read.

Other members appear only as pseudonyms (redact.py). The result depends only on the records and
the checkpoint: lists are sorted, times are UTC in ISO 8601, so the same inputs serialise to the
same bytes (packet.json).
"""

from __future__ import annotations

import datetime

from groupguard.audit.models import AuditLog, Checkpoint
from groupguard.contacts.models import ContactMember
from groupguard.evidence.models import Complaint
from groupguard.evidence.packet import agreements as agreement_section
from groupguard.evidence.packet import contacts as contact_section
from groupguard.evidence.packet import disclosures as disclosure_section
from groupguard.evidence.packet import membership
from groupguard.evidence.packet.collecting import READ_SUFFIXES, Audit, Collecting, iso
from groupguard.evidence.packet.summary import summary
from groupguard.evidence.packet_model import CheckpointRef, ComplaintRecord, Packet
from groupguard.evidence.redact import Redactor
from groupguard.practice.models import Enrollment, Member

__all__ = ["FORMAT", "READ_SUFFIXES", "Packet", "collect", "iso"]

FORMAT = "groupguard-packet/1"


def collect(
    member: Member,
    *,
    checkpoint: Checkpoint | None,
    complaint: Complaint | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> Packet:
    practice = member.practice
    log = AuditLog.objects.filter(practice=practice).first()
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
    c = Collecting(member, red, Audit(log, checkpoint, member), start, end, groups)

    complaint_record = _complaint(c, complaint) if complaint is not None else None
    enrolled = membership.enrollments(c, enrollments)
    roles = membership.roles(c)
    attended = membership.attendance(c)
    agreements = agreement_section.agreements(c)
    contacts = contact_section.contacts(c, contact_ids)
    promises = contact_section.promises(c)
    referrals = contact_section.referrals(c)
    assessments = disclosure_section.assessments(c)
    disclosures = disclosure_section.disclosures(c)
    authorizations = disclosure_section.authorizations(c)
    accounting = disclosure_section.accounting(disclosures)
    out: Packet = {
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
        "enrollments": enrolled,
        "roles": roles,
        "attendance": attended,
        "agreements": agreements,
        "contacts": contacts,
        "promises": promises,
        "referrals": referrals,
        "assessments": assessments,
        "disclosures": disclosures,
        "authorizations": authorizations,
        "accounting": accounting,
        "timeline": c.timeline(),
        "summary": summary(
            roles=roles,
            agreements=agreements,
            contacts=contacts,
            promises=promises,
            referrals=referrals,
            assessments=assessments,
            accounting=accounting,
        ),
        "audit": {
            "log": log.name if log else None,
            "entries": sorted(c.audit.cited),
            "reads_not_listed": c.audit.reads,
        },
    }
    if complaint_record is not None:
        out["complaint"] = complaint_record
    return out


def _complaint(c: Collecting, complaint: Complaint) -> ComplaintRecord:
    c.event(
        complaint.received_on,
        "complaint",
        f"Complaint received from {complaint.board}",
        complaint.id,
    )
    return {
        "id": str(complaint.id),
        "board": complaint.board,
        "reference": complaint.reference,
        "received_on": iso(complaint.received_on),
        "deadline": iso(complaint.deadline),
        "status": complaint.status,
        "allegation": c.red.text(complaint.allegation),
        "practitioner": complaint.practitioner.display_name if complaint.practitioner else None,
        "audit": c.audit.of(complaint.id),
    }


def _checkpoint_ref(checkpoint: Checkpoint | None) -> CheckpointRef | None:
    if checkpoint is None:
        return None
    return {
        "origin": checkpoint.origin,
        "tree_size": checkpoint.tree_size,
        "root_hash": checkpoint.root_hash,
        "timestamp": checkpoint.timestamp,
    }

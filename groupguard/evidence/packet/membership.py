"""The member's place in the practice: enrolments, the practitioners' roles, attendance."""

from __future__ import annotations

from groupguard.evidence.packet.collecting import Collecting, iso
from groupguard.evidence.packet_model import AttendanceRecord, EnrollmentRecord, RoleRecord
from groupguard.practice.models import Attendance, Enrollment, RoleRelationship


def enrollments(c: Collecting, rows: list[Enrollment]) -> list[EnrollmentRecord]:
    out: list[EnrollmentRecord] = []
    for e in rows:
        out.append(
            {
                "id": str(e.id),
                "group": {"id": str(e.group_id), "name": e.group.name},
                "joined_on": iso(e.joined_on),
                "left_on": iso(e.left_on),
                "audit": c.audit.of(e.id),
            }
        )
        if c.inside(e.joined_on):
            c.event(e.joined_on, "enrollment", f"Joined {e.group.name}", e.id)
        if e.left_on and c.inside(e.left_on):
            c.event(e.left_on, "enrollment.left", f"Left {e.group.name}", e.id)
    return out


def roles(c: Collecting) -> list[RoleRecord]:
    out: list[RoleRecord] = []
    rows = RoleRelationship.objects.filter(member=c.member).select_related("practitioner")
    for r in rows.order_by("starts_on", "id"):
        out.append(
            {
                "id": str(r.id),
                "practitioner": r.practitioner.display_name,
                "kind": r.kind,
                "label": r.get_kind_display(),
                "dual": r.is_dual,
                "starts_on": iso(r.starts_on),
                "ends_on": iso(r.ends_on),
                "note": c.red.text(r.note),
                "audit": c.audit.of(r.id),
            }
        )
        c.event(r.starts_on, "role", f"{r.practitioner.display_name}: {r.get_kind_display()}", r.id)
    return out


def attendance(c: Collecting) -> list[AttendanceRecord]:
    rows = (
        Attendance.objects.filter(member=c.member)
        .select_related("session", "session__group")
        .order_by("session__starts_at", "id")
    )
    return [
        {
            "id": str(a.id),
            "session": str(a.session_id),
            "group": a.session.group.name,
            "starts_at": iso(a.session.starts_at),
            "status": a.status,
            "audit": c.audit.of(a.id),
        }
        for a in rows
        if c.inside(a.session.starts_at)
    ]

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from groupguard.accounts.models import User
from groupguard.agreements import attendance as attendance_actions
from groupguard.audit.models import AuditEntry
from groupguard.practice import actions
from groupguard.practice.models import Attendance, Enrollment, Group, Member
from tests.conftest import Cast


def entries(cast: Cast, action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(log__practice=cast.north, action=action))


def test_every_write_has_its_audit_entry_without_phi(cast: Cast) -> None:
    member = actions.create_member(
        practice=cast.north, given_name="Quintessa", family_name="Vellum", acting_user=cast.alice
    )
    [entry] = [e for e in entries(cast, "member.create") if e.object_id == str(member.id)]
    assert entry.actor_user_id == cast.alice.pk
    assert entry.member_id == member.id
    assert b"Quintessa" not in bytes(entry.leaf)
    assert b'"given_name"' in bytes(entry.leaf)  # the field name, not its value


def test_an_update_records_only_the_changed_fields(cast: Cast) -> None:
    actions.update_member(cast.mia, acting_user=cast.bob, phone="555-0100", given_name="Mia")
    entry = entries(cast, "member.update")[-1]
    assert b'"fields":["phone"]' in bytes(entry.leaf)


def test_bad_input_is_refused_and_nothing_changes(cast: Cast) -> None:
    before = (Member.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ValidationError) as err:
        actions.create_member(
            practice=cast.north, given_name=" ", family_name="", acting_user=cast.alice
        )
    assert set(err.value.message_dict) == {"given_name", "family_name"}
    with pytest.raises(ValidationError, match="guardian"):
        actions.create_member(
            practice=cast.north,
            given_name="Kid",
            family_name="Z",
            is_minor=True,
            acting_user=cast.alice,
        )
    with pytest.raises(ValidationError, match="future"):
        actions.create_member(
            practice=cast.north,
            given_name="Kid",
            family_name="Z",
            date_of_birth=timezone.localdate() + datetime.timedelta(days=2),
            acting_user=cast.alice,
        )
    assert (Member.objects.count(), AuditEntry.objects.count()) == before


def test_a_group_needs_a_lead_from_its_own_practice(cast: Cast) -> None:
    with pytest.raises(ValidationError, match="Facilitators"):
        actions.create_group(
            practice=cast.north,
            name="X",
            modality="therapy",
            lead=cast.oscar,
            acting_user=cast.alice,
        )
    assert not Group.objects.filter(name="X").exists()


def test_a_group_name_is_unique_in_a_practice(cast: Cast) -> None:
    with pytest.raises(ValidationError):
        actions.create_group(
            practice=cast.north,
            name="Thursday Group",
            modality="therapy",
            lead=cast.bob,
            acting_user=cast.alice,
        )


def test_a_member_cannot_be_enrolled_twice_or_across_practices(cast: Cast) -> None:
    with pytest.raises(ValidationError, match="already enrolled"):
        actions.enroll_member(
            cast.thursday, cast.mia, joined_on=timezone.localdate(), acting_user=cast.bob
        )
    with pytest.raises(ValidationError, match="another practice"):
        actions.enroll_member(
            cast.thursday, cast.sam, joined_on=timezone.localdate(), acting_user=cast.bob
        )


def test_attendance_is_recorded_corrected_and_audited(cast: Cast) -> None:
    attendance_actions.record_attendance(
        cast.session, cast.mia, status="late", acting_user=cast.bob
    )
    attendance_actions.record_attendance(
        cast.session, cast.mia, status="attended", acting_user=cast.carol
    )
    attendance = Attendance.objects.get(session=cast.session, member=cast.mia)
    assert attendance.status == "attended"
    assert attendance.recorded_by == cast.carol
    assert [
        e.action
        for e in AuditEntry.objects.filter(member_id=cast.mia.id, action__startswith="attendance")
    ] == [
        "attendance.create",
        "attendance.update",
    ]


def test_attendance_needs_an_enrollment_on_that_day(cast: Cast) -> None:
    with pytest.raises(ValidationError, match="not enrolled"):
        attendance_actions.record_attendance(
            cast.session, cast.olga, status="attended", acting_user=cast.bob
        )
    with pytest.raises(ValidationError, match="Choose one of"):
        attendance_actions.record_attendance(
            cast.session, cast.mia, status="maybe", acting_user=cast.bob
        )
    enrollment = Enrollment.objects.get(group=cast.thursday, member=cast.noah)
    actions.end_enrollment(
        enrollment, left_on=timezone.localdate() - datetime.timedelta(days=5), acting_user=cast.bob
    )
    with pytest.raises(ValidationError, match="not enrolled"):
        attendance_actions.record_attendance(
            cast.session, cast.noah, status="attended", acting_user=cast.bob
        )


def test_roles_are_dated_and_cannot_overlap(cast: Cast) -> None:
    today = timezone.localdate()
    role = actions.record_role(
        practitioner=cast.bob,
        member=cast.mia,
        kind="individual_therapist",
        starts_on=today,
        acting_user=cast.bob,
    )
    with pytest.raises(ValidationError, match="already open"):
        actions.record_role(
            practitioner=cast.bob,
            member=cast.mia,
            kind="individual_therapist",
            starts_on=today,
            acting_user=cast.bob,
        )
    with pytest.raises(ValidationError, match="before the start"):
        actions.end_role(role, ends_on=today - datetime.timedelta(days=1), acting_user=cast.bob)
    actions.end_role(role, ends_on=today, acting_user=cast.bob)
    with pytest.raises(ValidationError, match="another practice"):
        actions.record_role(
            practitioner=cast.oscar,
            member=cast.mia,
            kind="other",
            starts_on=today,
            acting_user=cast.bob,
        )


def test_attendance_uses_the_practice_calendar_day(cast: Cast) -> None:
    import zoneinfo

    # 18:00 in Los Angeles is already the next day in UTC.
    la = zoneinfo.ZoneInfo("America/Los_Angeles")
    day = timezone.localdate() - datetime.timedelta(days=3)
    evening = datetime.datetime.combine(day, datetime.time(18, 0), tzinfo=la)
    session = actions.schedule_session(cast.thursday, starts_at=evening, acting_user=cast.bob)
    enrollment = Enrollment.objects.get(group=cast.thursday, member=cast.mia)
    actions.end_enrollment(enrollment, left_on=day, acting_user=cast.bob)
    assert session.local_day() == day
    attendance_actions.record_attendance(session, cast.mia, status="attended", acting_user=cast.bob)


def test_a_clinician_adds_a_member_to_one_of_their_groups_an_admin_to_none_yet(
    cast: Cast,
) -> None:
    before = Member.objects.filter(practice=cast.north).count()
    with pytest.raises(ValidationError) as refused:
        actions.add_member(
            practice=cast.north, acting_user=cast.bob, group=None, given_name="Ivo", family_name="K"
        )
    assert Member.objects.filter(practice=cast.north).count() == before
    assert "group" in refused.value.message_dict
    added = actions.add_member(
        practice=cast.north,
        acting_user=cast.bob,
        group=cast.thursday,
        given_name="Ivo",
        family_name="K",
    )
    [enrolment] = added.enrollments.all()
    assert enrolment.group == cast.thursday and enrolment.joined_on == cast.north.today()
    unplaced = actions.add_member(
        practice=cast.north, acting_user=cast.alice, group=None, given_name="Ada", family_name="L"
    )
    assert not unplaced.enrollments.exists()


def test_adding_staff_with_a_refused_licence_leaves_no_account(cast: Cast) -> None:
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as refused:
        actions.add_staff(
            practice=cast.north,
            username="erin",
            password="a long and unusual passphrase 2026",
            role="clinician",
            first_name="Erin",
            last_name="Quill",
            license_type="MFT",
            ethics_code="",  # a licence needs its code of ethics
            acting_user=cast.alice,
        )
    assert "ethics_code" in refused.value.message_dict
    assert not User.objects.filter(username="erin").exists()
    assert AuditEntry.objects.count() == before
    erin = actions.add_staff(
        practice=cast.north,
        username="erin",
        password="a long and unusual passphrase 2026",
        role="clinician",
        license_type="MFT",
        ethics_code="AAMFT",
        acting_user=cast.alice,
    )
    assert erin.practitioner.license_type == "MFT"

from __future__ import annotations

import datetime
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from groupguard.agreements import actions, attendance, selectors
from groupguard.agreements.models import Signature, SigningLink, StatementVersion
from groupguard.audit.models import AuditEntry
from groupguard.practice import actions as practice_actions
from tests.conftest import Cast
from tests.support import next_evening

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
PDF = b"%PDF-1.4\n" + b"x" * 100


def actions_logged(action: str) -> int:
    return AuditEntry.objects.filter(action=action).count()


def test_the_cast_group_has_a_published_agreement_signed_by_its_members(cast: Cast) -> None:
    version = selectors.current_version(cast.thursday)
    assert version is not None and version.number == 1
    assert version.text_matches_hash()
    statuses = {r.member.id: r.status for r in selectors.consent_rows(cast.thursday)}
    assert statuses == {cast.mia.id: "signed", cast.noah.id: "signed"}


def test_publishing_freezes_the_text_and_a_new_version_asks_for_re_consent(cast: Cast) -> None:
    v1 = selectors.current_version(cast.thursday)
    assert v1 is not None
    draft = actions.draft_for(cast.thursday)
    actions.save_draft(
        cast.thursday,
        policy="limited_secrets",
        clause_ids=list(draft.clause_ids),
        role_statement=draft.role_statement,
        acting_user=cast.bob,
    )
    v2 = actions.publish(cast.thursday, acting_user=cast.bob)
    assert v2.number == 2 and v2.sha256 != v1.sha256 and v2.text_matches_hash()
    v1.refresh_from_db()
    assert v1.text_matches_hash()  # the old text is untouched
    assert {r.status for r in selectors.consent_rows(cast.thursday)} == {"reconsent"}
    with pytest.raises(ValidationError, match="Nothing changed"):
        actions.publish(cast.thursday, acting_user=cast.bob)
    with pytest.raises(attendance.AgreementRequired, match="older version"):
        attendance.record_attendance(
            cast.session, cast.mia, status="attended", acting_user=cast.bob
        )
    assert actions_logged("statement.publish") >= 2


def test_versions_and_signatures_cannot_be_changed_in_the_database(cast: Cast) -> None:
    version = selectors.current_version(cast.thursday)
    assert version is not None
    for sql in (
        "UPDATE agreements_statementversion SET text = 'changed'",
        "DELETE FROM agreements_statementversion",
        "UPDATE agreements_signature SET version_sha256 = 'x'",
        "DELETE FROM agreements_signature",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql)
    version.refresh_from_db()
    assert version.text_matches_hash()


def test_a_signature_names_the_exact_text(cast: Cast) -> None:
    for sig in Signature.objects.filter(version__group=cast.thursday).select_related("version"):
        assert sig.version_sha256 == sig.version.sha256


def test_required_clauses_cannot_be_removed(cast: Cast) -> None:
    draft = actions.draft_for(cast.thursday)
    with pytest.raises(ValidationError) as err:
        actions.save_draft(
            cast.thursday,
            policy="no_secrets",
            clause_ids=[c for c in draft.clause_ids if c != "referral"],
            role_statement="I facilitate this group.",
            acting_user=cast.bob,
        )
    assert "clause_ids" in err.value.message_dict
    with pytest.raises(ValidationError, match="role"):
        actions.save_draft(
            cast.thursday,
            policy="no_secrets",
            clause_ids=list(draft.clause_ids),
            role_statement="  ",
            acting_user=cast.bob,
        )


def test_attendance_is_refused_without_a_signature_and_allowed_with_an_override(cast: Cast) -> None:
    monday = practice_actions.schedule_session(
        cast.monday, starts_at=timezone.now() - datetime.timedelta(hours=3), acting_user=cast.carol
    )
    with pytest.raises(attendance.AgreementRequired, match="no published group agreement"):
        attendance.record_attendance(monday, cast.olga, status="attended", acting_user=cast.carol)
    attendance.record_attendance(monday, cast.olga, status="absent", acting_user=cast.carol)
    with pytest.raises(ValidationError, match="10 characters"):
        attendance.record_override(monday, cast.olga, reason="short", acting_user=cast.carol)
    attendance.record_override(
        monday,
        cast.olga,
        reason="Signed on paper; the scan follows tomorrow.",
        acting_user=cast.carol,
    )
    attendance.record_attendance(monday, cast.olga, status="attended", acting_user=cast.carol)
    entry = AuditEntry.objects.get(action="attendance.override")
    assert entry.severity == "high" and entry.member_id == cast.olga.id


def test_withdrawal_closes_the_gate(cast: Cast) -> None:
    actions.withdraw_consent(
        cast.thursday, cast.noah, reason="Wants to think it over", acting_user=cast.bob
    )
    assert selectors.consent_status(cast.thursday, cast.noah) == "withdrawn"
    with pytest.raises(attendance.AgreementRequired, match="withdrew"):
        attendance.record_attendance(cast.session, cast.noah, status="late", acting_user=cast.bob)
    with pytest.raises(ValidationError, match="no signed consent"):
        actions.withdraw_consent(cast.thursday, cast.noah, acting_user=cast.bob)
    actions.record_signature(
        cast.thursday,
        cast.noah,
        typed_name="Noah Zephyrine",
        method="in_person",
        acting_user=cast.bob,
    )
    assert selectors.consent_status(cast.thursday, cast.noah) == "signed"


@pytest.mark.parametrize(
    "scan,declared,method,message",
    [
        (b"", "", "paper", "empty"),
        (b"GIF89a" + b"x" * 50, "image/gif", "paper", "PDF, PNG or JPEG"),
        (PNG, "application/pdf", "paper", "does not match"),
        (b"%PDF-" + b"x" * (5 * 1024 * 1024), "application/pdf", "paper", "larger than 5 MB"),
        (None, "", "paper", "Upload the scan"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_stored(
    cast: Cast, scan, declared, method, message
) -> None:
    before = Signature.objects.count()
    with pytest.raises(ValidationError, match=message):
        actions.record_signature(
            cast.thursday,
            cast.mia,
            typed_name="Mia Zephyrine",
            method=method,
            scan=scan,
            declared_type=declared,
            acting_user=cast.bob,
        )
    assert Signature.objects.count() == before


def test_a_paper_signature_keeps_its_scan_encrypted(cast: Cast) -> None:
    sig = actions.record_signature(
        cast.thursday,
        cast.mia,
        typed_name="Mia Zephyrine",
        method="paper",
        scan=PDF,
        declared_type="application/pdf",
        acting_user=cast.bob,
    )
    fresh = Signature.objects.get(pk=sig.pk)
    assert fresh.scan == PDF and fresh.scan_content_type == "application/pdf"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT scan, typed_name FROM agreements_signature WHERE scan_sha256 = %s",
            [sig.scan_sha256],
        )
        raw_scan, raw_name = cursor.fetchone()
    assert str(raw_scan).startswith("gg1:") and "Zephyrine" not in str(raw_name)


def test_a_minor_needs_a_guardian_and_their_own_assent(cast: Cast) -> None:
    kid = practice_actions.create_member(
        practice=cast.north,
        given_name="Kai",
        family_name="Young",
        is_minor=True,
        guardian_name="Gale Young",
        acting_user=cast.alice,
    )
    practice_actions.enroll_member(
        cast.thursday, kid, joined_on=timezone.localdate(), acting_user=cast.bob
    )
    with pytest.raises(ValidationError) as err:
        actions.record_signature(
            cast.thursday, kid, typed_name="Kai Young", method="in_person", acting_user=cast.bob
        )
    assert set(err.value.message_dict) == {"guardian_name", "minor_assent"}
    sig = actions.record_signature(
        cast.thursday,
        kid,
        typed_name="Kai Young",
        guardian_name="Gale Young",
        minor_assent=True,
        method="in_person",
        acting_user=cast.bob,
    )
    assert sig.minor_assent and sig.guardian_name == "Gale Young"


def test_new_members_of_an_active_group_prompt_a_revisit(cast: Cast) -> None:
    assert selectors.pending_revisit(cast.thursday) == []
    late = practice_actions.create_member(
        practice=cast.north, given_name="Lou", family_name="Late", acting_user=cast.alice
    )
    practice_actions.enroll_member(
        cast.thursday, late, joined_on=timezone.localdate(), acting_user=cast.bob
    )
    assert [e.member_id for e in selectors.pending_revisit(cast.thursday)] == [late.id]
    actions.record_revisit(
        cast.thursday,
        revisited_on=timezone.localdate(),
        note="Went over the limits.",
        acting_user=cast.bob,
    )
    assert selectors.pending_revisit(cast.thursday) == []


def test_agreement_status_command_prints_json(cast: Cast) -> None:
    out = io.StringIO()
    call_command("agreement", "status", "--group", str(cast.thursday.id), stdout=out)
    data = json.loads(out.getvalue())
    assert data["current_version"]["number"] == 1
    assert {m["status"] for m in data["members"]} == {"signed"}


def test_agreement_status_counts_members_on_the_practices_calendar(
    cast: Cast, time_machine
) -> None:
    # 19:00 where the practice is, already tomorrow in UTC: someone who joins tomorrow is not
    # a member yet, and so not "pending".
    evening = next_evening(cast.north.tz)
    time_machine.move_to(evening, tick=False)
    later = practice_actions.create_member(
        practice=cast.north, acting_user=None, given_name="Tess", family_name="Later"
    )
    practice_actions.enroll_member(
        cast.thursday,
        later,
        joined_on=evening.date() + datetime.timedelta(days=1),
        acting_user=None,
    )
    out = io.StringIO()
    call_command("agreement", "status", "--group", str(cast.thursday.id), stdout=out)
    members = {m["member_id"] for m in json.loads(out.getvalue())["members"]}
    assert str(cast.mia.id) in members and str(later.id) not in members


# Signing through a link -----------------------------------------------------------------------


def issue(cast: Cast, member=None, check: str = "dob") -> tuple[SigningLink, str, str]:
    member = member or cast.mia
    return actions.issue_signing_link(
        cast.thursday, member, identity_check=check, acting_user=cast.bob
    )


def test_a_member_signs_through_a_link(cast: Cast) -> None:
    link, token, _ = issue(cast)
    client = Client()
    assert client.get(reverse("sign_read", args=[token])).status_code == 302  # identity first
    wrong = client.post(reverse("sign_start", args=[token]), {"answer": "1900-01-01"})
    assert wrong.status_code == 400 and "does not match" in wrong.content.decode()
    ok = client.post(reverse("sign_start", args=[token]), {"answer": "1990-01-02"})
    assert ok.status_code == 302 and ok["Location"].endswith("/read/")
    page = client.get(reverse("sign_read", args=[token])).content.decode()
    assert link.version.text.splitlines()[0] in page
    from groupguard.agreements import render

    questions = render.questions_for(link.version.clause_ids, selectors.extra_clauses(cast.north))
    wrong_answers = {f"q-{q.id}": str((q.correct + 1) % len(q.choices)) for q in questions}
    bad = client.post(reverse("sign_read", args=[token]), wrong_answers)
    assert bad.status_code == 400 and questions[0].explanation.split(".")[0] in bad.content.decode()
    right = {f"q-{q.id}": str(q.correct) for q in questions}
    assert client.post(reverse("sign_read", args=[token]), right).status_code == 302
    empty = client.post(reverse("sign_finish", args=[token]), {"agree": "on", "typed_name": "  "})
    assert empty.status_code == 400 and "full name" in empty.content.decode()
    done = client.post(
        reverse("sign_finish", args=[token]), {"agree": "on", "typed_name": "Mia Zephyrine"}
    )
    assert done.status_code == 200 and "you have signed" in done.content.decode()
    sig = Signature.objects.get(link=link)
    assert sig.version_sha256 == link.version.sha256 and sig.method == "link"
    # The member is not signed in; the time they are shown is still the practice's.
    local = sig.signed_at.astimezone(cast.north.tz)
    assert f"recorded on {local.day} {local:%B %Y, %H:%M}" in done.content.decode()
    assert sig.answers[questions[0].id]["attempts"] == 2
    entry = AuditEntry.objects.filter(action="signature.create", object_id=str(sig.id)).get()
    assert json.loads(bytes(entry.leaf))["actor"] == {"kind": "signing_token", "id": str(link.pk)}
    reused = Client().get(reverse("sign_start", args=[token]))
    assert reused.status_code == 410 and "already been used" in reused.content.decode()


def test_forged_expired_and_revoked_links_are_refused(cast: Cast, time_machine) -> None:
    assert Client().get(reverse("sign_start", args=["forged-token"])).status_code == 404
    link, token, _ = issue(cast)
    actions.revoke_signing_link(link, acting_user=cast.bob)
    assert "withdrawn" in Client().get(reverse("sign_start", args=[token])).content.decode()
    link, token, _ = issue(cast)
    time_machine.move_to(timezone.now() + datetime.timedelta(days=8))
    response = Client().get(reverse("sign_start", args=[token]))
    assert response.status_code == 410 and "expired" in response.content.decode()


def test_wrong_identity_answers_stop_the_link(cast: Cast) -> None:
    # Over a long time span, and for a date of birth: tests/agreements/test_signing_links.py.
    link, token, code = issue(cast, check="code")
    assert len(code) == 6
    wrong = "000000" if code != "000000" else "111111"
    client = Client()
    url = reverse("sign_start", args=[token])
    for _ in range(actions.MAX_IDENTITY_FAILURES - 1):
        assert client.post(url, {"answer": wrong}).status_code == 400
    last = client.post(url, {"answer": wrong})
    assert (
        last.status_code == 410 and "ask your facilitator for a new link" in last.content.decode()
    )
    refused = client.post(url, {"answer": code})
    assert refused.status_code == 410 and "stopped working" in refused.content.decode()
    assert AuditEntry.objects.filter(
        action="signing_link.stop", severity="high", object_id=str(link.pk)
    ).exists()


def test_a_link_to_an_old_version_stops_working(cast: Cast) -> None:
    link, token, _ = issue(cast)
    draft = actions.draft_for(cast.thursday)
    actions.save_draft(
        cast.thursday,
        policy="discretion",
        clause_ids=list(draft.clause_ids),
        role_statement=draft.role_statement,
        acting_user=cast.bob,
    )
    actions.publish(cast.thursday, acting_user=cast.bob)
    response = Client().get(reverse("sign_start", args=[token]))
    assert response.status_code == 410 and "changed" in response.content.decode()


def test_links_need_a_published_version_and_a_current_member(cast: Cast) -> None:
    with pytest.raises(ValidationError, match="Publish"):
        actions.issue_signing_link(cast.monday, cast.olga, acting_user=cast.carol)
    with pytest.raises(ValidationError, match="not currently enrolled"):
        actions.issue_signing_link(cast.thursday, cast.olga, acting_user=cast.bob)
    assert StatementVersion.objects.filter(group=cast.monday).count() == 0


def test_every_signing_override_withdrawal_and_publication_is_audited(cast: Cast) -> None:
    before = {
        a: actions_logged(a)
        for a in (
            "signature.create",
            "consent.withdraw",
            "statement.publish",
            "attendance.override",
        )
    }
    actions.withdraw_consent(cast.thursday, cast.noah, acting_user=cast.bob)
    actions.record_signature(
        cast.thursday,
        cast.noah,
        typed_name="Noah Zephyrine",
        method="in_person",
        acting_user=cast.bob,
    )
    draft = actions.draft_for(cast.thursday)
    actions.save_draft(
        cast.thursday,
        policy="discretion",
        clause_ids=list(draft.clause_ids),
        role_statement=draft.role_statement,
        acting_user=cast.bob,
    )
    actions.publish(cast.thursday, acting_user=cast.bob)
    attendance.record_override(
        cast.session, cast.noah, reason="Signing the new version after group.", acting_user=cast.bob
    )
    after = {a: actions_logged(a) for a in before}
    assert all(after[a] == before[a] + 1 for a in before), (before, after)
    withdrawal = AuditEntry.objects.filter(action="consent.withdraw").last()
    assert withdrawal is not None and withdrawal.member_id == cast.noah.id


def test_a_session_someone_attended_is_held(cast: Cast) -> None:
    """The cast's session started yesterday: an absence leaves it scheduled, the first member
    recorded as attending moves it to held (with its own audit entry); a future session
    stays scheduled, whatever is recorded ahead of time."""
    session = cast.session
    assert session.status == "scheduled"
    attendance.record_attendance(session, cast.noah, status="absent", acting_user=cast.bob)
    session.refresh_from_db()
    assert session.status == "scheduled"
    attendance.record_attendance(session, cast.mia, status="attended", acting_user=cast.bob)
    session.refresh_from_db()
    assert session.status == "held"
    assert AuditEntry.objects.filter(action="session.update", object_id=str(session.id)).exists()
    later = practice_actions.schedule_session(
        cast.thursday,
        starts_at=timezone.now() + datetime.timedelta(days=2),
        acting_user=cast.bob,
    )
    attendance.record_attendance(later, cast.mia, status="attended", acting_user=cast.bob)
    later.refresh_from_db()
    assert later.status == "scheduled"

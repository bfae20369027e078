"""Assessments from the records, choices, disclosures, authorizations and the accounting."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from groupguard.audit.models import AuditEntry
from groupguard.contacts import actions as contacts
from groupguard.contacts.models import Contact
from groupguard.disclosures import actions, records, selectors
from groupguard.disclosures.models import Assessment, Disclosure
from groupguard.practice import actions as practice_actions
from tests.conftest import Cast
from tests.factories import make_contact

GROUP_ANSWERS: dict[str, Any] = {"recipient": "group", "purpose": "treatment"}


def profile(cast: Cast, licence: str = "LCSW", code: str = "NASW") -> None:
    practice_actions.set_practitioner_profile(
        user=cast.bob, license_type=licence, ethics_code=code, acting_user=cast.alice
    )
    cast.bob.refresh_from_db()


def test_the_founding_case_from_the_records_is_low(cast: Cast) -> None:
    profile(cast)
    entry = make_contact(cast, reminded_agreement=True)
    assessment = actions.assess(
        member=cast.mia,
        acting_user=cast.bob,
        answers=GROUP_ANSWERS,
        contact=entry,
        question="Raise her new job in group?",
    )
    assert assessment.level == "low"
    facts = assessment.facts
    assert facts["jurisdiction"] == "US-CA" and facts["profession"] == "LCSW"
    assert facts["ethics_code"] == "NASW" and facts["said_in"] == "outside_session_casual"
    assert facts["agreement"] == "signed_before" and facts["promise"] == "none"
    assert facts["relationship"] == "group_only" and facts["reminded_at_time"] is True
    assert "Signed agreement version 1" in assessment.prefilled["agreement"]
    assert assessment.rules_version == assessment.decision["rules_version"]
    [entry_] = AuditEntry.objects.filter(action="assessment.create")
    assert b'"level":"low"' in bytes(entry_.leaf) and b"new job" not in bytes(entry_.leaf)


def test_a_promise_and_a_dual_role_from_the_records_raise_it(cast: Cast) -> None:
    profile(cast, "MFT", "AAMFT")
    practice_actions.record_role(
        practitioner=cast.bob,
        member=cast.mia,
        kind="individual_therapist",
        starts_on=timezone.localdate() - datetime.timedelta(days=30),
        acting_user=cast.alice,
    )
    entry = make_contact(
        cast,
        setting="individual_therapy",
        request="explicit",
        summary="Please don't tell the group.",
        promised_confidentiality=True,
        promise_confirmed=True,
        promise_scope="All of it.",
    )
    assessment = actions.assess(
        member=cast.mia, acting_user=cast.bob, answers=GROUP_ANSWERS, contact=entry
    )
    assert assessment.facts["relationship"] == "also_individual_therapist"
    assert assessment.facts["promise"] == "express"
    assert assessment.level == "not_permitted"


def test_the_records_cannot_be_contradicted_by_an_answer(cast: Cast) -> None:
    entry = make_contact(cast)
    with pytest.raises(ValidationError) as error:
        actions.assess(
            member=cast.mia,
            acting_user=cast.bob,
            answers={**GROUP_ANSWERS, "said_in": "group_session"},
            contact=entry,
        )
    assert "said_in" in error.value.message_dict
    assert "from the records" in error.value.message_dict["said_in"][0]
    assert not Assessment.objects.exists()


def test_an_unanswered_request_is_asked_never_read_as_none(cast: Cast) -> None:
    entry = make_contact(cast, request="unanswered", summary="Please don't tell the group.")
    filled = records.prefill(
        member=cast.mia, practitioner=cast.bob, contact=entry, now=timezone.now()
    )
    assert "member_request" not in filled.facts and "member_request" not in filled.sources
    why = filled.asked["member_request"]
    assert "not answered on the contact" in why and "the detector suggested explicit" in why
    with pytest.raises(ValidationError) as error:
        actions.assess(member=cast.mia, acting_user=cast.bob, answers=GROUP_ANSWERS, contact=entry)
    message = error.value.message_dict["member_request"][0]
    assert message.startswith("Answer member_request: the records do not say")
    assert not Assessment.objects.exists()
    with pytest.raises(ValidationError) as error:
        actions.assess(
            member=cast.mia,
            acting_user=cast.bob,
            answers={**GROUP_ANSWERS, "member_request": "unanswered"},
            contact=entry,
        )
    assert "member_request" in error.value.message_dict
    assessment = actions.assess(
        member=cast.mia,
        acting_user=cast.bob,
        answers={**GROUP_ANSWERS, "member_request": "explicit"},
        contact=entry,
    )
    assert assessment.facts["member_request"] == "explicit"
    assert assessment.prefilled["member_request"].startswith("Your answer; Contact of ")
    assert "request.explicit" in {f["id"] for f in assessment.decision["factors"]}


def test_an_answer_by_amendment_makes_the_request_a_fact_of_the_records(cast: Cast) -> None:
    entry = make_contact(cast, request="unanswered")
    contacts.amend_contact(entry, acting_user=cast.carol, text="I asked her.", request="implied")
    entry = Contact.objects.get(pk=entry.pk)
    assessment = actions.assess(
        member=cast.mia, acting_user=cast.bob, answers=GROUP_ANSWERS, contact=entry
    )
    assert assessment.facts["member_request"] == "implied"
    assert assessment.prefilled["member_request"].endswith("request recorded as implied")
    with pytest.raises(ValidationError, match="comes from the records"):
        actions.assess(
            member=cast.mia,
            acting_user=cast.bob,
            answers={**GROUP_ANSWERS, "member_request": "none"},
            contact=entry,
        )


def test_bad_answers_name_the_field(cast: Cast) -> None:
    with pytest.raises(ValidationError) as error:
        actions.assess(member=cast.mia, acting_user=cast.bob, answers={"recipient": "everyone"})
    assert "recipient" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        actions.assess(
            member=cast.mia, acting_user=cast.bob, answers={"recipient": "group", "x": 1}
        )
    assert "x" in error.value.message_dict
    assert not Assessment.objects.exists()


def test_without_a_contact_the_contact_facts_are_asked(cast: Cast) -> None:
    assessment = actions.assess(
        member=cast.mia,
        acting_user=cast.bob,
        answers={**GROUP_ANSWERS, "said_in": "group_session", "agreement": "signed_before"},
    )
    assert assessment.contact is None and assessment.level == "low"
    assert "said_in" not in assessment.prefilled


def test_a_third_party_reads_the_authorizations(cast: Cast) -> None:
    answers = {"recipient": "third_party", "third_party": "family", "purpose": "other"}
    assert actions.assess(member=cast.mia, acting_user=cast.bob, answers=answers).level == (
        "not_permitted"
    )
    authorization = actions.record_authorization(
        member=cast.mia,
        acting_user=cast.bob,
        recipient="family",
        purpose="Tell her husband about the schedule change.",
        signed_on=cast.north.today(),
    )
    allowed = actions.assess(member=cast.mia, acting_user=cast.bob, answers=answers)
    assert allowed.facts["authorization"] is True and allowed.level != "not_permitted"
    actions.revoke_authorization(authorization, note="Withdrawn by phone.", acting_user=cast.bob)
    again = actions.assess(member=cast.mia, acting_user=cast.bob, answers=answers)
    assert again.facts["authorization"] is False and again.level == "not_permitted"


def test_authorization_checks(cast: Cast) -> None:
    today = cast.north.today()
    with pytest.raises(ValidationError, match="outside the group"):
        actions.record_authorization(
            member=cast.mia, acting_user=cast.bob, recipient="group", purpose="x", signed_on=today
        )
    with pytest.raises(ValidationError, match="PDF, PNG or JPEG"):
        actions.record_authorization(
            member=cast.mia,
            acting_user=cast.bob,
            recipient="family",
            purpose="x",
            signed_on=today,
            scan=b"GIF89a...",
        )
    with pytest.raises(ValidationError, match="expire before"):
        actions.record_authorization(
            member=cast.mia,
            acting_user=cast.bob,
            recipient="family",
            purpose="x",
            signed_on=today,
            expires_on=today - datetime.timedelta(days=1),
        )


def test_proceeding_against_not_permitted_needs_a_reason(cast: Cast) -> None:
    assessment = actions.assess(
        member=cast.mia,
        acting_user=cast.bob,
        answers={"recipient": "third_party", "third_party": "employer"},
    )
    with pytest.raises(ValidationError, match="not permitted"):
        actions.record_choice(assessment, kind="proceed", note="ok", acting_user=cast.bob)
    choice = actions.record_choice(
        assessment,
        kind="proceed",
        note="Our lawyer confirmed the employer's request is covered by a court order.",
        acting_user=cast.bob,
    )
    assert AuditEntry.objects.get(object_id=str(choice.pk)).severity == "high"
    actions.record_choice(assessment, kind="hold", acting_user=cast.bob)
    assert [c.kind for c in assessment.choices.all()] == ["proceed", "hold"]


def test_the_accounting_lists_only_disclosures_outside_the_group(cast: Cast) -> None:
    now = timezone.now()
    assessment = actions.assess(member=cast.mia, acting_user=cast.bob, answers=GROUP_ANSWERS)
    actions.record_disclosure(
        member=cast.mia,
        acting_user=cast.bob,
        recipient="group",
        what="Her new job.",
        disclosed_at=now - datetime.timedelta(hours=1),
        assessment=assessment,
    )
    outside = actions.record_disclosure(
        member=cast.mia,
        acting_user=cast.bob,
        recipient="protective_services",
        recipient_detail="County CPS hotline",
        what="Suspected abuse of her child.",
        purpose="Mandated report",
        disclosed_at=now,
    )
    assert [
        d.pk for d in selectors.accounting(cast.mia, among=selectors.visible_disclosures(cast.bob))
    ] == [outside.pk]
    assert AuditEntry.objects.get(object_id=str(outside.pk)).severity == "high"
    with pytest.raises(ValidationError, match="future"):
        actions.record_disclosure(
            member=cast.mia,
            acting_user=cast.bob,
            recipient="group",
            what="x",
            disclosed_at=now + datetime.timedelta(days=1),
        )
    with pytest.raises(ValidationError, match="another member"):
        actions.record_disclosure(
            member=cast.noah,
            acting_user=cast.bob,
            recipient="group",
            what="x",
            disclosed_at=now,
            assessment=assessment,
        )


def test_assessments_and_disclosures_are_append_only(cast: Cast) -> None:
    assessment = actions.assess(member=cast.mia, acting_user=cast.bob, answers=GROUP_ANSWERS)
    actions.record_disclosure(
        member=cast.mia,
        acting_user=cast.bob,
        recipient="group",
        what="x",
        disclosed_at=timezone.now(),
    )
    for table in ("disclosures_assessment", "disclosures_disclosure"):
        with pytest.raises(Exception, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608
    assert Assessment.objects.filter(pk=assessment.pk).exists() and Disclosure.objects.exists()


def test_visibility_follows_the_member_and_the_contacts_group(cast: Cast) -> None:
    entry = make_contact(cast)
    assessment = actions.assess(
        member=cast.mia, acting_user=cast.bob, answers=GROUP_ANSWERS, contact=entry
    )
    assert selectors.access_assessment(cast.carol, assessment.id) == assessment
    for outsider in (cast.dave, cast.oscar):
        with pytest.raises(Exception, match="not found"):
            selectors.access_assessment(outsider, assessment.id)

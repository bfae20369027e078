"""Contacts, amendments, promises and referrals: the actions and what they record."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from groupguard.audit.models import AuditEntry
from groupguard.audit.records import verify_records
from groupguard.contacts import actions, selectors
from groupguard.contacts.detect import detect
from groupguard.contacts.guidance import guidance_for, quote_clauses
from groupguard.contacts.models import Amendment, Contact, Promise, Referral
from groupguard.evidence import timeline
from tests.conftest import Cast

SUMMARY = "After group Mia said her sister is ill. Please don't tell the group, she said."


def log(cast: Cast, **overrides: Any) -> Contact:
    values: dict[str, Any] = {
        "group": cast.thursday,
        "members": [cast.mia],
        "acting_user": cast.bob,
        "occurred_at": timezone.now() - datetime.timedelta(minutes=10),
        "setting": "after_session",
        "initiated_by": "member",
        "summary": SUMMARY,
        "request": "explicit",
        "reminded_agreement": True,
    }
    values.update(overrides)
    return actions.log_contact(**values)


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("index"))


def test_logging_a_contact_keeps_the_detection_and_signs_the_content(cast: Cast) -> None:
    contact = log(cast)
    contact = Contact.objects.get(pk=contact.pk)
    assert contact.summary == SUMMARY
    assert contact.detected_request == "explicit"
    assert [r["rule"] for r in contact.detected_rules] == ["explicit.dont-tell"]
    assert contact.content_sha256 == actions.content_sha256(contact, [cast.mia.id])
    [entry] = entries("contact.create")
    assert entry.member_id == cast.mia.id
    assert b"sha256" in bytes(entry.leaf) and contact.content_sha256.encode() in bytes(entry.leaf)
    assert b"sister" not in bytes(entry.leaf)  # no PHI in the log


def test_summary_is_encrypted_at_rest(cast: Cast) -> None:
    contact = log(cast)
    with connection.cursor() as cursor:
        cursor.execute("SELECT summary FROM contacts_contact WHERE id = %s", [contact.pk.hex])
        row = cursor.fetchone()
        if row is None:
            cursor.execute("SELECT summary FROM contacts_contact WHERE id = %s", [contact.pk])
            row = cursor.fetchone()
    assert row is not None and row[0].startswith("gg1:") and "sister" not in row[0]


def test_the_facilitators_correction_is_kept_beside_the_suggestion(cast: Cast) -> None:
    contact = log(cast, request="implied")
    assert (contact.detected_request, contact.request) == ("explicit", "implied")
    actions.amend_contact(
        contact, acting_user=cast.bob, text="On reflection: explicit.", request="explicit"
    )
    stats = selectors.detector_stats(cast.north)
    assert stats.total == 1 and stats.agreed == 1
    assert stats.confusion["explicit"]["explicit"] == 1


def test_without_an_answer_the_request_is_unanswered_and_the_detection_is_kept_whole(
    cast: Cast,
) -> None:
    values = {"summary": SUMMARY, "request": "unanswered"}
    contact = log(cast, **values)
    assert contact.request == "unanswered"  # never the detector's guess
    contact = Contact.objects.get(pk=contact.pk)
    assert (contact.request, contact.detected_request) == ("unanswered", "explicit")
    assert [r["rule"] for r in contact.detected_rules] == ["explicit.dont-tell"]
    assert contact.detection_record == detect(SUMMARY).as_record()  # as returned, whatever its keys
    assert contact.detector_version == contact.detection_record["model"]
    default = actions.log_contact(
        group=cast.thursday,
        members=[cast.mia],
        acting_user=cast.bob,
        occurred_at=timezone.now() - datetime.timedelta(minutes=5),
        setting="phone",
        initiated_by="member",
        summary=SUMMARY,
    )
    assert default.request == "unanswered"
    [_, entry] = entries("contact.create")
    assert json.loads(bytes(entry.leaf))["detail"]["request"] == "unanswered"
    # an edit within the window answers it, and keeps the detector's output of the new note
    edited = actions.edit_contact(
        contact, acting_user=cast.bob, request="implied", summary="Nobody in the group knows."
    )
    assert (edited.request, edited.detected_request) == ("implied", "implied")
    assert edited.detection_record == detect("Nobody in the group knows.").as_record()
    assert verify_records().ok


def test_an_amendment_answers_the_request_but_never_takes_an_answer_back(cast: Cast) -> None:
    contact = log(cast, request="unanswered")
    with pytest.raises(ValidationError) as error:
        actions.amend_contact(contact, acting_user=cast.carol, text="?", request="unanswered")
    assert "answers or corrects" in error.value.message_dict["request"][0]
    actions.amend_contact(contact, acting_user=cast.carol, text="No news.")
    fresh = selectors.access_contact(cast.carol, contact.id)
    assert selectors.effective_request(fresh) == "unanswered"
    assert selectors.request_for_guidance(fresh) == "explicit"  # the suggestion, for guidance
    actions.amend_contact(contact, acting_user=cast.carol, text="She asked.", request="explicit")
    fresh = selectors.access_contact(cast.carol, contact.id)
    assert selectors.effective_request(fresh) == "explicit"
    assert Contact.objects.get(pk=contact.pk).request == "unanswered"  # as written


def test_unanswered_contacts_are_those_the_user_may_see_oldest_first(cast: Cast) -> None:
    now = timezone.now()
    older = log(cast, request="unanswered", occurred_at=now - datetime.timedelta(days=2))
    newer = log(cast, request="unanswered", occurred_at=now - datetime.timedelta(hours=1))
    log(cast, request="none")
    answered = log(cast, request="unanswered", occurred_at=now - datetime.timedelta(days=1))
    actions.amend_contact(answered, acting_user=cast.bob, text="Asked.", request="none")
    monday = log(
        cast, group=cast.monday, members=[cast.olga], acting_user=cast.carol, request="unanswered"
    )
    log(
        cast,
        group=cast.south_group,
        members=[cast.sam],
        acting_user=cast.oscar,
        request="unanswered",
    )
    assert selectors.unanswered_contacts(cast.bob) == [older, newer]
    assert selectors.unanswered_contacts(cast.carol) == [older, newer, monday]
    assert selectors.unanswered_contacts(cast.alice) == [older, newer, monday]
    assert selectors.unanswered_contacts(cast.dave) == []
    assert len(selectors.unanswered_contacts(cast.oscar)) == 1
    assert selectors.unanswered_contacts(cast.alice, limit=1) == [older]
    waiting = selectors.with_request(Contact.objects.all(), "unanswered")
    assert set(waiting) == {older, newer, monday, Contact.objects.get(group=cast.south_group)}
    stats = selectors.detector_stats(cast.north)
    assert (stats.total, stats.unanswered) == (2, 3)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"summary": "   "}, "summary"),
        ({"members": []}, "members"),
        ({"setting": "telepathy"}, "setting"),
        ({"request": "maybe"}, "request"),
        ({"occurred_at": timezone.now() + datetime.timedelta(days=1)}, "occurred_at"),
        ({"summary": "x" * 20_001}, "summary"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(
    cast: Cast, change: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as error:
        log(cast, **change)
    assert field in error.value.message_dict
    assert Contact.objects.count() == 0
    assert not entries("contact.create")


def test_only_members_of_the_group_and_only_its_facilitators(cast: Cast) -> None:
    with pytest.raises(ValidationError, match="Olga"):
        log(cast, members=[cast.mia, cast.olga])
    with pytest.raises(ValidationError, match="facilitators"):
        log(cast, acting_user=cast.dave)
    with pytest.raises(ValidationError, match="own practice"):
        log(cast, acting_user=cast.oscar)
    assert log(cast, acting_user=cast.alice).facilitator == cast.alice  # an admin may


def test_a_member_is_audited_once_per_entry(cast: Cast) -> None:
    log(cast, members=[cast.mia, cast.noah])
    assert {e.member_id for e in entries("contact.create")} == {cast.mia.id, cast.noah.id}


def test_a_promise_needs_confirmation_and_scope(cast: Cast) -> None:
    with pytest.raises(ValidationError) as error:
        log(cast, promised_confidentiality=True)
    assert set(error.value.message_dict) == {"promise_confirmed", "promise_scope"}
    assert Contact.objects.count() == 0 and Promise.objects.count() == 0
    contact = log(
        cast,
        promised_confidentiality=True,
        promise_confirmed=True,
        promise_scope="Her sister's illness, until she raises it herself.",
    )
    [promise] = Promise.objects.all()
    assert (
        promise.contact == contact and promise.member == cast.mia and promise.acknowledged_conflict
    )
    assert [p.pk for p in selectors.open_promises(cast.bob)] == [promise.pk]
    assert selectors.open_promises(cast.dave) == []
    [entry] = entries("promise.create")
    assert entry.severity == "high"


def test_closing_a_promise(cast: Cast) -> None:
    log(cast, promised_confidentiality=True, promise_confirmed=True, promise_scope="All of it.")
    promise = Promise.objects.get()
    with pytest.raises(ValidationError, match="10 characters"):
        actions.close_promise(promise, status="released", note="ok", acting_user=cast.bob)
    actions.close_promise(
        promise,
        status="released",
        note="She raised it herself in group on Thursday.",
        acting_user=cast.bob,
    )
    assert selectors.open_promises(cast.bob) == []
    with pytest.raises(ValidationError, match="already closed"):
        actions.close_promise(
            promise, status="withdrawn", note="Told her on the phone.", acting_user=cast.bob
        )


def test_an_entry_locks_after_24_hours_and_then_only_takes_amendments(cast: Cast) -> None:
    contact = log(cast)
    original_hash = contact.content_sha256
    actions.edit_contact(contact, acting_user=cast.bob, summary=SUMMARY + " (edited)")
    contact.refresh_from_db()
    assert contact.summary.endswith("(edited)") and contact.content_sha256 != original_hash
    with pytest.raises(ValidationError, match="Only the facilitator who wrote"):
        actions.edit_contact(contact, acting_user=cast.carol, summary="Carol's words")
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=24, seconds=1)):
        with pytest.raises(ValidationError, match="locked") as error:
            actions.edit_contact(contact, acting_user=cast.bob, summary="Rewritten later")
        assert error.value.code == "locked"
        amendment = actions.amend_contact(
            contact, acting_user=cast.carol, text="Mia later said it was fine to share."
        )
    contact.refresh_from_db()
    assert contact.summary == SUMMARY + " (edited)"
    assert amendment.content_sha256 == actions.amendment_sha256(amendment)
    assert [e.action for e in AuditEntry.objects.filter(object_id=str(amendment.pk))] == [
        "contact.amend"
    ]


def test_amendments_are_append_only_in_the_database(cast: Cast) -> None:
    contact = log(cast)
    actions.amend_contact(contact, acting_user=cast.bob, text="An addition.")
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        Amendment.objects.all().delete()
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE contacts_amendment SET request = 'none'")


def test_edit_cannot_take_back_a_promise(cast: Cast) -> None:
    contact = log(cast, promised_confidentiality=True, promise_confirmed=True, promise_scope="All.")
    with pytest.raises(ValidationError, match="cannot be taken back"):
        actions.edit_contact(contact, acting_user=cast.bob, promised_confidentiality=False)


def test_offering_a_referral_with_the_contact(cast: Cast) -> None:
    contact = log(cast, offered_referral=True, referral_to=cast.dave)
    [referral] = Referral.objects.all()
    assert referral.contact == contact and referral.to_practitioner == cast.dave
    assert referral.status == "offered"
    assert referral.offered_on == cast.north.day_of(contact.occurred_at)


def test_referral_moves(cast: Cast) -> None:
    referral = actions.offer_referral(
        member=cast.mia, acting_user=cast.bob, reason="A confidential space.", to_name="Dr. Wren"
    )
    with pytest.raises(ValidationError, match="cannot become completed"):
        actions.update_referral(referral, acting_user=cast.bob, status="completed")
    with pytest.raises(ValidationError, match="future"):
        actions.update_referral(
            referral,
            acting_user=cast.bob,
            status="accepted",
            on=cast.north.today() + datetime.timedelta(days=1),
        )
    actions.update_referral(referral, acting_user=cast.bob, status="accepted")
    actions.update_referral(referral, acting_user=cast.bob, status="completed")
    referral.refresh_from_db()
    assert referral.status == "completed" and referral.completed_on == cast.north.today()
    with pytest.raises(ValidationError, match="closed"):
        actions.update_referral(referral, acting_user=cast.bob, to_name="Someone else")
    with pytest.raises(ValidationError, match="not both"):
        actions.offer_referral(
            member=cast.mia,
            acting_user=cast.bob,
            reason="x",
            to_practitioner=cast.dave,
            to_name="Y",
        )
    with pytest.raises(ValidationError, match="practitioner of your practice"):
        actions.offer_referral(
            member=cast.mia, acting_user=cast.bob, reason="x", to_practitioner=cast.oscar
        )


def test_a_referral_to_a_facilitator_of_the_members_group_is_refused_with_the_reason(
    cast: Cast,
) -> None:
    """Bob leads and Carol co-leads Mia's Thursday Group: neither can become her individual
    therapist by a referral (a dual role the agreement says no facilitator holds); Dave can."""
    for facilitator in (cast.bob, cast.carol):
        with pytest.raises(ValidationError, match="facilitates Thursday Group, which Mia"):
            actions.offer_referral(
                member=cast.mia, acting_user=cast.bob, reason="x", to_practitioner=facilitator
            )
    assert not Referral.objects.exists()
    referral = actions.offer_referral(
        member=cast.mia, acting_user=cast.bob, reason="A space.", to_name="Dr. Wren"
    )
    with pytest.raises(ValidationError, match="facilitates Thursday Group"):
        actions.update_referral(referral, acting_user=cast.bob, to_practitioner=cast.bob)
    referral.refresh_from_db()
    assert referral.to_practitioner is None and referral.to_name == "Dr. Wren"
    actions.update_referral(referral, acting_user=cast.bob, to_practitioner=cast.dave)
    # Dave joins the group as a co-facilitator before the member accepts: accepting is refused.
    from groupguard.practice import actions as practice_actions

    practice_actions.add_co_facilitator(cast.thursday, cast.dave, acting_user=cast.alice)
    with pytest.raises(ValidationError, match="facilitates Thursday Group"):
        actions.update_referral(referral, acting_user=cast.bob, status="accepted")
    referral.refresh_from_db()
    assert referral.status == "offered"


def test_unanswered_referrals_are_reminded_after_the_practice_setting(cast: Cast) -> None:
    old = timezone.localdate() - datetime.timedelta(days=15)
    referral = actions.offer_referral(
        member=cast.mia, acting_user=cast.bob, reason="A space.", offered_on=old
    )
    actions.offer_referral(member=cast.noah, acting_user=cast.bob, reason="A space.")
    assert [r.pk for r in selectors.referrals_awaiting(cast.bob)] == [referral.pk]
    cast.north.referral_reminder_days = 30
    cast.north.save()
    cast.bob.refresh_from_db()
    assert selectors.referrals_awaiting(cast.bob) == []


def test_timeline_orders_contacts_amendments_promises_and_referrals(cast: Cast) -> None:
    # Midday where the practice is: just after its midnight, "ten minutes ago" is yesterday
    # and the referral (dated the end of its day) would not be first.
    noon = datetime.datetime.combine(
        cast.north.today() + datetime.timedelta(days=1), datetime.time(12), tzinfo=cast.north.tz
    )
    with time_machine.travel(noon, tick=False):
        _timeline_orders_every_kind(cast)


def _timeline_orders_every_kind(cast: Cast) -> None:
    first = log(
        cast,
        occurred_at=timezone.now() - datetime.timedelta(days=3),
        summary="Hello.",
        request="none",
    )
    log(
        cast,
        offered_referral=True,
        promised_confidentiality=True,
        promise_confirmed=True,
        promise_scope="It.",
    )
    actions.amend_contact(first, acting_user=cast.bob, text="Added later.")
    items = timeline.member_timeline(user=cast.bob, member=cast.mia)
    kinds = [i.kind for i in items]
    assert kinds[0] == "referral"  # end of today
    assert set(kinds) == {"contact", "amendment", "promise", "referral"}
    assert [i.when for i in items] == sorted((i.when for i in items), reverse=True)
    assert timeline.member_timeline(user=cast.dave, member=cast.mia) == []


def test_guidance_quotes_the_signed_version_and_warns_about_unsigned(cast: Cast) -> None:
    guidance = guidance_for(
        group=cast.thursday,
        members=[cast.mia],
        request="explicit",
        setting="after_session",
        at=timezone.now(),
    )
    assert guidance is not None
    assert guidance.version is not None and guidance.version.number == 1
    assert [c.title for c in guidance.clauses][0] == "Things you tell a facilitator privately"
    assert "no-secrets" in guidance.script and not guidance.warnings
    assert (
        guidance_for(
            group=cast.thursday,
            members=[cast.mia],
            request="none",
            setting="phone",
            at=timezone.now(),
        )
        is None
    )
    monday = guidance_for(
        group=cast.monday,
        members=[cast.olga],
        request="implied",
        setting="one_to_one",
        at=timezone.now(),
    )
    assert monday is not None and "no published group agreement" in monday.warnings[0]
    assert monday.clauses == [] and any("one-to-one" in n for n in monday.notes)


def test_guidance_and_the_engine_read_new_york_s_one_to_one_rule_from_one_place(
    cast: Cast,
) -> None:
    practice = cast.monday.practice
    practice.jurisdiction = "US-NY"
    practice.save(update_fields=["jurisdiction"])
    monday = guidance_for(
        group=cast.monday,
        members=[cast.olga],
        request="explicit",
        setting="after_session",
        at=timezone.now(),
    )
    assert monday is not None
    assert monday.notes[0].startswith("In New York a one-to-one word with a group member")
    assert "NYSED Office of the Professions" in monday.notes[0]
    # Where the agreement was signed before, the casual contact is not held back.
    thursday = guidance_for(
        group=cast.thursday,
        members=[cast.mia],
        request="explicit",
        setting="after_session",
        at=timezone.now(),
    )
    assert thursday is not None and not thursday.notes[0].startswith("In New York")


def test_guidance_says_first_that_a_new_member_has_not_signed(cast: Cast) -> None:
    from groupguard.practice import actions as practice_actions
    from tests.factories import make_member

    newcomer = make_member(cast.north, "Nell")
    practice_actions.enroll_member(
        cast.thursday, newcomer, joined_on=timezone.localdate(), acting_user=cast.bob
    )
    guidance = guidance_for(
        group=cast.thursday,
        members=[newcomer],
        request="explicit",
        setting="phone",
        at=timezone.now(),
    )
    assert guidance is not None and guidance.warnings[0].startswith("Nell Zephyrine has not signed")


def test_quote_clauses_reads_the_frozen_text(cast: Cast) -> None:
    from groupguard.agreements.selectors import current_version

    version = current_version(cast.thursday)
    assert version is not None
    quoted = quote_clauses(version, ["referral", "casual-contact"])
    assert [q.title for q in quoted] == [
        "If you need someone to talk to in confidence",
        "Casual contact is not kept from the group",
    ]
    assert all(q.text and q.text in version.text for q in quoted)


def test_database_refuses_a_second_link_to_the_same_member(cast: Cast) -> None:
    from groupguard.contacts.models import ContactMember

    contact = log(cast)
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactMember.objects.create(contact=contact, member=cast.mia)


def test_dates_are_the_practices_days_not_the_servers(cast: Cast) -> None:
    # 03:00 UTC on 25 Nov is still 24 Nov in Los Angeles, where the north practice is.
    moment = datetime.datetime(2026, 11, 25, 3, 0, tzinfo=datetime.UTC)
    with time_machine.travel(moment, tick=False):
        referral = actions.offer_referral(member=cast.mia, acting_user=cast.bob, reason="Space.")
        actions.update_referral(referral, acting_user=cast.bob, status="accepted")
    assert referral.offered_on == datetime.date(2026, 11, 24)
    referral.refresh_from_db()
    assert referral.accepted_on == datetime.date(2026, 11, 24)


def test_a_referral_linked_to_a_contact_is_for_one_of_its_members(cast: Cast) -> None:
    contact = log(cast)
    with pytest.raises(ValidationError, match="not part of that contact"):
        actions.offer_referral(member=cast.noah, contact=contact, acting_user=cast.bob, reason="x")
    assert not Referral.objects.exists()


def test_guidance_for_an_old_contact_reads_the_signature_in_force_then(cast: Cast) -> None:
    # Mia signed 59 days ago; a contact 60 days ago was not covered by a written agreement.
    before = timezone.now() - datetime.timedelta(days=60)
    guidance = guidance_for(
        group=cast.thursday, members=[cast.mia], request="explicit", setting="phone", at=before
    )
    assert guidance is not None
    assert guidance.warnings[0].startswith("Mia Zephyrine had not signed the group agreement")
    assert not guidance.members[0].signed_before
    after = guidance_for(
        group=cast.thursday,
        members=[cast.mia],
        request="explicit",
        setting="phone",
        at=timezone.now(),
    )
    assert after is not None and after.warnings == [] and after.members[0].signed_version == 1

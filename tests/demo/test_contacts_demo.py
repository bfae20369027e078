"""The demo practice's contacts: each story the demo is meant to show is there, and coherent."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from groupguard.contacts import selectors
from groupguard.contacts.models import Amendment, Contact, Promise, Referral
from groupguard.demo.practice import DemoPractice, build_demo
from groupguard.evidence import timeline
from groupguard.practice.models import Attendance, Member, RoleRelationship
from groupguard.practice.models.roles import RoleKind


@pytest.fixture
def demo(db: None) -> DemoPractice:
    return build_demo()


def member_named(demo: DemoPractice, given_name: str) -> Member:
    return next(m for m in demo.members if m.given_name == given_name)


def contact_of(demo: DemoPractice, given_name: str) -> Contact:
    member = member_named(demo, given_name)
    return selectors.with_details(
        Contact.objects.filter(practice=demo.practice, member_links__member=member)
    ).get()


def test_the_demo_has_eight_contacts_in_the_past_across_the_groups(demo: DemoPractice) -> None:
    contacts = Contact.objects.filter(practice=demo.practice)
    assert contacts.count() == 8
    assert set(contacts.values_list("group__name", flat=True)) == {
        g.name for g in demo.groups.values()
    }
    assert set(contacts.values_list("setting", flat=True)) == {
        "after_session",
        "before_session",
        "phone",
        "text",
        "chance",
        "one_to_one",
    }
    assert all(c.occurred_at < timezone.now() for c in contacts)
    pair = contact_of(demo, "Marisol")
    assert sorted(m.given_name for m in selectors.members_of(pair)) == ["Marisol", "Priya"]
    call = contact_of(demo, "Yusuf")
    assert (call.setting, call.detected_request) == ("phone", "implied")
    text = contact_of(demo, "Emeric")
    assert (text.setting, text.request, text.responses) == ("text", "none", [])
    one_to_one = contact_of(demo, "Casimir")
    assert one_to_one.setting == "one_to_one" and one_to_one.initiated_by == "facilitator"
    early = contact_of(demo, "Lucan")
    assert early.setting == "before_session" and early.request == "implied"


def test_junes_explicit_request_was_answered_and_her_referral_accepted(
    demo: DemoPractice,
) -> None:
    contact = contact_of(demo, "Juniper")
    june = member_named(demo, "Juniper")
    ada = demo.staff["ada"]
    assert contact.facilitator == ada and contact.setting == "after_session"
    assert contact.request == contact.detected_request == "explicit"
    assert contact.reminded_agreement and contact.offered_referral
    assert not contact.promised_confidentiality
    # She came to the session the remark followed, and Ada also sees her individually.
    session = contact.group.sessions.filter(starts_at__lt=contact.occurred_at).first()
    assert session is not None
    assert Attendance.objects.get(session=session, member=june).status in {
        "attended",
        "late",
    }
    assert RoleRelationship.objects.filter(
        practitioner=ada, member=june, kind=RoleKind.INDIVIDUAL
    ).exists()
    referral = Referral.objects.get(contact=contact)
    assert referral.status == "accepted" and referral.to_name.startswith("Dr. Hollis Penrose")
    assert referral.accepted_on == referral.offered_on + datetime.timedelta(days=6)
    assert not selectors.visible_contacts(demo.staff["cleo"]).filter(pk=contact.pk).exists()
    items = timeline.member_timeline(user=ada, member=june)
    assert [i.kind for i in items if i.kind in {"referral", "contact"}] == [
        "referral",
        "referral",
        "contact",
    ]
    assert {i.kind for i in items} >= {"assessment", "disclosure"}  # disclosures.demo
    assert [i.title for i in items if i.kind == "referral"][0] == (
        "Referral accepted (Dr. Hollis Penrose, PsyD)"
    )


def test_the_dashboard_shows_an_open_promise_an_unanswered_referral_and_a_correction(
    demo: DemoPractice,
) -> None:
    ben = demo.staff["ben"]
    [promise] = selectors.open_promises(ben)
    assert promise.member.given_name == "Saoirse" and promise.made_by == demo.staff["cleo"]
    assert promise.contact.request == "explicit"
    assert Promise.objects.filter(practice=demo.practice).count() == 1
    [waiting] = selectors.referrals_awaiting(ben)
    assert waiting.member.given_name == "Noor" and waiting.offered_by == ben
    assert waiting.offered_on == demo.practice.today() - datetime.timedelta(days=20)
    assert waiting.contact is not None and waiting.contact.setting == "phone"
    # The one amendment corrects Yusuf's request, which the detector's figures count.
    [amendment] = Amendment.objects.filter(contact__practice=demo.practice)
    contact = contact_of(demo, "Yusuf")
    assert amendment.contact == contact and amendment.author == demo.staff["ben"]
    assert (contact.detected_request, contact.request) == ("implied", "implied")
    assert selectors.effective_request(contact) == "explicit"
    stats = selectors.detector_stats(demo.practice)
    # The detector reads one demo note differently from the facilitator's answer: Yusuf's,
    # which the amendment corrected from implied to explicit.
    assert (stats.total, stats.agreed) == (8, 7)
    assert stats.confusion["implied"]["explicit"] == 1


def test_junes_story_continues_with_a_decision_and_an_authorized_letter(db: None) -> None:
    from groupguard.demo.practice import build_demo
    from groupguard.disclosures import selectors as disclosure_selectors
    from groupguard.disclosures.models import Assessment

    demo = build_demo()
    june = next(m for m in demo.members if m.given_name == "Juniper")
    first, letter = Assessment.objects.filter(member=june).order_by("created_at")
    assert first.contact is not None and first.facts["relationship"] == "also_individual_therapist"
    assert first.choices.get().kind == "talk_first"
    assert letter.facts["authorization"] is True and letter.level != "not_permitted"
    admin = next(u for u in demo.staff.values() if u.is_practice_admin)
    [disclosure] = disclosure_selectors.accounting(
        june, among=disclosure_selectors.visible_disclosures(admin)
    )
    assert disclosure.recipient == "other_provider" and disclosure.assessment == letter

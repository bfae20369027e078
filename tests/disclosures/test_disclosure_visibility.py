"""A disclosure recorded from a contact is read only by those who may open that contact.

The attack (#15, finding 4): dave sees mia only through his own group; bob recorded, from a
Thursday Group contact, what he shared about her and with whom. Dave got 404 for the contact
and its assessment, yet read the disclosure's "what" and recipient on the member page, the API
timeline, the disclosures page, the API accounting and the accounting PDF.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from groupguard.contacts import actions as contacts
from groupguard.contacts import selectors as contact_selectors
from groupguard.disclosures import actions, selectors
from groupguard.disclosures.models import Disclosure
from groupguard.evidence import timeline as timeline_of
from groupguard.practice import actions as practice_actions
from tests.conftest import Cast
from tests.support import pdf_text

SECRET = "Told her sister about the relapse"
WHERE = "Sister Zorabelle"
OPEN = "Reminded the county of the court date"


@pytest.fixture
def shared(cast: Cast) -> tuple[Disclosure, Disclosure]:
    """Mia is also in dave's Wednesday Group. Bob shares from a Thursday contact; alice
    records a disclosure about mia not tied to any contact."""
    wednesday = practice_actions.create_group(
        practice=cast.north,
        name="Wednesday Group",
        modality="support",
        lead=cast.dave,
        status="active",
        acting_user=cast.alice,
    )
    practice_actions.enroll_member(
        wednesday,
        cast.mia,
        joined_on=timezone.localdate() - datetime.timedelta(days=30),
        acting_user=cast.alice,
    )
    entry = contacts.log_contact(
        group=cast.thursday,
        members=[cast.mia],
        acting_user=cast.bob,
        occurred_at=timezone.now() - datetime.timedelta(hours=3),
        setting="phone",
        initiated_by="member",
        summary="Mia called about a relapse.",
        request="none",
    )
    answers = {"recipient": "group", "purpose": "treatment"}
    assessment = actions.assess(
        member=cast.mia, acting_user=cast.bob, answers=answers, contact=entry
    )
    hidden = actions.record_disclosure(
        member=cast.mia,
        acting_user=cast.bob,
        recipient="family",
        recipient_detail=WHERE,
        what=SECRET,
        disclosed_at=timezone.now() - datetime.timedelta(hours=1),
        assessment=assessment,
    )
    visible = actions.record_disclosure(
        member=cast.mia,
        acting_user=cast.alice,
        recipient="court",
        what=OPEN,
        disclosed_at=timezone.now() - datetime.timedelta(minutes=30),
    )
    return hidden, visible


def test_the_selectors_hide_a_disclosure_from_a_contact_she_cannot_open(
    cast: Cast, shared: tuple[Disclosure, Disclosure]
) -> None:
    hidden, visible = shared
    assert [d.pk for d in selectors.disclosures_for(cast.dave, cast.mia)] == [visible.pk]
    assert [
        d.pk for d in selectors.accounting(cast.mia, among=selectors.visible_disclosures(cast.dave))
    ] == [visible.pk]
    for who in (cast.bob, cast.carol, cast.alice):
        shown = {
            d.pk for d in selectors.accounting(cast.mia, among=selectors.visible_disclosures(who))
        }
        assert shown == {hidden.pk, visible.pk}
    assert selectors.accounting(cast.mia, among=selectors.visible_disclosures(cast.oscar)) == []
    timeline = timeline_of.member_timeline(user=cast.dave, member=cast.mia)
    assert all(SECRET not in item.body for item in timeline)
    assert any(OPEN in item.body for item in timeline)


def test_no_page_or_api_shows_it_to_her(cast: Cast, shared: tuple[Disclosure, Disclosure]) -> None:
    client = cast.client_for(cast.dave)
    mia = cast.mia.id
    pages = [
        reverse("member_detail", args=[mia]),
        reverse("member_disclosures", args=[mia]),
        f"/api/v1/members/{mia}/timeline",
        f"/api/v1/members/{mia}/accounting",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert SECRET not in body and WHERE not in body, url
        assert OPEN in body, url
    pdf = client.get(reverse("accounting_pdf", args=[mia]))
    assert pdf.status_code == 200
    text = pdf_text(pdf.content)
    assert SECRET not in text and WHERE not in text and OPEN in text
    # Bob, who may open the contact, still reads both.
    both = cast.client_for(cast.bob).get(f"/api/v1/members/{mia}/accounting").content.decode()
    assert SECRET in both and OPEN in both


def test_a_referral_offered_from_a_contact_follows_the_contact_too(
    cast: Cast, shared: tuple[Disclosure, Disclosure]
) -> None:
    """The same hole through referrals (found by the review of this fix): the reason of a
    referral offered from a Thursday contact came from what was said there."""
    hidden, _ = shared
    entry = hidden.assessment.contact  # type: ignore[union-attr]
    reason = "Talk through the relapse with someone of her own"
    referral = contacts.offer_referral(
        member=cast.mia, contact=entry, acting_user=cast.bob, reason=reason, to_name="Dr. Quell"
    )
    open_one = contacts.offer_referral(
        member=cast.mia, acting_user=cast.alice, reason="Grief counselling", to_name="Dr. Ames"
    )
    seen = set(contact_selectors.visible_referrals(cast.dave))
    assert seen == {open_one}
    assert referral in set(contact_selectors.visible_referrals(cast.bob))
    client = cast.client_for(cast.dave)
    for url in (
        reverse("member_detail", args=[cast.mia.id]),
        "/api/v1/referrals",
        f"/api/v1/members/{cast.mia.id}/timeline",
    ):
        body = client.get(url).content.decode()
        assert reason not in body, url
    patch = client.patch(
        f"/api/v1/referrals/{referral.id}", {"status": "accepted"}, content_type="application/json"
    )
    assert patch.status_code == 404

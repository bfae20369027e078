"""The assessment pages: from a contact to a recorded decision and outcome, authorizations
and the accounting."""

from __future__ import annotations

import datetime
import html
import zoneinfo
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from groupguard.contacts import actions as contacts
from groupguard.disclosures import actions
from groupguard.disclosures.models import Assessment, Authorization, Choice, Disclosure
from tests.conftest import Cast
from tests.support import pdf_text

LA = zoneinfo.ZoneInfo("America/Los_Angeles")


def a_contact(cast: Cast) -> Any:
    return contacts.log_contact(
        group=cast.thursday,
        members=[cast.mia],
        acting_user=cast.bob,
        occurred_at=timezone.now() - datetime.timedelta(hours=3),
        setting="after_session",
        initiated_by="member",
        summary="Mia said her new job is stressful.",
        request="none",
        reminded_agreement=True,
    )


def test_from_a_contact_to_a_decision_and_an_outcome(cast: Cast) -> None:
    client = cast.client_for(cast.bob)
    contact = a_contact(cast)
    page = client.get(reverse("contact_detail", args=[contact.id])).content.decode()
    url = reverse("assess_contact", args=[contact.id])
    assert url in page
    form = client.get(url + f"?member={cast.mia.id}").content.decode()
    assert "From the records" in form and "Signed agreement version 1" in form
    assert 'name="said_in"' not in form  # the contact answers it
    response = client.post(
        url,
        {
            "recipient": "group",
            "purpose": "treatment",
            "danger": "none",
            "relevant_to_treatment": "on",
            "question": "Her job stress",
        },
    )
    assessment = Assessment.objects.get()
    assert response["Location"] == reverse("assessment_detail", args=[assessment.id])
    detail = client.get(response["Location"]).content.decode()
    assert "Low:" in detail and "group.treatment" in detail and "Leslie" in detail
    client.post(reverse("assessment_choice", args=[assessment.id]), {"kind": "talk_first"})
    assert Choice.objects.get().kind == "talk_first"
    client.post(
        reverse("assessment_disclosure", args=[assessment.id]),
        {
            "recipient": "group",
            "disclosed_at": timezone.localtime(timezone=LA).strftime("%Y-%m-%dT%H:%M"),
            "what": "She raised her job stress herself; I added nothing.",
        },
    )
    assert Disclosure.objects.get().assessment == assessment
    assert (
        "She raised her job stress herself"
        in client.get(reverse("assessment_detail", args=[assessment.id])).content.decode()
    )


def test_an_unanswered_request_is_asked_on_the_assessment_form(cast: Cast) -> None:
    client = cast.client_for(cast.bob)
    contact = contacts.log_contact(
        group=cast.thursday,
        members=[cast.mia],
        acting_user=cast.bob,
        occurred_at=timezone.now() - datetime.timedelta(hours=3),
        setting="phone",
        initiated_by="member",
        summary="Please don't tell the group about my new job.",
    )
    url = reverse("assess_contact", args=[contact.id])
    form = client.get(url).content.decode()
    assert 'name="said_in"' not in form  # the contact answers that one
    assert 'name="member_request"' in form and '<option value="" selected>Choose…' in form
    assert "Not answered: you answer it below" in form
    assert "not answered on the contact (the detector suggested explicit" in form
    answers = {"recipient": "group", "purpose": "treatment", "danger": "none"}
    refused = client.post(url, answers)
    assert refused.status_code == 400 and not Assessment.objects.exists()
    response = client.post(url, {**answers, "member_request": "none"})
    assert response.status_code == 302
    assessment = Assessment.objects.get()
    assert assessment.facts["member_request"] == "none"
    detail = client.get(response["Location"]).content.decode()
    assert "Your answer; Contact of" in detail


def a_flagged_contact(cast: Cast, summary: str) -> Any:
    return contacts.log_contact(
        group=cast.thursday,
        members=[cast.mia],
        acting_user=cast.bob,
        occurred_at=timezone.now() - datetime.timedelta(hours=3),
        setting="phone",
        initiated_by="member",
        summary=summary,
        request="none",
    )


def test_a_risk_flag_proposes_an_answer_marked_as_the_detectors_suggestion(cast: Cast) -> None:
    client = cast.client_for(cast.bob)
    contact = a_flagged_contact(cast, "Endorses passive SI, no plan.")
    url = reverse("assess_contact", args=[contact.id])
    form = html.unescape(client.get(url).content.decode())
    # Beside its question, described by it, and pre-selected as a suggestion.
    assert '<div class="field proposed">' in form
    assert 'aria-describedby="id_danger_helptext"' in form
    assert (
        '<p class="help proposal" id="id_danger_helptext"><strong class="tag">Suggestion</strong> '
        "The detector flagged possible suicidal thoughts in this contact's note: consider "
        "“a danger to themselves”. This is the detector's suggestion from the note's words, "
        "not an assessment: confirm it against what the member said, or change it.</p>"
    ) in form
    assert (
        '<option value="danger_to_self" selected>A danger to themselves '
        "(the detector's suggestion)</option>"
    ) in form
    assert "Danger</dt>" not in form  # a proposal is not a fact of the records
    response = client.post(
        url, {"recipient": "group", "purpose": "treatment", "danger": "danger_to_self"}
    )
    assert response.status_code == 302
    assessment = Assessment.objects.get()
    assert assessment.facts["danger"] == "danger_to_self"
    detail = html.unescape(client.get(response["Location"]).content.decode())
    assert (
        "Your answer (the detector proposed “a danger to themselves” from possible suicidal "
        "thoughts in the note's words; you confirmed it)"
    ) in detail


def test_an_abuse_flag_chooses_the_kind_and_choosing_no_is_the_answer(cast: Cast) -> None:
    client = cast.client_for(cast.bob)
    contact = a_flagged_contact(cast, "He admitted he hit his daughter with a belt.")
    url = reverse("assess_contact", args=[contact.id])
    form = html.unescape(client.get(url).content.decode())
    assert (
        '<option value="child" selected>Abuse or neglect of a child (the detector\'s '
        "suggestion)</option>"
    ) in form
    assert "flagged possible abuse or neglect of a child" in form
    response = client.post(
        url, {"recipient": "group", "purpose": "treatment", "danger": "none", "abuse": "none"}
    )
    assert response.status_code == 302
    assessment = Assessment.objects.get()
    assert assessment.facts["abuse"] == "none"
    assert assessment.prefilled["abuse"].endswith("; you answered otherwise)")


def test_a_substance_use_flag_adds_a_note_beside_the_part_2_fact(cast: Cast) -> None:
    contact = a_flagged_contact(cast, "Mia said she relapsed and has been drinking every night.")
    form = html.unescape(
        cast.client_for(cast.bob).get(reverse("assess_contact", args=[contact.id])).content.decode()
    )
    assert "proposed" not in form and "Suggestion</strong>" not in form
    assert (
        '<span class="proposal"><strong class="tag">Detector</strong> The detector flagged '
        "possible substance use in this contact's note. In a 42 CFR Part 2 program, records "
        "of it need the member's written consent"
    ) in form


def test_a_note_without_flags_proposes_nothing_on_the_form(cast: Cast) -> None:
    form = cast.client_for(cast.bob).get(reverse("assess_contact", args=[a_contact(cast).id]))
    page = form.content.decode()
    assert "proposal" not in page and "the detector&#x27;s suggestion" not in page
    assert "selected>A " not in page  # no danger chosen for the practitioner
    assert '<input type="checkbox" name="reportable_abuse" id="id_reportable_abuse">' in page


def test_a_bad_answer_is_named_and_nothing_is_stored(cast: Cast) -> None:
    client = cast.client_for(cast.bob)
    response = client.post(
        reverse("assess_member", args=[cast.mia.id]),
        {"recipient": "nobody", "purpose": "treatment", "danger": "none"},
    )
    assert response.status_code == 400 and not Assessment.objects.exists()
    assert "Select a valid choice" in response.content.decode()


def test_without_a_contact_the_setting_is_asked(cast: Cast) -> None:
    client = cast.client_for(cast.bob)
    form = client.get(reverse("assess_member", args=[cast.mia.id])).content.decode()
    assert 'name="said_in"' in form and 'name="agreement"' in form
    client.post(
        reverse("assess_member", args=[cast.mia.id]),
        {
            "recipient": "employer",
            "purpose": "other",
            "danger": "none",
            "said_in": "outside_session_casual",
            "agreement": "signed_before",
            "promise": "none",
            "member_request": "none",
        },
    )
    assessment = Assessment.objects.get()
    assert assessment.level == "not_permitted"
    assert assessment.facts["third_party"] == "employer"
    response = cast.client_for(cast.bob).post(
        reverse("assessment_choice", args=[assessment.id]), {"kind": "proceed", "note": "x"}
    )
    assert response.status_code == 400 and "not permitted" in response.content.decode()


def test_authorizations_and_the_accounting(cast: Cast) -> None:
    client = cast.client_for(cast.bob)
    url = reverse("member_disclosures", args=[cast.mia.id])
    response = client.post(
        url,
        {
            "recipient": "family",
            "purpose": "Tell her sister about group times",
            "signed_on": cast.north.today().isoformat(),
        },
    )
    assert response.status_code == 302
    authorization = Authorization.objects.get()
    actions.record_disclosure(
        member=cast.mia,
        acting_user=cast.bob,
        recipient="family",
        what="Group times.",
        recipient_detail="Her sister",
        disclosed_at=timezone.now(),
    )
    page = client.get(url).content.decode()
    assert "in force" in page and "Group times." in page
    pdf = client.get(reverse("accounting_pdf", args=[cast.mia.id]))
    assert pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "Accounting of disclosures" in text and "Group times." in text
    client.post(reverse("authorization_revoke", args=[authorization.id]), {"note": "By phone."})
    authorization.refresh_from_db()
    assert authorization.revoked_at is not None


@pytest.mark.parametrize("name", ["assess_member", "member_disclosures", "accounting_pdf"])
def test_member_pages_are_404_for_outsiders(cast: Cast, name: str) -> None:
    url = reverse(name, args=[cast.mia.id])
    for user in (cast.dave, cast.oscar):
        assert cast.client_for(user).get(url).status_code == 404
    assert Client().get(url).status_code == 302


def test_assessment_pages_are_404_for_outsiders(cast: Cast) -> None:
    contact = a_contact(cast)
    assessment = actions.assess(
        member=cast.mia, acting_user=cast.bob, answers={"recipient": "group"}, contact=contact
    )
    for user in (cast.dave, cast.oscar):
        client = cast.client_for(user)
        assert client.get(reverse("assessment_detail", args=[assessment.id])).status_code == 404
        assert client.get(reverse("assess_contact", args=[contact.id])).status_code == 404
        assert (
            client.post(
                reverse("assessment_choice", args=[assessment.id]), {"kind": "hold"}
            ).status_code
            == 404
        )
    assert not Choice.objects.exists()


def test_the_member_timeline_shows_assessments_and_disclosures(cast: Cast) -> None:
    assessment = actions.assess(
        member=cast.mia,
        acting_user=cast.bob,
        answers={"recipient": "group"},
        contact=a_contact(cast),
        question="Her job stress",
    )
    actions.record_disclosure(
        member=cast.mia,
        acting_user=cast.bob,
        recipient="group",
        what="Her job stress.",
        disclosed_at=timezone.now(),
        assessment=assessment,
    )
    page = cast.client_for(cast.bob).get(reverse("member_detail", args=[cast.mia.id]))
    html = page.content.decode()
    assert "kind-assessment" in html and "kind-disclosure" in html
    assert reverse("assessment_detail", args=[assessment.id]) in html
    api = cast.client_for(cast.bob).get(f"/api/v1/members/{cast.mia.id}/timeline").json()
    assert {i["kind"] for i in api["items"]} >= {"assessment", "disclosure"}
    assert str(assessment.id) in {i["assessment"] for i in api["items"]}


def test_the_member_disclosures_page_lists_assessments_with_their_last_decision(
    cast: Cast,
) -> None:
    undecided = actions.assess(
        member=cast.mia,
        acting_user=cast.bob,
        answers={"recipient": "group", "purpose": "treatment"},
        question="Undecided",
    )
    decided = actions.assess(
        member=cast.mia,
        acting_user=cast.bob,
        answers={"recipient": "group", "purpose": "treatment"},
        question="Decided",
    )
    actions.record_choice(decided, kind="talk_first", acting_user=cast.bob)
    actions.record_choice(decided, kind="hold", acting_user=cast.bob)
    response = cast.client_for(cast.bob).get(reverse("member_disclosures", args=[cast.mia.id]))
    assert response.status_code == 200
    page = response.content.decode()
    assert undecided.question in page and decided.question in page
    assert page.count("decided:") == 1 and "decided: hold: do not share" in page


def test_a_threat_shows_the_law_it_read_with_its_citations(cast: Cast) -> None:
    client = cast.client_for(cast.bob)
    response = client.post(
        reverse("assess_member", args=[cast.mia.id]),
        {
            "recipient": "law_enforcement",
            "purpose": "safety",
            "danger": "threat_to_identifiable_victim",
            "member_location": "us-tx",
            "said_in": "outside_session_casual",
            "agreement": "signed_before",
            "promise": "none",
            "member_request": "none",
        },
    )
    assert response.status_code == 302
    assessment = Assessment.objects.get()
    assert assessment.facts["member_location"] == "US-TX"
    page = html.unescape(client.get(response["Location"]).content.decode())
    assert "The law it read" in page
    assert "Duty to protect: permissive" in page  # Texas, where the member was
    assert "Tex. Health & Safety Code 611.004(a)(2)" in page

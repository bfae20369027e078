"""The demo practice's disclosure decisions, written through the real actions.

June's story continues (see ``contacts.demo``): Ada asks whether she may bring June's
after-group remark into the group. The records answer most of the facts: Ada is an MFT bound
by the AAMFT code and also June's individual therapist, June signed the group agreement before
the contact, asked explicitly to keep it out of the group, and was reminded of the agreement.
Ada decides to talk with June first. June then signs a written authorization for Ada to send a
referral letter to the outside therapist, and the letter is the one disclosure outside the
group in June's accounting.

Every person and event here is invented.
"""

from __future__ import annotations

import datetime

from groupguard.contacts.models import Contact
from groupguard.demo.practice import DemoPractice
from groupguard.disclosures import actions


def add_demo_disclosures(demo: DemoPractice, contacts: dict[str, Contact]) -> None:
    ada = demo.staff["ada"]
    june_contact = contacts["june"]
    june = june_contact.member_links.get().member
    assessment = actions.assess(
        member=june,
        acting_user=ada,
        contact=june_contact,
        question="June's renewed contact with her ex-husband, in the process group",
        answers={
            "recipient": "group",
            "purpose": "treatment",
            "relevant_to_treatment": True,
            "sensitive": True,
        },
    )
    actions.record_choice(
        assessment,
        kind="talk_first",
        note="Ask June in our next individual session whether she wants to raise it herself.",
        acting_user=ada,
    )
    referral = june_contact.referrals.get()
    signed = referral.accepted_on or demo.practice.today()
    actions.record_authorization(
        member=june,
        acting_user=ada,
        recipient="other_provider",
        recipient_detail=referral.to_name,
        purpose="A referral letter with the reason for referral and current treatment.",
        signed_on=signed,
        expires_on=signed + datetime.timedelta(days=365),
    )
    letter = actions.assess(
        member=june,
        acting_user=ada,
        question="Referral letter to the outside therapist",
        answers={
            "recipient": "third_party",
            "third_party": "other_provider",
            "purpose": "treatment",
            "said_in": "individual_therapy",
            "agreement": "signed_before",
            "promise": "none",
            "member_request": "none",
            "reminded_at_time": False,
            "member_told_in_advance": True,
        },
    )
    actions.record_choice(letter, kind="proceed", acting_user=ada)
    when = datetime.datetime.combine(signed, datetime.time(10, 0), tzinfo=demo.practice.tz)
    actions.record_disclosure(
        member=june,
        acting_user=ada,
        assessment=letter,
        recipient="other_provider",
        recipient_detail=referral.to_name,
        what="Referral letter: reason for referral and a summary of current treatment.",
        purpose="Continuity of care with the outside therapist June chose.",
        disclosed_at=min(when, datetime.datetime.now(tz=demo.practice.tz)),
    )

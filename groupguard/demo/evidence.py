"""The demo practice's complaint: June Ashgrove complains to the California Board of Behavioral
Sciences that Ada broke her confidence. The packet for it is what ``groupguard packet build``
makes from the demo. Every person and event here is invented."""

from __future__ import annotations

import datetime

from groupguard.demo.practice import DemoPractice
from groupguard.evidence import actions
from groupguard.evidence.models import Complaint


def add_demo_complaint(demo: DemoPractice) -> Complaint:
    june = next(m for m in demo.members if m.given_name == "Juniper")
    today = demo.practice.today()
    received = today - datetime.timedelta(days=10)
    return actions.record_complaint(
        member=june,
        acting_user=demo.staff["ada"],
        practitioner=demo.staff["ada"],
        board="California Board of Behavioral Sciences",
        reference="BBS-DEMO-0001",
        received_on=received,
        deadline=received + datetime.timedelta(days=21),
        allegation=(
            "The member alleges that her group facilitator, who is also her individual "
            "therapist, told the process group what she had said privately after a session, "
            "although she had asked that it stay between them."
        ),
        notes="Demo case: fictional.",
    )

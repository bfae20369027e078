"""Plain-language labels of the facts and answers on the disclosure pages and forms."""

from __future__ import annotations

LABELS = {
    "said_in": {
        "group_session": "In a group session",
        "outside_session_casual": "Outside the session, casually (after group, by phone)",
        "scheduled_one_on_one": "In a scheduled one-to-one",
        "individual_therapy": "In individual therapy with me",
        "written_message": "In a written message",
    },
    "agreement": {
        "signed_before": "Signed before it was said",
        "signed_after": "Signed only after it was said",
        "none": "No signed group agreement",
    },
    "promise": {"none": "No", "implied": "Implied", "express": "Yes, expressly"},
    "member_request": {"none": "No", "implied": "Implied", "explicit": "Explicitly"},
    "purpose": {
        "treatment": "The group's treatment",
        "safety": "Someone's safety",
        "legal_requirement": "A legal requirement",
        "other": "Something else",
    },
    "content": {
        "none": "None of these",
        "hiv": "An HIV test result or HIV status",
        "genetic": "A genetic test result",
        "minor_reproductive_health": "A minor's reproductive health care they consented to",
        "other_member": "Another member's information",
        "part2_record": "A record of substance-use treatment in a 42 CFR Part 2 program",
    },
    "referral": {
        "none": "None recorded",
        "offered": "Offered",
        "accepted": "Accepted",
        "declined": "Declined",
    },
    "policy": {
        "no_secrets": "No secrets",
        "limited_secrets": "Limited secrets",
        "discretion": "Facilitator's discretion",
    },
    "abuse": {
        "none": "No",
        "child": "Abuse or neglect of a child",
        "elder": "Abuse or neglect of an elder",
        "dependent_adult": "Abuse or neglect of a dependent adult",
        "domestic_violence": "Violence by a partner against an adult (domestic violence)",
    },
    "danger": {
        "none": "No",
        "threat_to_identifiable_victim": "A threat to an identifiable person",
        "danger_to_self": "A danger to themselves",
    },
}


FACT_LABELS = {
    "recipient": "Recipient",
    "third_party": "Who outside the group",
    "jurisdiction": "Jurisdiction",
    "member_location": "Where the member was",
    "profession": "Your licence",
    "ethics_code": "Your ethics code",
    "said_in": "Where it was said",
    "relationship": "Your role with the member",
    "agreement": "Group agreement",
    "promise": "Promise of confidentiality",
    "member_request": "Member asked for privacy",
    "member_objects": "Member objected",
    "reminded_at_time": "Reminded at the time",
    "member_told_in_advance": "Told in advance",
    "purpose": "Purpose",
    "relevant_to_treatment": "Matters to the group's work",
    "authorization": "Written authorization",
    "court_order": "Court order",
    "minor": "Member is a minor",
    "part2_program": "42 CFR Part 2 program",
    "sensitive": "Highly sensitive",
    "content": "Content with its own law",
    "policy": "Agreement's policy",
    "told_first_promised": "Agreement promises to tell first",
    "referral": "Referral to an individual therapist",
    "danger": "Danger",
    "reportable_abuse": "Report known to be required",
    "abuse": "Abuse",
    "documented_rationale": "Rationale written down",
}
LABELS["relationship"] = {
    "group_only": "Group facilitator only",
    "also_individual_therapist": "Also their individual therapist",
    "also_couple_or_family_therapist": "Also their couple or family therapist",
}

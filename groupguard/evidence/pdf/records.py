"""The packet PDF's records: contacts (full or compact), assessments, and the record tables."""

from __future__ import annotations

from groupguard.core import pdf
from groupguard.disclosures.engine import RULES_BY_ID, RULES_VERSION
from groupguard.disclosures.models import ChoiceKind
from groupguard.evidence.packet_model import ContactRecord, Packet
from groupguard.evidence.pdf.tables import (
    AUDIT,
    Clock,
    Column,
    also_text,
    at_cell,
    audit_text,
    choice_cell,
    counted,
    fact_text,
    promise_status_text,
    recipient_text,
    referral_status_text,
    rows_table,
    text_cell,
    validity_text,
    yes_no,
)
from groupguard.practice.models.sessions import AttendanceStatus

_INITIATORS = {"member": "The member", "facilitator": "The facilitator", "other": "Someone else"}


_REQUESTS = {
    "explicit": "Explicit: the member asked for it to stay private",
    "implied": "Implied: the member's words or manner showed they expected privacy",
    "none": "None",
    "unanswered": "Not answered: the facilitator has not recorded whether the member asked",
}


# The detector's suggestion, read from the wording of the summary: never an answer.
_SUGGESTIONS = {
    "explicit": "An explicit request",
    "implied": "An implied request",
    "none": "No request",
}


_LEVELS = {
    "low": "low: on these facts the general rules expect it to be shared in group",
    "elevated": "elevated: it may be shared, but some facts add risk; take the steps first",
    "high": "high: it may be shared only with care; consult before acting",
    "not_permitted": "not permitted: a rule forbids sharing it on these facts",
    "required": "required: the law requires it to be shared with this recipient",
}


_GROUPS: list[Column] = [
    ("Group", 2.4, lambda e, _: e["group"]["name"]),
    ("Joined", 1, at_cell("joined_on")),
    ("Left", 1, at_cell("left_on")),
    AUDIT,
]


_ROLES: list[Column] = [
    ("Practitioner", 1.2, text_cell("practitioner")),
    ("Role", 1.3, lambda r, _: r["label"] + (" (a dual role)" if r.get("dual") else "")),
    ("From", 0.9, at_cell("starts_on")),
    ("Until", 0.9, lambda r, clock: clock.when(r.get("ends_on")) or "ongoing"),
    ("Note", 2, text_cell("note")),
    AUDIT,
]


_AMENDMENTS: list[Column] = [
    ("When", 1.1, at_cell("created_at")),
    ("By", 1, text_cell("author")),
    (
        "Amendment",
        2.6,
        lambda a, _: (a.get("text") or "") + also_text("\nRequest now: ", a.get("request")),
    ),
    ("SHA-256", 1.3, text_cell("content_sha256")),
    AUDIT,
]


_PROMISES: list[Column] = [
    ("Made", 1.1, at_cell("made_at")),
    ("By", 1, text_cell("made_by")),
    ("What it covers", 2.4, text_cell("scope")),
    ("Status", 1.5, promise_status_text),
    AUDIT,
]


_REFERRALS: list[Column] = [
    ("Offered", 0.9, at_cell("offered_on")),
    ("By", 1, text_cell("offered_by")),
    ("To", 1.1, text_cell("to")),
    ("Reason", 2.4, text_cell("reason")),
    ("Status", 1, referral_status_text),
    AUDIT,
]


_CHOICES: list[Column] = [
    ("When", 1.1, at_cell("at")),
    ("Who", 1, text_cell("decided_by")),
    ("Choice", 1.3, choice_cell("kind", ChoiceKind)),
    ("Note", 2.4, text_cell("note")),
    AUDIT,
]


_DISCLOSURES: list[Column] = [
    ("When", 1, at_cell("disclosed_at")),
    ("Shared with", 1.2, lambda d, _: recipient_text(d)),
    ("What", 1.8, text_cell("what")),
    ("Purpose", 1.6, text_cell("purpose")),
    ("Recorded by", 0.9, text_cell("recorded_by")),
    ("Outside the group", 0.75, lambda d, _: yes_no(d.get("outside_group"))),
    AUDIT,
]


_AUTHORIZATIONS: list[Column] = [
    ("Signed", 0.9, at_cell("signed_on")),
    ("For", 1.3, lambda z, _: recipient_text(z)),
    ("Purpose", 2, text_cell("purpose")),
    ("Valid", 1, validity_text),
    ("Paper copy (SHA-256)", 1.3, text_cell("scan_sha256", "None uploaded")),
    AUDIT,
]


_ATTENDANCE: list[Column] = [
    ("Session", 1.4, at_cell("starts_at")),
    ("Group", 2.2, text_cell("group")),
    ("Attendance", 1.2, choice_cell("status", AttendanceStatus)),
    AUDIT,
]


def record_blocks(p: Packet, clock: Clock) -> list[pdf.Block]:
    outside = len(p.get("accounting") or [])
    return [
        *_contacts(p, clock),
        pdf.heading("Promises of confidentiality"),
        *rows_table(p.get("promises"), _PROMISES, clock, "No promise is recorded."),
        pdf.heading("Referrals"),
        *rows_table(p.get("referrals"), _REFERRALS, clock, "No referral is recorded."),
        *_assessments(p, clock),
        pdf.heading("Disclosures"),
        *rows_table(p.get("disclosures"), _DISCLOSURES, clock, "Nothing is recorded as shared."),
        pdf.paragraph(
            "The accounting of disclosures, the list of what was shared outside the group that "
            f"a member may ask to see, holds {counted(outside, 'item')}."
        ),
        pdf.heading("Written authorizations"),
        *rows_table(p.get("authorizations"), _AUTHORIZATIONS, clock, "None is recorded."),
        pdf.heading("Attendance"),
        *rows_table(p.get("attendance"), _ATTENDANCE, clock, "No attendance is recorded."),
        pdf.heading("Groups"),
        *rows_table(p.get("enrollments"), _GROUPS, clock, "No group membership is recorded."),
        pdf.heading("Practitioners' roles"),
        *rows_table(p.get("roles"), _ROLES, clock, "No role is recorded."),
    ]


def _contacts(p: Packet, clock: Clock) -> list[pdf.Block]:
    contacts = p.get("contacts") or []
    blocks = [pdf.heading("Contacts outside the group")]
    if not contacts:
        return [*blocks, pdf.paragraph("No contact outside the group is recorded.")]
    if len(contacts) > COMPACT_AFTER:
        return [*blocks, *_contacts_compact(contacts, clock)]
    for n, c in enumerate(contacts, start=1):
        present = ", ".join(x for x in [*c.get("with_others", []), c.get("others_present")] if x)
        request = _decided(c)
        responses = c.get("responses") or {}
        rows = [
            ("Group", c.get("group") or ""),
            ("Facilitator", c.get("facilitator") or ""),
            ("Setting", c.get("setting_label") or c.get("setting") or ""),
            ("Started by", _INITIATORS.get(c.get("initiated_by") or "", "")),
            ("Also present", present or "No one else recorded"),
            ("Request for confidentiality, as the facilitator answered", request),
            ("What the detector suggested", _suggested(c)),
            ("Reminded of the agreement", yes_no(responses.get("reminded_agreement"))),
            ("Offered a referral", yes_no(responses.get("offered_referral"))),
            ("Promised confidentiality", yes_no(responses.get("promised_confidentiality"))),
            ("Follow-up", c.get("follow_up") or "None recorded"),
            ("SHA-256 of the record", c.get("content_sha256") or ""),
            ("Audit", audit_text(c.get("audit"))),
        ]
        summary = c.get("summary") or "No summary was written."
        if c.get("summary_redacted"):
            summary += "\n(Other members' names in this text are replaced with pseudonyms.)"
        blocks += [
            pdf.heading(f"Contact {n}: {clock.when(c.get('occurred_at'))}", level=2),
            pdf.table(["Detail", "As recorded"], rows, widths=(1, 2.8)),
            pdf.heading("The summary, as written at the time", level=3),
            pdf.paragraph(summary),
        ]
        if c.get("amendments"):
            blocks.append(pdf.heading("Amendments (the summary above is unchanged)", level=3))
            blocks += rows_table(c["amendments"], _AMENDMENTS, clock, "")
    return blocks


def _decided(c: ContactRecord) -> str:
    """The request as the facilitator answered it (or that they have not)."""
    request = _REQUESTS.get(c.get("request") or "none", str(c.get("request")))
    recorded = c.get("request_recorded")
    if recorded and recorded != c.get("request"):
        if recorded == "unanswered":
            request += " (not answered in the entry; answered by an amendment)"
        else:
            request += f" (first recorded as {recorded}, changed by an amendment)"
    return request


def _suggested(c: ContactRecord) -> str:
    """What the detector read in the summary when it was saved: a suggestion, not an answer."""
    detected = c.get("detected_request")
    if not detected:
        return "Not recorded"
    text = _SUGGESTIONS.get(detected, str(detected)) + ", from the wording of the summary"
    if c.get("detector"):
        text += f" (detector {c['detector']})"
    if c.get("request") == "unanswered":
        return text + "; it was not taken as the answer"
    return text + ("; the facilitator agreed" if detected == c.get("request") else "")


# Beyond this many contacts, one row each: a complaint usually turns on a few contacts, which
# get a page each; hundreds would make a packet of thousands of pages.
COMPACT_AFTER = 30


def _contacts_compact(contacts: list[ContactRecord], clock: Clock) -> list[pdf.Block]:
    rows = []
    for n, c in enumerate(contacts, start=1):
        responses = c.get("responses") or {}
        answered = [
            text
            for key, text in (
                ("reminded_agreement", "reminded"),
                ("offered_referral", "referral offered"),
                ("promised_confidentiality", "PROMISED"),
            )
            if responses.get(key)
        ]
        request = _REQUESTS.get(c.get("request") or "none", str(c.get("request")))
        detected = c.get("detected_request")
        if detected and detected != c.get("request"):
            request += f" (the detector suggested {detected})"
        summary = c.get("summary") or ""
        for a in c.get("amendments") or []:
            summary += f"\nAmended by {a.get('author')}: {a.get('text')}"
        rows.append(
            (
                str(n),
                clock.when(c.get("occurred_at")),
                f"{c.get('setting_label') or c.get('setting')}; {c.get('facilitator')}",
                f"{request}; {', '.join(answered) or 'no response recorded'}",
                summary,
                audit_text(c.get("audit")),
            )
        )
    return [
        pdf.paragraph(
            f"{len(contacts)} contacts, one row each, oldest first. The SHA-256 of each record "
            "is in packet.json, and its audit entry in proofs.json."
        ),
        pdf.table(
            ["#", "When", "Setting, facilitator", "Request; response", "Summary", "Audit"],
            rows,
            widths=(0.35, 1.2, 1.3, 1.4, 3.2, 0.6),
        ),
    ]


def _assessments(p: Packet, clock: Clock) -> list[pdf.Block]:
    assessments = p.get("assessments") or []
    blocks = [pdf.heading("Assessments: may it be shared?")]
    if not assessments:
        return [*blocks, pdf.paragraph("No assessment is recorded.")]
    blocks.append(
        pdf.paragraph(
            "Before sharing something, a practitioner can enter the facts and get a level of "
            "concern from published rules, with the rules that set it and next steps. Each "
            "assessment shows what was entered, what came out, and what the practitioner chose."
        )
    )
    contact_numbers = {c["id"]: n for n, c in enumerate(p.get("contacts") or [], start=1)}
    for n, a in enumerate(assessments, start=1):
        version = a.get("rules_version") or ""
        contact = contact_numbers.get(a.get("contact") or "")
        rows = [
            ("Asked by", a.get("asked_by") or ""),
            ("When", clock.when(a.get("created_at"))),
            ("About", f"Contact {contact} above" if contact else "No contact in this packet"),
            ("Level", _LEVELS.get(a.get("level") or "", str(a.get("level")))),
            ("Rules version", version),
            ("Audit", audit_text(a.get("audit"))),
        ]
        determining = a.get("determining") or []
        others = [f for f in a.get("factors") or [] if f not in determining]
        sources = a.get("sources") or {}
        facts = [
            (name.replace("_", " "), fact_text(value), sources.get(name) or "")
            for name, value in sorted((a.get("facts") or {}).items())
        ]
        steps = "\n".join(f"{k}. {r}" for k, r in enumerate(a.get("recommendations") or [], 1))
        blocks += [
            pdf.heading(f"Assessment {n}: {a.get('question') or ''}", level=2),
            pdf.table(["Detail", "As recorded"], rows, widths=(1, 2.8)),
            pdf.heading("Rules that set the level", level=3),
        ]
        if version == RULES_VERSION and determining:
            # The rules' wording is known here only for the rules version this code carries.
            why = [(r, RULES_BY_ID[r].explanation if r in RULES_BY_ID else "") for r in determining]
            blocks.append(pdf.table(["Rule", "Why it applied"], why, widths=(1.3, 3)))
        else:
            blocks.append(pdf.paragraph(", ".join(determining) or "None listed."))
        if others:
            blocks.append(pdf.paragraph("Other rules that applied: " + ", ".join(others) + "."))
        blocks += [
            pdf.heading("Facts weighed", level=3),
            pdf.table(["Fact", "Value", "Where it came from"], facts, widths=(1.2, 1, 2.6))
            if facts
            else pdf.paragraph("None recorded."),
            pdf.heading("Steps recommended", level=3),
            pdf.paragraph(steps or "None."),
            pdf.heading("What the practitioner chose", level=3),
            *rows_table(a.get("choices"), _CHOICES, clock, "No choice is recorded."),
        ]
    return blocks

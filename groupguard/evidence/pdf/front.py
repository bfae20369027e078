"""The packet PDF's first pages: the cover and the key facts."""

from __future__ import annotations

from groupguard.contacts.models import PromiseStatus
from groupguard.core import pdf
from groupguard.evidence.packet_model import Packet
from groupguard.evidence.pdf.tables import (
    Clock,
    choice_label,
    counted,
    recipient_text,
    referral_status_text,
    role_text,
)

_NOT_ADVICE = (
    "This packet records what the practice documented and when. It is meant to support the "
    "practice's own review of the complaint and its response. It is not legal advice and does "
    "not decide whether any rule or law was broken; for that, ask a lawyer or your "
    "professional association's risk line."
)


_HOW_TO_CHECK = (
    "This PDF is for reading. The packet's packet.json holds the same records as data, and "
    "proofs.json holds each audit entry cited here with a proof that it belongs to the log at "
    "the checkpoint above. Anyone can check both, with only the practice's public key, by "
    'running "groupguard packet verify" on the packet folder.'
)


_AUDIT_COLUMN = (
    'The numbers under "Audit" are the positions in the log of the entries that recorded each item.'
)


def cover_blocks(p: Packet, clock: Clock) -> list[pdf.Block]:
    member, practice = p["member"], p["practice"]
    who = member["name"]
    if member.get("preferred_name"):
        who += f' (goes by "{member["preferred_name"]}")'
    rows = [("Member", who)]
    if member.get("date_of_birth"):
        born = clock.when(member["date_of_birth"])
        rows.append(("Date of birth", born + (", a minor" if member.get("minor") else "")))
    period = p.get("period") or {}
    start, end = clock.when(period.get("from")), clock.when(period.get("to"))
    rows += [
        ("Practice", f"{practice['name']} ({practice.get('jurisdiction') or 'no jurisdiction'})"),
        (
            "Period covered",
            f"{start or 'the first record'} to {end or 'the last record'}"
            if start or end
            else "every record, with no start or end date",
        ),
        ("Times shown in", f"the practice's time zone, {clock.zone}"),
    ]
    blocks = [pdf.paragraph(_NOT_ADVICE), pdf.signature_block(rows)]

    complaint = p.get("complaint")
    if complaint:
        rows = [("From", complaint.get("board") or "")]
        if complaint.get("reference"):
            rows.append(("Their reference", complaint["reference"]))
        rows.append(("Received", clock.when(complaint["received_on"])))
        if complaint.get("deadline"):
            rows.append(("Response due", clock.when(complaint["deadline"])))
        named = complaint.get("practitioner")
        if named:
            rows.append(("Practitioner named", named))
        blocks += [pdf.heading("The complaint", level=2), pdf.signature_block(rows)]
        # Free text of any length: a paragraph may break across pages, a framed box may not.
        blocks.append(pdf.paragraph(f"What it alleges: {complaint.get('allegation') or ''}"))

    blocks.append(pdf.heading("Proved against this checkpoint of the audit log", level=2))
    checkpoint = p.get("checkpoint")
    if checkpoint:
        rows = [
            ("Log size", f"{checkpoint['tree_size']} entries"),
            ("Root hash", str(checkpoint.get("root_hash") or "")),
            ("Signed at", clock.when(checkpoint.get("timestamp"))),
            ("Log", str(checkpoint.get("origin") or "")),
        ]
        blocks.append(pdf.signature_block(rows))
    else:
        blocks.append(pdf.paragraph("None: these records are not proved against the audit log."))

    names = p.get("pseudonyms") or []
    if names:
        shown = names[0] if len(names) == 1 else f"{names[0]} to {names[-1]}"
        others = (
            f"Other members are never named here. Each appears as a pseudonym ({shown}), the "
            "same one throughout, and their names are replaced in free text as well."
        )
    else:
        others = "No other member appears in these records."
    check = f"{_HOW_TO_CHECK} {_AUDIT_COLUMN}" if checkpoint else _AUDIT_COLUMN
    return [
        *blocks,
        pdf.heading("Reading this packet", level=2),
        pdf.paragraph(others),
        pdf.paragraph(check),
    ]


def key_fact_blocks(p: Packet, clock: Clock) -> list[pdf.Block]:
    summary = p.get("summary") or {}
    contacts = p.get("contacts") or []
    agreements = p.get("agreements") or {}
    roles = p.get("roles") or []
    dual = [r for r in roles if r.get("dual")]
    rows = [
        ("Practitioners' roles", "; ".join(role_text(r, clock) for r in roles) or "None recorded."),
        (
            "Dual roles",
            "Yes. " + "; ".join(f"{r['practitioner']}: {r['label']}" for r in dual) + ". A member "
            "may expect what they tell someone in that other role to stay between them."
            if dual
            else "None recorded.",
        ),
    ]

    first = summary.get("first_contact") or (contacts[0]["occurred_at"] if contacts else None)
    signed = [
        (
            s["signed_at"],
            f"version {s['version']} of the agreement of {s['group']} on "
            f"{clock.when(s['signed_at'])}",
        )
        for s in sorted(agreements.get("signatures") or [], key=lambda s: s["signed_at"])
    ]
    if not first:
        answer = "No contact outside the group is recorded, so there is no first contact."
        if signed:
            answer += " The member signed " + "; ".join(d for _, d in signed) + "."
    else:
        before = [d for at, d in signed if at <= first]
        after = [d for at, d in signed if at > first]
        answer = f"The first recorded contact was on {clock.when(first)}. "
        if before:
            answer = f"Yes. {answer}Before it the member signed {'; '.join(before)}."
        else:
            answer = f"No. {answer}No signature before it is recorded."
        if after:
            answer += f" Signed later: {'; '.join(after)}."
    rows.append(("Agreement signed before the first contact", answer))

    promises = p.get("promises") or []
    made = [
        f"by {x['made_by']} on {clock.when(x['made_at'])} "
        f"({choice_label(PromiseStatus, x['status']).lower()})"
        for x in promises
    ]
    rows.append(
        (
            "Confidentiality promised",
            f"Yes: {counted(len(made), 'promise')}, {'; '.join(made)}."
            if made
            else "No promise of confidentiality is recorded.",
        )
    )
    offered = [
        f"to {r['to']}, offered by {r['offered_by']} on {clock.when(r['offered_on'])}: "
        f"{referral_status_text(r, clock)}"
        for r in p.get("referrals") or []
    ]
    rows.append(
        ("Referral offered", f"Yes, {'; '.join(offered)}." if offered else "None recorded.")
    )

    requests = summary.get("requests") or {}
    if contacts:
        of = f"of {counted(len(contacts), 'contact')} outside the group"
        asked = (
            f"An explicit request at {requests.get('explicit', 0)} and an implied one at "
            f"{requests.get('implied', 0)}, {of}."
        )
        if requests.get("unanswered"):
            asked += (
                f" Not answered by the facilitator at {requests['unanswered']}: whether the "
                "member asked is not recorded there."
            )
        reminded = f"At {summary.get('reminded_of_agreement', 0)} {of}."
    else:
        asked = reminded = "No contact outside the group is recorded."
    rows += [("Asked for confidentiality", asked), ("Reminded of the agreement", reminded)]

    assessed = [
        f"{clock.when(a['created_at'])}: {a['question']} (level {a['level']})"
        for a in p.get("assessments") or []
    ]
    outside = [
        f"{clock.when(d['disclosed_at'])}: with {_lower_first(recipient_text(d))}"
        for d in p.get("accounting") or []
    ]
    rows += [
        ("Assessments before sharing", "; ".join(assessed) or "None recorded."),
        ("Shared outside the group", "; ".join(outside) or "Nothing recorded."),
    ]
    for w in agreements.get("withdrawals") or []:
        rows.append(("Consent withdrawn", clock.when(w.get("withdrawn_at"))))
    return [
        pdf.heading("Key facts"),
        pdf.paragraph("In short, from the records that follow, where each is set out in full."),
        pdf.table(["Question", "What the records show"], rows, widths=(1, 2.8)),
    ]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]

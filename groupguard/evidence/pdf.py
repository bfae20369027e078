"""``packet.pdf``: an evidence packet laid out for paper, from its content (packet.json).

The PDF says nothing that packet.json does not: it reads only the plain dict ``collect`` made
(``evidence.packet``), so it can be rebuilt from packet.json alone, and the same dict always
gives the same bytes (the core engine is deterministic and nothing here reads the clock).
Moments print in the practice's time zone; days (a role's start, a referral's offer) print as
days.

Pages: a cover (who, the complaint, the checkpoint, how to read and check the packet), the key
facts, the timeline, the records section by section, then the appendices (the full text of
every agreement version, the signatures, the audit entries cited). The footer names the member
and the checkpoint's size on every page, beside the core engine's "Page X of Y". Most record
sections are tables described as data: a column is (header, relative width, cell function).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import models

from groupguard.agreements.models import Policy, SignatureMethod
from groupguard.contacts.models import PromiseStatus, ReferralStatus
from groupguard.core import pdf
from groupguard.disclosures.engine import RULES_BY_ID, RULES_VERSION
from groupguard.disclosures.models import ChoiceKind, Recipient
from groupguard.evidence.packet_model import ContactRecord, Packet, RoleRecord
from groupguard.practice.models.sessions import AttendanceStatus

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
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


def packet_pdf(packet: Packet) -> bytes:
    """The packet as PDF bytes. Only ``member`` and ``practice`` are required keys."""
    clock = _Clock(packet["practice"].get("timezone") or "UTC")
    name = packet["member"]["name"]
    checkpoint = packet.get("checkpoint")
    size = f"checkpoint {checkpoint['tree_size']}" if checkpoint else "no checkpoint"
    blocks = [
        *_cover(packet, clock),
        pdf.page_break(),
        *_key_facts(packet, clock),
        pdf.page_break(),
        pdf.heading("Timeline"),
        pdf.paragraph(f"Everything in this packet, in order, in the time zone {clock.zone}."),
        *_table(packet.get("timeline"), _TIMELINE, clock, "Nothing is recorded.", sort=True),
        pdf.page_break(),
        *_records(packet, clock),
        *_appendices(packet, clock),
    ]
    document = pdf.Document(
        title="Evidence packet",
        subtitle=f"{name} · {packet['practice']['name']}",
        blocks=tuple(blocks),
        footer=f"Evidence packet · {name} · {size}",
    )
    return pdf.render_pdf(document)


class _Clock:
    """Formats the packet's moments (UTC, ISO 8601) and days in the practice's time zone."""

    def __init__(self, zone: str) -> None:
        try:
            self.tz: datetime.tzinfo = ZoneInfo(zone)
            self.zone = zone
        except (ZoneInfoNotFoundError, ValueError):
            self.tz, self.zone = datetime.UTC, "UTC"

    def _parse(self, value: str) -> datetime.datetime | datetime.date:
        if "T" not in value:
            return datetime.date.fromisoformat(value)
        moment = datetime.datetime.fromisoformat(value)
        if moment.tzinfo is None:  # never the machine's own zone: that would change the bytes
            moment = moment.replace(tzinfo=datetime.UTC)
        return moment.astimezone(self.tz)

    def when(self, value: str | None) -> str:
        """ "3 Nov 2026" for a day, "3 Nov 2026, 19:40 PST" for a moment, "" for nothing."""
        if not value:
            return ""
        try:
            moment = self._parse(value)
        except ValueError:
            return str(value)
        day = f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year}"
        if isinstance(moment, datetime.datetime):
            return f"{day}, {moment:%H:%M} {moment.tzname()}"
        return day

    def local_day(self, value: str | None) -> str:
        """The local day in ISO form, to sort by ("" first, as in evidence.packet)."""
        try:
            moment = self._parse(value) if value else None
        except ValueError:
            return str(value)
        if isinstance(moment, datetime.datetime):
            moment = moment.date()
        return moment.isoformat() if moment else ""


def _label(choices: type[models.TextChoices], value: Any) -> str:
    """The label of a stored value; an unknown value (a newer packet) prints as itself."""
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "")


def _audit(indexes: Iterable[int] | None) -> str:
    return ", ".join(str(i) for i in indexes or ())


def _count(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _yes(value: Any) -> str:
    return "Yes" if value else "No"


def _role(r: RoleRecord, clock: _Clock) -> str:
    until = f"to {clock.when(r['ends_on'])}" if r.get("ends_on") else "ongoing"
    return f"{r['practitioner']}: {r['label']} (from {clock.when(r.get('starts_on'))}, {until})"


def _referral_status(r: Mapping[str, Any], clock: _Clock) -> str:
    status = r.get("status") or ""
    text = _label(ReferralStatus, status).lower() or "no status"
    day = r.get(f"{status}_on")  # accepted_on, declined_on, completed_on
    return f"{text} on {clock.when(day)}" if day else text


def _recipient(d: Mapping[str, Any]) -> str:
    label = d.get("recipient_label") or _label(Recipient, d.get("recipient"))
    return f"{label} ({d['recipient_detail']})" if d.get("recipient_detail") else label


def _also(prefix: str, value: Any) -> str:
    """``prefix`` and ``value`` when there is a value, else nothing."""
    return f"{prefix}{value}" if value else ""


def _promise_status(x: Mapping[str, Any], clock: _Clock) -> str:
    status = _label(PromiseStatus, x.get("status"))
    if x.get("closed_at"):
        status += f", {clock.when(x['closed_at'])}"
    return status + _also(": ", x.get("closing_note"))


def _signed_how(s: Mapping[str, Any], _: _Clock) -> str:
    return _label(SignatureMethod, s.get("method")) + _also(", scan SHA-256 ", s.get("scan_sha256"))


def _validity(z: Mapping[str, Any], clock: _Clock) -> str:
    if z.get("revoked_at"):
        return f"Revoked {clock.when(z['revoked_at'])}"
    return f"Until {clock.when(z['expires_on'])}" if z.get("expires_on") else "No end date"


def _fact(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "not given" if value is None else str(value).replace("_", " ")


# ---- tables as data -------------------------------------------------------------------------

Cell = Callable[[Mapping[str, Any], _Clock], str]
Column = tuple[str, float, Cell]


def _at(key: str) -> Cell:
    return lambda row, clock: clock.when(row.get(key))


def _text(key: str, empty: str = "") -> Cell:
    return lambda row, _: str(row.get(key) or empty)


def _choice(key: str, choices: type[models.TextChoices]) -> Cell:
    return lambda row, _: _label(choices, row.get(key))


def _table(
    items: Sequence[Mapping[str, Any]] | None,
    columns: Sequence[Column],
    clock: _Clock,
    empty: str,
    *,
    sort: bool = False,
) -> list[pdf.Block]:
    """One row per item, or the sentence ``empty`` when there is none."""
    items = items or []
    if sort:
        # evidence.packet sorts by the UTC text, where a day ("2026-11-04") can come before a moment
        # of the evening before in the practice's zone ("2026-11-04T03:40:00Z"); readers go by
        # the local day, so sort by it, keeping the packet's order within a day.
        items = sorted(items, key=lambda item: clock.local_day(item.get("at")))
    if not items:
        return [pdf.paragraph(empty)]
    rows = [[cell(item, clock) for _, _, cell in columns] for item in items]
    return [pdf.table([c[0] for c in columns], rows, widths=[c[1] for c in columns])]


_AUDIT: Column = ("Audit", 0.6, lambda row, _: _audit(row.get("audit")))
_TIMELINE: list[Column] = [
    ("When", 1.25, _at("at")),
    ("What happened", 2, _text("title")),
    ("Detail", 2.6, _text("detail")),
    _AUDIT,
]
_GROUPS: list[Column] = [
    ("Group", 2.4, lambda e, _: e["group"]["name"]),
    ("Joined", 1, _at("joined_on")),
    ("Left", 1, _at("left_on")),
    _AUDIT,
]
_ROLES: list[Column] = [
    ("Practitioner", 1.2, _text("practitioner")),
    ("Role", 1.3, lambda r, _: r["label"] + (" (a dual role)" if r.get("dual") else "")),
    ("From", 0.9, _at("starts_on")),
    ("Until", 0.9, lambda r, clock: clock.when(r.get("ends_on")) or "ongoing"),
    ("Note", 2, _text("note")),
    _AUDIT,
]
_AMENDMENTS: list[Column] = [
    ("When", 1.1, _at("created_at")),
    ("By", 1, _text("author")),
    (
        "Amendment",
        2.6,
        lambda a, _: (a.get("text") or "") + _also("\nRequest now: ", a.get("request")),
    ),
    ("SHA-256", 1.3, _text("content_sha256")),
    _AUDIT,
]
_PROMISES: list[Column] = [
    ("Made", 1.1, _at("made_at")),
    ("By", 1, _text("made_by")),
    ("What it covers", 2.4, _text("scope")),
    ("Status", 1.5, _promise_status),
    _AUDIT,
]
_REFERRALS: list[Column] = [
    ("Offered", 0.9, _at("offered_on")),
    ("By", 1, _text("offered_by")),
    ("To", 1.1, _text("to")),
    ("Reason", 2.4, _text("reason")),
    ("Status", 1, _referral_status),
    _AUDIT,
]
_CHOICES: list[Column] = [
    ("When", 1.1, _at("at")),
    ("Who", 1, _text("decided_by")),
    ("Choice", 1.3, _choice("kind", ChoiceKind)),
    ("Note", 2.4, _text("note")),
    _AUDIT,
]
_DISCLOSURES: list[Column] = [
    ("When", 1, _at("disclosed_at")),
    ("Shared with", 1.2, lambda d, _: _recipient(d)),
    ("What", 1.8, _text("what")),
    ("Purpose", 1.6, _text("purpose")),
    ("Recorded by", 0.9, _text("recorded_by")),
    ("Outside the group", 0.75, lambda d, _: _yes(d.get("outside_group"))),
    _AUDIT,
]
_AUTHORIZATIONS: list[Column] = [
    ("Signed", 0.9, _at("signed_on")),
    ("For", 1.3, lambda z, _: _recipient(z)),
    ("Purpose", 2, _text("purpose")),
    ("Valid", 1, _validity),
    ("Paper copy (SHA-256)", 1.3, _text("scan_sha256", "None uploaded")),
    _AUDIT,
]
_ATTENDANCE: list[Column] = [
    ("Session", 1.4, _at("starts_at")),
    ("Group", 2.2, _text("group")),
    ("Attendance", 1.2, _choice("status", AttendanceStatus)),
    _AUDIT,
]
_SIGNATURES: list[Column] = [
    ("Signed", 1, _at("signed_at")),
    ("Group", 1.2, _text("group")),
    ("Version", 0.6, _text("version")),
    (
        "Typed name",
        1.1,
        lambda s, _: s["typed_name"] + _also(", guardian: ", s.get("guardian_name")),
    ),
    ("How", 1.3, _signed_how),
    ("SHA-256 of the version", 1.4, _text("version_sha256")),
    _AUDIT,
]
_WITHDRAWALS: list[Column] = [
    ("When", 1, _at("withdrawn_at")),
    ("Reason", 3, _text("reason")),
    _AUDIT,
]
_OVERRIDES: list[Column] = [
    ("Session", 1, _at("starts_at")),
    ("Reason", 3, _text("reason")),
    _AUDIT,
]


# ---- the sections ---------------------------------------------------------------------------


def _cover(p: Packet, clock: _Clock) -> list[pdf.Block]:
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


def _key_facts(p: Packet, clock: _Clock) -> list[pdf.Block]:
    summary = p.get("summary") or {}
    contacts = p.get("contacts") or []
    agreements = p.get("agreements") or {}
    roles = p.get("roles") or []
    dual = [r for r in roles if r.get("dual")]
    rows = [
        ("Practitioners' roles", "; ".join(_role(r, clock) for r in roles) or "None recorded."),
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
        f"({_label(PromiseStatus, x['status']).lower()})"
        for x in promises
    ]
    rows.append(
        (
            "Confidentiality promised",
            f"Yes: {_count(len(made), 'promise')}, {'; '.join(made)}."
            if made
            else "No promise of confidentiality is recorded.",
        )
    )
    offered = [
        f"to {r['to']}, offered by {r['offered_by']} on {clock.when(r['offered_on'])}: "
        f"{_referral_status(r, clock)}"
        for r in p.get("referrals") or []
    ]
    rows.append(
        ("Referral offered", f"Yes, {'; '.join(offered)}." if offered else "None recorded.")
    )

    requests = summary.get("requests") or {}
    if contacts:
        of = f"of {_count(len(contacts), 'contact')} outside the group"
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
        f"{clock.when(d['disclosed_at'])}: with {_recipient(d)[:1].lower()}{_recipient(d)[1:]}"
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


def _records(p: Packet, clock: _Clock) -> list[pdf.Block]:
    outside = len(p.get("accounting") or [])
    return [
        *_contacts(p, clock),
        pdf.heading("Promises of confidentiality"),
        *_table(p.get("promises"), _PROMISES, clock, "No promise is recorded."),
        pdf.heading("Referrals"),
        *_table(p.get("referrals"), _REFERRALS, clock, "No referral is recorded."),
        *_assessments(p, clock),
        pdf.heading("Disclosures"),
        *_table(p.get("disclosures"), _DISCLOSURES, clock, "Nothing is recorded as shared."),
        pdf.paragraph(
            "The accounting of disclosures, the list of what was shared outside the group that "
            f"a member may ask to see, holds {_count(outside, 'item')}."
        ),
        pdf.heading("Written authorizations"),
        *_table(p.get("authorizations"), _AUTHORIZATIONS, clock, "None is recorded."),
        pdf.heading("Attendance"),
        *_table(p.get("attendance"), _ATTENDANCE, clock, "No attendance is recorded."),
        pdf.heading("Groups"),
        *_table(p.get("enrollments"), _GROUPS, clock, "No group membership is recorded."),
        pdf.heading("Practitioners' roles"),
        *_table(p.get("roles"), _ROLES, clock, "No role is recorded."),
    ]


def _contacts(p: Packet, clock: _Clock) -> list[pdf.Block]:
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
            ("Reminded of the agreement", _yes(responses.get("reminded_agreement"))),
            ("Offered a referral", _yes(responses.get("offered_referral"))),
            ("Promised confidentiality", _yes(responses.get("promised_confidentiality"))),
            ("Follow-up", c.get("follow_up") or "None recorded"),
            ("SHA-256 of the record", c.get("content_sha256") or ""),
            ("Audit", _audit(c.get("audit"))),
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
            blocks += _table(c["amendments"], _AMENDMENTS, clock, "")
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


def _contacts_compact(contacts: list[ContactRecord], clock: _Clock) -> list[pdf.Block]:
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
                _audit(c.get("audit")),
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


def _assessments(p: Packet, clock: _Clock) -> list[pdf.Block]:
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
            ("Audit", _audit(a.get("audit"))),
        ]
        determining = a.get("determining") or []
        others = [f for f in a.get("factors") or [] if f not in determining]
        sources = a.get("sources") or {}
        facts = [
            (name.replace("_", " "), _fact(value), sources.get(name) or "")
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
            *_table(a.get("choices"), _CHOICES, clock, "No choice is recorded."),
        ]
    return blocks


def _appendices(p: Packet, clock: _Clock) -> list[pdf.Block]:
    agreements = p.get("agreements") or {}
    versions = agreements.get("versions") or []
    blocks = [pdf.page_break(), pdf.heading("Appendix A: agreements")]
    blocks.append(
        pdf.paragraph(
            f"The full text of every version of the agreements of the member's groups "
            f"({_count(len(versions), 'version')})."
            if versions
            else "No agreement is recorded for the member's groups."
        )
    )
    for n, v in enumerate(versions, start=1):
        rows = [
            ("Group", v["group"]),
            ("Version", str(v["number"])),
            ("Effective", clock.when(v.get("effective_on"))),
            ("Policy", _label(Policy, v.get("policy"))),
            ("SHA-256 of the text", v.get("sha256") or ""),
            ("Audit", _audit(v.get("audit"))),
        ]
        if n > 1:  # the first follows the appendix's heading on its page
            blocks.append(pdf.page_break())
        blocks += [
            pdf.heading(f"A.{n}: {v['group']}, version {v['number']}", level=2),
            pdf.signature_block(rows),
        ]
        if v.get("text_redacted"):
            blocks.append(
                pdf.paragraph(
                    "Other members' names in this text are replaced with pseudonyms, so it no "
                    "longer matches the SHA-256 above, which is that of the text as published."
                )
            )
        text = v.get("text") or ""
        blocks += [pdf.paragraph(part) for part in text.split("\n\n") if part.strip()]

    blocks += [
        pdf.page_break(),
        pdf.heading("Appendix B: signatures"),
        *_table(agreements.get("signatures"), _SIGNATURES, clock, "No signature is recorded."),
    ]
    if agreements.get("withdrawals"):
        blocks.append(pdf.heading("Withdrawals of consent", level=2))
        blocks += _table(agreements["withdrawals"], _WITHDRAWALS, clock, "")
    if agreements.get("overrides"):
        blocks.append(pdf.heading("Sessions attended without a signature, by override", level=2))
        blocks += _table(agreements["overrides"], _OVERRIDES, clock, "")

    audit = p.get("audit") or {}
    entries = audit.get("entries") or []
    cited = f"This packet cites {_count(len(entries), 'audit entry', 'audit entries')}"
    cited += f": {_audit(entries)}." if entries else "."
    if audit.get("reads_not_listed"):
        cited += (
            " Entries that record only that someone viewed, listed or exported these records "
            f"({audit['reads_not_listed']}) are left out."
        )
    return [*blocks, pdf.heading("Appendix C: audit entries cited"), pdf.paragraph(cited)]

"""The packet PDF's appendices: the agreement texts, the rules and how to check the packet."""

from __future__ import annotations

from groupguard.agreements.models import Policy
from groupguard.core import pdf
from groupguard.evidence.packet_model import Packet
from groupguard.evidence.pdf.tables import (
    AUDIT,
    Clock,
    Column,
    also_text,
    at_cell,
    audit_text,
    choice_label,
    counted,
    rows_table,
    signed_how_text,
    text_cell,
)

_SIGNATURES: list[Column] = [
    ("Signed", 1, at_cell("signed_at")),
    ("Group", 1.2, text_cell("group")),
    ("Version", 0.6, text_cell("version")),
    (
        "Typed name",
        1.1,
        lambda s, _: s["typed_name"] + also_text(", guardian: ", s.get("guardian_name")),
    ),
    ("How", 1.3, signed_how_text),
    ("SHA-256 of the version", 1.4, text_cell("version_sha256")),
    AUDIT,
]


_WITHDRAWALS: list[Column] = [
    ("When", 1, at_cell("withdrawn_at")),
    ("Reason", 3, text_cell("reason")),
    AUDIT,
]


_OVERRIDES: list[Column] = [
    ("Session", 1, at_cell("starts_at")),
    ("Reason", 3, text_cell("reason")),
    AUDIT,
]


def appendix_blocks(p: Packet, clock: Clock) -> list[pdf.Block]:
    agreements = p.get("agreements") or {}
    versions = agreements.get("versions") or []
    blocks = [pdf.page_break(), pdf.heading("Appendix A: agreements")]
    blocks.append(
        pdf.paragraph(
            f"The full text of every version of the agreements of the member's groups "
            f"({counted(len(versions), 'version')})."
            if versions
            else "No agreement is recorded for the member's groups."
        )
    )
    for n, v in enumerate(versions, start=1):
        rows = [
            ("Group", v["group"]),
            ("Version", str(v["number"])),
            ("Effective", clock.when(v.get("effective_on"))),
            ("Policy", choice_label(Policy, v.get("policy"))),
            ("SHA-256 of the text", v.get("sha256") or ""),
            ("Audit", audit_text(v.get("audit"))),
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
        *rows_table(agreements.get("signatures"), _SIGNATURES, clock, "No signature is recorded."),
    ]
    if agreements.get("withdrawals"):
        blocks.append(pdf.heading("Withdrawals of consent", level=2))
        blocks += rows_table(agreements["withdrawals"], _WITHDRAWALS, clock, "")
    if agreements.get("overrides"):
        blocks.append(pdf.heading("Sessions attended without a signature, by override", level=2))
        blocks += rows_table(agreements["overrides"], _OVERRIDES, clock, "")

    audit = p.get("audit") or {}
    entries = audit.get("entries") or []
    cited = f"This packet cites {counted(len(entries), 'audit entry', 'audit entries')}"
    cited += f": {audit_text(entries)}." if entries else "."
    if audit.get("reads_not_listed"):
        cited += (
            " Entries that record only that someone viewed, listed or exported these records "
            f"({audit['reads_not_listed']}) are left out."
        )
    return [*blocks, pdf.heading("Appendix C: audit entries cited"), pdf.paragraph(cited)]

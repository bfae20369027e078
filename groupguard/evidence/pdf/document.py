"""The packet PDF put together: the sections in order, laid out by the core PDF engine."""

from __future__ import annotations

from groupguard.core import pdf
from groupguard.evidence.packet_model import Packet
from groupguard.evidence.pdf.appendices import appendix_blocks
from groupguard.evidence.pdf.front import cover_blocks, key_fact_blocks
from groupguard.evidence.pdf.records import record_blocks
from groupguard.evidence.pdf.tables import AUDIT, Clock, Column, at_cell, rows_table, text_cell


def packet_pdf(packet: Packet) -> bytes:
    """The packet as PDF bytes. Only ``member`` and ``practice`` are required keys."""
    clock = Clock(packet["practice"].get("timezone") or "UTC")
    name = packet["member"]["name"]
    checkpoint = packet.get("checkpoint")
    size = f"checkpoint {checkpoint['tree_size']}" if checkpoint else "no checkpoint"
    blocks = [
        *cover_blocks(packet, clock),
        pdf.page_break(),
        *key_fact_blocks(packet, clock),
        pdf.page_break(),
        pdf.heading("Timeline"),
        pdf.paragraph(f"Everything in this packet, in order, in the time zone {clock.zone}."),
        *rows_table(packet.get("timeline"), _TIMELINE, clock, "Nothing is recorded.", sort=True),
        pdf.page_break(),
        *record_blocks(packet, clock),
        *appendix_blocks(packet, clock),
    ]
    document = pdf.Document(
        title="Evidence packet",
        subtitle=f"{name} · {packet['practice']['name']}",
        blocks=tuple(blocks),
        footer=f"Evidence packet · {name} · {size}",
    )
    return pdf.render_pdf(document)


_TIMELINE: list[Column] = [
    ("When", 1.25, at_cell("at")),
    ("What happened", 2, text_cell("title")),
    ("Detail", 2.6, text_cell("detail")),
    AUDIT,
]

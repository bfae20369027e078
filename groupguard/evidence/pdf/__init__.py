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

Modules: ``document`` (the whole PDF), ``tables`` (the clock, cells and tables as data),
``front`` (the cover and the key facts), ``records`` (contacts, assessments and the record
tables), ``appendices``.
"""

from __future__ import annotations

from groupguard.evidence.pdf.document import packet_pdf
from groupguard.evidence.pdf.records import COMPACT_AFTER
from groupguard.evidence.pdf.tables import Cell, Column

__all__ = [
    "COMPACT_AFTER",
    "Cell",
    "Column",
    "packet_pdf",
]

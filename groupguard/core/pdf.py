"""The product's one PDF engine: Typst, through the ``typst`` binding from PyPI.

A document is described as data (a ``Document`` of ``Block``s) and handed to one fixed Typst
template as a JSON string in ``sys.inputs``; the template decodes it with ``json(bytes(..))``
and places every string as text. User text is therefore never spliced into markup: a name or a
note containing ``#``, ``*``, ``$``, ``<``, ``@``, brackets or Typst code prints as itself and
cannot change the layout or break compilation.

Output is deterministic: the document carries no date (``date: none``, no timestamp passed),
Typst derives the PDF's identifier from the content, and only the fonts compiled into the
binding are used (system fonts are ignored), so the same ``Document`` gives the same bytes in
every process and on every machine with the same ``typst`` version. Another ``typst`` version
changes the bytes (the PDF names it as its Creator), hence the exact pin in pyproject.toml: a
re-render compares equal to an earlier copy only under the same version.

What the text goes through before rendering (``_clean``), so that it can neither break the
layout nor mislead a reader:

- line separators (CR, CRLF, U+2028/9, form feed) become line breaks, tabs become a space and
  other control characters are dropped;
- the explicit bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069)
  are dropped: an unclosed right-to-left override in a name would otherwise reverse the text
  after it ("Page 1 of 2" read as "2 fo 1 egaP"). Hebrew and Arabic text still runs right to
  left through the ordinary bidirectional algorithm;
- a lone surrogate becomes U+FFFD.

Fonts: Libertinus Serif, compiled into the binding, covers Latin, Greek, Cyrillic and Hebrew;
Arabic falls back to the bundled DejaVu Sans Mono. CJK and emoji are covered by no bundled font:
they print as empty boxes and are lost from the text layer (tests/core/test_pdf.py keeps a strict
xfail for it). Covering them means shipping font files and passing them as ``font_paths``.

Why Typst: measured on an 18-page table document it was the fastest engine that installs from
PyPI alone (0.13 s, against 0.27 s for reportlab, 0.81 s for fpdf2 and 1.33 s for WeasyPrint,
which also needs Pango from the system), with good typography, tables that repeat their header
on every page, and "Page X of Y" footers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import typst

__all__ = [
    "Block",
    "Document",
    "PDFError",
    "heading",
    "page_break",
    "paragraph",
    "render_pdf",
    "signature_block",
    "table",
]

KINDS = frozenset({"heading", "paragraph", "table", "pagebreak", "signature"})

# The template reads everything it prints from `data`; no Python value is ever formatted into
# this string. `txt` turns a string into text, its line breaks into forced line breaks.
_TEMPLATE = r"""
#let data = json(bytes(sys.inputs.data))
#let txt(s) = s.split("\n").join(linebreak())
#let ink = luma(25)
#let soft = luma(95)
#let rule = luma(175)

#set document(title: data.title, date: none)
#set text(font: "Libertinus Serif", size: 11pt, lang: "en", fill: ink, hyphenate: false)
#set par(leading: 0.62em, spacing: 0.95em, justify: false)
#set page(
  paper: "us-letter",
  margin: (x: 1in, top: 0.9in, bottom: 1in),
  footer-descent: 40%,
  footer: context {
    set text(size: 8.5pt, fill: soft)
    line(length: 100%, stroke: 0.4pt + rule)
    v(-4pt)
    grid(
      columns: (1fr, auto),
      column-gutter: 2em,
      txt(data.footer),
      [Page #counter(page).display() of #counter(page).final().first()],
    )
  },
)
// A long unbroken run (a hash, a URL, an id) may break anywhere instead of running off the page:
// each character in its own box gives break opportunities without adding characters to the
// text layer (a zero-width space would be copied along with a hash). Right-to-left runs are left
// whole so that they keep their order and shaping.
#show regex("[^\s\p{Hebrew}\p{Arabic}]{24,}"): it => it.text.clusters().map(box).join()
#show heading: set text(fill: ink)
#show heading: set block(above: 1.5em, below: 0.7em)
#show heading.where(level: 1): set text(size: 14pt)
#show heading.where(level: 2): set text(size: 12pt)
#show heading.where(level: 3): set text(size: 11pt)
#show heading.where(level: 4): set text(size: 11pt, weight: "regular", style: "italic")

#block(width: 100%, below: 1.6em, {
  block(below: 0.5em, text(size: 18pt, weight: "bold", txt(data.title)))
  if data.subtitle != "" { block(text(size: 11.5pt, fill: soft, txt(data.subtitle))) }
  line(length: 100%, stroke: 0.6pt + rule)
})

#for b in data.blocks {
  if b.kind == "heading" {
    heading(level: b.level, txt(b.text))
  } else if b.kind == "paragraph" {
    par(txt(b.text))
  } else if b.kind == "table" {
    set text(size: 9.5pt)
    set par(leading: 0.5em)
    block(above: 1em, below: 1.2em, table(
      columns: b.widths.map(w => w * 1fr),
      align: left + top,
      inset: (x: 5pt, y: 4.5pt),
      stroke: (_, y) => (
        top: if y == 0 { 0.8pt + ink } else if y == 1 { 0.5pt + ink } else { 0.3pt + rule },
        bottom: if y == b.rows.len() { 0.8pt + ink },
      ),
      fill: (_, y) => if y == 0 { luma(232) } else if calc.even(y) { luma(247) },
      table.header(repeat: true, ..b.header.map(h => strong(txt(h)))),
      ..b.rows.flatten().map(txt),
    ))
  } else if b.kind == "signature" {
    block(
      width: 100%, breakable: false, above: 1.2em, below: 1.2em,
      inset: 12pt, radius: 2pt, stroke: 0.6pt + soft,
      grid(
        columns: (auto, 1fr), column-gutter: 14pt, row-gutter: 8pt,
        ..b.rows.map(r => (text(fill: soft, txt(r.at(0))), txt(r.at(1)))).flatten(),
      ),
    )
  } else if b.kind == "pagebreak" {
    pagebreak(weak: true)
  }
}
"""


class PDFError(RuntimeError):
    """The engine refused the document (a bug in this module, never in the caller's text)."""


@dataclass(frozen=True)
class Block:
    """One piece of a document. Build them with the functions below, which check their input.

    ``text`` and ``level`` serve headings and paragraphs; ``header``, ``rows`` and ``widths``
    serve tables; a signature block keeps its (label, value) pairs in ``rows``.
    """

    kind: str  # "heading" | "paragraph" | "table" | "pagebreak" | "signature"
    text: str = ""
    level: int = 1
    header: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    widths: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown block kind {self.kind!r}")

    def as_data(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "text": _clean(self.text),
            "level": self.level,
            "header": [_clean(h) for h in self.header],
            "rows": [[_clean(c) for c in row] for row in self.rows],
            "widths": list(self.widths) or [1.0] * len(self.header),
        }


@dataclass(frozen=True)
class Document:
    """A titled document; ``footer`` is printed on every page, left of "Page X of Y"."""

    title: str
    subtitle: str = ""
    blocks: tuple[Block, ...] = ()
    footer: str = ""


def heading(text: str, *, level: int = 1) -> Block:
    if not 1 <= level <= 4:
        raise ValueError("heading level must be 1 to 4")
    return Block("heading", text=str(text), level=level)


def paragraph(text: str) -> Block:
    """A paragraph that wraps to the page; each line break in ``text`` is kept."""
    return Block("paragraph", text=str(text))


def table(
    header: Sequence[str], rows: Sequence[Sequence[str]], *, widths: Sequence[float] = ()
) -> Block:
    """A table that breaks across pages and repeats its header row on each.

    ``widths`` are relative column widths (``(1, 3)``: the second column is three times as wide
    as the first); without them the columns share the width equally.
    """
    width = len(header)
    if width == 0:
        raise ValueError("a table needs a header row")
    for row in rows:
        if len(row) != width:
            raise ValueError(f"every row needs {width} cells, one had {len(row)}")
    if widths:
        if len(widths) != width:
            raise ValueError("give one width per column, or none")
        if not all(w > 0 for w in widths):
            raise ValueError("column widths must be positive")
    return Block(
        "table",
        header=tuple(str(h) for h in header),
        rows=tuple(tuple(str(c) for c in row) for row in rows),
        widths=tuple(float(w) for w in widths),
    )


def signature_block(pairs: Sequence[tuple[str, str]]) -> Block:
    """(label, value) pairs in a framed box that is never split across two pages."""
    return Block("signature", rows=tuple((str(label), str(value)) for label, value in pairs))


def page_break() -> Block:
    """Start a new page (no blank page when one has just started)."""
    return Block("pagebreak")


_NEWLINES = re.compile(r"\r\n|[\r\n\v\f\x85\u2028\u2029]")
# Other control characters, and the bidi embeddings, overrides and isolates (see the module doc).
_DROP = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069]")


def _clean(value: str) -> str:
    text = str(value)
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    text = _NEWLINES.sub("\n", text).replace("\t", " ")
    return _DROP.sub("", text)


def render_pdf(doc: Document) -> bytes:
    """The document as PDF bytes: the same ``doc`` always gives the same bytes."""
    data = json.dumps(
        {
            "title": _clean(doc.title),
            "subtitle": _clean(doc.subtitle),
            "footer": _clean(doc.footer),
            "blocks": [b.as_data() for b in doc.blocks],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    try:
        result = typst.compile(
            _TEMPLATE.encode("utf-8"),
            format="pdf",
            sys_inputs={"data": data},
            ignore_system_fonts=True,
        )
    except typst.TypstError as exc:  # pragma: no cover  (the template is fixed and tested)
        raise PDFError(f"the PDF engine refused the document: {exc.message}") from exc
    return result

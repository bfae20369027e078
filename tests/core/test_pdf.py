"""The PDF engine: deterministic bytes, user text printed literally, pages numbered, tables that
break across pages with their header repeated, long unbroken strings kept on the page."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from groupguard.core import pdf
from tests.support import missing_component

ROOT = Path(__file__).resolve().parents[2]

# Looks like Typst markup and code; would inject, read a file, fetch a package or fail to compile
# if it were ever spliced into the template.
TYPST_CODE = (
    '#set text(fill: red) #read("/etc/passwd") #import "@preview/cetz:0.3.4": * '
    '#panic("boom") #{ let x = 1 } ]) } // not a comment /* nor this */ = Not a heading'
)
MARKUP = (
    'Zoë O\'Brien-Núñez *bold* _em_ $x^2$ @ref <label> [link] `raw` \\ "quoted" {braces} ~ -- ...'
)
HEBREW = "שלום"
ARABIC = "مرحبا"
SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def hostile_document() -> pdf.Document:
    return pdf.Document(
        title=f"Agreement of {MARKUP}",
        subtitle=TYPST_CODE,
        footer=f"Footer {MARKUP}",
        blocks=(
            pdf.heading(f"Heading {TYPST_CODE}", level=2),
            pdf.paragraph(f"{MARKUP}\nsecond line {HEBREW} {ARABIC}"),
            pdf.table(["Who", "What"], [[MARKUP, TYPST_CODE], ["plain", "row"]], widths=(1, 2)),
            pdf.signature_block([("Signed by", MARKUP), ("SHA-256 of the text", SHA)]),
        ),
    )


def timeline(rows: int) -> pdf.Document:
    return pdf.Document(
        title="Evidence packet",
        subtitle="Timeline of a complaint",
        footer="Case 12 · confidential",
        blocks=(
            pdf.heading("Timeline"),
            pdf.table(
                ["When (UTC)", "Who", "What happened"],
                [
                    [
                        f"2026-01-{i % 28 + 1:02d} 10:{i % 60:02d}",
                        f"Staff {i % 7}",
                        f"Entry {i} " + "note " * (i % 9),
                    ]
                    for i in range(rows)
                ],
                widths=(1.3, 1, 4),
            ),
            pdf.page_break(),
            pdf.heading("Appendix A"),
            pdf.paragraph("The end."),
        ),
    )


def pdftotext(data: bytes, tmp_path: Path, *args: str) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        missing_component("pdftotext (Debian's poppler-utils)")
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    return subprocess.run(
        [tool, *args, str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def pages_of(data: bytes, tmp_path: Path) -> list[str]:
    """The text of each page (pdftotext ends every page with a form feed)."""
    return pdftotext(data, tmp_path).split("\f")[:-1]


def flat(text: str) -> str:
    """Whitespace collapsed, and the direction marks pdftotext puts around right-to-left runs."""
    return " ".join(re.sub("[\u202a-\u202e]", "", text).split())


def test_output_is_a_pdf_and_the_same_bytes_across_renders_and_processes() -> None:
    first = pdf.render_pdf(hostile_document())
    assert first.startswith(b"%PDF-")
    assert pdf.render_pdf(hostile_document()) == first
    assert b"CreationDate" not in first and b"ModDate" not in first
    code = (
        "import sys; from tests.core.test_pdf import hostile_document; "
        "from groupguard.core import pdf; sys.stdout.buffer.write(pdf.render_pdf(hostile_document()))"
    )
    for seed in ("1", "2"):  # another process, another hash seed, the same bytes
        other = subprocess.run(
            [sys.executable, "-c", code],
            check=True,
            capture_output=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        assert other == first


def test_different_content_gives_different_bytes() -> None:
    a = pdf.render_pdf(pdf.Document(title="T", blocks=(pdf.paragraph("one"),)))
    b = pdf.render_pdf(pdf.Document(title="T", blocks=(pdf.paragraph("two"),)))
    assert a != b


def test_user_text_prints_literally(tmp_path: Path) -> None:
    text = flat(pdftotext(pdf.render_pdf(hostile_document()), tmp_path))
    assert f"Agreement of {flat(MARKUP)}" in text
    assert flat(TYPST_CODE) in text  # subtitle
    assert f"Heading {flat(TYPST_CODE)}" in text
    assert f"{flat(MARKUP)} second line {HEBREW} {ARABIC}" in text
    assert f"Footer {flat(MARKUP)}" in text
    assert "root:" not in text  # #read("/etc/passwd") was text, not code
    assert SHA in text.replace(" ", "")


def test_line_breaks_and_control_characters_are_tamed(tmp_path: Path) -> None:
    doc = pdf.Document(
        title="Odd \ud800 characters",  # a lone surrogate
        blocks=(pdf.paragraph("one\r\ntwo\rthree\u2028four\tfive\x00six\x1bseven"),),
    )
    lines = pages_of(pdf.render_pdf(doc), tmp_path)[0].splitlines()
    assert lines[:5] == ["Odd \ufffd characters", "one", "two", "three", "four fivesixseven"]


def test_a_right_to_left_override_cannot_reverse_the_text_after_it(tmp_path: Path) -> None:
    name = "\u202eMallory"  # an unclosed RIGHT-TO-LEFT OVERRIDE
    doc = pdf.Document(
        title=f"Complaint about {name}",
        subtitle=f"{name} · version 3",
        blocks=(pdf.paragraph(f"Name: {name}, signed on 2026-01-02"),),
        footer=name,
    )
    text = flat(pdftotext(pdf.render_pdf(doc), tmp_path))
    assert "Complaint about Mallory" in text
    assert "Mallory · version 3" in text
    assert "Name: Mallory, signed on 2026-01-02" in text
    assert "Mallory Page 1 of 1" in text


@pytest.mark.xfail(strict=True, reason="no font bundled with typst covers CJK or emoji")
def test_cjk_and_emoji_print_as_themselves(tmp_path: Path) -> None:
    doc = pdf.Document(title="Names", blocks=(pdf.paragraph("漢字 名前 🙂 👩‍👩‍👧"),))
    assert "漢字 名前 🙂 👩‍👩‍👧" in flat(pdftotext(pdf.render_pdf(doc), tmp_path))


def test_cjk_and_emoji_do_not_break_the_document(tmp_path: Path) -> None:
    doc = pdf.Document(title="Names", blocks=(pdf.paragraph("before 漢字 🙂 👩‍👩‍👧 after"),))
    text = flat(pdftotext(pdf.render_pdf(doc), tmp_path))
    assert text.startswith("Names before") and "after" in text and "Page 1 of 1" in text


def test_every_page_says_page_x_of_y(tmp_path: Path) -> None:
    pages = pages_of(pdf.render_pdf(timeline(120)), tmp_path)
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert "Case 12 · confidential" in page


def test_a_long_table_spans_pages_and_repeats_its_header(tmp_path: Path) -> None:
    pages = pages_of(pdf.render_pdf(timeline(300)), tmp_path)
    table_pages = [p for p in pages if "Entry " in p]
    assert len(table_pages) >= 5
    for page in table_pages:
        assert "When (UTC)" in page and "What happened" in page
    entries = [int(n) for n in re.findall(r"\bEntry (\d+)\b", "\n".join(pages))]
    assert sorted(entries) == list(range(300))
    assert "Appendix A" in pages[-1] and "Entry " not in pages[-1]  # the page break


def test_long_words_and_hashes_wrap_inside_the_margins(tmp_path: Path) -> None:
    long_hash = "f" * 128
    url = "https://example.org/" + "segment/" * 30
    doc = pdf.Document(
        title="Long strings",
        blocks=(
            pdf.paragraph("word " * 300 + "x" * 300),
            pdf.table(["A", "B", "C"], [[long_hash, url, "short"]], widths=(1, 1, 3)),
            pdf.signature_block([("SHA-256 of the paper scan", long_hash)]),
        ),
    )
    data = pdf.render_pdf(doc)
    boxes = pdftotext(data, tmp_path, "-bbox")
    right_edges = [
        float(x) for x in re.findall(r'<word xMin="[^"]+" yMin="[^"]+" xMax="([^"]+)"', boxes)
    ]
    assert right_edges and max(right_edges) <= 612 - 72 + 1  # US Letter, one-inch margins
    text = pdftotext(data, tmp_path).replace(" ", "").replace("\n", "")
    assert long_hash in text and url in text and "x" * 300 in text


def test_bad_blocks_are_refused() -> None:
    with pytest.raises(ValueError, match="header"):
        pdf.table([], [])
    with pytest.raises(ValueError, match="2 cells"):
        pdf.table(["a", "b"], [["only one"]])
    with pytest.raises(ValueError, match="one width per column"):
        pdf.table(["a", "b"], [], widths=(1,))
    with pytest.raises(ValueError, match="positive"):
        pdf.table(["a", "b"], [], widths=(1, 0))
    with pytest.raises(ValueError, match="level"):
        pdf.heading("x", level=5)
    with pytest.raises(ValueError, match="kind"):
        pdf.Block("image")


def test_an_empty_document_renders() -> None:
    assert pdf.render_pdf(pdf.Document(title="")).startswith(b"%PDF-")

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from groupguard.core import pdf
from tests.support import missing_component

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = (
    'Name #set text(red) *bold* _x_ $x^2$ [link] <label> @ref `raw` \\ "quoted" {braces} #{1+1}'
)


def sample() -> pdf.Document:
    return pdf.Document(
        title="A title with " + HOSTILE,
        subtitle="Subtitle",
        footer="Footer text",
        blocks=(
            pdf.heading("Section"),
            pdf.paragraph(HOSTILE + "\nsecond line"),
            pdf.table(
                ["Day", "Entry"], [[f"2026-01-{i % 28 + 1:02d}", f"Row {i}"] for i in range(300)]
            ),
            pdf.signature_block([("Signed by", HOSTILE), ("SHA-256", "ab" * 32)]),
        ),
    )


def text_of(data: bytes, tmp_path: Path) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        missing_component("pdftotext (Debian poppler-utils)")
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    return subprocess.run(
        [tool, "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout  # noqa: S603


def test_output_is_a_pdf_and_byte_identical_across_runs_and_processes() -> None:
    first = pdf.render_pdf(sample())
    assert first.startswith(b"%PDF-")
    assert pdf.render_pdf(sample()) == first
    code = (
        "import sys; from tests.core.test_pdf import sample; from groupguard.core import pdf; "
        "sys.stdout.buffer.write(pdf.render_pdf(sample()))"
    )
    other = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, cwd=ROOT
    ).stdout  # noqa: S603
    assert other == first


def test_user_text_prints_literally_and_pages_are_numbered(tmp_path: Path) -> None:
    text = text_of(pdf.render_pdf(sample()), tmp_path)
    flat = " ".join(text.split())
    assert " ".join(HOSTILE.split()) in flat
    assert "second line" in text
    pages = text.count("Page ")
    assert pages >= 3 and f"Page 1 of {pages}" in text
    assert text.count("Day") >= pages - 1  # the header row repeats on the pages the table spans


def test_bad_tables_are_refused() -> None:
    with pytest.raises(ValueError, match="header"):
        pdf.table([], [])
    with pytest.raises(ValueError, match="2 cells"):
        pdf.table(["a", "b"], [["only one"]])

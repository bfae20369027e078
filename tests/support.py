"""Helpers shared by tests."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

IN_CI = os.environ.get("CI") == "true"


def missing_component(what: str) -> NoReturn:
    """Skip when a component (PostgreSQL, Chromium) is missing, except under CI=true: fail."""
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true but is not available")
    pytest.skip(f"{what} is not available here")


def pdf_text(data: bytes) -> str:
    """The text of a PDF, whitespace collapsed, through Debian's pdftotext (poppler-utils)."""
    import shutil
    import subprocess

    tool = shutil.which("pdftotext")
    if tool is None:
        missing_component("pdftotext (Debian's poppler-utils)")
    result = subprocess.run(  # noqa: S603
        [tool, "-", "-"], input=data, check=True, capture_output=True
    )
    return " ".join(result.stdout.decode("utf-8").split())

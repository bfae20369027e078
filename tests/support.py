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

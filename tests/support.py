"""Helpers shared by tests."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

if TYPE_CHECKING:
    from django.test import Client

IN_CI = os.environ.get("CI") == "true"
# Fuzzing depth: a small deterministic run for the inner loop, the full run with a fresh seed
# under CI (or GROUPGUARD_FUZZ=full); GROUPGUARD_FUZZ_SEED replays a run, whose seed the test
# report's header prints.
FUZZ_FULL = IN_CI or os.environ.get("GROUPGUARD_FUZZ") == "full"
FUZZ_EXAMPLES = 200 if FUZZ_FULL else 25
FUZZ_SEED: int | None = (
    int(os.environ["GROUPGUARD_FUZZ_SEED"])
    if os.environ.get("GROUPGUARD_FUZZ_SEED")
    else int.from_bytes(os.urandom(4), "big")
    if FUZZ_FULL
    else None
)


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


def authenticator_for(user: Any) -> Any:
    """The user's confirmed authenticator app (its secret sealed, as in production), made on
    first use."""
    from groupguard.accounts import mfa

    device = mfa.authenticator(user)
    if device is None:
        device = mfa.new_authenticator(user, name="test authenticator", confirmed=True)
    return device


def mfa_login(client: Client, user: Any) -> Client:
    """``client.force_login(user)``, then the second step of sign-in as the code step leaves
    it: the session marked verified by the user's authenticator (made if missing)."""
    from django_otp import DEVICE_ID_SESSION_KEY

    device = authenticator_for(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def code_for(user: Any) -> str:
    """A code the user's authenticator takes now (the next one if the current one was used).
    Waits a step when even the next one was used."""
    import time

    from groupguard.accounts.mfa import current_code

    device = authenticator_for(user)
    for _ in range(40):
        device.refresh_from_db()
        now_step = int((time.time() - device.t0) // device.step) + device.drift
        if device.last_t + 1 <= now_step + device.tolerance:
            return current_code(device)
        time.sleep(1)
    raise AssertionError("no unused code within 40 seconds")


def next_evening(zone: Any, at: Any = None) -> Any:
    """The next ``at`` (default 19:00) in ``zone`` from now, never earlier than now: for the
    Americas' evening, when UTC is already on the next day. Moving the clock there keeps
    everything made before in the past."""
    import datetime

    from django.utils import timezone

    now = timezone.now().astimezone(zone)
    evening = datetime.datetime.combine(now.date(), at or datetime.time(19), tzinfo=zone)
    if evening < now:
        evening += datetime.timedelta(days=1)
    return evening

"""A practice admin opens the demo complaint, builds its packet and downloads it."""

from __future__ import annotations

import io
import zipfile

import pytest

from groupguard.accounts.demo_accounts import DEMO_PASSWORD
from groupguard.demo.practice import build_demo
from groupguard.evidence.models import Complaint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_build_and_download_the_demo_packet(live_server, desktop, settings) -> None:
    settings.DEMO_MODE = True  # the demo's accounts sign in only in demo mode
    build_demo()
    complaint = Complaint.objects.get()
    page = desktop
    base = live_server.url
    page.goto(f"{base}/login/")
    page.get_by_label("User name").fill("ada")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # Demo mode shows the demo account's current code on the code step, as a visitor uses it.
    code = page.get_by_test_id("demo-code").inner_text()
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/")
    page.get_by_role("heading", name="Complaint responses due").wait_for()
    page.get_by_role("link", name="Complaints", exact=True).click()
    page.get_by_role("link", name=complaint.member.display_name).click()
    page.get_by_role("heading", name="Timeline").wait_for()
    assert "Signed the agreement" in page.locator("main").inner_text()
    page.get_by_role("button", name="Build packet").click()
    link = page.get_by_role("link", name="Download the packet (zip)")
    link.wait_for(timeout=30_000)
    with page.expect_download() as info:
        link.click()
    data = info.value.path().read_bytes()
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert "packet/packet.pdf" in names and "packet/manifest.json" in names

"""Uploaded scans (a paper signature of the group agreement, a member's signed authorization)
are refused with a clear error, and nothing is stored, when they are not a PDF, PNG or JPEG by
their content, are empty, or are larger than 5 MB: through the actions and through the pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from groupguard.agreements.actions import MAX_SCAN_BYTES, record_signature
from groupguard.agreements.models import Signature
from groupguard.audit.models import AuditEntry
from groupguard.disclosures.actions import record_authorization
from groupguard.disclosures.models import Authorization
from tests.conftest import Cast

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x00\x00\x00\x00\x00;"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"

# (what, file name, content, content type the browser sends, what the error says)
BAD = [
    ("a GIF", "scan.gif", GIF, "image/gif", "PDF, PNG or JPEG"),
    ("an HTML page renamed .pdf", "signed.pdf", HTML, "application/pdf", "PDF, PNG or JPEG"),
    ("a PNG sent as a PDF", "signed.pdf", PNG, "application/pdf", "does not match its type"),
    ("an empty file", "signed.pdf", b"", "application/pdf", "empty"),
    (
        "5 MB and one byte",
        "signed.pdf",
        PDF + b"\x00" * (MAX_SCAN_BYTES + 1 - len(PDF)),
        "application/pdf",
        "larger than 5 MB",
    ),
]
CASES = [pytest.param(*case[1:], id=case[0]) for case in BAD]


def stored() -> tuple[int, int, int]:
    return Signature.objects.count(), Authorization.objects.count(), AuditEntry.objects.count()


def sign_on_paper(cast: Cast, scan: bytes, declared: str) -> Signature:
    return record_signature(
        cast.thursday,
        cast.mia,
        typed_name="Mia Zephyrine",
        method="paper",
        scan=scan,
        declared_type=declared,
        acting_user=cast.bob,
    )


def authorize(cast: Cast, scan: bytes, declared: str) -> Authorization:
    return record_authorization(
        member=cast.mia,
        acting_user=cast.bob,
        recipient="family",
        purpose="Tell her husband about the schedule change.",
        signed_on=cast.north.today(),
        scan=scan,
        declared_type=declared,
    )


@pytest.mark.parametrize("name,content,declared,message", CASES)
def test_the_actions_refuse_a_bad_scan_and_store_nothing(
    cast: Cast, name: str, content: bytes, declared: str, message: str
) -> None:
    before = stored()
    for record in (sign_on_paper, authorize):
        with pytest.raises(ValidationError, match=message) as refused:
            record(cast, content, declared)
        assert list(refused.value.message_dict) == ["scan"]
    assert stored() == before


def post_signature(cast: Cast, client: Client, upload: SimpleUploadedFile) -> Any:
    url = reverse("agreement_signature", args=[cast.thursday.id, cast.mia.id])
    data = {
        "method": "paper",
        "typed_name": "Mia Zephyrine",
        "signed_on": cast.north.today().isoformat(),
        "scan": upload,
    }
    return client.post(url, data)


def post_authorization(cast: Cast, client: Client, upload: SimpleUploadedFile) -> Any:
    url = reverse("member_disclosures", args=[cast.mia.id])
    data = {
        "recipient": "family",
        "purpose": "Tell her husband about the schedule change.",
        "signed_on": cast.north.today().isoformat(),
        "scan": upload,
    }
    return client.post(url, data)


@pytest.mark.parametrize("post", [post_signature, post_authorization])
@pytest.mark.parametrize("name,content,declared,message", CASES)
def test_the_pages_refuse_a_bad_scan_with_a_clear_error_and_store_nothing(
    cast: Cast, post: Any, name: str, content: bytes, declared: str, message: str
) -> None:
    client = cast.client_for(cast.bob)  # signing in is audited too: before counting
    before = stored()
    response = post(cast, client, SimpleUploadedFile(name, content, content_type=declared))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert stored() == before


@pytest.mark.parametrize("post", [post_signature, post_authorization])
def test_a_scan_of_exactly_5_mb_is_kept(cast: Cast, post: Any) -> None:
    content = PDF + b"\x00" * (MAX_SCAN_BYTES - len(PDF))
    upload = SimpleUploadedFile("signed.pdf", content, content_type="application/pdf")
    response = post(cast, cast.client_for(cast.bob), upload)
    assert response.status_code == 302
    kept = Signature.objects.filter(scan_sha256__gt="").first() or Authorization.objects.get()
    assert kept.scan == content and kept.scan_content_type == "application/pdf"

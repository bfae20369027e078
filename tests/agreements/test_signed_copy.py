from __future__ import annotations

import shutil
import subprocess

from django.urls import reverse

from groupguard.agreements.copies import signed_copy_pdf
from groupguard.agreements.models import Signature
from tests.conftest import Cast
from tests.support import missing_component


def test_the_signed_copy_is_stable_and_names_the_version_and_hash(cast: Cast, tmp_path) -> None:
    signature = (
        Signature.objects.filter(member=cast.mia)
        .select_related("version", "version__group")
        .first()
    )
    assert signature is not None
    first = signed_copy_pdf(signature)
    assert first == signed_copy_pdf(signature)
    tool = shutil.which("pdftotext")
    if tool is None:
        missing_component("pdftotext")
    path = tmp_path / "copy.pdf"
    path.write_bytes(first)
    text = " ".join(
        subprocess.run(
            [tool, str(path), "-"], check=True, capture_output=True, text=True
        ).stdout.split()
    )  # noqa: S603
    assert "Mia Zephyrine" in text
    assert signature.version.sha256 in text.replace(" ", "")
    assert "Noah" not in text  # the copy is about one member only
    # The moment of signing in the practice's zone (Los Angeles), named, as on every page.
    local = signature.signed_at.astimezone(cast.north.tz)
    assert f"{local:%H:%M} {local.tzname()}" in text and "UTC" not in text


def test_the_signed_copy_is_served_to_the_facilitator_only(cast: Cast) -> None:
    signature = Signature.objects.filter(member=cast.mia).first()
    assert signature is not None
    url = reverse("agreement_copy", args=[cast.thursday.id, signature.id])
    response = cast.client_for(cast.bob).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert cast.client_for(cast.dave).get(url).status_code == 404
    assert cast.client_for(cast.oscar).get(url).status_code == 404

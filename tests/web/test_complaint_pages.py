"""Complaint pages: admins only, the timeline on screen, building and downloading a packet."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from django.test import Client
from django.urls import reverse

from groupguard.audit import checkpoints
from groupguard.audit.models import AuditEntry
from groupguard.evidence import actions
from groupguard.evidence.models import Complaint, PacketBuild
from groupguard.evidence.verify.run import main as verify_main
from tests.conftest import Cast


def a_complaint(cast: Cast) -> Complaint:
    return actions.record_complaint(
        member=cast.mia,
        acting_user=cast.alice,
        board="Board of Behavioral Sciences",
        received_on=cast.north.today(),
        deadline=cast.north.today(),
        allegation="Alleges a broken confidence.",
    )


def test_recording_a_complaint(cast: Cast) -> None:
    client = cast.client_for(cast.alice)
    assert client.get(reverse("complaint_list")).status_code == 200
    response = client.post(
        reverse("complaint_list"),
        {
            "member": str(cast.mia.id),
            "board": "BBS",
            "received_on": cast.north.today().isoformat(),
            "allegation": "Alleges a broken confidence.",
        },
    )
    complaint = Complaint.objects.get()
    assert response["Location"] == reverse("complaint_detail", args=[complaint.id])
    page = client.get(response["Location"]).content.decode()
    assert "Key facts" in page and "Signed the agreement of Thursday Group" in page
    # Moments in the practice's zone (Los Angeles), named; UTC only in machine attributes.
    assert re.search(r">\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} P[SD]T<", page)
    assert not re.search(r">\d{4}-\d{2}-\d{2}T[\d:]+Z<", page)
    bad = client.post(reverse("complaint_list"), {"member": str(cast.mia.id), "board": ""})
    assert bad.status_code == 400 and Complaint.objects.count() == 1


def test_the_dashboard_reminds_of_the_deadline(cast: Cast) -> None:
    a_complaint(cast)
    html = cast.client_for(cast.alice).get(reverse("dashboard")).content.decode()
    assert "Complaint responses due" in html
    assert (
        "Complaint responses due"
        not in cast.client_for(cast.bob).get(reverse("dashboard")).content.decode()
    )


def test_building_and_downloading_the_packet(cast: Cast, tmp_path: Path) -> None:
    complaint = a_complaint(cast)
    client = cast.client_for(cast.alice)
    response = client.post(reverse("complaint_build", args=[complaint.id]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Download the packet" in response.content.decode()
    build = PacketBuild.objects.get()
    download = client.get(reverse("packet_download", args=[build.id]))
    assert download["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(download.content)).namelist()
    assert sorted(names) == sorted(
        f"packet/{n}"
        for n in ("packet.json", "fhir.json", "proofs.json", "packet.pdf", "manifest.json")
    )
    assert AuditEntry.objects.filter(action="packet.build").exists()
    assert AuditEntry.objects.filter(action="packet.download").exists()
    page = response.content.decode()
    assert "proves the audit log's first" in page and " s.</p>" not in page  # no timings
    # The zip as downloaded is what `groupguard packet verify` checks: unpacked, it passes;
    # one changed byte fails; a name that would land outside the folder is refused unread.
    zipped = tmp_path / "packet.zip"
    zipped.write_bytes(download.content)
    key = checkpoints.public_key_info()["public_key"]
    assert verify_main([str(zipped), "--pubkey", key]) == 0
    changed = tmp_path / "changed.zip"
    with (
        zipfile.ZipFile(io.BytesIO(download.content)) as source,
        zipfile.ZipFile(changed, "w") as target,
    ):
        for name in source.namelist():
            data = source.read(name)
            target.writestr(name, data + b" " if name.endswith("packet.json") else data)
    assert verify_main([str(changed), "--pubkey", key]) == 1
    unsafe = tmp_path / "unsafe.zip"
    with zipfile.ZipFile(unsafe, "w") as target:
        target.writestr("../outside.json", b"{}")
    assert verify_main([str(unsafe), "--pubkey", key]) == 2
    assert not (tmp_path.parent / "outside.json").exists()


def test_complaints_are_for_admins_of_the_practice(cast: Cast) -> None:
    complaint = a_complaint(cast)
    urls = [
        reverse("complaint_list"),
        reverse("complaint_detail", args=[complaint.id]),
    ]
    for user in (cast.bob, cast.oscar):
        client = cast.client_for(user)
        for url in urls[1:] if user == cast.oscar else urls:  # oscar lists his own practice's
            assert client.get(url).status_code in (403, 404), (user, url)
        assert client.post(reverse("complaint_build", args=[complaint.id])).status_code in (
            403,
            404,
        )
    assert "Alleges" not in cast.client_for(cast.oscar).get(urls[0]).content.decode()
    assert not PacketBuild.objects.exists()
    assert Client().get(urls[0]).status_code == 302

"""Complaint pages: the admin acts, a clinician reads those about their work or groups; the
timeline on screen, building and downloading a packet."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
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
    # Bob leads Mia's group: the deadline is his to know too; Dave's groups are not hers.
    for user, sees in ((cast.bob, True), (cast.dave, False)):
        html = cast.client_for(user).get(reverse("dashboard")).content.decode()
        assert ("Complaint responses due" in html) is sees, user


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


def test_a_clinician_reads_complaints_about_their_groups_and_only_the_admin_acts(
    cast: Cast,
) -> None:
    complaint = a_complaint(cast)
    listed, detail = reverse("complaint_list"), reverse("complaint_detail", args=[complaint.id])
    build = reverse("complaint_build", args=[complaint.id])
    status = reverse("complaint_status", args=[complaint.id])
    # Bob leads Mia's group: he reads the complaint, and cannot change it or build its packet.
    bob = cast.client_for(cast.bob)
    assert "Mia" in bob.get(listed).content.decode()
    page = bob.get(detail).content.decode()
    assert "Alleges a broken confidence." in page
    assert "Save status" not in page and "Build packet" not in page
    assert "The practice admin builds and downloads the packet" in page
    assert bob.post(build).status_code == 403
    assert bob.post(status, {"status": "closed"}).status_code == 403
    refused = bob.post(listed, {"member": str(cast.mia.id), "board": "BBS"})
    assert refused.status_code == 403
    assert Complaint.objects.get().status == "open" and Complaint.objects.count() == 1
    # Dave leads no group of Mia's: not listed, not found; until a complaint names him.
    dave = cast.client_for(cast.dave)
    assert "Mia" not in dave.get(listed).content.decode()
    assert dave.get(detail).status_code == 404
    actions.update_complaint(complaint, acting_user=cast.alice, notes="Names Dave.")
    Complaint.objects.filter(pk=complaint.pk).update(practitioner=cast.dave)
    assert dave.get(detail).status_code == 200
    # Another practice's admin sees none of it.
    oscar = cast.client_for(cast.oscar)
    assert oscar.get(detail).status_code == 404
    assert oscar.post(build).status_code == 404
    assert "Alleges" not in oscar.get(listed).content.decode()
    assert not PacketBuild.objects.exists()
    assert Client().get(listed).status_code == 302


def test_only_the_admin_records_or_updates_a_complaint(cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        actions.record_complaint(
            member=cast.mia,
            acting_user=cast.bob,
            board="BBS",
            received_on=cast.north.today(),
            allegation="Alleges a broken confidence.",
        )
    complaint = a_complaint(cast)
    with pytest.raises(PermissionDenied):
        actions.update_complaint(complaint, acting_user=cast.bob, status="closed")
    complaint.refresh_from_db()
    assert complaint.status == "open"

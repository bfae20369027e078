"""Building an evidence packet: the five files, from the records and one signed checkpoint.

Order of work: sign a checkpoint of the practice's audit log (or use the one given), collect
the packet's content up to it (``evidence.packet``), then write

- ``packet.json``: the content, as data, with ``records``: every record row it was built from,
  as stored (ciphertext included), and the audit entry that last wrote it (``audit.rows``);
- ``fhir.json``: the same as a FHIR R4B Bundle (fhir.py);
- ``proofs.json``: every cited audit entry with its inclusion proof against the checkpoint;
- ``packet.pdf``: the same for paper (pdf.py);
- ``manifest.json``: the SHA-256 of each, signed with the audit key.

Before anything is written, every record row the content was read from is checked against its
newest binding in the log: a row changed outside the application stops the build, naming it.
The same records and checkpoint give byte-identical JSON files (sorted keys, no wall clock),
and the PDF engine is deterministic too. Building is audited *after* the files exist (the entry
carries the manifest's hashes), so the entry itself is never inside the packet it describes.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from groupguard.accounts.models import User
from groupguard.audit.checkpoints import make_checkpoint
from groupguard.audit.log import SYSTEM, Actor, log_for, record
from groupguard.audit.models import Checkpoint
from groupguard.audit.records import CheckedRow, check_rows, loaded_rows, newest_bindings
from groupguard.audit.rows import bound_models
from groupguard.evidence.fhir import to_fhir, validate_fhir
from groupguard.evidence.models import Complaint, PacketBuild
from groupguard.evidence.packet import collect
from groupguard.evidence.packet_model import Packet as PacketContent
from groupguard.evidence.packet_model import RecordRow
from groupguard.evidence.pdf import packet_pdf
from groupguard.evidence.proofs import build_proofs, sign_manifest
from groupguard.practice.models import Member, Practice

FILES = ("packet.json", "fhir.json", "proofs.json", "packet.pdf", "manifest.json")
STEPS = ("checkpoint", "collect", "fhir", "proofs", "pdf", "manifest")


class PacketError(ValueError):
    pass


# Rows a packet reads but does not hand over as stored: other members' own rows (their ids
# would link them across packets) and signing links (a token's hash is no evidence).
_NOT_HANDED_OVER = {"agreements_signinglink"}


def check_records(
    used: set[tuple[Any, str]], member: Member, log_name: str, checkpoint: Checkpoint
) -> list[CheckedRow]:
    """The rows the content was read from, and every row the log binds in an entry about the
    member, each matching the entry that last wrote it (a row of the member's deleted outside
    the application is missing from what was read, so it is looked for by its binding)."""
    bindings = newest_bindings(log_names=[log_name])
    subject = str(member.id)
    models_by_table = {str(m._meta.db_table): m for m in bound_models()}
    about = {
        (models_by_table[table], row_id)
        for (table, row_id), b in bindings.items()
        if b.member == subject and b.sha256 is not None and table in models_by_table
    }
    checked, faults = check_rows(used | about, bindings)
    if faults:
        more = f" (and {len(faults) - 3} more)" if len(faults) > 3 else ""
        raise PacketError(
            "Records were changed outside groupguard, so no packet was built: "
            + "; ".join(faults[:3])
            + more
            + ". Run 'groupguard audit verify --records' for the full list."
        )
    if any(row.binding.index >= checkpoint.tree_size for row in checked):
        raise PacketError("Records changed while the packet was being built: build it again.")
    return checked


def bind_records(
    content: PacketContent, member: Member, checkpoint: Checkpoint, checked: list[CheckedRow]
) -> None:
    """Add ``records`` (the stored rows and their entries) and cite those entries."""
    subject = str(member.id).replace("-", "")
    handed: list[RecordRow] = []
    for row in checked:
        owner = row.state.get("member_id")
        if row.table in _NOT_HANDED_OVER or (
            owner is not None and str(owner).replace("-", "") != subject
        ):
            continue
        if row.table == "practice_member" and row.id.replace("-", "") != subject:
            continue
        handed.append(
            {
                "table": row.table,
                "id": row.id,
                "sha256": row.sha256,
                "entry": row.binding.index,
                "stored": row.state,
            }
        )
    content["records"] = handed
    cited = set(content["audit"]["entries"]) | {r["entry"] for r in handed}
    content["audit"]["entries"] = sorted(cited)


def dump(value: Any) -> bytes:
    """Deterministic JSON: sorted keys, two-space indent, UTF-8, a final newline."""
    return (json.dumps(value, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode()


@dataclass
class Packet:
    files: dict[str, bytes]
    checkpoint: Checkpoint
    content: PacketContent
    seconds: dict[str, float] = field(default_factory=dict)
    kept: PacketBuild | None = None  # the stored copy, when the build was asked to keep one

    def write(self, folder: Path) -> None:
        """Write the files into ``folder``, which must be missing or empty."""
        if folder.exists() and any(folder.iterdir()):
            raise PacketError(f"{folder} is not empty: give a new folder for the packet")
        folder.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            (folder / name).write_bytes(self.files[name])

    def zip(self) -> bytes:
        """The files in a zip with fixed timestamps, so the archive is deterministic too."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in FILES:
                info = zipfile.ZipInfo(f"packet/{name}", date_time=(2000, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, self.files[name])
        return buffer.getvalue()


def build_packet(
    *,
    member: Member,
    acting_user: User | None,
    complaint: Complaint | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    checkpoint: Checkpoint | None = None,
    progress: Callable[[str], None] | None = None,
    via: str = "web",
    keep: bool = False,
) -> Packet:
    if complaint is not None and complaint.member_id != member.id:
        raise PacketError("That complaint is about another member.")
    if keep and acting_user is None:
        raise PacketError("A kept packet needs the staff member who built it.")
    if start and end and end < start:
        raise PacketError("The period cannot end before it starts.")
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def step(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[name] = round(now - clock, 4)
        clock = now
        if progress is not None:
            progress(name)

    log = log_for(member.practice_id)
    if checkpoint is None:
        with transaction.atomic():
            checkpoint = make_checkpoint(log)
    elif checkpoint.log_id != log.id:
        raise PacketError("That checkpoint belongs to another log.")
    step("checkpoint")
    if complaint is not None:
        start = start or complaint.period_start
        end = end or complaint.period_end
    with loaded_rows() as used:
        content = collect(member, checkpoint=checkpoint, complaint=complaint, start=start, end=end)
    # What was passed in may have been read before (and cached): the same rows every time.
    used |= {(Member, str(member.pk)), (Practice, str(member.practice_id))}
    if complaint is not None:
        used.add((Complaint, str(complaint.pk)))
    bind_records(content, member, checkpoint, check_records(used, member, log.name, checkpoint))
    packet_json = dump(content)
    step("collect")
    bundle = to_fhir(content)
    validate_fhir(bundle)  # the fhir.resources R4B models: refuse to hand over a broken bundle
    fhir_json = dump(bundle)
    step("fhir")
    proofs_json = dump(build_proofs(log, checkpoint, content["audit"]["entries"]))
    step("proofs")
    pdf = packet_pdf(content)
    step("pdf")
    files = {
        "packet.json": packet_json,
        "fhir.json": fhir_json,
        "proofs.json": proofs_json,
        "packet.pdf": pdf,
    }
    files["manifest.json"] = dump(sign_manifest(files))
    step("manifest")
    packet = Packet(files, checkpoint, content, seconds)
    with transaction.atomic():
        if keep and acting_user is not None:
            # Stored (sealed) for download, in the transaction of the entry that binds it.
            packet.kept = PacketBuild.objects.create(
                practice_id=member.practice_id,
                member=member,
                complaint=complaint,
                built_by=acting_user,
                checkpoint_size=checkpoint.tree_size,
                files=json.loads(files["manifest.json"])["files"],
                seconds=seconds,
                archive=packet.zip(),
            )
        record(
            practice_id=member.practice_id,
            actor=Actor.user(acting_user) if acting_user is not None else SYSTEM,
            action="packet.build",
            obj=complaint or member,
            member_id=member.id,
            severity="high",
            detail={
                "via": via,
                "checkpoint": checkpoint.tree_size,
                "entries": len(content["audit"]["entries"]),
                "sha256": {
                    name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())
                },
            },
        )
    return packet

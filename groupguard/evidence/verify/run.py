"""Checking a packet folder, in order, and the command line around it."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from groupguard.evidence.verify.files import check_files, check_manifest, parse_json, read_folder
from groupguard.evidence.verify.formats import MANIFEST, PACKET, PROOFS, UNREADABLE, Report
from groupguard.evidence.verify.keys import choose_key, read_public_key
from groupguard.evidence.verify.proofs import check_proofs
from groupguard.evidence.verify.records import check_packet, check_records


def verify_packet(folder: Path, public_key_b64: str | None = None) -> Report:
    """Check the packet in ``folder``; see the module docstring for what, in which order.

    ``public_key_b64`` is the practice's audit public key (raw 32 bytes, base64), obtained
    independently of the packet (``groupguard audit pubkey``). Without it the key embedded in
    ``proofs.json`` is used and the report warns that this proves integrity, not origin.
    """
    report = Report()
    folder = Path(folder)
    if not folder.is_dir():
        report.fail(f"{folder}: not a folder")
        return report
    contents = read_folder(folder)
    missing: set[str] = set()

    def present(name: str) -> bytes | None:
        data = contents.get(name)
        if data is None and name not in missing:
            missing.add(name)
            what = "not a regular file" if name in contents else "missing from the folder"
            report.fail(f"{name}: {what}")
        return data

    manifest_bytes = present(MANIFEST)
    manifest = parse_json(report, MANIFEST, manifest_bytes)
    # proofs.json is parsed now only for the key it embeds; its checks come in (c).
    proofs = parse_json(Report(), PROOFS, contents.get(PROOFS))

    key = choose_key(report, public_key_b64, proofs)
    listed = check_manifest(report, manifest, key)
    check_files(report, contents, listed, present)
    if present(PROOFS) is not None:
        proofs = parse_json(report, PROOFS, contents[PROOFS])
        proved, listed_entries = check_proofs(report, proofs, key)
    else:
        proved, listed_entries = {}, set()
    if present(PACKET) is not None:
        packet = parse_json(report, PACKET, contents[PACKET])
        if packet is not UNREADABLE:
            log = proofs.get("log") if isinstance(proofs, dict) else None
            check_packet(report, packet, proved, listed_entries, log)
            if isinstance(packet, dict):
                check_records(report, packet, proved)
    return report


# A packet zip holds a dozen small files; anything far bigger is not one.
_ZIP_MAX_BYTES = 512 * 1024 * 1024


def unzip_packet(path: Path, into: Path) -> Path:
    """Unpack the packet zip ``path`` (as the web page downloads it: one ``packet/`` folder)
    into ``into`` and return the packet's folder. Refuses names that would land outside
    ``into`` (absolute, ``..``) and archives too large to be a packet."""
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        if sum(i.file_size for i in infos) > _ZIP_MAX_BYTES:
            raise ValueError("the zip unpacks to more than 512 MB: it is not a packet")
        for info in infos:
            name = PurePosixPath(info.filename)
            if name.is_absolute() or ".." in name.parts or "\\" in info.filename:
                raise ValueError(f"the zip holds an unsafe name {info.filename!r}")
        archive.extractall(into)
    tops = list(into.iterdir())
    if len(tops) == 1 and tops[0].is_dir():
        return tops[0]
    return into


def main(argv: Sequence[str] | None = None) -> int:
    """``groupguard packet verify PACKET [--pubkey KEY]``: 0 ok, 1 a check failed, 2 usage."""
    parser = argparse.ArgumentParser(
        prog="groupguard packet verify",
        description="Check an evidence packet (its folder or its zip) offline: manifest, files, "
        "proofs, citations.",
    )
    parser.add_argument(
        "folder", metavar="PACKET", help="the packet: its folder, or the zip as downloaded"
    )
    parser.add_argument(
        "--pubkey",
        metavar="KEY",
        help="the practice's audit public key: base64, a file holding it, or the JSON of "
        "`groupguard audit pubkey` (default: the key in proofs.json, with a warning)",
    )
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 for --help
        return exc.code if isinstance(exc.code, int) else 2
    key: str | None = None
    if args.pubkey is not None:
        try:
            key = read_public_key(args.pubkey)
        except ValueError as exc:
            print(f"groupguard packet verify: --pubkey: {exc}", file=sys.stderr)
            return 2
    path = Path(args.folder)
    if path.is_file() and zipfile.is_zipfile(path):
        with tempfile.TemporaryDirectory(prefix="groupguard-packet-") as unpacked:
            try:
                folder = unzip_packet(path, Path(unpacked))
            except ValueError as exc:
                print(f"groupguard packet verify: {path}: {exc}", file=sys.stderr)
                return 2
            report = verify_packet(folder, key)
    elif path.is_dir():
        report = verify_packet(path, key)
    else:
        print(
            f"groupguard packet verify: {path} is neither a packet folder nor a packet zip",
            file=sys.stderr,
        )
        return 2
    print(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    if not report.ok:
        print(f"packet verify failed: {report.failures[0]}", file=sys.stderr)
        return 1
    return 0

"""The folder and its manifest: every file listed, with its SHA-256, and nothing else."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from groupguard.evidence.verify.formats import (
    EXPECTED_FILES,
    HEX64,
    MANIFEST,
    MANIFEST_FORMAT,
    UNREADABLE,
    Report,
)
from groupguard.evidence.verify.keys import Key, signature_ok
from groupguard.evidence.verify.proofs import canonicalize_or_empty


def read_folder(folder: Path) -> dict[str, bytes | None]:
    """Every top-level name in the folder: its bytes, or None for anything but a regular file.

    Each file is read once, so what is hashed is exactly what is parsed afterwards.
    """
    contents: dict[str, bytes | None] = {}
    for path in sorted(folder.iterdir()):
        contents[path.name] = path.read_bytes() if path.is_file() else None
    return contents


def parse_json(report: Report, name: str, data: bytes | None) -> Any:
    if data is None:
        return UNREADABLE
    try:
        return json.loads(data)
    except ValueError as exc:
        report.fail(f"{name}: not valid JSON ({exc})")
        return UNREADABLE


def check_manifest(report: Report, manifest: Any, key: Key | None) -> dict[str, str] | None:
    """(a): the manifest's shape and signature. Returns its file list if the shape is right."""
    if manifest is UNREADABLE:
        return None
    if not isinstance(manifest, dict):
        report.fail(f"{MANIFEST}: not a JSON object")
        return None
    if manifest.get("format") != MANIFEST_FORMAT:
        report.fail(
            f"{MANIFEST}: field format is {manifest.get('format')!r}, not {MANIFEST_FORMAT!r}"
        )
    files = manifest.get("files")
    listed: dict[str, str] | None = None
    if not isinstance(files, dict):
        report.fail(f"{MANIFEST}: field files is not an object")
    else:
        listed = {}
        for name, digest in files.items():
            if not plain_name(name):
                report.fail(f"{MANIFEST}: lists {name!r}, which is not a plain file name")
            elif not isinstance(digest, str) or not HEX64.fullmatch(digest):
                report.fail(f"{MANIFEST}: the SHA-256 of {name} is not 64 lowercase hex digits")
            else:
                listed[name] = digest
    if key is not None:
        if manifest.get("key_id") != key.key_id:
            report.fail(
                f"{MANIFEST}: signed with key {manifest.get('key_id')!r}, not the key {key.key_id}"
            )
        else:
            body = {k: v for k, v in manifest.items() if k != "signature"}
            if not signature_ok(key, manifest.get("signature"), canonicalize_or_empty(body)):
                report.fail(f"{MANIFEST}: field signature does not verify")
    return listed


def plain_name(name: str) -> bool:
    """True for a name the manifest may list: a file directly in the packet folder."""
    return (
        bool(name)
        and name not in {".", "..", MANIFEST}
        and not name.startswith(".")
        and "/" not in name
        and "\\" not in name
        and "\x00" not in name
    )


def check_files(
    report: Report,
    contents: dict[str, bytes | None],
    listed: dict[str, str] | None,
    present: Callable[[str], bytes | None],
) -> None:
    """(b): the listed files exist with their hashes; nothing expected or extra is unlisted."""
    if listed is None:
        return
    for name, expected in sorted(listed.items()):
        data = present(name)
        if data is None:
            continue
        actual = hashlib.sha256(data).hexdigest()
        if actual != expected:
            report.fail(f"{name}: SHA-256 {actual} does not match {expected} in {MANIFEST}")
        else:
            report.checked["files"] += 1
    for name in EXPECTED_FILES:
        if name not in listed:
            report.fail(f"{name}: not listed in {MANIFEST}")
    for name in sorted(contents):
        if name != MANIFEST and name not in listed:
            report.fail(f"{name}: in the folder but not listed in {MANIFEST}")

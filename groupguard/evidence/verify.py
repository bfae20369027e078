"""Checking an evidence packet folder offline, with nothing but the practice's public key.

A **packet** is a folder: ``packet.pdf`` and ``packet.json`` (the records), ``fhir.json``,
``proofs.json`` (the cited audit entries with inclusion proofs against a signed checkpoint) and
``manifest.json`` (the SHA-256 of every other file, signed). :func:`verify_packet` checks, in
order:

a. ``manifest.json`` parses and its signature verifies under the public key;
b. every file the manifest lists is there with that SHA-256, the four packet files are all
   listed, and the folder holds nothing else;
c. the checkpoint in ``proofs.json`` is signed by the same key, and every entry's leaf bytes
   hash to its leaf hash, canonicalize from its parsed JSON, and are proved to be leaf
   ``index`` of the checkpoint's tree;
d. every audit index ``packet.json`` cites has a proof, and every record that gives a
   ``content_sha256`` cites an entry whose ``detail.sha256`` is that hash;
e. every row in ``records`` (a record row as stored, ciphertext included) hashes to its
   ``sha256``, that binding is in the proved entry it cites (``audit.rows``), and the facts
   the packet shows for that record (when, what was asked, what was promised...) are the
   ones stored: a row edited in the database, or a packet edited after the fact, fails here.

This module is deliberately free of Django (a test holds it to that): a board's investigator,
or anyone, can run it from a copy of the source without a database or settings. The file
formats are in ``groupguard.evidence.proofs`` and docs/audit-log.md.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeGuard

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from groupguard.audit.jcs import canonicalize
from groupguard.audit.merkle import leaf_hash, verify_inclusion

MANIFEST: Final = "manifest.json"
PROOFS: Final = "proofs.json"
PACKET: Final = "packet.json"
EXPECTED_FILES: Final = ("packet.pdf", PACKET, "fhir.json", PROOFS)
MANIFEST_FORMAT: Final = "groupguard-manifest/1"
PROOFS_FORMAT: Final = "groupguard-proofs/1"

_HEX64: Final = re.compile(r"[0-9a-f]{64}")


@dataclass
class Report:
    """What :func:`verify_packet` found. ``failures[0]`` is the first failure, in check order."""

    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(
        default_factory=lambda: {
            "files": 0,
            "entries": 0,
            "citations": 0,
            "content_hashes": 0,
            "records": 0,
            "facts": 0,
        }
    )

    @property
    def ok(self) -> bool:
        return not self.failures

    def fail(self, message: str) -> None:
        self.failures.append(message)

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "first_failure": self.failures[0] if self.failures else None,
            "failures": self.failures,
            "warnings": self.warnings,
            "checked": self.checked,
        }


@dataclass
class _Key:
    key_id: str
    public: Ed25519PublicKey


def key_id_of(raw: bytes) -> str:
    """The audit key id: the first 16 hex characters of SHA-256 of the raw public key."""
    return hashlib.sha256(raw).hexdigest()[:16]


def _load_key(public_key_b64: str) -> _Key:
    raw = base64.b64decode(public_key_b64, validate=True)
    return _Key(key_id_of(raw), Ed25519PublicKey.from_public_bytes(raw))


def _signature_ok(key: _Key, signature_b64: object, body: bytes) -> bool:
    if not isinstance(signature_b64, str):
        return False
    try:
        key.public.verify(base64.b64decode(signature_b64, validate=True), body)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


def _read_folder(folder: Path) -> dict[str, bytes | None]:
    """Every top-level name in the folder: its bytes, or None for anything but a regular file.

    Each file is read once, so what is hashed is exactly what is parsed afterwards.
    """
    contents: dict[str, bytes | None] = {}
    for path in sorted(folder.iterdir()):
        contents[path.name] = path.read_bytes() if path.is_file() else None
    return contents


# What _parse_json returns for a file that is missing or is not JSON (``null`` is valid JSON).
_UNREADABLE: Final = object()


def _parse_json(report: Report, name: str, data: bytes | None) -> Any:
    if data is None:
        return _UNREADABLE
    try:
        return json.loads(data)
    except ValueError as exc:
        report.fail(f"{name}: not valid JSON ({exc})")
        return _UNREADABLE


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
    contents = _read_folder(folder)
    missing: set[str] = set()

    def present(name: str) -> bytes | None:
        data = contents.get(name)
        if data is None and name not in missing:
            missing.add(name)
            what = "not a regular file" if name in contents else "missing from the folder"
            report.fail(f"{name}: {what}")
        return data

    manifest_bytes = present(MANIFEST)
    manifest = _parse_json(report, MANIFEST, manifest_bytes)
    # proofs.json is parsed now only for the key it embeds; its checks come in (c).
    proofs = _parse_json(Report(), PROOFS, contents.get(PROOFS))

    key = _choose_key(report, public_key_b64, proofs)
    listed = _check_manifest(report, manifest, key)
    _check_files(report, contents, listed, present)
    if present(PROOFS) is not None:
        proofs = _parse_json(report, PROOFS, contents[PROOFS])
        proved, listed_entries = _check_proofs(report, proofs, key)
    else:
        proved, listed_entries = {}, set()
    if present(PACKET) is not None:
        packet = _parse_json(report, PACKET, contents[PACKET])
        if packet is not _UNREADABLE:
            log = proofs.get("log") if isinstance(proofs, dict) else None
            _check_packet(report, packet, proved, listed_entries, log)
            if isinstance(packet, dict):
                _check_records(report, packet, proved)
    return report


def _choose_key(report: Report, public_key_b64: str | None, proofs: Any) -> _Key | None:
    embedded = proofs.get("public_key") if isinstance(proofs, dict) else None
    if public_key_b64 is not None:
        try:
            key = _load_key(public_key_b64)
        except (ValueError, binascii.Error):
            report.fail("the given public key is not a base64 raw Ed25519 public key")
            return None
        if isinstance(embedded, dict) and embedded.get("public_key") != public_key_b64:
            report.warnings.append(
                f"{PROOFS}: embeds public key {embedded.get('key_id')!r}, not the given key "
                f"{key.key_id}; the given key was used"
            )
        return key
    if not isinstance(embedded, dict) or not isinstance(embedded.get("public_key"), str):
        report.fail(
            f"{PROOFS}: no public key was given and none can be read from {PROOFS}, so no "
            "signature can be checked"
        )
        return None
    try:
        key = _load_key(embedded["public_key"])
    except (ValueError, binascii.Error):
        report.fail(f"{PROOFS}: field public_key.public_key is not a base64 Ed25519 key")
        return None
    if embedded.get("key_id") != key.key_id:
        report.fail(
            f"{PROOFS}: field public_key.key_id {embedded.get('key_id')!r} is not the id "
            f"{key.key_id} of the key it names"
        )
    report.warnings.append(
        f"no public key was given: signatures were checked against the key embedded in "
        f"{PROOFS} ({key.key_id}), which was not independently checked; pass --pubkey with "
        "the practice's published key to check who signed"
    )
    return key


def _check_manifest(report: Report, manifest: Any, key: _Key | None) -> dict[str, str] | None:
    """(a): the manifest's shape and signature. Returns its file list if the shape is right."""
    if manifest is _UNREADABLE:
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
            elif not isinstance(digest, str) or not _HEX64.fullmatch(digest):
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
            if not _signature_ok(key, manifest.get("signature"), canonicalize_or_empty(body)):
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


def _check_files(
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


def _check_proofs(report: Report, proofs: Any, key: _Key | None) -> tuple[dict[int, Any], set[int]]:
    """(c): the checkpoint's signature and every entry's leaf, hash, JSON and proof.

    Returns ``index -> parsed entry`` for the entries whose every check passed, and the set of
    every index listed.
    """
    proved: dict[int, Any] = {}
    seen: set[int] = set()
    if proofs is _UNREADABLE:
        return proved, seen
    if not isinstance(proofs, dict):
        report.fail(f"{PROOFS}: not a JSON object")
        return proved, seen
    if proofs.get("format") != PROOFS_FORMAT:
        report.fail(f"{PROOFS}: field format is {proofs.get('format')!r}, not {PROOFS_FORMAT!r}")
    checkpoint = proofs.get("checkpoint")
    if not isinstance(checkpoint, dict):
        report.fail(f"{PROOFS}: field checkpoint is not an object")
        return proved, seen
    size = checkpoint.get("tree_size")
    root_hex = checkpoint.get("root_hash")
    if not _is_count(size):
        report.fail(f"{PROOFS}: field checkpoint.tree_size is not a count")
        return proved, seen
    if not isinstance(root_hex, str) or not _HEX64.fullmatch(root_hex):
        report.fail(f"{PROOFS}: field checkpoint.root_hash is not 64 lowercase hex digits")
        return proved, seen
    log = proofs.get("log")
    origin = checkpoint.get("origin")
    if not isinstance(log, str) or not isinstance(origin, str) or not origin.endswith("/" + log):
        report.fail(f"{PROOFS}: checkpoint origin {origin!r} is not for log {log!r}")
    if key is not None:
        if checkpoint.get("key_id") != key.key_id:
            report.fail(
                f"{PROOFS}: checkpoint signed with key {checkpoint.get('key_id')!r}, not the key "
                f"{key.key_id}"
            )
        else:
            body = {k: v for k, v in checkpoint.items() if k != "signature"}
            if not _signature_ok(key, checkpoint.get("signature"), canonicalize_or_empty(body)):
                report.fail(f"{PROOFS}: field checkpoint.signature does not verify")
    root = bytes.fromhex(root_hex)

    entries = proofs.get("entries")
    if not isinstance(entries, list):
        report.fail(f"{PROOFS}: field entries is not a list")
        return proved, seen
    for position, item in enumerate(entries):
        if not isinstance(item, dict) or not _is_count(item.get("index")):
            report.fail(f"{PROOFS}: entries[{position}] has no valid index")
            continue
        index: int = item["index"]
        if index in seen:
            report.fail(f"{PROOFS}: entry {index} appears twice")
            continue
        seen.add(index)
        if _check_entry(report, item, index, size, root, log):
            proved[index] = item["entry"]
            report.checked["entries"] += 1
    return proved, seen


def canonicalize_or_empty(value: Any) -> bytes:
    """RFC 8785 bytes of ``value``, or ``b""`` (which no signature covers) if it has none."""
    try:
        return canonicalize(value)
    except (TypeError, ValueError):
        return b""


def _is_count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_entry(
    report: Report, item: dict[str, Any], index: int, size: int, root: bytes, log: Any
) -> bool:
    where = f"{PROOFS}: entry {index}"
    failures = len(report.failures)
    if index >= size:
        report.fail(f"{where}: index is not below the checkpoint's tree_size {size}")
    try:
        leaf = base64.b64decode(str(item.get("leaf")), validate=True)
    except (ValueError, binascii.Error):
        report.fail(f"{where}: field leaf is not base64")
        return False
    computed = leaf_hash(leaf)
    if item.get("leaf_hash") != computed.hex():
        report.fail(f"{where}: field leaf_hash is not SHA-256(0x00 || leaf)")
    entry = item.get("entry")
    if canonicalize_or_empty(entry) != leaf:
        report.fail(f"{where}: field entry is not the JSON of the leaf bytes")
    elif not isinstance(entry, dict):
        report.fail(f"{where}: field entry is not a JSON object")
    else:
        if entry.get("index") != index:
            report.fail(f"{where}: field entry.index is {entry.get('index')!r}")
        if entry.get("log") != log:
            report.fail(f"{where}: field entry.log is {entry.get('log')!r}, not {log!r}")
    proof = item.get("proof")
    path: list[bytes] | None = None
    if isinstance(proof, list) and all(isinstance(h, str) and _HEX64.fullmatch(h) for h in proof):
        path = [bytes.fromhex(h) for h in proof]
    if path is None:
        report.fail(f"{where}: field proof is not a list of hex hashes")
    elif not verify_inclusion(computed, index, size, path, root):
        report.fail(f"{where}: field proof does not prove the leaf against the checkpoint root")
    return len(report.failures) == failures


def _citations(value: Any, path: str) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    """Every ``audit`` list in the packet: ``(where, the list, the record holding it)``."""
    if isinstance(value, dict):
        cited = value.get("audit")
        if isinstance(cited, list):
            yield f"{path}.audit" if path else "audit", cited, value
        for key, child in value.items():
            yield from _citations(child, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for position, child in enumerate(value):
            yield from _citations(child, f"{path}[{position}]")


def _check_packet(
    report: Report, packet: Any, proved: dict[int, Any], listed: set[int], log: Any
) -> None:
    """(d): every cited index has a proof; every content hash is in a cited entry's detail."""
    if not isinstance(packet, dict):
        report.fail(f"{PACKET}: not a JSON object")
        return
    lists: list[tuple[str, Sequence[Any], dict[str, Any] | None]] = []
    audit = packet.get("audit")
    if not isinstance(audit, dict) or not isinstance(audit.get("entries"), list):
        report.fail(f"{PACKET}: field audit.entries is not a list")
    else:
        if audit.get("log") is not None and audit.get("log") != log:
            report.fail(f"{PACKET}: field audit.log is {audit.get('log')!r}, not {log!r}")
        lists.append(("audit.entries", audit["entries"], None))
    lists.extend(_citations(packet, ""))
    for where, cited, record in lists:
        indexes: list[int] = []
        for position, value in enumerate(cited):
            index = value.get("index") if isinstance(value, dict) else value
            if not _is_count(index):
                report.fail(f"{PACKET}: {where}[{position}] is not an audit index")
                continue
            indexes.append(index)
            report.checked["citations"] += 1
            if index not in listed:
                report.fail(f"{PACKET}: {where} cites audit entry {index}, not in {PROOFS}")
            elif index not in proved:
                report.fail(f"{PACKET}: {where} cites audit entry {index}, whose proof failed")
        if record is None or record.get("content_sha256") is None:
            continue
        content = record["content_sha256"]
        record_where = where.removesuffix(".audit")
        if not isinstance(content, str):
            report.fail(f"{PACKET}: {record_where}: content_sha256 is not a string")
            continue
        details = [proved[i].get("detail") for i in indexes if isinstance(proved.get(i), dict)]
        hashes = [d.get("sha256") for d in details if isinstance(d, dict)]
        report.checked["content_hashes"] += 1
        if content not in hashes:
            report.fail(
                f"{PACKET}: {record_where}: content_sha256 {content!r} is not the detail.sha256 of "
                f"any verified audit entry it cites ({', '.join(map(str, indexes)) or 'none'})"
            )


# (e) Which facts the packet shows for a record, and the stored column each must equal:
# ``packet key`` (``a.b`` reaches into a nested object) -> column. Sealed columns are left
# out: their ciphertext is bound, and the build checked it against what it opened.
FACTS: Final[dict[str, dict[str, str]]] = {
    "contacts_contact": {
        "occurred_at": "occurred_at",
        "setting": "setting",
        "initiated_by": "initiated_by",
        "request_recorded": "request",
        "detected_request": "detected_request",
        "responses.reminded_agreement": "reminded_agreement",
        "responses.offered_referral": "offered_referral",
        "responses.promised_confidentiality": "promised_confidentiality",
        "content_sha256": "content_sha256",
    },
    "contacts_amendment": {
        "created_at": "created_at",
        "request": "request",
        "content_sha256": "content_sha256",
    },
    "contacts_promise": {"made_at": "made_at", "status": "status", "closed_at": "closed_at"},
    "contacts_referral": {
        "status": "status",
        "offered_on": "offered_on",
        "accepted_on": "accepted_on",
        "declined_on": "declined_on",
        "completed_on": "completed_on",
    },
    "disclosures_assessment": {
        "created_at": "created_at",
        "level": "level",
        "rules_version": "rules_version",
        "facts": "facts",
    },
    "disclosures_choice": {"kind": "kind", "at": "created_at"},
    "disclosures_disclosure": {"recipient": "recipient", "disclosed_at": "disclosed_at"},
    "disclosures_authorization": {
        "recipient": "recipient",
        "signed_on": "signed_on",
        "expires_on": "expires_on",
        "revoked_at": "revoked_at",
        "scan_sha256": "scan_sha256",
    },
    "practice_rolerelationship": {"kind": "kind", "starts_on": "starts_on", "ends_on": "ends_on"},
    "practice_attendance": {"status": "status"},
    "practice_enrollment": {"joined_on": "joined_on", "left_on": "left_on"},
    "agreements_signature": {
        "signed_at": "signed_at",
        "method": "method",
        "version_sha256": "version_sha256",
        "scan_sha256": "scan_sha256",
    },
    "agreements_statementversion": {
        "number": "number",
        "policy": "policy",
        "effective_on": "effective_on",
        "sha256": "sha256",
    },
    "evidence_complaint": {
        "board": "board",
        "reference": "reference",
        "received_on": "received_on",
        "deadline": "deadline",
        "status": "status",
    },
}
_MOMENT: Final = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d")


def row_sha256(table: str, row_id: str, stored: Any) -> str:
    """The digest ``audit.rows`` binds: SHA-256 of the RFC 8785 JSON of table, id and row."""
    return hashlib.sha256(canonicalize({"table": table, "id": row_id, "row": stored})).hexdigest()


def _same(shown: Any, stored: Any) -> bool:
    if isinstance(stored, str) and stored.startswith("gg1:"):
        return True  # sealed: bound as ciphertext, opened and checked when the packet was built
    if shown is None and stored in (None, ""):
        return True
    # Rows are as the database stored them: SQLite keeps booleans as 0 or 1, JSON as text and
    # times as "YYYY-MM-DD HH:MM:SS.ffffff" in UTC; the packet shows them as JSON.
    if isinstance(shown, bool) and isinstance(stored, int) and not isinstance(stored, bool):
        return stored in (0, 1) and shown == bool(stored)
    if isinstance(shown, dict | list) and isinstance(stored, str):
        try:
            return bool(json.loads(stored) == shown)
        except ValueError:
            return False
    if isinstance(shown, str) and isinstance(stored, str) and _MOMENT.match(stored):
        # The packet shows moments to the second, in UTC; the row keeps microseconds.
        return bool(_MOMENT.match(shown)) and shown[:19].replace(" ", "T") == stored[:19].replace(
            " ", "T"
        )
    return bool(shown == stored and type(shown) is type(stored))


def _shown(record: dict[str, Any], path: str) -> tuple[bool, Any]:
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return False, None
        value = value[part]
    return True, value


def _records_shown(value: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every object in the packet that carries an ``id``, with where it is."""
    if isinstance(value, dict):
        if isinstance(value.get("id"), str):
            yield path, value
        for key, child in value.items():
            if key != "records":
                yield from _records_shown(child, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for position, child in enumerate(value):
            yield from _records_shown(child, f"{path}[{position}]")


def _check_records(report: Report, packet: dict[str, Any], proved: dict[int, Any]) -> None:
    """(e): the stored rows, their bindings in proved entries, and the facts shown."""
    records = packet.get("records")
    if records is None:
        report.warnings.append(
            f"{PACKET}: no records (built before row binding): the stored rows are not checked"
        )
        return
    if not isinstance(records, list):
        report.fail(f"{PACKET}: field records is not a list")
        return
    stored: dict[str, tuple[str, dict[str, Any]]] = {}
    for position, row in enumerate(records):
        where = f"{PACKET}: records[{position}]"
        if not isinstance(row, dict) or not all(
            isinstance(row.get(k), str) for k in ("table", "id", "sha256")
        ):
            report.fail(f"{where}: needs table, id and sha256 as text")
            continue
        table, row_id, sha = row["table"], row["id"], row["sha256"]
        where = f"{where} ({table} {row_id})"
        if not isinstance(row.get("stored"), dict):
            report.fail(f"{where}: field stored is not an object")
            continue
        if row_sha256(table, row_id, row["stored"]) != sha:
            report.fail(f"{where}: the stored row does not hash to its sha256")
            continue
        entry = proved.get(row.get("entry"))  # type: ignore[arg-type]
        binding = {"table": table, "id": row_id, "sha256": sha}
        if not isinstance(entry, dict):
            report.fail(f"{where}: cites audit entry {row.get('entry')!r}, not proved")
            continue
        if binding not in (entry.get("rows") or []):
            report.fail(f"{where}: audit entry {row['entry']} does not record this row as stored")
            continue
        stored[row_id] = (table, row["stored"])
        report.checked["records"] += 1
    for where, shown in _records_shown(packet, ""):
        found = stored.get(shown["id"])
        if found is None:
            continue
        table, row = found
        for key, column in FACTS.get(table, {}).items():
            present, value = _shown(shown, key)
            if not present or column not in row:
                continue
            report.checked["facts"] += 1
            if not _same(value, row[column]):
                report.fail(
                    f"{PACKET}: {where}.{key} is {value!r}, but the stored row "
                    f"({table} {shown['id']}) has {row[column]!r}"
                )
    missing = [
        f"{where} ({shown['id']})"
        for where, shown in _records_shown(packet, "")
        if shown["id"] not in stored and _is_record_section(where)
    ]
    for where in missing:
        report.fail(f"{PACKET}: {where} has no stored row in records")


_SECTIONS: Final = re.compile(
    r"(contacts|promises|referrals|assessments|disclosures|authorizations|roles|attendance"
    r"|enrollments)\[\d+\]$|complaint$|agreements\.signatures\[\d+\]$"
)


def _is_record_section(where: str) -> bool:
    return bool(_SECTIONS.fullmatch(where))


def read_public_key(text: str) -> str:
    """The base64 raw public key from ``--pubkey``: the key itself, a file holding it, or the
    JSON that ``groupguard audit pubkey`` prints (``{"key_id", "public_key"}``, also in a file).

    Raises ``ValueError`` when none of those gives a 32-byte key, or the JSON's key id does not
    match its key.
    """
    value = text.strip()
    path = Path(value)
    try:
        if value and path.is_file():
            value = path.read_text(encoding="utf-8").strip()
    except (OSError, ValueError):
        pass  # too long or odd for a file name: it is the key itself
    key_id: object = None
    if value.startswith(("{", '"')):
        try:
            parsed = json.loads(value)
        except ValueError:
            raise ValueError("the public key JSON does not parse") from None
        if isinstance(parsed, dict):
            key_id = parsed.get("key_id")
            parsed = parsed.get("public_key")
        if not isinstance(parsed, str):
            raise ValueError('the public key JSON has no "public_key" string')
        value = parsed.strip()
    try:
        raw = base64.b64decode(value, validate=True)
    except (ValueError, binascii.Error):
        raise ValueError("the public key is not base64") from None
    if len(raw) != 32:
        raise ValueError(f"the public key is {len(raw)} bytes, not the 32 of an Ed25519 key")
    if key_id is not None and key_id != key_id_of(raw):
        raise ValueError(
            f"the public key JSON says key_id {key_id!r}, but the key's id is {key_id_of(raw)}"
        )
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """``groupguard packet verify DIR [--pubkey KEY]``: 0 ok, 1 a check failed, 2 usage."""
    parser = argparse.ArgumentParser(
        prog="groupguard packet verify",
        description="Check an evidence packet folder offline: manifest, files, proofs, citations.",
    )
    parser.add_argument("folder", metavar="DIR", help="the packet folder")
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
    folder = Path(args.folder)
    if not folder.is_dir():
        print(f"groupguard packet verify: {folder} is not a folder", file=sys.stderr)
        return 2
    key: str | None = None
    if args.pubkey is not None:
        try:
            key = read_public_key(args.pubkey)
        except ValueError as exc:
            print(f"groupguard packet verify: --pubkey: {exc}", file=sys.stderr)
            return 2
    report = verify_packet(folder, key)
    print(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    if not report.ok:
        print(f"packet verify failed: {report.failures[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

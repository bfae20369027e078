"""What packet.json cites and shows, against the proved entries and the stored record rows."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from typing import Any, Final

from groupguard.audit.jcs import canonicalize
from groupguard.evidence.verify.formats import PACKET, PROOFS, Report
from groupguard.evidence.verify.proofs import is_count


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


def check_packet(
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
            if not is_count(index):
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


def check_records(report: Report, packet: dict[str, Any], proved: dict[int, Any]) -> None:
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

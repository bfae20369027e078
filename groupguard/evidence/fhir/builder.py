"""The Bundle under construction: its entries, and where each packet record ended up."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from groupguard.evidence.fhir.codes import JSON, derived_id, entry_identifier, record_identifier
from groupguard.evidence.packet_model import Packet


def audited(packet: Packet) -> Iterator[tuple[str, str, list[int]]]:
    """(kind, id, audit indexes) of every record in the packet that cites audit entries."""
    if packet.get("complaint"):
        yield "complaint", packet["complaint"]["id"], packet["complaint"]["audit"]
    sections: list[tuple[str, Sequence[Mapping[str, Any]]]] = [
        ("enrollment", packet.get("enrollments", [])),
        ("role", packet.get("roles", [])),
        ("statement-version", packet.get("agreements", {}).get("versions", [])),
        ("signature", packet.get("agreements", {}).get("signatures", [])),
        ("withdrawal", packet.get("agreements", {}).get("withdrawals", [])),
        ("attendance-override", packet.get("agreements", {}).get("overrides", [])),
        ("contact", packet.get("contacts", [])),
        ("promise", packet.get("promises", [])),
        ("referral", packet.get("referrals", [])),
        ("assessment", packet.get("assessments", [])),
        ("disclosure", packet.get("disclosures", [])),
        ("authorization", packet.get("authorizations", [])),
    ]
    for kind, records in sections:
        for r in records:
            yield kind, r["id"], r["audit"]
            for a in r.get("amendments", []):
                yield "amendment", a["id"], a["audit"]
            for c in r.get("choices", []):
                yield "assessment-choice", c["id"], c["audit"]
    for a in packet.get("attendance", []):
        yield "group-session", a["session"], a["audit"]  # attendance is keyed by its session


class Bundle:
    """The entries so far, and where each packet record ended up."""

    def __init__(self, packet: Packet) -> None:
        self.entries: list[JSON] = []
        self.refs: dict[tuple[str, str], str] = {}  # (kind, record id) -> fullUrl
        self.log: str = packet.get("audit", {}).get("log") or ""
        checkpoint = packet.get("checkpoint")
        self.recorded: str | None = checkpoint["timestamp"] if checkpoint else None

    def add(self, resource: JSON, *records: tuple[str, str]) -> JSON:
        url = f"urn:uuid:{resource['id']}"
        self.entries.append({"fullUrl": url, "resource": resource})
        for record in records:
            self.refs.setdefault(record, url)
        return {"reference": url}

    def ref(self, kind: str, key: str, display: str = "") -> JSON:
        """A reference to the record's resource, or a logical one when it has none here."""
        if (kind, key) in self.refs:
            return {"reference": self.refs[(kind, key)], "display": display}
        return {"identifier": record_identifier(kind, key), "display": display}

    def entry_ref(self, index: int) -> JSON:
        return {
            "reference": f"urn:uuid:{derived_id('audit-entry', f'{self.log}/{index}')}",
            "identifier": entry_identifier(self.log, index),
            "display": f"Entry {index} of audit log {self.log}",
        }

    def require_recorded(self) -> str:
        if self.recorded is None:
            raise ValueError("The packet cites audit entries but has no checkpoint.")
        return self.recorded

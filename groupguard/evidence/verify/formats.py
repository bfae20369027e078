"""The packet's file names and formats, and the report a check fills in."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Final

MANIFEST: Final = "manifest.json"


PROOFS: Final = "proofs.json"


PACKET: Final = "packet.json"


EXPECTED_FILES: Final = ("packet.pdf", PACKET, "fhir.json", PROOFS)


MANIFEST_FORMAT: Final = "groupguard-manifest/1"


PROOFS_FORMAT: Final = "groupguard-proofs/1"


HEX64: Final = re.compile(r"[0-9a-f]{64}")


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


# What parse_json returns for a file that is missing or is not JSON (``null`` is valid JSON).
UNREADABLE: Final = object()

"""Evidence packet build time for a member with 1,000 timeline items, and its parts.

A member of the scale practice gets 1,000 out-of-session contacts, logged through the real
action (each with its audit entry), so the packet has about 1,000 timeline items and as many
audit entries to prove. The packet is then built three times (best of 3; each build signs a
new checkpoint first) and the time of each part is reported: checkpoint, collect (the records
and redaction, packet.json), fhir, proofs, pdf (Typst) and manifest. Target: under 3 s in all.
"""

from __future__ import annotations

import argparse
import datetime
import time
from typing import Any

TARGET_SECONDS = 3.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("packet")
    group.add_argument(
        "--packet-items", type=int, default=1000, help="contacts for the member (default 1000)"
    )
    group.add_argument("--packet-builds", type=int, default=3, help="timed builds (default 3)")


def _seed(items: int) -> Any:
    from django.utils import timezone

    from bench.pages import _choose_targets
    from groupguard.contacts.actions import log_contact

    targets = _choose_targets()
    group, member, clinician = targets["group"], targets["member"], targets["clinician"]
    now = timezone.now()
    joined = member.enrollments.get(group=group, left_on__isnull=True).joined_on
    span = max(1, (member.practice.today() - joined).days - 1)
    for i in range(items):
        log_contact(
            group=group,
            members=[member],
            acting_user=clinician,
            occurred_at=now - datetime.timedelta(days=span * (i + 1) / (items + 1)),
            setting=("after_session", "phone", "text")[i % 3],
            initiated_by="member",
            summary=f"Contact {i}: talked about the week."
            + (" Please don't tell the group." if i % 5 == 0 else ""),
            request="explicit" if i % 5 == 0 else "none",
            reminded_agreement=i % 5 == 0,
        )
    return member


def run(args: argparse.Namespace) -> dict[str, Any]:
    from groupguard.evidence.build import build_packet

    started = time.perf_counter()
    member = _seed(args.packet_items)
    seed_seconds = round(time.perf_counter() - started, 1)
    builds = []
    for _ in range(args.packet_builds):
        started = time.perf_counter()
        packet = build_packet(member=member, acting_user=None, via="bench")
        total = time.perf_counter() - started
        builds.append((total, packet))
    total, best = min(builds, key=lambda b: b[0])
    return {
        "benchmark": "packet",
        "target": {"seconds": TARGET_SECONDS},
        "seed_seconds": seed_seconds,
        "timeline_items": len(best.content["timeline"]),
        "audit_entries": len(best.content["audit"]["entries"]),
        "checkpoint_size": best.checkpoint.tree_size,
        "bytes": {name: len(data) for name, data in sorted(best.files.items())},
        "total_seconds": round(total, 3),
        "parts_seconds": best.seconds,
        "all_totals": [round(b[0], 3) for b in builds],
        "within_target": total <= TARGET_SECONDS,
    }


def table(result: dict[str, Any]) -> str:
    flag = "" if result["within_target"] else f"  MISSED (> {TARGET_SECONDS:g} s)"
    lines = [
        f"{result['timeline_items']} timeline items, {result['audit_entries']} audit entries "
        f"proved against a log of {result['checkpoint_size']:,}",
        f"total         {result['total_seconds']:>7.3f} s (best of {len(result['all_totals'])})"
        + flag,
    ]
    for part, seconds in result["parts_seconds"].items():
        lines.append(f"  {part:<11} {seconds:>7.3f} s")
    sizes = ", ".join(f"{k} {v / 1024:.0f} KiB" for k, v in result["bytes"].items())
    lines.append(f"files: {sizes}")
    return "\n".join(lines)

"""What binding record rows into the audit log costs (audit.rows).

- **Per write**: the same actions with row binding on and off, in alternating rounds, on the
  scale practice: logging a contact (a new row and its member links) and editing it (an
  update, which first checks the stored row against its newest binding). Reported as
  milliseconds per action and the ratio on/off.
- **Per 100,000 rows verified**: ``verify_records`` over every record row of the scale
  practice (each row read, hashed and compared with its newest binding, which is read from
  the leaves), scaled to 100,000 rows.
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import time
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("rows")
    group.add_argument("--rows-writes", type=int, default=60, help="writes per round (60)")
    group.add_argument("--rows-rounds", type=int, default=5, help="rounds on and off (5)")


def _writes(count: int, targets: dict[str, Any]) -> float:
    """Seconds per action: ``count`` contacts logged, each then edited once."""
    from django.utils import timezone

    from groupguard.contacts.actions import edit_contact, log_contact

    group, member, clinician = targets["group"], targets["member"], targets["clinician"]
    now = timezone.now()
    started = time.perf_counter()
    for i in range(count):
        contact = log_contact(
            group=group,
            members=[member],
            acting_user=clinician,
            occurred_at=now - datetime.timedelta(hours=1, minutes=i),
            setting="phone",
            initiated_by="member",
            summary=f"Bench contact {i}.",
            request="none",
        )
        edit_contact(contact, acting_user=clinician, follow_up="Call back.")
    return (time.perf_counter() - started) / (2 * count)


def run(args: argparse.Namespace) -> dict[str, Any]:
    from bench.pages import _choose_targets
    from groupguard.audit import baseline, records, rows

    targets = _choose_targets()
    on: list[float] = []
    off: list[float] = []
    _writes(5, targets)  # warm caches
    for _ in range(args.rows_rounds):
        on.append(_writes(args.rows_writes, targets))
        rows.disconnect()
        try:
            off.append(_writes(args.rows_writes, targets))
        finally:
            rows.connect()
    started = time.perf_counter()
    bindings = records.newest_bindings()
    read_seconds = time.perf_counter() - started
    # Rows written with binding off are unbound: bind them, as an upgrade would.
    baseline.bind_unbound_rows(own_bulk_load=targets["group"].practice_id)
    bindings = records.newest_bindings()
    started = time.perf_counter()
    report = records.verify_records(bindings=bindings)
    check_seconds = time.perf_counter() - started
    total = read_seconds + check_seconds
    per_100k = total * 100_000 / max(1, report.rows_checked)
    ms_on, ms_off = statistics.median(on) * 1000, statistics.median(off) * 1000
    return {
        "benchmark": "rows",
        "write_ms": {"binding": round(ms_on, 3), "without": round(ms_off, 3)},
        "write_ratio": round(ms_on / ms_off, 3),
        "rounds": {
            "binding": [round(x * 1000, 3) for x in on],
            "without": [round(x * 1000, 3) for x in off],
        },
        "verify": {
            "rows_checked": report.rows_checked,
            "bindings": len(bindings),
            "ok": report.ok,
            "read_bindings_seconds": round(read_seconds, 3),
            "check_rows_seconds": round(check_seconds, 3),
            "seconds_per_100k_rows": round(per_100k, 3),
        },
    }


def table(result: dict[str, Any]) -> str:
    w, v = result["write_ms"], result["verify"]
    return "\n".join(
        [
            f"write (log + edit a contact), median per action: {w['binding']:.2f} ms with row "
            f"binding, {w['without']:.2f} ms without (x{result['write_ratio']:.2f})",
            f"verify --records: {v['rows_checked']:,} rows, {v['bindings']:,} bindings: "
            f"{v['read_bindings_seconds']:.2f} s reading leaves + {v['check_rows_seconds']:.2f} s "
            f"checking rows = {v['seconds_per_100k_rows']:.2f} s per 100,000 rows"
            + ("" if v["ok"] else "  FAULTS"),
        ]
    )

"""The live highlight: latency of ``POST /contacts/detect/`` as a facilitator types.

Each request carries a generated contact note (bench/detect.py's notes, a fifth with an
explicit request, a quarter implied), the group, one member and the setting, as the contact
form sends them, so the guidance (consent status, the signed version's clauses) is built when
the note shows a request. Requests go through Django's test client, logged in as the scale
practice's first clinician for a group they lead, interleaved with the floor page (the base
layout, no queries) in the same rounds. Target: p95 under 30 ms; the ratio to the floor's p95 is
reported too, since machines differ.
"""

from __future__ import annotations

import argparse
import gc
import time
from typing import Any

TARGET_P95_MS = 30.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("highlight")
    group.add_argument(
        "--highlight-requests",
        type=int,
        default=1000,
        help="measured detect requests, one per generated note (default 1000)",
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from bench.common import summarize_ms
    from bench.detect import generate
    from bench.pages import _choose_targets

    targets = _choose_targets()
    group, member = targets["group"], targets["member"]
    from tests.support import mfa_login

    client = mfa_login(Client(), targets["clinician"])  # both steps of sign-in
    floor = Client()
    url, floor_url = reverse("contact_detect"), reverse("bench_floor")
    notes = generate(args.highlight_requests, seed=args.seed)

    def post(note: str) -> Any:
        response = client.post(
            url,
            {
                "summary": note,
                "group": str(group.id),
                "members": [str(member.id)],
                "setting": "after_session",
            },
            HTTP_HX_REQUEST="true",
        )
        if response.status_code != 200:
            raise SystemExit(f"detect: HTTP {response.status_code}")
        return response

    for _, note in notes[:50]:
        post(note)
        floor.get(floor_url)
    queries = {}
    for label in ("none", "implied", "explicit"):
        note = next(n for lab, n in notes if lab == label)
        with CaptureQueriesContext(connection) as ctx:
            post(note)
        queries[label] = len(ctx.captured_queries)

    samples: dict[str, list[int]] = {"all": [], "none": [], "with_request": []}
    floor_samples: list[int] = []
    gc.collect()
    for label, note in notes:
        started = time.perf_counter_ns()
        post(note)
        elapsed = time.perf_counter_ns() - started
        samples["all"].append(elapsed)
        samples["none" if label == "none" else "with_request"].append(elapsed)
        started = time.perf_counter_ns()
        floor.get(floor_url)
        floor_samples.append(time.perf_counter_ns() - started)

    floor_stats = summarize_ms(floor_samples)
    rows = []
    for name, values in samples.items():
        stats = summarize_ms(values)
        rows.append(
            {
                "notes": name,
                "requests": len(values),
                **stats,
                "ratio_p95": round(stats["p95_ms"] / floor_stats["p95_ms"], 2),
                "within_target": stats["p95_ms"] <= TARGET_P95_MS,
            }
        )
    return {
        "benchmark": "highlight",
        "target": {"p95_ms": TARGET_P95_MS},
        "queries": queries,
        "floor": floor_stats,
        "rows": rows,
    }


def table(result: dict[str, Any]) -> str:
    head = f"{'notes':<14} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'p95/floor':>9}"
    lines = [head, "-" * len(head)]
    for row in result["rows"]:
        flag = "" if row["within_target"] else f"  MISSED (> {result['target']['p95_ms']:g} ms)"
        lines.append(
            f"{row['notes']:<14} {row['requests']:>8} {row['p50_ms']:>8.2f} "
            f"{row['p95_ms']:>8.2f} {row['ratio_p95']:>8.2f}x{flag}"
        )
    q = result["queries"]
    lines.append(
        f"floor p95 {result['floor']['p95_ms']:.2f} ms; queries per request: "
        f"none {q['none']}, implied {q['implied']}, explicit {q['explicit']}"
    )
    return "\n".join(lines)

"""From the requests ``drive.py`` kept to the figures, verdicts and table of ``make load``.

Pure: no Django, no locust. A *record* is one request: ``t`` (when it started, epoch seconds),
``name`` (the endpoint, as the locustfile names it), ``ms`` (response time), ``ok`` and
``error`` (locust's failure message). *Windows* say when each phase ran; a request belongs to
the phase in which it started. Requests outside every window (the sign-ins while users
arrive, the pause between phases) count for errors only.
"""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

# name in the stats -> kind: reads and writes have their own p95 target; sign-ins none.
ENDPOINTS: dict[str, str] = {
    "dashboard": "read",
    "group page": "read",
    "member page": "read",
    "member timeline": "read",
    "contact form": "read",
    "session page": "read",
    "sign: open": "read",
    "sign: read": "read",
    "sign: finish page": "read",
    "contact: save": "write",
    "attendance: record": "write",
    "sign: identity": "write",
    "sign: answers": "write",
    "sign: sign": "write",
    "login page": "login",
    "login: password": "login",
    "login code page": "login",
    "login: code": "login",
}
TARGET_P95_MS = {"read": 100.0, "write": 200.0}
THINK_SECONDS = (1.0, 3.0)  # between two actions of a simulated clinician
CAPACITY_ENDPOINTS = ("floor", "dashboard", "group page", "member page", "member timeline")
LOCKED = "database is locked"


def percentiles(ms: list[float]) -> dict[str, float]:
    """p50, p95, p99, mean and max, in milliseconds (statistics' inclusive method, like
    bench/common.py)."""
    if not ms:
        return {}
    data = sorted(ms)
    cuts = (
        [data[0]] * 99 if len(data) == 1 else statistics.quantiles(data, n=100, method="inclusive")
    )
    return {
        "p50_ms": round(cuts[49], 1),
        "p95_ms": round(cuts[94], 1),
        "p99_ms": round(cuts[98], 1),
        "mean_ms": round(statistics.fmean(data), 1),
        "max_ms": round(data[-1], 1),
    }


def _within(records: list[dict[str, Any]], window: list[float]) -> list[dict[str, Any]]:
    start, end = window
    return [r for r in records if start <= r["t"] < end]


def _endpoint_stats(rows: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    failures = [r for r in rows if not r["ok"]]
    return {
        "requests": len(rows),
        "failures": len(failures),
        "rps": round(len(rows) / seconds, 2) if seconds > 0 else 0.0,
        **percentiles([r["ms"] for r in rows]),
    }


def mix_stats(records: list[dict[str, Any]], window: list[float]) -> dict[str, Any]:
    """Per endpoint and per kind, in the mix phase, with each one's verdict."""
    rows = _within(records, window)
    seconds = window[1] - window[0]
    names = [n for n in ENDPOINTS if any(r["name"] == n for r in rows)]
    names += sorted({r["name"] for r in rows} - set(ENDPOINTS))
    endpoints: dict[str, Any] = {}
    for name in names:
        kind = ENDPOINTS.get(name, "other")
        stats = _endpoint_stats([r for r in rows if r["name"] == name], seconds)
        stats["kind"] = kind
        target = TARGET_P95_MS.get(kind)
        if target is not None:
            stats["target_p95_ms"] = target
            stats["met"] = stats["p95_ms"] < target
        endpoints[name] = stats
    kinds: dict[str, Any] = {}
    for kind in ("read", "write"):
        selected = [r for r in rows if ENDPOINTS.get(r["name"]) == kind]
        if selected:
            kinds[kind] = _endpoint_stats(selected, seconds)
            kinds[kind]["target_p95_ms"] = TARGET_P95_MS[kind]
            kinds[kind]["met"] = kinds[kind]["p95_ms"] < TARGET_P95_MS[kind]
    measured = sum(k["requests"] for k in kinds.values())
    return {
        "seconds": round(seconds, 1),
        "requests": len(rows),
        "rps": round(len(rows) / seconds, 2) if seconds > 0 else 0.0,
        "write_share": round(kinds["write"]["requests"] / measured, 3)
        if measured and "write" in kinds
        else 0.0,
        "endpoints": endpoints,
        "kinds": kinds,
    }


def capacity_stats(
    records: list[dict[str, Any]], windows: dict[str, list[float]]
) -> dict[str, Any]:
    """Each endpoint's throughput with every user asking for it without pause, and its ratio
    to the floor's."""
    out: dict[str, Any] = {}
    for endpoint, window in windows.items():
        rows = [r for r in _within(records, window) if r["name"] == f"capacity: {endpoint}"]
        out[endpoint] = _endpoint_stats(rows, window[1] - window[0])
    floor = out.get("floor", {}).get("rps") or 0.0
    for stats in out.values():
        stats["ratio_to_floor"] = round(stats["rps"] / floor, 3) if floor else None
    return out


def failure_summary(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Every failed request of the run, whatever its phase: counts by endpoint and message."""
    failed = [r for r in records if not r["ok"]]
    messages = Counter(f"{r['name']}: {r['error']}" for r in failed)
    return {
        "failures": len(failed),
        "by_message": dict(messages.most_common(20)),
        "locked": sum(LOCKED in str(r["error"]) for r in failed),
    }


def server_log_summary(text: str) -> dict[str, Any]:
    """What the server's own log says: lock errors, tracebacks, 5xx answers (access log)."""
    statuses: Counter[str] = Counter()
    for line in text.splitlines():
        # access log: 127.0.0.1 "GET / HTTP/1.1" 200 1234 12ms
        parts = line.rsplit('" ', 1)
        if len(parts) == 2 and parts[0].count('"') == 1:
            fields = parts[1].split()
            if fields and fields[0].isdigit():
                statuses[fields[0][0] + "xx"] += 1
    return {
        "locked": text.count(LOCKED),
        "tracebacks": text.count("Traceback (most recent call last)"),
        "responses": dict(sorted(statuses.items())),
    }


def verdicts(result: dict[str, Any]) -> list[str]:
    """One line per target: ``ok ...`` or ``MISSED ...``."""
    lines: list[str] = []

    def line(ok: bool, text: str) -> None:
        lines.append(("ok      " if ok else "MISSED  ") + text)

    errors = result["errors"]["failures"]
    retried = result["errors"].get("retried", 0)
    line(
        errors == 0,
        f"errors: {errors} failed requests (target 0; {retried} sent again after a closed "
        "keep-alive connection, as a browser does)",
    )
    locked = result["errors"]["locked"] + result["server_log"]["locked"]
    line(locked == 0, f"'database is locked': {locked} (target 0)")
    for name, stats in result["mix"]["endpoints"].items():
        if "target_p95_ms" in stats:
            line(
                stats["met"],
                f"{name}: p95 {stats['p95_ms']} ms (target < {stats['target_p95_ms']:g} ms, "
                f"{stats['kind']}, n={stats['requests']})",
            )
    audit = result["audit_verify"]
    line(audit["ok"], f"audit verify --practice {result['practice']['slug']}: {audit['summary']}")
    return lines


def table(result: dict[str, Any]) -> str:
    """The mix per endpoint, the capacity against the floor, then the verdicts."""
    mix = result["mix"]
    head = f"{'endpoint':<20} {'kind':<6} {'requests':>8} {'rps':>7} "
    head += f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'fail':>5}"
    rows = [
        f"realistic mix: {result['config']['users']} users, think "
        f"{result['config']['think_seconds'][0]:g}-{result['config']['think_seconds'][1]:g} s, "
        f"{mix['seconds']:g} s, {mix['requests']} requests ({mix['rps']:g}/s), "
        f"writes {mix['write_share']:.0%} of requests",
        head,
        "-" * len(head),
    ]
    for name, s in [
        *mix["endpoints"].items(),
        *[(f"all {k}s", s) for k, s in mix["kinds"].items()],
    ]:
        rows.append(
            f"{name:<20} {s.get('kind', ''):<6} {s['requests']:>8} {s['rps']:>7.2f} "
            f"{s['p50_ms']:>7.1f} {s['p95_ms']:>7.1f} {s['p99_ms']:>7.1f} {s['failures']:>5}"
        )
    capacity = result.get("capacity") or {}
    if capacity:
        rows += [
            "",
            f"capacity: {result['config']['users']} users without pause, "
            f"{result['config']['capacity_seconds']:g} s per endpoint (floor: GET /healthz, "
            "anonymous)",
            f"{'endpoint':<20} {'rps':>8} {'x floor':>8} {'p50 ms':>7} {'p95 ms':>7} {'fail':>5}",
        ]
        for name, s in capacity.items():
            ratio = "" if s["ratio_to_floor"] is None else f"{s['ratio_to_floor']:.3f}"
            rows.append(
                f"{name:<20} {s['rps']:>8.1f} {ratio:>8} {s.get('p50_ms', 0):>7.1f} "
                f"{s.get('p95_ms', 0):>7.1f} {s['failures']:>5}"
            )
    rows += ["", *verdicts(result)]
    return "\n".join(rows)

"""Scale (issue #9): the same pages at 1x and 10x the benchmark practice, on one database server.

    .venv/bin/python bench/run.py --only scale --database-url postgresql://postgres@127.0.0.1/postgres

At each factor (``--scale-factors``, default 1 and 10) the practice is generated in a fresh
database of its own: 200 groups, 2,000 members, 20,000 sessions, 20,000 contacts and 100,000
entries of audit history at 1x, and ten times that at 10x (with their attendance, about
150,000 and 1.5 million rows). Django binds one database per process, so each factor runs in
a child process (``bench/scale.py --child FACTOR``), one after the other, never together.
The child seeds (timed), runs ``ANALYZE`` as a live server's autovacuum would have, measures
the pages exactly as bench/pages.py does (plus the audit log page, as the admin), times
``verify_log`` (what ``groupguard audit verify`` runs) and inclusion proofs at the full size,
and drops its database.

A page is **flat** when it makes the same number of queries at both sizes and its p95 at 10x
is less than ``FLAT_RATIO`` (1.5) times its p95 at 1x. The two sizes are measured minutes
apart, so the p50 ratio and both ratios divided by the floor page's (same run) are reported
too: when the floor moved between the runs, the machine's speed did.
Opt-in: ``make bench`` (every benchmark) leaves it out because the 10x seeding takes minutes.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FLAT_RATIO = 1.5
OPT_IN = True  # bench/run.py runs it only when asked (--only scale)
SEEDS_OWN_DATABASE = True  # bench/run.py need not seed the shared database for it


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("scale")
    group.add_argument(
        "--scale-factors",
        default="1,10",
        metavar="LIST",
        help="sizes to compare, comma-separated; the first is the baseline (default 1,10)",
    )
    group.add_argument(
        "--scale-audit-entries",
        type=int,
        default=100_000,
        metavar="N",
        help="audit history at 1x, multiplied by each factor (default 100,000)",
    )
    group.add_argument(
        "--scale-proofs", type=int, default=50, help="inclusion proofs timed per size (default 50)"
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    factors = [float(f) for f in args.scale_factors.split(",") if f.strip()]
    if len(factors) < 2:
        raise SystemExit("--scale-factors needs at least two sizes, e.g. 1,10")
    sizes = [_run_child(args, factor) for factor in factors]
    base = sizes[0]
    comparisons = [_compare(base, other) for other in sizes[1:]]
    return {
        "benchmark": "scale",
        "flat": {
            "queries": "equal at both sizes",
            "p95": f"p95 at the larger size < {FLAT_RATIO} x p95 at the baseline",
        },
        "rounds": args.rounds,
        "warmup": args.warmup,
        "note": "the database server runs on the same machine as the benchmark (see machine)",
        "sizes": sizes,
        "comparisons": comparisons,
    }


def _run_child(args: argparse.Namespace, factor: float) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        str(factor),
        "--rounds",
        str(args.rounds),
        "--warmup",
        str(args.warmup),
        "--seed",
        str(args.seed),
        "--audit-entries",
        str(round(args.scale_audit_entries * factor)),
        "--proofs",
        str(args.scale_proofs),
        "--out",
        str(out),
    ]
    if args.database_url:
        command += ["--database-url", args.database_url]
    print(f"scale {factor:g}x: seeding and measuring in a child process ...", file=sys.stderr)
    try:
        subprocess.run(command, check=True, cwd=ROOT)  # noqa: S603  (our own interpreter and script)
        result: dict[str, Any] = json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)
    return result


def _compare(base: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    def key(row: dict[str, Any]) -> tuple[str, str]:
        return row["page"], row["user"]

    base_rows = {key(r): r for r in base["pages"]["pages"]}
    base_floor = base_rows["floor", "anonymous"]["p95_ms"]
    base_floor_p50 = base_rows["floor", "anonymous"]["p50_ms"]
    floor_row = next(r for r in other["pages"]["pages"] if r["page"] == "floor")
    floor, floor_p50 = floor_row["p95_ms"], floor_row["p50_ms"]
    rows = []
    for row in other["pages"]["pages"]:
        before = base_rows[key(row)]
        normalised = (row["p95_ms"] / floor) / (before["p95_ms"] / base_floor)
        p50 = row["p50_ms"] / before["p50_ms"]
        p50_normalised = p50 / (floor_p50 / base_floor_p50)
        ratio = row["p95_ms"] / before["p95_ms"]
        same_queries = row["queries"] == before["queries"]
        rows.append(
            {
                "page": row["page"],
                "user": row["user"],
                "p95_ms": [before["p95_ms"], row["p95_ms"]],
                "p95_ratio": round(ratio, 2),
                "p95_ratio_vs_floor": round(normalised, 2),
                "p50_ms": [before["p50_ms"], row["p50_ms"]],
                "p50_ratio": round(p50, 2),
                "p50_ratio_vs_floor": round(p50_normalised, 2),
                "queries": [before["queries"], row["queries"]],
                "bytes": [before["bytes"], row["bytes"]],
                "flat": same_queries and ratio < FLAT_RATIO,
            }
        )
    return {"factors": [base["factor"], other["factor"]], "pages": rows}


def table(result: dict[str, Any]) -> str:
    lines = []
    for size in result["sizes"]:
        c = size["practice"]["counts"]
        lines.append(
            f"{size['factor']:g}x: {c['groups']:,} groups, {c['members']:,} members, "
            f"{c['sessions']:,} sessions, {c['attendance']:,} attendance, {c['contacts']:,} "
            f"contacts, {size['audit']['log_size']:,} audit entries; seeded in "
            f"{size['seed_seconds']} s (audit history {size['audit_seconds']} s); verify "
            f"{size['audit']['verify_seconds']} s, inclusion proof p95 "
            f"{size['audit']['inclusion']['p95_ms']:.2f} ms"
        )
    for comparison in result["comparisons"]:
        a, b = comparison["factors"]
        head = (
            f"{'page':<10} {'user':<10} {f'p95 {a:g}x':>9} {f'p95 {b:g}x':>9} {'ratio':>6} "
            f"{'p50 ratio':>9} {'queries':>9} {'KiB':>11}  verdict"
        )
        lines += ["", head, "-" * len(head)]
        for row in comparison["pages"]:
            before, after = row["p95_ms"]
            q0, q1 = row["queries"]
            k0, k1 = (round(b / 1024) for b in row["bytes"])
            verdict = "flat" if row["flat"] else "NOT FLAT"
            lines.append(
                f"{row['page']:<10} {row['user']:<10} {before:>9.2f} {after:>9.2f} "
                f"{row['p95_ratio']:>5.2f}x {row['p50_ratio']:>8.2f}x "
                f"{f'{q0}/{q1}':>9} {f'{k0}/{k1}':>11}  {verdict}"
            )
    return "\n".join(lines)


# --- the child: one size in one fresh database ------------------------------------------


def _child(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench/scale.py --child")
    parser.add_argument("--child", type=float, required=True, metavar="FACTOR")
    parser.add_argument("--rounds", type=int, required=True)
    parser.add_argument("--warmup", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--audit-entries", type=int, required=True)
    parser.add_argument("--proofs", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--database-url")
    args = parser.parse_args(argv)

    from bench import run as bench_run
    from bench.common import create_postgres_database, drop_postgres_database

    data_dir = Path(tempfile.mkdtemp(prefix="groupguard-scale-"))
    pg = (
        create_postgres_database(args.database_url, "groupguard_bench")
        if args.database_url
        else None
    )
    env = argparse.Namespace(database_url=pg[1] if pg else None)
    bench_run.configure_environment(env, data_dir)
    try:
        result = _measure_one(args)
        args.out.write_text(json.dumps(result))
    finally:
        from django.db import connections

        connections.close_all()
        if pg is not None and args.database_url:
            drop_postgres_database(args.database_url, pg[0])
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


def _measure_one(args: argparse.Namespace) -> dict[str, Any]:
    import django
    from django.core.management import call_command

    django.setup()
    from django.db import connection
    from django.urls import reverse

    from bench.common import summarize_ms
    from bench.pages import measure
    from groupguard.audit.selectors import log_of_practice, prove_inclusion
    from groupguard.audit.verify import verify_log
    from groupguard.demo.scale import seed_scale

    call_command("migrate", verbosity=0, interactive=False)
    factor = args.child
    sizes = {
        "groups": max(1, round(200 * factor)),
        "members": round(2000 * factor),
        "sessions": round(20000 * factor),
    }
    print(f"  {factor:g}x: seeding {sizes}, {args.audit_entries:,} audit entries", file=sys.stderr)
    seeded = seed_scale(**sizes, audit_entries=args.audit_entries, seed=args.seed)
    started = time.perf_counter()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    analyze_seconds = round(time.perf_counter() - started, 2)
    print(f"  {factor:g}x: seeded in {seeded['seconds']} s; measuring pages", file=sys.stderr)

    pages = measure(
        rounds=args.rounds, warmup=args.warmup, admin_pages={"audit": reverse("audit_log")}
    )

    log = log_of_practice(seeded["practice_id"])
    assert log is not None  # noqa: S101  (seeding made it)
    print(f"  {factor:g}x: verifying {log.size:,} audit entries", file=sys.stderr)
    report = verify_log(log)
    if not report.ok:
        raise SystemExit(f"the generated audit log does not verify: {report.faults}")
    rng = random.Random(13)  # noqa: S311  (which entries to prove)
    samples = []
    for _ in range(args.proofs):
        started_ns = time.perf_counter_ns()
        prove_inclusion(log, rng.randrange(log.size))
        samples.append(time.perf_counter_ns() - started_ns)
    return {
        "factor": factor,
        "database": connection.vendor,
        "practice": {"sizes": sizes, "counts": seeded["counts"]},
        "seed_seconds": seeded["seconds"],
        "audit_seconds": seeded["audit_seconds"],
        "analyze_seconds": analyze_seconds,
        "table_bytes": _table_bytes(connection),
        "pages": pages,
        "audit": {
            "log_size": report.size,
            "verify_seconds": round(report.seconds, 2),
            "verify_entries_per_s": round(report.entries_checked / report.seconds),
            "inclusion": summarize_ms(samples),
        },
    }


def _table_bytes(connection: Any) -> dict[str, int]:
    """Sizes (with indexes) of the largest tables, on PostgreSQL."""
    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, pg_total_relation_size(relid) FROM pg_stat_user_tables "
            "ORDER BY 2 DESC LIMIT 8"
        )
        return {str(name): int(size) for name, size in cursor.fetchall()}


if __name__ == "__main__":
    if "--child" not in sys.argv[1:]:
        raise SystemExit("run it through bench/run.py --only scale (see the docstring)")
    sys.exit(_child(sys.argv[1:]))

"""``make load``: locust against the real server (gunicorn), on SQLite and on PostgreSQL.

    .venv/bin/python bench/load/run.py [--database-url URL] [--sqlite-only] [--scale 1]
        [--users 30] [--duration 3m] [--capacity-seconds 10] [--workers 2 --threads 4] [--keep]

For each database (SQLite always; PostgreSQL when ``--database-url`` answers, in a fresh
database ``groupguard_load_<pid>`` created beside the one named and dropped afterwards), in a
fresh temporary data directory (never ./var):

1. ``groupguard seed-scale --scale F`` builds the scale practice (1 = 200 groups, 2000
   members, 20000 sessions, 20 clinicians who each lead about ten groups);
2. ``bench/load/prepare.py`` gives ``--users`` clinicians passwords and authenticators,
   publishes their groups' agreements, signs half the members in, issues signing links for
   the rest, and writes the plan (see there);
3. ``groupguard serve --workers W --threads T`` serves it with the production settings
   (``groupguard.settings``), with one difference: ``GROUPGUARD_SECURE=0``, because the test
   speaks plain HTTP to 127.0.0.1 and a browser would not send a ``Secure`` cookie over it
   (in production TLS ends at a proxy in front; nothing else depends on the flag);
4. ``bench/load/drive.py`` runs the locust users (``locustfile.py``): they sign in through the
   real pages, then ``--warmup`` (not measured) and ``--duration`` of the realistic mix (90%
   reads, 10% writes, 1-3 s think time), then the capacity phase: each read endpoint and the floor (``GET /healthz``,
   anonymous: the whole middleware stack, no template, no query) without pause for
   ``--capacity-seconds``, for throughput as a ratio to the floor on the same server;
5. the server is stopped (SIGTERM, as a deploy would), ``groupguard audit verify --practice
   scale`` checks the log, and "database is locked" is counted in the server's log and in the
   failed requests.

The result, with the machine's facts, goes to bench/results/load-<database>.json and a table
to stdout, with a verdict line per target: 0 failed requests, 0 lock errors, p95 under 100 ms
for every read endpoint and under 200 ms for every write, a verifying audit log. The exit
status is 0 when targets are missed (the lines say MISSED, as in bench/run.py) and 1 when the
run itself broke (the seed, the server or locust failed).

Workers and threads: the default is ``groupguard serve``'s own, 2 workers (one per core of a
2-core machine: Django is CPU-bound under the GIL, so more processes than cores only add
switching) of 4 threads each (a thread waiting on the database, an fsync of SQLite's WAL or a
PostgreSQL round trip, lets another run).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import fresh_postgres  # noqa: E402
from bench.load import report  # noqa: E402
from bench.load.processes import (  # noqa: E402
    STEP_SECONDS,
    RunBroke,
    environment,
    postgres_answers,
    run_helper,
    serving,
)
from bench.load.report import THINK_SECONDS  # noqa: E402


def _seconds(text: str) -> float:
    """``60``, ``60s``, ``2m``: a duration in seconds, as locust's ``-t`` takes it."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([sm]?)", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 60s or 2m")
    return float(match.group(1)) * (60 if match.group(2) == "m" else 1)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/load/run.py",
        description="locust against groupguard serve, on SQLite and PostgreSQL (see the module).",
    )
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="also run on PostgreSQL, in a fresh database beside the one named (skipped with "
        "a note when the server does not answer)",
    )
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        metavar="FACTOR",
        help="size of the scale practice: 1 = 200 groups, 2000 members (default 1)",
    )
    parser.add_argument("--users", type=int, default=30, help="concurrent staff (default 30)")
    parser.add_argument(
        "--spawn-rate", type=float, default=10.0, help="users arriving per second (default 10)"
    )
    parser.add_argument(
        "--duration",
        type=_seconds,
        default=180.0,
        metavar="TIME",
        help="length of the realistic mix, like 60s or 2m (default 3m: enough requests of the "
        "rarer endpoints for a steady p95)",
    )
    parser.add_argument(
        "--warmup",
        type=_seconds,
        default=10.0,
        metavar="TIME",
        help="of the mix before the measured part, not measured (default 10s)",
    )
    parser.add_argument(
        "--capacity-seconds",
        type=float,
        default=10.0,
        help="per endpoint in the capacity phase; 0 skips it (default 10)",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")
    parser.add_argument(
        "--results-dir",
        type=Path,
        default=ROOT / "bench" / "results",
        help="where load-<database>.json goes (default bench/results)",
    )
    parser.add_argument(
        "--settings",
        default="groupguard.settings",
        help="DJANGO_SETTINGS_MODULE of every process (default groupguard.settings; the smoke "
        "test uses bench.settings, whose plain static storage skips compressing the static "
        "files, which the production settings do once per change of them)",
    )
    parser.add_argument(
        "--each-action-first",
        action="store_true",
        help="every user does each action once before the random mix (short runs)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the data directories and the database"
    )
    return parser.parse_args(argv)


# --- one run ------------------------------------------------------------------------------


def run_one(args: argparse.Namespace, database_url: str | None) -> dict[str, Any]:
    """Seed, prepare, serve, drive, stop, verify: the result of one database."""
    started = time.perf_counter()
    data_dir = Path(tempfile.mkdtemp(prefix="groupguard-load-"))
    try:
        env = environment(data_dir, database_url, args.settings)
        label = "postgresql" if database_url else "sqlite"
        print(f"[{label}] seeding the scale practice (scale {args.scale:g}) ...", file=sys.stderr)
        seeded = json.loads(
            run_helper(
                env,
                ["-m", "groupguard.cli.main", "seed-scale", "--scale", f"{args.scale:g}"],
                "groupguard seed-scale",
            )
        )
        print(f"[{label}] preparing {args.users} accounts ...", file=sys.stderr, flush=True)
        plan_path = data_dir / "plan.json"
        run_helper(
            env,
            ["-m", "bench.load.prepare", "--users", str(args.users), "--out", str(plan_path)],
            "bench/load/prepare.py",
        )
        plan = json.loads(plan_path.read_text())
        log = data_dir / "server.log"
        requests_path = data_dir / "requests.json"
        print(
            f"[{label}] serving ({args.workers} workers x {args.threads} threads), "
            f"{args.users} users ...",
            file=sys.stderr,
            flush=True,
        )
        with serving(env, log, args.workers, args.threads) as base:
            # Other work on the machine shifts every figure: keep how busy it was.
            load_before = [round(x, 2) for x in os.getloadavg()]
            run_helper(
                env,
                [
                    *("-m", "bench.load.drive", "--plan", str(plan_path), "--host", base),
                    *("--out", str(requests_path), "--users", str(args.users)),
                    *("--spawn-rate", f"{args.spawn_rate:g}"),
                    *("--warmup-seconds", f"{args.warmup:g}"),
                    *("--mix-seconds", f"{args.duration:g}"),
                    *("--capacity-seconds", f"{args.capacity_seconds:g}"),
                    *(["--each-action-first"] if args.each_action_first else []),
                ],
                "bench/load/drive.py (locust)",
            )
        verify = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "groupguard.cli.main", "audit", "verify", "--practice", "scale"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=STEP_SECONDS,
        )
        driven = json.loads(requests_path.read_text())
        records = driven["records"]
        result: dict[str, Any] = {
            "name": "load",
            "config": {
                "users": args.users,
                "signed_in": driven["signed_in"],
                "spawn_rate": args.spawn_rate,
                "warmup_seconds": args.warmup,
                "mix_seconds": args.duration,
                "capacity_seconds": args.capacity_seconds,
                "think_seconds": list(THINK_SECONDS),
                "workers": args.workers,
                "threads": args.threads,
                "server": "groupguard serve (gunicorn gthread), GROUPGUARD_SECURE=0",
                "settings": args.settings,
            },
            "practice": {
                "slug": plan["practice"],
                "scale": args.scale,
                "counts": seeded.get("counts"),
                "seed_seconds": seeded.get("seconds"),
                "accounts": len(plan["accounts"]),
                "signing_links": sum(len(a["links"]) for a in plan["accounts"]),
                "attendance_pairs": sum(len(a["attendance"]) for a in plan["accounts"]),
            },
            "mix": report.mix_stats(records, driven["windows"]["mix"]),
            "capacity": report.capacity_stats(records, driven["windows"]["capacity"]),
            "errors": {**report.failure_summary(records), "retried": driven["retried"]},
            "server_log": report.server_log_summary(log.read_text(errors="replace")),
            "audit_verify": audit_summary(verify),
            "machine": {**plan["machine"], "loadavg_before": load_before},
        }
        result["verdicts"] = report.verdicts(result)
        result["seconds"] = round(time.perf_counter() - started, 1)
        return result
    finally:
        if args.keep:
            print(f"kept {data_dir}", file=sys.stderr)
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


def audit_summary(verify: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """``groupguard audit verify``'s answer: ok, and a line saying what it checked."""
    out: dict[str, Any] = {"ok": verify.returncode == 0, "exit_status": verify.returncode}
    try:
        logs = json.loads(verify.stdout)["logs"]
    except (ValueError, KeyError, TypeError):
        out["summary"] = (verify.stdout.strip() or verify.stderr.strip())[-600:]
        return out
    out["logs"] = logs
    out["summary"] = "; ".join(
        f"{'ok' if log['ok'] else 'FAILED'}: {log['entries_checked']} entries, "
        f"{log['checkpoints_checked']} checkpoints"
        + (f", faults {log['faults'][:3]}" if log["faults"] else "")
        for log in logs
    )
    return out


def write(result: dict[str, Any], results_dir: Path) -> Path:
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"load-{result['machine']['database']}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.duration <= 0:
        raise SystemExit("--duration must be more than 0")
    databases: list[str | None] = [None]
    if args.database_url and not args.sqlite_only:
        why = postgres_answers(args.database_url)
        if why is None:
            databases.append(args.database_url)
        else:
            print(
                f"PostgreSQL does not answer at {args.database_url} ({why}): SQLite only",
                file=sys.stderr,
            )
    broke = False
    for url in databases:
        label = "postgresql" if url else "sqlite"
        try:
            if url is None:
                result = run_one(args, None)
            else:
                with fresh_postgres(url, "groupguard_load", keep=args.keep) as fresh:
                    result = run_one(args, fresh)
        except RunBroke as exc:
            print(f"\nload on {label}: the run broke: {exc}", flush=True)
            broke = True
            continue
        path = write(result, args.results_dir)
        counts = result["practice"]["counts"] or {}
        print(
            f"\nload on {label} ({counts.get('groups')} groups, {counts.get('members')} members, "
            f"{args.workers} workers x {args.threads} threads, {result['machine']['cpu_count']} "
            f"cores):",
            flush=True,
        )
        print(report.table(result), flush=True)
        with contextlib.suppress(ValueError):
            path = path.relative_to(ROOT)
        print(f"written to {path}", flush=True)
    return 1 if broke else 0


if __name__ == "__main__":
    sys.exit(main())

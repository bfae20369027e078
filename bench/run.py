"""``make bench``: generate the scale practice in a throwaway database and run the benchmarks.

    .venv/bin/python bench/run.py [--only pages] [--scale 0.1] [--rounds 50]
    .venv/bin/python bench/run.py --database-url postgresql://postgres@127.0.0.1/postgres

Nothing touches ./var: the data directory (SQLite database, generated keys) is a fresh
temporary directory, removed afterwards unless --keep. With --database-url the run creates a
fresh PostgreSQL database beside the one named (groupguard_bench_<pid>) and drops it
afterwards. Each benchmark is a module under bench/ with ``run(args) -> dict`` (and optionally
``add_arguments(parser)`` and ``table(result) -> str``); its result, with the machine's facts
and the seeded counts, goes to bench/results/<name>-<database>.json. The exit status is 0 even
when a target is missed: the table says MISSED.
"""

from __future__ import annotations

import argparse
import base64
import importlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import create_postgres_database, drop_postgres_database  # noqa: E402

# name -> module; later benchmarks (audit log, detection, engine) are added here.
BENCHMARKS = {
    "pages": "bench.pages",
    "audit": "bench.audit",
    "detect": "bench.detect",
    "highlight": "bench.highlight",
    "engine": "bench.engine",
    "packet": "bench.packet",
    "rows": "bench.rows",
    "scale": "bench.scale",  # opt-in (OPT_IN): --only scale
}

ENCRYPTION_KEYS = json.dumps(
    {"active": "kbench1", "keys": {"kbench1": base64.b64encode(b"b" * 32).decode()}}
)
SECRET_KEY = "bench-secret-key-" + "x" * 50  # noqa: S105  (a throwaway benchmark database)


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def _modules() -> dict[str, ModuleType]:
    return {name: importlib.import_module(path) for name, path in BENCHMARKS.items()}


def parse_args(argv: list[str] | None, modules: dict[str, ModuleType]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/run.py",
        description="Generate the scale practice and run the benchmarks (see bench/run.py).",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=list(BENCHMARKS),
        help="run only this benchmark (repeatable; default: all but the opt-in 'scale')",
    )
    parser.add_argument(
        "--scale",
        type=_positive_float,
        default=1.0,
        metavar="FACTOR",
        help="multiply 200 groups, 2000 members, 20000 sessions by FACTOR (default 1)",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated practice")
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="run on PostgreSQL: a fresh database is created beside the one named (default: "
        "SQLite in a temporary directory)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary data directory and database"
    )
    for module in modules.values():
        add_arguments = getattr(module, "add_arguments", None)
        if add_arguments is not None:
            add_arguments(parser)
    return parser.parse_args(argv)


def configure_environment(args: argparse.Namespace, data_dir: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ["GROUPGUARD_DATA_DIR"] = str(data_dir)
    os.environ["GROUPGUARD_ENCRYPTION_KEYS"] = ENCRYPTION_KEYS
    os.environ["GROUPGUARD_SECRET_KEY"] = SECRET_KEY
    os.environ["GROUPGUARD_DEBUG"] = "0"
    os.environ["GROUPGUARD_DEMO"] = "0"
    for name in ("GROUPGUARD_ENCRYPTION_KEYS_FILE", "GROUPGUARD_AUDIT_KEY_FILE", "DATABASE_URL"):
        os.environ.pop(name, None)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    (data_dir / "static").mkdir(parents=True, exist_ok=True)  # STATIC_ROOT, for WhiteNoise


def prepare_database(args: argparse.Namespace) -> dict[str, Any]:
    """Migrate the fresh database and seed the scale practice; returns the seed summary."""
    import django
    from django.core.management import call_command

    django.setup()
    from groupguard.demo.scale import seed_scale

    call_command("migrate", verbosity=0, interactive=False)
    sizes = {
        "groups": max(1, round(200 * args.scale)),
        "members": round(2000 * args.scale),
        "sessions": round(20000 * args.scale),
    }
    print(f"seeding the scale practice: {sizes} ...", file=sys.stderr, flush=True)
    summary = seed_scale(**sizes, seed=args.seed)
    from django.db import connection

    if connection.vendor == "postgresql":
        # A live server's autovacuum would have analysed the bulk load by now; without
        # statistics the planner takes 200 groups for 1 and picks slow plans.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"seeded in {summary['seconds']} s: {summary['counts']}", file=sys.stderr, flush=True)
    return {"sizes": sizes, "seed": args.seed, **summary}


def _setup_only() -> dict[str, Any]:
    import django

    django.setup()
    return {}


def main(argv: list[str] | None = None) -> int:
    modules = _modules()
    args = parse_args(argv, modules)
    selected = args.only or [n for n, m in modules.items() if not getattr(m, "OPT_IN", False)]
    # A benchmark that seeds databases of its own (bench/scale.py) needs no shared seeding.
    shared = any(not getattr(modules[n], "SEEDS_OWN_DATABASE", False) for n in selected)
    data_dir = Path(tempfile.mkdtemp(prefix="groupguard-bench-"))
    pg: tuple[str, str] | None = None
    if args.database_url:
        maintenance_url = args.database_url
        pg = create_postgres_database(maintenance_url, "groupguard_bench")
        args.database_url = pg[1]
    try:
        configure_environment(args, data_dir)
        seeded = prepare_database(args) if shared else _setup_only()
        from bench.common import machine_info, write_result

        machine = machine_info()
        for name in selected:
            module = modules[name]
            print(f"running {name} ...", file=sys.stderr, flush=True)
            started = time.perf_counter()
            result: dict[str, Any] = module.run(args)
            result["seconds"] = round(time.perf_counter() - started, 1)
            result["machine"] = machine
            # A benchmark that seeds its own practices describes them in its result.
            own = getattr(module, "SEEDS_OWN_DATABASE", False)
            if seeded and not own:
                result["practice"] = {
                    "sizes": seeded["sizes"],
                    "seed": seeded["seed"],
                    "counts": seeded["counts"],
                    "seed_seconds": seeded["seconds"],
                }
            path = write_result(name, machine["database"], result)
            described = f" ({_describe(seeded)})" if seeded and not own else ""
            print(f"\n{name} on {machine['database']}{described}:", flush=True)
            table = getattr(module, "table", None)
            if table is not None:
                print(table(result), flush=True)
            print(f"written to {path.relative_to(ROOT)}", flush=True)
    finally:
        from django.db import connections

        connections.close_all()
        if pg is not None and not args.keep:
            drop_postgres_database(maintenance_url, pg[0])
        if args.keep:
            print(f"kept {data_dir}" + (f" and database {pg[0]}" if pg else ""), file=sys.stderr)
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


def _describe(seeded: dict[str, Any]) -> str:
    counts = seeded["counts"]
    return (
        f"{counts['groups']} groups, {counts['members']} members, {counts['sessions']} sessions, "
        f"{counts['attendance']} attendance rows, {counts['clinicians']} clinicians"
    )


if __name__ == "__main__":
    sys.exit(main())

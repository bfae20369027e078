"""Run the locust users of ``locustfile.py`` through locust's library API, in timed phases.

    python -m bench.load.drive --plan plan.json --host http://127.0.0.1:P --out requests.json

A process of its own (locust patches the standard library for gevent on import). Phases:

1. *sign-in*: the users arrive (``--spawn-rate`` a second), sign in and wait; the mix starts
   when every one of them is in (or was refused).
2. *mix*: ``--warmup-seconds`` of the realistic mix, not measured (a server that has been up
   a while has its templates compiled and its modules loaded in every worker; each user
   starts after a random think time, so they do not all click at once), then
   ``--mix-seconds`` measured.
3. *settle*: the users finish what they were doing and stop (the longest think time).
4. *capacity*: for each endpoint of ``report.CAPACITY_ENDPOINTS`` in turn, every user asks for
   it without pause for ``--capacity-seconds`` (0 skips the phase).

Every request is kept (start, name, response time, failure) with the phases' windows, in the
``--out`` JSON file; ``report.py`` makes the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import gevent
from locust.env import Environment

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.load import locustfile  # noqa: E402
from bench.load.report import CAPACITY_ENDPOINTS, THINK_SECONDS  # noqa: E402

SIGN_IN_TIMEOUT = 180.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load.drive")
    parser.add_argument("--plan", type=Path, required=True)
    parser.add_argument("--host", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--spawn-rate", type=float, default=10.0)
    parser.add_argument("--warmup-seconds", type=float, default=10.0)
    parser.add_argument("--mix-seconds", type=float, default=60.0)
    parser.add_argument("--capacity-seconds", type=float, default=10.0)
    parser.add_argument("--each-action-first", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ["LOAD_PLAN"] = str(args.plan)
    records: list[dict[str, Any]] = []

    env = Environment(user_classes=[locustfile.StaffUser], host=args.host)

    def keep(name: str, response_time: float, exception: Any = None, **kw: Any) -> None:
        records.append(
            {
                "t": kw.get("start_time") or time.time() - response_time / 1000,
                "name": name,
                "ms": round(response_time, 2),
                "ok": exception is None,
                "error": None if exception is None else str(exception)[:300],
            }
        )

    env.events.request.add_listener(keep)  # type: ignore[no-untyped-call]
    runner = env.create_local_runner()
    locustfile.PHASE.name = "sign_in"
    locustfile.OPTIONS["each_action_first"] = args.each_action_first
    started = time.time()
    runner.start(args.users, spawn_rate=args.spawn_rate)
    progress = locustfile.Progress
    while progress.signed_in + progress.refused < args.users:
        if time.time() - started > SIGN_IN_TIMEOUT:
            break
        gevent.sleep(0.1)
    windows: dict[str, Any] = {"sign_in": [started, time.time()]}
    print(
        f"{progress.signed_in} users signed in ({progress.refused} refused) in "
        f"{time.time() - started:.1f} s; mix for {args.mix_seconds:g} s ...",
        file=sys.stderr,
        flush=True,
    )
    locustfile.PHASE.name = "mix"
    windows["warmup"] = [time.time(), time.time() + args.warmup_seconds]
    gevent.sleep(args.warmup_seconds)
    mix_start = time.time()
    gevent.sleep(args.mix_seconds)
    windows["mix"] = [mix_start, time.time()]
    locustfile.PHASE.name = "settle"
    gevent.sleep(max(THINK_SECONDS) + 0.5)
    windows["capacity"] = {}
    if args.capacity_seconds > 0:
        print("capacity ...", file=sys.stderr, flush=True)
        for endpoint in CAPACITY_ENDPOINTS:
            locustfile.PHASE.endpoint = endpoint
            locustfile.PHASE.name = "capacity"
            begin = time.time()
            gevent.sleep(args.capacity_seconds)
            windows["capacity"][endpoint] = [begin, time.time()]
            locustfile.PHASE.name = "settle"
            gevent.sleep(0.5)  # the last requests of this endpoint finish before the next
    locustfile.PHASE.name = "done"
    runner.quit()
    args.out.write_text(
        json.dumps(
            {
                "windows": windows,
                "signed_in": progress.signed_in,
                "refused": progress.refused,
                "retried": progress.retried,
                "records": records,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Disclosure engine: decisions per second, and the wall time of ``groupguard assess FILE``.

Targets:
- throughput: at least 20,000 decisions per second on one core (the engine is pure,
  single-threaded Python), best of 5 passes over 10,000 generated fact sets, each parsed and
  checked from a dict as the API and the CLI receive it;
- command: ``python -m groupguard.cli.assess FILE`` as a subprocess, p50 wall time under
  250 ms (``python -c pass`` is measured beside it, for scale).

The fact sets are generated deterministically: about two thirds raise something in group,
the rest go to a third party; each optional key is present about half the time, with a value
drawn from its allowed ones, and a few jurisdictions are unknown codes. The level counts and
the share of rules that fired at least once are reported, as a check that the sets are varied.

Needs no database: ``python -m bench.engine`` runs it alone; ``bench/run.py --only engine``
runs it with the others.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

TARGET_RATE = 20_000
TARGET_CLI_P50_MS = 250.0
ROOT = Path(__file__).resolve().parent.parent


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("engine")
    group.add_argument(
        "--engine-facts", type=int, default=10_000, help="generated fact sets (default 10000)"
    )
    group.add_argument(
        "--engine-passes", type=int, default=5, help="timed passes, best counts (default 5)"
    )
    group.add_argument(
        "--engine-cli-runs",
        type=int,
        default=15,
        help="subprocess runs of groupguard assess for its wall time (default 15)",
    )


def generate(count: int, seed: int = 1) -> list[dict[str, Any]]:
    """``count`` fact sets, the same every time for the same seed."""
    from groupguard.disclosures.engine.facts import BOOLEANS, CHOICES, NULLABLE
    from groupguard.jurisdictions import JURISDICTIONS

    rng = random.Random(seed)
    jurisdictions = [*JURISDICTIONS, "us-ca", "US-ZZ"]
    choices = {
        name: [*values, None] if name in NULLABLE else list(values)
        for name, values in CHOICES.items()
        if name != "recipient"
    }
    sets = []
    for _ in range(count):
        facts: dict[str, Any] = {"recipient": "group" if rng.random() < 0.65 else "third_party"}
        if rng.random() < 0.8:
            facts["jurisdiction"] = rng.choice(jurisdictions)
        for name, values in choices.items():
            if rng.random() < 0.5:
                facts[name] = rng.choice(values)
        for name in sorted(BOOLEANS):
            if rng.random() < 0.5:
                # Most flags are rare in practice; relevance is usually true.
                facts[name] = rng.random() < (0.8 if name == "relevant_to_treatment" else 0.25)
        sets.append(facts)
    return sets


def _wall_ms(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter_ns()
    subprocess.run(command, check=True, capture_output=True, env=env, cwd=ROOT)  # noqa: S603
    return (time.perf_counter_ns() - started) / 1e6


def _command_times(runs: int, facts: dict[str, Any]) -> dict[str, float]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory(prefix="groupguard-bench-engine-") as tmp:
        path = Path(tmp) / "facts.json"
        path.write_text(json.dumps(facts), encoding="utf-8")
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "groupguard assess FILE": [sys.executable, "-m", "groupguard.cli.assess", str(path)],
        }
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for command in commands.values():
            _wall_ms(command, env)  # warm the file cache and the bytecode
        for _ in range(runs):
            for name, command in commands.items():
                samples[name].append(_wall_ms(command, env))
    return {name: round(statistics.median(ms), 1) for name, ms in samples.items()}


def run(args: argparse.Namespace) -> dict[str, Any]:
    from groupguard.disclosures.engine import RULES, RULES_VERSION, evaluate

    sets = generate(args.engine_facts)
    decisions = [evaluate(facts) for facts in sets]  # also the warm-up
    levels = Counter(decision.level for decision in decisions)
    fired = {factor.id for decision in decisions for factor in decision.factors}
    seconds = []
    gc.collect()
    for _ in range(args.engine_passes):
        started = time.perf_counter()
        for facts in sets:
            evaluate(facts)
        seconds.append(time.perf_counter() - started)
    best = min(seconds)
    rate = len(sets) / best
    started = time.perf_counter()
    for facts in sets:
        json.dumps(evaluate(facts).as_json())
    json_rate = len(sets) / (time.perf_counter() - started)
    example = {
        "recipient": "group",
        "jurisdiction": "US-NY",
        "said_in": "scheduled_one_on_one",
        "promise": "implied",
        "member_request": "explicit",
    }
    command = _command_times(args.engine_cli_runs, example)
    cli_p50 = command["groupguard assess FILE"]
    return {
        "benchmark": "engine",
        "target": {
            "decisions_per_second": TARGET_RATE,
            "cli_p50_ms": f"under {TARGET_CLI_P50_MS:g} ms",
        },
        "rules_version": RULES_VERSION,
        "rules": len(RULES),
        "fact_sets": len(sets),
        "levels": {level: levels[level] for level in sorted(levels)},
        "rules_fired": len(fired),
        "passes": [round(s * 1000, 2) for s in seconds],
        "decisions_per_second": round(rate),
        "us_per_decision": round(best / len(sets) * 1e6, 1),
        "with_json_per_second": round(json_rate),
        "throughput_within_target": rate >= TARGET_RATE,
        "cli_p50_ms": command,
        "cli_within_target": cli_p50 < TARGET_CLI_P50_MS,
        "cli_runs": args.engine_cli_runs,
    }


def table(result: dict[str, Any]) -> str:
    def flag(ok: bool, text: str) -> str:
        return "" if ok else f"  MISSED ({text})"

    lines = [
        f"{result['fact_sets']} fact sets, {result['rules']} rules "
        f"(version {result['rules_version']}, {result['rules_fired']} fired at least once); "
        f"levels {result['levels']}",
        f"throughput  {result['decisions_per_second']:>8,} decisions/s "
        f"({result['us_per_decision']} us each, best of {len(result['passes'])}; "
        f"{result['with_json_per_second']:,}/s with as_json and json.dumps)"
        + flag(result["throughput_within_target"], f"< {TARGET_RATE:,}/s"),
    ]
    for name, ms in result["cli_p50_ms"].items():
        lines.append(f"wall time   {name:<24} p50 {ms:>7.1f} ms")
    lines[-1] += flag(result["cli_within_target"], f">= {TARGET_CLI_P50_MS:g} ms")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.engine", description=__doc__)
    add_arguments(parser)
    print(table(run(parser.parse_args())))

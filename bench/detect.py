"""Confidentiality-request detection: how right it is on notes it never saw, how fast it is,
and the start-up of ``groupguard detect``.

Judgement: the corpus's **test families** (corpus/detector/, split by tools/detector_corpus.py;
the model never trained on them, and the check below proves no test text is also a train
text) are built into notes and scored: precision and recall of "a request" (explicit or
implied), explicit recall, the confusion table, the facilitator's promises, and each risk
flag's recall and precision. Targets: precision >= 0.95, recall >= 0.95, explicit recall >=
0.98. The same notes are scored by the rules alone and by the model alone, side by side.

Targets:
- throughput: at least 5,000 messages per second on one core (the detector is single-threaded
  pure Python), best of 5 passes over 1,000 generated contact notes;
- start-up: ``python -m groupguard.cli.detect TEXT`` as a subprocess, p50 wall time over
  ``python -c pass`` in the same run, at most a quarter of what ``django.setup()`` adds (the
  cost the command must not pay), or at most 50 ms when Django cannot be set up here.
  Relative, because machines differ five-fold in start-up times.

Throughput is measured on the test notes. ``generate`` (simple notes from fixed sentences)
feeds the live-highlight benchmark (bench/highlight.py), which measures speed, not judgement.

Needs no database: ``python -m bench.detect`` runs it alone; ``bench/run.py --only detect``
runs it with the others.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

TARGET_RATE = 5_000
TARGET_PRECISION = 0.95
TARGET_RECALL = 0.95
TARGET_EXPLICIT_RECALL = 0.98
TARGET_CLI_SHARE_OF_DJANGO = 0.25
TARGET_CLI_OVERHEAD_MS = 50.0  # when django.setup() cannot run
ROOT = Path(__file__).resolve().parent.parent

NAMES = ["Mia", "Noah", "Olga", "Sam", "Priya", "Jamal", "Lena", "Tomás", "Aiyana", "Chen"]
TOPICS = [
    "the relapse",
    "her divorce",
    "his drinking",
    "the affair",
    "the diagnosis",
    "money trouble at home",
    "the panic attacks",
    "what happened at work",
    "the custody hearing",
    "their son's arrest",
]
INNOCENT = [
    "{Name} called after group to say {pron} would be late next week.",
    "{Name} stayed after group to ask about the holiday schedule.",
    "We talked about confidentiality in group and what the agreement covers.",
    "{Pron} said it's fine to share this with the group next time.",
    "I reminded {obj} that nothing is secret in group under the policy {pron} signed.",
    "{Pron} asked whether the group keeps things confidential.",
    "{Pron} mentioned feeling anxious about {topic}.",
    "I suggested {pron} bring {topic} to group on Thursday.",
    "{Pron} thanked me for the referral to an individual therapist.",
    "{Pron} asked what the limits of confidentiality are.",
    "Brief check-in by phone; {pron} sounded calmer than last week.",
    "{Pron} plans to tell the group about {topic} next session.",
    "We agreed I would check in again before the next session.",
    "{Pron} was embarrassed about arriving late.",
    "{Name} texted to confirm the new room on the second floor.",
    "{Pron} said {pron} doesn't mind if I mention it to the others.",
    "I explained that what members tell me outside group can come up in group.",
    "{Pron} asked me to keep an eye on how {pron} is sleeping.",
]
EXPLICIT = [
    "{Pron} asked me not to tell the others about {topic}.",
    "\u201cPlease don\u2019t tell the group,\u201d {pron} said.",
    "{Pron} begged me to keep it from the group.",
    "'This stays between us,' {pron} said.",
    "Just between you and me, {pron} said, {topic} has gotten worse.",
    "{Pron} made me promise not to tell anyone.",
    "Can this stay here? {Pron} asked twice.",
    "{Pron} asked if I could keep {topic} private.",
]
IMPLIED = [
    "Nobody in the group knows about {topic}.",
    "{Pron} waited until everyone left before raising {topic}.",
    "{Pron} hasn't told the group about {topic}.",
    "{Pron} didn't want to say it in front of the group.",
    "'The others can't find out,' {pron} said.",
    "{Pron} said {pron} would be mortified if they knew.",
    "{Pron} texted me privately because {pron} didn't want the group to see.",
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("detect")
    group.add_argument(
        "--detect-messages", type=int, default=1000, help="generated notes (default 1000)"
    )
    group.add_argument(
        "--detect-passes", type=int, default=5, help="timed passes, best counts (default 5)"
    )
    group.add_argument(
        "--detect-cli-runs",
        type=int,
        default=15,
        help="subprocess runs per command for the start-up time (default 15)",
    )


def generate(count: int, seed: int = 1) -> list[tuple[str, str]]:
    """``count`` (label, note) pairs, the same every time for the same seed."""
    rng = random.Random(seed)
    notes = []
    for _ in range(count):
        roll = rng.random()
        label = "explicit" if roll < 0.2 else "implied" if roll < 0.45 else "none"
        sentences = rng.sample(INNOCENT, rng.randint(1, 4) - (label != "none"))
        if label == "explicit":
            sentences.append(rng.choice(EXPLICIT))
        elif label == "implied":
            sentences.append(rng.choice(IMPLIED))
        rng.shuffle(sentences)
        pron, obj = rng.choice([("she", "her"), ("he", "him"), ("they", "them")])
        words = {
            "Name": rng.choice(NAMES),
            "pron": pron,
            "Pron": pron.capitalize(),
            "obj": obj,
            "topic": rng.choice(TOPICS),
        }
        notes.append((label, " ".join(s.format(**words) for s in sentences)))
    return notes


def _wall_ms(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter_ns()
    subprocess.run(command, check=True, capture_output=True, env=env, cwd=ROOT)  # noqa: S603
    return (time.perf_counter_ns() - started) / 1e6


def _startup(runs: int) -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.setdefault("DJANGO_SETTINGS_MODULE", "groupguard.settings")
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "groupguard detect": [
            sys.executable,
            "-m",
            "groupguard.cli.detect",
            "She asked me not to tell the others; nobody in the group knows.",
        ],
        "django.setup()": [sys.executable, "-c", "import django; django.setup()"],
    }
    try:
        _wall_ms(commands["django.setup()"], env)
    except subprocess.CalledProcessError:
        del commands["django.setup()"]  # settings need variables this environment lacks
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for command in commands.values():
        _wall_ms(command, env)  # warm the file cache and the bytecode
    for _ in range(runs):
        for name, command in commands.items():
            samples[name].append(_wall_ms(command, env))
    return {name: round(statistics.median(ms), 1) for name, ms in samples.items()}


def _scores(pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Precision and recall of "a request", explicit recall and the confusion table, from
    (truth, answer) pairs."""
    tp = sum(1 for t, a in pairs if t != "none" and a != "none")
    fp = sum(1 for t, a in pairs if t == "none" and a != "none")
    fn = sum(1 for t, a in pairs if t != "none" and a == "none")
    explicit = [a for t, a in pairs if t == "explicit"]
    labels = ("explicit", "implied", "none")
    return {
        "precision": round(tp / (tp + fp), 4) if tp + fp else 0.0,
        "recall": round(tp / (tp + fn), 4) if tp + fn else 0.0,
        "explicit_recall": round(sum(a == "explicit" for a in explicit) / len(explicit), 4)
        if explicit
        else 0.0,
        "confusion": {
            t: {a: sum(1 for x, y in pairs if (x, y) == (t, a)) for a in labels} for t in labels
        },
    }


def judge() -> dict[str, Any]:
    """The detector on the corpus's test families, and the rules and the model alone."""
    from groupguard.contacts import detect as d
    from groupguard.contacts.detector.model import RISKS
    from tools import detector_corpus as corpus

    families = corpus.load()
    notes = corpus.notes(families, "test")
    shared = corpus.shared_sentences(families)
    detections = [d.detect(n.text) for n in notes]
    both = [(n.label, x.request) for n, x in zip(notes, detections, strict=True)]
    rules_only, model_only = [], []
    for note in notes:
        reading = d._Reading(note.text, "en")
        evidence = reading.evidence()
        levels = evidence.rule_levels
        rules_only.append(
            (note.label, "explicit" if "explicit" in levels else "implied" if levels else "none")
        )
        alone = reading.evidence(rules=False)
        model_only.append((note.label, d.decide(alone, reading.model.thresholds)[0]))
    risks = {}
    for kind in RISKS:
        truth = [kind in n.risk for n in notes]
        found = [kind in x.risks for x in detections]
        tp = sum(t and f for t, f in zip(truth, found, strict=True))
        risks[kind] = {
            "notes": sum(truth),
            "recall": round(tp / sum(truth), 4) if sum(truth) else None,
            "precision": round(tp / sum(found), 4) if sum(found) else None,
        }
    promised = [n.promise for n in notes]
    found_promise = [bool(x.promises) for x in detections]
    tp = sum(t and f for t, f in zip(promised, found_promise, strict=True))
    return {
        "families": len({n.family for n in notes}),
        "notes": len(notes),
        "sentences_shared_with_train": len(shared),
        "long_sentences_shared_with_train": sum(len(x.split()) >= 5 for x in shared),
        "detector": _scores(both),
        "rules_only": _scores(rules_only),
        "model_only": _scores(model_only),
        "promise": {
            "notes": sum(promised),
            "recall": round(tp / sum(promised), 4) if sum(promised) else None,
            "precision": round(tp / sum(found_promise), 4) if sum(found_promise) else None,
        },
        "risks": risks,
        "model": detections[0].model if detections else "",
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    from groupguard.contacts.detect import RULES, detect
    from tools import detector_corpus as corpus

    judged = judge()
    texts = [n.text for n in corpus.notes(corpus.load(), "test")][: args.detect_messages]
    for text in texts:  # warm-up
        detect(text)
    seconds = []
    gc.collect()
    for _ in range(args.detect_passes):
        started = time.perf_counter()
        for text in texts:
            detect(text)
        seconds.append(time.perf_counter() - started)
    best = min(seconds)
    rate = len(texts) / best
    startup = _startup(args.detect_cli_runs)
    overhead = startup["groupguard detect"] - startup["python -c pass"]
    if "django.setup()" in startup:
        django = startup["django.setup()"] - startup["python -c pass"]
        limit = TARGET_CLI_SHARE_OF_DJANGO * django
    else:
        limit = TARGET_CLI_OVERHEAD_MS
    scores = judged["detector"]
    return {
        "benchmark": "detect",
        "target": {
            "messages_per_second": TARGET_RATE,
            "cli_overhead_ms": "at most 1/4 of django.setup()'s, or 50 ms without Django",
            "precision": TARGET_PRECISION,
            "recall": TARGET_RECALL,
            "explicit_recall": TARGET_EXPLICIT_RECALL,
        },
        "judgement": judged,
        "judgement_within_target": scores["precision"] >= TARGET_PRECISION
        and scores["recall"] >= TARGET_RECALL
        and scores["explicit_recall"] >= TARGET_EXPLICIT_RECALL,
        "messages": len(texts),
        "mean_chars": round(sum(map(len, texts)) / len(texts)),
        "rules": len(RULES["en"]),
        "passes": [round(s * 1000, 2) for s in seconds],
        "messages_per_second": round(rate),
        "us_per_message": round(best / len(texts) * 1e6, 1),
        "throughput_within_target": rate >= TARGET_RATE,
        "cli_p50_ms": startup,
        "cli_overhead_ms": round(overhead, 1),
        "cli_overhead_limit_ms": round(limit, 1),
        "cli_within_target": overhead <= limit,
        "cli_runs": args.detect_cli_runs,
    }


def table(result: dict[str, Any]) -> str:
    def flag(ok: bool, text: str) -> str:
        return "" if ok else f"  MISSED ({text})"

    judged = result["judgement"]
    lines = [
        f"held-out test: {judged['notes']} notes from {judged['families']} families the model "
        f"never saw (sentences also in train or dev: {judged['sentences_shared_with_train']}, "
        f"of which {judged['long_sentences_shared_with_train']} of 5+ words, their texts left "
        f"out of the test); "
        f"model {judged['model']}",
    ]
    for name in ("detector", "rules_only", "model_only"):
        s = judged[name]
        lines.append(
            f"  {name:<11} precision {s['precision']:.3f}  recall {s['recall']:.3f}  "
            f"explicit recall {s['explicit_recall']:.3f}"
        )
    lines[-3] += flag(
        result["judgement_within_target"],
        f"targets {TARGET_PRECISION} / {TARGET_RECALL} / {TARGET_EXPLICIT_RECALL}",
    )
    lines.append("  confusion (truth -> answer): explicit / implied / none")
    for truth, row in judged["detector"]["confusion"].items():
        lines.append(f"    {truth:<9} {row['explicit']:>5} {row['implied']:>5} {row['none']:>5}")
    p = judged["promise"]
    lines.append(
        f"  facilitator's promises: {p['notes']} notes, recall {p['recall']}, "
        f"precision {p['precision']}"
    )
    for kind, r in judged["risks"].items():
        lines.append(
            f"  risk {kind:<22} {r['notes']:>3} notes  recall {r['recall']}  "
            f"precision {r['precision']}"
        )
    lines.append(
        f"throughput  {result['messages_per_second']:>8,} notes/s "
        f"({result['us_per_message']} us each over {result['messages']} test notes of mean "
        f"{result['mean_chars']} chars, best of {len(result['passes'])})"
        + flag(result["throughput_within_target"], f"< {TARGET_RATE:,}/s")
    )
    for name, ms in result["cli_p50_ms"].items():
        lines.append(f"start-up    {name:<20} p50 {ms:>7.1f} ms")
    lines.append(
        f"groupguard detect costs {result['cli_overhead_ms']:.1f} ms over python -c pass "
        f"(limit {result['cli_overhead_limit_ms']:g} ms)"
        + flag(result["cli_within_target"], f"> {result['cli_overhead_limit_ms']:g} ms")
    )
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.detect", description=__doc__)
    add_arguments(parser)
    print(table(run(parser.parse_args())))

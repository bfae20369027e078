"""Audit log benchmark: append cost, verify throughput and proof latency at scale.

Targets (issue #3), all measured in the same run:
- append cost: a write with its audit entry over the same write without, as a ratio (<= 1.5);
- verify throughput: entries per second of ``verify_log`` (>= 500,000/s) and its ratio to a
  bare hashlib loop over the same leaf bytes;
- proof latency: an inclusion or consistency proof at the full size (< 100 ms).

The large log is generated with the product's own functions (canonical JSON, leaf hashes,
peaks, signed entry heads, stored nodes) but inserted in bulk, so generating a million entries
takes a minute rather than an hour of single appends.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import time
from typing import Any

TARGET_APPEND_RATIO = 1.5
TARGET_VERIFY_RATE = 500_000
TARGET_PROOF_MS = 100.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("audit")
    group.add_argument(
        "--audit-entries",
        type=int,
        default=1_000_000,
        help="size of the generated audit log (default 1,000,000)",
    )
    group.add_argument(
        "--audit-appends", type=int, default=300, help="measured appends per variant"
    )
    group.add_argument("--audit-proofs", type=int, default=100, help="measured proofs per kind")


def _generate(practice_id: Any, count: int) -> Any:
    from django.db import transaction
    from django.utils import timezone

    from groupguard.audit.checkpoints import make_checkpoint, origin_for, sign_entry_head
    from groupguard.audit.jcs import canonicalize
    from groupguard.audit.log import append_to_peaks, log_for, split_peaks
    from groupguard.audit.merkle import RootBuilder, leaf_hash
    from groupguard.audit.models import AuditEntry, AuditLog, AuditNode

    log = log_for(practice_id)
    origin = origin_for(log)
    peaks = split_peaks(bytes(log.peaks))
    index = log.size
    now = timezone.now()
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    rng = random.Random(7)  # noqa: S311
    actions = ["member.view", "group.view", "attendance.create", "member.update", "session.view"]
    batch = 10_000
    while index < count:
        entries: list[Any] = []
        nodes: list[Any] = []
        with transaction.atomic():
            for _ in range(min(batch, count - index)):
                action = actions[rng.randrange(len(actions))]
                entry = {
                    "v": 1,
                    "log": log.name,
                    "index": index,
                    "time": stamp,
                    "actor": {"kind": "user", "id": str(rng.randrange(1, 40))},
                    "action": action,
                    "object": {"type": action.split(".")[0], "id": f"{index:032x}"},
                    "fields": [],
                    "member": None,
                    "ip": "10.0.0.1",
                    "severity": "info",
                    "detail": {},
                }
                leaf = canonicalize(entry)
                lh = leaf_hash(leaf)
                peaks, completed = append_to_peaks(peaks, index, lh)
                root = RootBuilder(index + 1, peaks).root()
                key_id, signature = sign_entry_head(origin, index + 1, root)
                entries.append(
                    AuditEntry(
                        log=log,
                        index=index,
                        leaf=leaf,
                        leaf_hash=lh,
                        tree_root=root,
                        head_signature=signature,
                        key_id=key_id,
                        recorded_at=now,
                        action=action,
                        actor_user_id=None,
                        object_type="bench",
                        object_id=str(index),
                    )
                )
                nodes.extend(
                    AuditNode(log=log, level=lv, index=ix, hash=h) for lv, ix, h in completed
                )
                index += 1
            AuditEntry.objects.bulk_create(entries, batch_size=2000)
            AuditNode.objects.bulk_create(nodes, batch_size=2000)
            AuditLog.objects.filter(pk=log.pk).update(size=index, peaks=b"".join(peaks))
    log.refresh_from_db()
    make_checkpoint(log)
    log.refresh_from_db()
    return log


def _time_appends(practice: Any, rounds: int) -> dict[str, Any]:
    """The same write with and without its audit entry, interleaved, one transaction each.

    Two writes are measured: a bare one-row insert (the harshest ratio: the audit entry is
    most of the work) and the product's member creation (validation, two sealed PHI fields,
    the insert), which is what a practitioner's click costs.
    """
    from django.db import transaction

    from bench.common import summarize_ms
    from groupguard.audit.log import SYSTEM, record
    from groupguard.practice.models import Member

    def bare(audited: bool) -> None:
        with transaction.atomic():
            member = Member(practice=practice, given_name="Bench", family_name="Mark")
            member.save()
            if audited:
                record(
                    practice_id=practice.id,
                    actor=SYSTEM,
                    action="member.create",
                    obj=member,
                    member_id=member.id,
                    fields=["given_name", "family_name"],
                )

    def action(audited: bool) -> None:
        with transaction.atomic():
            member = Member(
                practice=practice,
                given_name="Bench",
                family_name="Mark",
                date_of_birth=None,
                email="bench@example.net",
            )
            member.full_clean()
            member.save()
            if audited:
                record(
                    practice_id=practice.id,
                    actor=SYSTEM,
                    action="member.create",
                    obj=member,
                    member_id=member.id,
                    fields=["given_name", "family_name", "email"],
                )

    out: dict[str, Any] = {"target_max": TARGET_APPEND_RATIO}
    for name, fn in (("bare_insert", bare), ("member_create", action)):
        samples: dict[bool, list[int]] = {False: [], True: []}
        for _ in range(20):
            fn(False)
            fn(True)
        for _ in range(rounds):
            for audited in (False, True):
                start = time.perf_counter_ns()
                fn(audited)
                samples[audited].append(time.perf_counter_ns() - start)
        plain, with_audit = summarize_ms(samples[False]), summarize_ms(samples[True])
        out[name] = {
            "without": plain,
            "with": with_audit,
            "ratio_p50": round(with_audit["p50_ms"] / plain["p50_ms"], 2),
        }
    out["within_target"] = out["member_create"]["ratio_p50"] <= TARGET_APPEND_RATIO
    return out


def _time_verify(log: Any) -> dict[str, Any]:
    from django.db import connection

    from groupguard.audit.verify import verify_log

    report = verify_log(log)
    if not report.ok:
        raise RuntimeError(f"the benchmark log does not verify: {report.faults}")
    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT leaf FROM audit_auditentry WHERE log_id = %s ORDER BY "index"', [log.pk]
        )
        leaves = [bytes(row[0]) for row in cursor.fetchall()]
    sha = hashlib.sha256
    start = time.perf_counter()
    for leaf in leaves:
        sha(b"\x00" + leaf).digest()
    bare = time.perf_counter() - start
    rate = report.entries_checked / report.seconds
    bare_rate = len(leaves) / bare
    return {
        "entries": report.entries_checked,
        "seconds": round(report.seconds, 3),
        "entries_per_s": round(rate),
        "bare_hashlib_per_s": round(bare_rate),
        "ratio_to_bare": round(rate / bare_rate, 3),
        "target_min_per_s": TARGET_VERIFY_RATE,
        "within_target": rate >= TARGET_VERIFY_RATE,
    }


def _time_proofs(log: Any, rounds: int) -> dict[str, Any]:
    from bench.common import summarize_ms
    from groupguard.audit.selectors import prove_consistency, prove_inclusion

    rng = random.Random(11)  # noqa: S311
    size = log.size
    inclusion, consistency = [], []
    for _ in range(rounds):
        index = rng.randrange(size)
        start = time.perf_counter_ns()
        prove_inclusion(log, index, size)
        inclusion.append(time.perf_counter_ns() - start)
        first = rng.randrange(1, size)
        start = time.perf_counter_ns()
        prove_consistency(log, first, size)
        consistency.append(time.perf_counter_ns() - start)
    inc, con = summarize_ms(inclusion), summarize_ms(consistency)
    return {
        "tree_size": size,
        "inclusion": inc,
        "consistency": con,
        "target_max_ms": TARGET_PROOF_MS,
        "within_target": max(inc["p95_ms"], con["p95_ms"]) < TARGET_PROOF_MS,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    from groupguard.practice.actions import create_practice

    practice = create_practice(
        name="Audit benchmark", slug="bench-audit", jurisdiction="US-CA", acting_user=None
    )
    started = time.perf_counter()
    log = _generate(practice.id, args.audit_entries)
    generated = time.perf_counter() - started
    result = {
        "benchmark": "audit",
        "log_size": log.size,
        "generation_seconds": round(generated, 1),
        "verify": _time_verify(log),
        "proofs": _time_proofs(log, args.audit_proofs),
    }
    result["append"] = _time_appends(practice, args.audit_appends)
    return result


def table(result: dict[str, Any]) -> str:
    def flag(ok: bool) -> str:
        return "" if ok else "  MISSED"

    a, v, p = result["append"], result["verify"], result["proofs"]
    return "\n".join(
        [
            f"audit log of {result['log_size']:,} entries (generated in {result['generation_seconds']} s)",
            f"append   member create p50 {a['member_create']['without']['p50_ms']:.2f} ms, with its audit entry"
            f" {a['member_create']['with']['p50_ms']:.2f} ms: ratio {a['member_create']['ratio_p50']:.2f}"
            f" (target <= {a['target_max']}){flag(a['within_target'])}",
            f"         bare one-row insert {a['bare_insert']['without']['p50_ms']:.2f} ms, with its audit entry"
            f" {a['bare_insert']['with']['p50_ms']:.2f} ms: ratio {a['bare_insert']['ratio_p50']:.2f}",
            f"verify   {v['entries_per_s']:,} entries/s ({v['seconds']} s); bare hashlib {v['bare_hashlib_per_s']:,}/s:"
            f" ratio {v['ratio_to_bare']:.2f} (target >= {v['target_min_per_s']:,}/s){flag(v['within_target'])}",
            f"proofs   inclusion p95 {p['inclusion']['p95_ms']:.2f} ms, consistency p95 {p['consistency']['p95_ms']:.2f} ms"
            f" at size {p['tree_size']:,} (target < {p['target_max_ms']:g} ms){flag(p['within_target'])}",
        ]
    )

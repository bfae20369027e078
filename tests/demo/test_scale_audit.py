"""The scale practice's generated audit history is a real log: it verifies and can grow."""

from __future__ import annotations

import io
import json
from typing import Any

from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from groupguard.audit.checkpoints import entry_head_body, origin_for
from groupguard.audit.log import SYSTEM, StoredHashSource, record
from groupguard.audit.merkle import RootBuilder, leaf_hash
from groupguard.audit.merkle_proofs import verify_inclusion
from groupguard.audit.models import NODE_LEVEL, AuditEntry, AuditLog, AuditNode, Checkpoint
from groupguard.audit.records import verify_records
from groupguard.audit.selectors import prove_inclusion
from groupguard.audit.verify import known_public_keys
from groupguard.contacts.models import Contact
from groupguard.demo.scale import SCALE_SLUG, seed_scale
from groupguard.demo.scale_audit import AUDIT_ACTIONS
from groupguard.practice.models import Attendance, Member, Practice

HISTORY = 700


def verify() -> dict[str, Any]:
    out = io.StringIO()
    call_command("audit", "verify", "--practice", SCALE_SLUG, stdout=out, stderr=io.StringIO())
    report: dict[str, Any] = json.loads(out.getvalue())
    return report


@override_settings(GROUPGUARD_CHECKPOINT_EVERY=256)
def test_the_generated_history_verifies_and_later_appends_continue_it(db: None) -> None:
    summary = seed_scale(groups=3, members=24, sessions=30, audit_entries=HISTORY)
    assert summary["counts"]["audit_history"] == HISTORY
    practice = Practice.objects.get(slug=SCALE_SLUG)
    log = AuditLog.objects.get(practice=practice)
    entries = list(AuditEntry.objects.filter(log=log).order_by("index"))
    generated = [e for e in entries if e.action in AUDIT_ACTIONS]
    assert len(generated) == HISTORY
    assert log.size == len(entries) > HISTORY  # the actions' own entries before and after
    # Then the bulk-loaded rows are bound, as after an upgrade (audit.rows).
    seeded = next(i for i, e in enumerate(entries) if e.action == "practice.seed_scale")
    assert {e.action for e in entries[seeded + 1 :]} == {"records.baseline"}
    assert summary["rows_bound"] > 0 and verify_records().ok

    report = verify()
    assert report["ok"], report
    [checked] = report["logs"]
    assert checked["entries_checked"] == log.size
    # A checkpoint wherever record() would have made one, and every one reproduced.
    assert checked["checkpoints_checked"] == log.size // 256 == Checkpoint.objects.count()

    # Every entry, not just the last, carries the signed head of the tree that ends with it.
    keys, origin = known_public_keys(), origin_for(log)
    builder = RootBuilder()
    for entry in entries:
        assert bytes(entry.leaf_hash) == leaf_hash(bytes(entry.leaf))
        builder.append(bytes(entry.leaf_hash))
        assert bytes(entry.tree_root) == builder.root()
        body = entry_head_body(origin, entry.index + 1, builder.root(), entry.key_id)
        keys[entry.key_id].verify(bytes(entry.head_signature), body)
    # The stored subtree nodes are the ones record() stores, so proofs read them.
    assert {(n.level, n.index) for n in AuditNode.objects.filter(log=log)} == {
        (level, i)
        for level in range(NODE_LEVEL, log.size.bit_length())
        for i in range(log.size >> level)
    }
    assert StoredHashSource(log).root(log.size) == builder.root()
    middle = entries[len(entries) // 2]
    proof = prove_inclusion(log, middle.index)
    assert verify_inclusion(
        bytes(middle.leaf_hash),
        middle.index,
        log.size,
        [bytes.fromhex(h) for h in proof["audit_path"]],
        builder.root(),
    )

    log.refresh_from_db()  # verifying is itself recorded
    with transaction.atomic():
        index = record(practice_id=practice.pk, actor=SYSTEM, action="practice.after_seed")
    assert index == log.size
    report = verify()
    assert report["ok"], report
    assert report["logs"][0]["entries_checked"] == index + 1


def test_the_history_names_seeded_rows_and_holds_no_phi(db: None) -> None:
    seed_scale(groups=2, members=12, sessions=20, audit_entries=300)
    practice = Practice.objects.get(slug=SCALE_SLUG)
    rows = AuditEntry.objects.filter(log__practice=practice, action__in=list(AUDIT_ACTIONS))
    leaves = [json.loads(bytes(e.leaf)) for e in rows]
    assert {leaf["action"] for leaf in leaves} >= {"member.view", "contact.create"}
    times = [leaf["time"] for leaf in leaves]
    assert times == sorted(times)  # stamped in index order, over the past two years

    members = {
        str(pk) for pk in Member.objects.filter(practice=practice).values_list("pk", flat=True)
    }
    kinds = {
        "member": members,
        "contact": {
            str(pk) for pk in Contact.objects.filter(practice=practice).values_list("pk", flat=True)
        },
        "attendance": {str(pk) for pk in Attendance.objects.values_list("pk", flat=True)},
    }
    for leaf in leaves:
        assert leaf["member"] is None or leaf["member"] in members
        if leaf["object"]["type"] in kinds:
            assert leaf["object"]["id"] in kinds[leaf["object"]["type"]]
        assert leaf["actor"]["kind"] == "user"

    # Names, emails and phone numbers are sealed in the rows and absent from the log.
    text = b"\n".join(bytes(e.leaf) for e in rows).decode()
    for member in Member.objects.filter(practice=practice):
        for value in (member.given_name, member.family_name, member.email):
            assert value not in text

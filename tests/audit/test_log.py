from __future__ import annotations

import hashlib
import json

import pytest
from django.db import transaction

from groupguard.audit import selectors
from groupguard.audit.checkpoints import (
    make_checkpoint,
    public_key_info,
    verify_checkpoint_signature,
)
from groupguard.audit.jcs import canonicalize
from groupguard.audit.log import SYSTEM, StoredHashSource, record
from groupguard.audit.merkle import leaf_hash, root_from_leaf_hashes
from groupguard.audit.merkle_proofs import (
    ListHashSource,
    inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from groupguard.audit.models import NODE_LEVEL, AuditEntry, AuditNode
from tests.audit.factories import grow_log
from tests.conftest import Cast


def leaf_hashes(log) -> list[bytes]:
    return [
        bytes(h)
        for h in AuditEntry.objects.filter(log=log)
        .order_by("index")
        .values_list("leaf_hash", flat=True)
    ]


@pytest.mark.django_db(transaction=True)
def test_an_entry_must_share_the_transaction_of_its_change(cast: Cast) -> None:
    with pytest.raises(RuntimeError, match="inside transaction.atomic"):
        record(practice_id=cast.north.id, actor=SYSTEM, action="x")


def test_an_entry_rolls_back_with_its_change(cast: Cast) -> None:
    before = AuditEntry.objects.count()
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        record(practice_id=cast.north.id, actor=SYSTEM, action="x")
        1 / 0  # noqa: B018
    assert AuditEntry.objects.count() == before


def test_indexes_are_contiguous_per_practice_and_leaves_are_canonical(cast: Cast) -> None:
    for practice in (cast.north, cast.south):
        log = selectors.log_of_practice(practice.id)
        assert log is not None
        rows = list(AuditEntry.objects.filter(log=log).order_by("index"))
        assert [r.index for r in rows] == list(range(len(rows))) == list(range(log.size))
        for row in rows:
            entry = json.loads(bytes(row.leaf))
            assert canonicalize(entry) == bytes(row.leaf)
            assert entry["index"] == row.index and entry["log"] == log.name
            assert hashlib.sha256(b"\x00" + bytes(row.leaf)).digest() == bytes(row.leaf_hash)


def test_control_characters_cannot_forge_an_entry(cast: Cast) -> None:
    log = grow_log(cast.north, 1)
    row = AuditEntry.objects.get(log=log, index=log.size - 1)
    text = bytes(row.leaf).decode()
    assert "\n" not in text and "\x00" not in text
    assert json.loads(text)["detail"]["text"] == 'quote " newline \n nul \x00 end'


def test_stored_nodes_and_roots_match_the_reference_tree(cast: Cast) -> None:
    log = grow_log(cast.north, 700)
    hashes = leaf_hashes(log)
    assert len(hashes) == log.size > 2 << NODE_LEVEL
    source = StoredHashSource(log)
    reference = ListHashSource(hashes)
    assert source.root(log.size) == root_from_leaf_hashes(hashes)
    levels = set(AuditNode.objects.filter(log=log).values_list("level", flat=True))
    assert levels == {NODE_LEVEL, NODE_LEVEL + 1}
    last = AuditEntry.objects.get(log=log, index=log.size - 1)
    assert bytes(last.tree_root) == root_from_leaf_hashes(hashes)
    for size in (1, 255, 256, 257, 511, 512, 513, log.size):
        for index in {0, size // 2, size - 1}:
            proof = selectors.prove_inclusion(log, index, size)
            path = [bytes.fromhex(h) for h in proof["audit_path"]]
            assert path == inclusion_proof(index, size, reference)
            assert verify_inclusion(
                hashes[index], index, size, path, root_from_leaf_hashes(hashes[:size])
            )
        if size > 1:
            cons = selectors.prove_consistency(log, size // 2, size)
            assert verify_consistency(
                size // 2,
                size,
                root_from_leaf_hashes(hashes[: size // 2]),
                root_from_leaf_hashes(hashes[:size]),
                [bytes.fromhex(h) for h in cons["proof"]],
            )


def test_checkpoints_are_signed_over_their_canonical_bytes(cast: Cast) -> None:
    log = grow_log(cast.north, 5)
    cp = make_checkpoint(log).as_dict()
    assert set(cp) == {"origin", "tree_size", "root_hash", "timestamp", "key_id", "signature"}
    assert cp["tree_size"] == log.size
    assert cp["root_hash"] == root_from_leaf_hashes(leaf_hashes(log)).hex()
    assert cp["timestamp"].endswith("Z")
    key = public_key_info()
    assert cp["key_id"] == key["key_id"]
    assert verify_checkpoint_signature(cp, key["public_key"])
    assert not verify_checkpoint_signature(
        {**cp, "tree_size": cp["tree_size"] + 1}, key["public_key"]
    )


def test_checkpoints_are_made_automatically_every_n_entries(cast: Cast, settings) -> None:
    settings.GROUPGUARD_CHECKPOINT_EVERY = 10
    log = grow_log(cast.north, 25)
    sizes = list(log.checkpoints.values_list("tree_size", flat=True))
    assert sizes and all(s % 10 == 0 for s in sizes)


def test_proof_requests_outside_the_tree_are_refused(cast: Cast) -> None:
    log = grow_log(cast.north, 3)
    with pytest.raises(ValueError, match="index"):
        selectors.prove_inclusion(log, log.size, log.size)
    with pytest.raises(ValueError, match="tree size"):
        selectors.prove_inclusion(log, 0, log.size + 1)
    with pytest.raises(ValueError):
        selectors.prove_consistency(log, 0, log.size)


def test_leaf_hash_matches_the_rfc_definition() -> None:
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()

"""The signed parts of an evidence packet: ``proofs.json`` and ``manifest.json``.

A packet cites audit entries by index. ``proofs.json`` carries, for each cited entry, its exact
leaf bytes and an RFC 9162 inclusion proof against one signed checkpoint, so a reader holding
only the practice's public key can check that the entry is in the log, unaltered, without the
database (see :mod:`groupguard.evidence.verify`). ``manifest.json`` lists the SHA-256 of every
other file of the packet and is signed with the same audit key, so no file can be changed,
swapped or dropped unnoticed.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any, Final

from django.db.models import Q

from groupguard.audit.checkpoints import key_id_for, public_key_info, signing_key
from groupguard.audit.jcs import canonicalize
from groupguard.audit.merkle import HASH_SIZE, node_hash
from groupguard.audit.merkle_proofs import (
    fold_subtree_hashes,
    inclusion_proof,
    perfect_subtree_ranges,
)
from groupguard.audit.models import NODE_LEVEL, AuditEntry, AuditLog, AuditNode, Checkpoint
from groupguard.evidence.verify import MANIFEST_FORMAT, PROOFS_FORMAT, plain_name

# Rows fetched per query: ``index IN (...)`` lists and OR-ed ranges stay well under SQLite's
# limits on bound parameters (32766) and expression depth (1000).
_BATCH: Final = 1000
_RANGES_PER_QUERY: Final = 200
_CHUNK: Final = 1 << NODE_LEVEL


def build_proofs(log: AuditLog, checkpoint: Checkpoint, indexes: Iterable[int]) -> dict[str, Any]:
    """The content of ``proofs.json``: the cited entries of ``log``, proved against ``checkpoint``.

    ``{"format", "log", "public_key": {"key_id", "public_key"}, "checkpoint": {...signed...},
    "entries": [{"index", "leaf", "entry", "leaf_hash", "proof"}]}``, entries sorted by index
    and deduplicated. ``leaf`` is the base64 of the stored leaf bytes, ``entry`` their parsed
    JSON (``None`` if the stored bytes are not JSON: the verifier then reports the entry), and
    ``leaf_hash`` the stored hash the tree was built from. Nothing is repaired or recomputed
    here; judging the stored data is the verifier's job.

    Raises ``ValueError`` for an index outside the checkpoint, a checkpoint of another log or
    signed with another key than the current one, or an entry missing from storage.
    """
    if checkpoint.log_id != log.pk:
        raise ValueError(f"checkpoint {checkpoint.pk} belongs to another log than {log.name}")
    size = checkpoint.tree_size
    if not 0 < size <= log.size:
        raise ValueError(f"checkpoint {checkpoint.pk} has tree size {size}, log has {log.size}")
    key = public_key_info()
    if key["key_id"] != checkpoint.key_id:
        raise ValueError(
            f"checkpoint {checkpoint.pk} is signed with key {checkpoint.key_id}, but the current "
            f"audit key is {key['key_id']}: make a fresh checkpoint"
        )
    wanted = sorted(set(indexes))
    for index in wanted:
        if not 0 <= index < size:
            raise ValueError(f"audit index {index} is not covered by the checkpoint (size {size})")

    rows = _leaves(log, wanted)
    source = _PrefetchedHashSource(log, size)
    # Two passes over the same RFC 9162 walk: the first only learns which subtree hashes the
    # proofs need, so they are read in a handful of queries instead of one per hash.
    planner = _PlanningHashSource()
    for index in wanted:
        inclusion_proof(index, size, planner)
    source.prefetch(planner.ranges)

    entries = []
    for index in wanted:
        leaf, stored_hash = rows[index]
        entries.append(
            {
                "index": index,
                "leaf": base64.b64encode(leaf).decode("ascii"),
                "entry": _parsed(leaf),
                "leaf_hash": stored_hash.hex(),
                "proof": [h.hex() for h in inclusion_proof(index, size, source)],
            }
        )
    return {
        "format": PROOFS_FORMAT,
        "log": log.name,
        "public_key": key,
        "checkpoint": checkpoint.as_dict(),
        "entries": entries,
    }


def sign_manifest(files: Mapping[str, bytes]) -> dict[str, Any]:
    """The content of ``manifest.json``: the SHA-256 of each file, signed with the audit key.

    ``{"format", "files": {name: sha256 hex}, "key_id", "signature"}``; the signature is
    Ed25519 over the RFC 8785 bytes of the object without ``signature``, base64-encoded.
    Ed25519 is deterministic, so the same files give the same manifest. Names must be plain
    file names: the verifier joins them to the packet folder.
    """
    for name in files:
        if not plain_name(name):
            raise ValueError(f"manifest file names must be plain file names, got {name!r}")
    key = signing_key()
    body: dict[str, Any] = {
        "format": MANIFEST_FORMAT,
        "files": {name: hashlib.sha256(files[name]).hexdigest() for name in sorted(files)},
        "key_id": key_id_for(key.public_key()),
    }
    body["signature"] = base64.b64encode(key.sign(canonicalize(body))).decode("ascii")
    return body


def _parsed(leaf: bytes) -> Any:
    try:
        return json.loads(leaf)
    except ValueError:
        return None


def _leaves(log: AuditLog, indexes: list[int]) -> dict[int, tuple[bytes, bytes]]:
    """``index -> (leaf bytes, stored leaf hash)``, one query per ``_BATCH`` indexes."""
    rows: dict[int, tuple[bytes, bytes]] = {}
    for start in range(0, len(indexes), _BATCH):
        batch = indexes[start : start + _BATCH]
        found = AuditEntry.objects.filter(log=log, index__in=batch).values_list(
            "index", "leaf", "leaf_hash"
        )
        for index, leaf, stored_hash in found:
            rows[int(index)] = (bytes(leaf), bytes(stored_hash))
    for index in indexes:
        if index not in rows:
            raise ValueError(f"audit entry {index} of {log.name} is missing from storage")
    return rows


class _PlanningHashSource:
    """A ``merkle.HashSource`` that records the ranges asked for and answers with zeros."""

    def __init__(self) -> None:
        self.ranges: set[tuple[int, int]] = set()

    def subtree_hash(self, start: int, end: int) -> bytes:
        self.ranges.add((start, end))
        return bytes(HASH_SIZE)


class _PrefetchedHashSource:
    """A ``merkle.HashSource`` over one log, answering from hashes read in bulk beforehand.

    Like ``audit.log.StoredHashSource``: an aligned perfect subtree of ``2**NODE_LEVEL`` leaves
    or more is a stored ``AuditNode``; a smaller one is hashed from the leaf hashes of its chunk
    (the ``2**NODE_LEVEL`` leaves it lies in). Any other range an inclusion proof asks for runs
    to the tree's right edge and is folded from perfect ones.

    A proof of one leaf needs a sibling at every level of its chunk, which together cover the
    whole chunk, so each chunk is hashed once, level by level, and kept (``_levels``) rather
    than rehashing the leaves under every sibling.
    """

    def __init__(self, log: AuditLog, size: int) -> None:
        self.log = log
        self.size = size
        self._nodes: dict[tuple[int, int], bytes] = {}
        self._leaf_hashes: dict[int, bytes] = {}
        self._levels: dict[int, list[list[bytes]]] = {}

    def prefetch(self, ranges: Iterable[tuple[int, int]]) -> None:
        nodes: dict[int, set[int]] = {}
        chunks: set[int] = set()
        for start, end in ranges:
            for s, e in perfect_subtree_ranges(start, end):
                level = (e - s).bit_length() - 1
                if level >= NODE_LEVEL:
                    nodes.setdefault(level, set()).add(s >> level)
                else:
                    chunks.add(s >> NODE_LEVEL)
        self._fetch_nodes(nodes)
        self._fetch_chunks(sorted(chunks))

    def _fetch_nodes(self, wanted: dict[int, set[int]]) -> None:
        for level, node_indexes in sorted(wanted.items()):
            ordered = sorted(node_indexes)
            for start in range(0, len(ordered), _BATCH):
                found = AuditNode.objects.filter(
                    log=self.log, level=level, index__in=ordered[start : start + _BATCH]
                ).values_list("index", "hash")
                for index, stored in found:
                    self._nodes[(level, int(index))] = bytes(stored)

    def _fetch_chunks(self, chunks: list[int]) -> None:
        # Neighbouring chunks are read as one range, and many ranges are OR-ed into one query.
        runs: list[tuple[int, int]] = []
        for chunk in chunks:
            if runs and runs[-1][1] == chunk:
                runs[-1] = (runs[-1][0], chunk + 1)
            else:
                runs.append((chunk, chunk + 1))
        for start in range(0, len(runs), _RANGES_PER_QUERY):
            where = Q()
            for first, last in runs[start : start + _RANGES_PER_QUERY]:
                where |= Q(index__gte=first * _CHUNK, index__lt=min(last * _CHUNK, self.size))
            found = AuditEntry.objects.filter(where, log=self.log).values_list("index", "leaf_hash")
            for index, stored in found:
                self._leaf_hashes[int(index)] = bytes(stored)

    def subtree_hash(self, start: int, end: int) -> bytes:
        return fold_subtree_hashes(
            [self._perfect(s, e) for s, e in perfect_subtree_ranges(start, end)]
        )

    def _perfect(self, start: int, end: int) -> bytes:
        level = (end - start).bit_length() - 1
        if level >= NODE_LEVEL:
            stored = self._nodes.get((level, start >> level))
            if stored is None:
                raise LookupError(
                    f"audit log {self.log.name}: node {level}/{start >> level} is missing"
                )
            return stored
        chunk = start >> NODE_LEVEL
        levels = self._levels.get(chunk) or self._hash_chunk(chunk)
        return levels[level][(start & (_CHUNK - 1)) >> level]

    def _hash_chunk(self, chunk: int) -> list[list[bytes]]:
        """The hashes of every perfect subtree of the chunk, by level (level 0: the leaves)."""
        first = chunk << NODE_LEVEL
        try:
            level = [self._leaf_hashes[i] for i in range(first, min(first + _CHUNK, self.size))]
        except KeyError as exc:
            raise LookupError(
                f"audit log {self.log.name}: entry {exc.args[0]} is missing"
            ) from None
        levels = [level]
        while len(level) > 1:
            pairs = iter(level)
            level = [node_hash(left, right) for left, right in zip(pairs, pairs, strict=False)]
            levels.append(level)
        self._levels[chunk] = levels
        return levels

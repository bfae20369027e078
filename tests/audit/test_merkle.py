"""Tests for groupguard.audit.merkle (pure: no Django, no database)."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groupguard.audit.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    RootBuilder,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
)
from groupguard.audit.merkle_proofs import (
    HashSource,
    ListHashSource,
    consistency_proof,
    fold_subtree_hashes,
    inclusion_proof,
    perfect_subtree_ranges,
    verify_consistency,
    verify_inclusion,
)

# --------------------------------------------------------------------------
# Reference implementation: a literal transcription of RFC 9162 section 2.1,
# recursive and slow on purpose, sharing no code with the module under test.


def ref_leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def ref_node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def ref_k(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: Sequence[bytes]) -> bytes:
    """MTH over leaf *hashes* d."""
    n = len(d)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return d[0]
    k = ref_k(n)
    return ref_node(ref_mth(d[0:k]), ref_mth(d[k:n]))


def ref_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = ref_k(n)
    if m < k:
        return ref_path(m, d[0:k]) + [ref_mth(d[k:n])]
    return ref_path(m - k, d[k:n]) + [ref_mth(d[0:k])]


def ref_subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = ref_k(n)
    if m <= k:
        return ref_subproof(m, d[0:k], b) + [ref_mth(d[k:n])]
    return ref_subproof(m - k, d[k:n], False) + [ref_mth(d[0:k])]


def ref_proof(m: int, d: Sequence[bytes]) -> list[bytes]:
    return ref_subproof(m, d, True)


# --------------------------------------------------------------------------
# RFC 6962 test vectors, as published with the Certificate Transparency and
# Trillian reference implementations (leaf indexes are 0-based here).

H = bytes.fromhex

CT_LEAF_DATA = [
    H(x)
    for x in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
CT_LEAVES = [leaf_hash(x) for x in CT_LEAF_DATA]

CT_ROOTS = [
    H("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    H("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    H("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    H("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    H("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    H("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    H("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    H("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]

# Hashes of the perfect subtrees of the 8-leaf tree, by level (0 = leaves).
CT_NODES = [
    [
        H("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        H("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
        H("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
        H("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
        H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        H("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"),
        H("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
        H("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"),
    ],
    [
        H("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
        H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        H("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
        H("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
    ],
    [
        H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        H("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
    ],
    [H("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")],
]

# (index, size, path)
CT_INCLUSION = [
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]

# (first size, second size, proof)
CT_CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]


def synthetic_leaves(n: int, seed: bytes = b"") -> list[bytes]:
    return [ref_leaf(seed + i.to_bytes(8, "big")) for i in range(n)]


LEAVES_64 = synthetic_leaves(64)
SOURCE_64 = ListHashSource(LEAVES_64)
MAX_EXHAUSTIVE = 64


@cache
def root_64(n: int) -> bytes:
    return ref_mth(LEAVES_64[:n])


@cache
def incl_64(i: int, n: int) -> tuple[bytes, ...]:
    return tuple(inclusion_proof(i, n, SOURCE_64))


@cache
def cons_64(m: int, n: int) -> tuple[bytes, ...]:
    return tuple(consistency_proof(m, n, SOURCE_64))


def flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


# --------------------------------------------------------------------------
# Hashing and roots


def test_hash_primitives() -> None:
    assert EMPTY_ROOT == hashlib.sha256(b"").digest() == CT_ROOTS[0]
    assert HASH_SIZE == 32
    assert leaf_hash(b"") == CT_NODES[0][0]
    assert node_hash(CT_NODES[0][0], CT_NODES[0][1]) == CT_NODES[1][0]
    assert [leaf_hash(x) for x in CT_LEAF_DATA] == CT_NODES[0]


@pytest.mark.parametrize("n", range(len(CT_ROOTS)))
def test_ct_roots(n: int) -> None:
    assert root_from_leaf_hashes(CT_LEAVES[:n]) == CT_ROOTS[n]
    assert ref_mth(CT_LEAVES[:n]) == CT_ROOTS[n]
    builder = RootBuilder()
    builder.extend(CT_LEAVES[:n])
    assert builder.size == n
    assert builder.root() == CT_ROOTS[n]
    if n:
        assert ListHashSource(CT_LEAVES).subtree_hash(0, n) == CT_ROOTS[n]


def test_ct_node_hashes() -> None:
    source = ListHashSource(CT_LEAVES)
    for level, hashes in enumerate(CT_NODES):
        width = 1 << level
        for j, expected in enumerate(hashes):
            assert source.subtree_hash(j * width, (j + 1) * width) == expected


@pytest.mark.parametrize(("index", "size", "path"), CT_INCLUSION)
def test_ct_inclusion_vectors(index: int, size: int, path: list[str]) -> None:
    expected = [H(x) for x in path]
    source = ListHashSource(CT_LEAVES[:size])
    assert inclusion_proof(index, size, source) == expected
    assert ref_path(index, CT_LEAVES[:size]) == expected
    assert verify_inclusion(CT_LEAVES[index], index, size, expected, CT_ROOTS[size])


@pytest.mark.parametrize(("m", "n", "proof"), CT_CONSISTENCY)
def test_ct_consistency_vectors(m: int, n: int, proof: list[str]) -> None:
    expected = [H(x) for x in proof]
    source = ListHashSource(CT_LEAVES[:n])
    assert consistency_proof(m, n, source) == expected
    assert ref_proof(m, CT_LEAVES[:n]) == expected
    assert verify_consistency(m, n, CT_ROOTS[m], CT_ROOTS[n], expected)


def test_ct_every_pair_of_the_eight_leaf_tree() -> None:
    source = ListHashSource(CT_LEAVES)
    for n in range(1, 9):
        for i in range(n):
            proof = inclusion_proof(i, n, source)
            assert verify_inclusion(CT_LEAVES[i], i, n, proof, CT_ROOTS[n])
        for m in range(1, n + 1):
            proof = consistency_proof(m, n, source)
            assert verify_consistency(m, n, CT_ROOTS[m], CT_ROOTS[n], proof)


@pytest.mark.parametrize(
    "n",
    [0, 1, 2, 3, 5, 1023, 1024, 1025, 2047, 2048, 2049, 3 * 1024 + 7, 4096 + 1024 + 3],
)
def test_root_matches_reference_across_block_boundaries(n: int) -> None:
    leaves = synthetic_leaves(n, b"blocks")
    expected = ref_mth(leaves)
    assert root_from_leaf_hashes(leaves) == expected
    assert root_from_leaf_hashes(tuple(leaves)) == expected
    builder = RootBuilder()
    builder.extend(leaves)
    assert builder.root() == expected
    assert builder.size == n


def test_root_rejects_bad_leaf_hashes() -> None:
    leaves = synthetic_leaves(5)
    with pytest.raises(ValueError, match="leaf hash 3"):
        root_from_leaf_hashes([*leaves[:3], b"short", leaves[4]])
    with pytest.raises(ValueError):
        root_from_leaf_hashes([leaves[0] + b"x"])


def test_root_accepts_bytes_like_and_returns_bytes() -> None:
    # Database drivers (psycopg) hand back bytea columns as memoryview.
    leaves = synthetic_leaves(3)
    views: list[Any] = [memoryview(h) for h in leaves]
    assert root_from_leaf_hashes(views[:1]) == leaves[0]
    assert type(root_from_leaf_hashes(views[:1])) is bytes
    assert root_from_leaf_hashes(views) == ref_mth(leaves)


# --------------------------------------------------------------------------
# RootBuilder


def test_root_builder_every_prefix() -> None:
    leaves = synthetic_leaves(300, b"prefix")
    builder = RootBuilder()
    assert builder.root() == EMPTY_ROOT
    assert builder.size == 0
    for n, h in enumerate(leaves, start=1):
        builder.append(h)
        assert builder.size == n
        assert builder.root() == ref_mth(leaves[:n])
        assert len(builder.peaks) == n.bit_count()


def test_root_builder_resume_from_peaks() -> None:
    leaves = synthetic_leaves(77, b"resume")
    first = RootBuilder()
    first.extend(leaves[:45])
    resumed = RootBuilder(first.size, first.peaks)
    assert resumed.root() == first.root()
    resumed.extend(leaves[45:])
    assert resumed.root() == ref_mth(leaves)
    # Peaks are the roots of the perfect subtrees [0, 32), [32, 40), [40, 44), [44, 45).
    assert first.peaks == tuple(ref_mth(leaves[s:e]) for s, e in perfect_subtree_ranges(0, 45))


def test_root_builder_validation() -> None:
    leaves = synthetic_leaves(3)
    with pytest.raises(ValueError):
        RootBuilder(3, leaves[:1])  # 3 leaves need 2 peaks
    with pytest.raises(ValueError):
        RootBuilder(-1)
    with pytest.raises(ValueError):
        RootBuilder(1, [b"short"])
    builder = RootBuilder()
    with pytest.raises(ValueError):
        builder.append(b"x" * 31)
    with pytest.raises(TypeError):
        builder.append("x" * 32)  # type: ignore[arg-type]
    assert builder.size == 0
    builder.append(bytearray(leaves[0]))  # type: ignore[arg-type]
    assert builder.root() == leaves[0]
    assert type(builder.root()) is bytes


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(min_size=32, max_size=32), max_size=70))
def test_root_builder_agrees_with_root_at_every_prefix(leaves: list[bytes]) -> None:
    builder = RootBuilder()
    assert builder.root() == root_from_leaf_hashes([])
    for n, h in enumerate(leaves, start=1):
        builder.append(h)
        assert builder.root() == root_from_leaf_hashes(leaves[:n])
        assert builder.size == n


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=40), max_size=40))
def test_root_matches_reference_on_random_data(data: list[bytes]) -> None:
    leaves = [leaf_hash(x) for x in data]
    assert root_from_leaf_hashes(leaves) == ref_mth(leaves)


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=5000), st.binary(max_size=8))
def test_root_matches_reference_on_random_sizes(n: int, seed: bytes) -> None:
    leaves = synthetic_leaves(n, seed)
    builder = RootBuilder()
    builder.extend(leaves)
    expected = ref_mth(leaves)
    assert root_from_leaf_hashes(leaves) == expected
    assert builder.root() == expected


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=0, max_value=4200),
    st.lists(st.integers(min_value=0, max_value=4200), max_size=8),
    st.binary(max_size=4),
)
def test_extend_in_random_pieces(n: int, cuts: list[int], seed: bytes) -> None:
    # Streaming verifier pattern: extend batch by batch, compare at checkpoints.
    leaves = synthetic_leaves(n, seed)
    points = sorted({min(c, n) for c in cuts} | {n})
    builder = RootBuilder()
    done = 0
    for k, point in enumerate(points):
        if k % 3 == 2:
            for h in leaves[done:point]:
                builder.append(h)
        else:
            builder.extend(iter(leaves[done:point]) if k % 2 else leaves[done:point])
        done = point
        assert builder.size == point
        assert builder.root() == ref_mth(leaves[:point])
        assert builder.peaks == tuple(
            ref_mth(leaves[s:e]) for s, e in (perfect_subtree_ranges(0, point) if point else [])
        )


def test_extend_is_all_or_nothing() -> None:
    leaves = synthetic_leaves(10)
    builder = RootBuilder()
    builder.extend(leaves[:3])
    before = (builder.size, builder.peaks)
    with pytest.raises(ValueError, match="leaf hash 2"):
        builder.extend([leaves[3], leaves[4], b"bad", leaves[5]])
    with pytest.raises(TypeError):
        builder.extend([leaves[3], "not bytes"])  # type: ignore[list-item]
    assert (builder.size, builder.peaks) == before
    builder.extend(memoryview(h) for h in leaves[3:])  # type: ignore[misc]
    assert builder.root() == ref_mth(leaves)
    assert all(type(p) is bytes for p in builder.peaks)


# --------------------------------------------------------------------------
# Proof generation against the reference, exhaustively for small trees


def test_inclusion_proofs_exhaustive() -> None:
    for n in range(1, MAX_EXHAUSTIVE + 1):
        root = root_64(n)
        leaves = LEAVES_64[:n]
        for i in range(n):
            proof = list(incl_64(i, n))
            assert proof == ref_path(i, leaves), (i, n)
            assert verify_inclusion(LEAVES_64[i], i, n, proof, root), (i, n)


def test_consistency_proofs_exhaustive() -> None:
    for n in range(1, MAX_EXHAUSTIVE + 1):
        second = root_64(n)
        leaves = LEAVES_64[:n]
        for m in range(1, n + 1):
            proof = list(cons_64(m, n))
            assert proof == ref_proof(m, leaves), (m, n)
            assert verify_consistency(m, n, root_64(m), second, proof), (m, n)


class RecordingSource:
    """Records the ranges asked for and checks each is a node of the tree."""

    def __init__(self, leaves: Sequence[bytes], size: int) -> None:
        self.inner = ListHashSource(leaves)
        self.size = size
        self.calls: list[tuple[int, int]] = []

    def subtree_hash(self, start: int, end: int) -> bytes:
        assert 0 <= start < end <= self.size
        width = end - start
        span = 1 << (width - 1).bit_length()  # smallest power of two >= width
        assert start % span == 0, (start, end)
        assert width == span or end == self.size, (start, end)
        self.calls.append((start, end))
        return self.inner.subtree_hash(start, end)


def test_proofs_ask_only_for_tree_nodes_and_few_of_them() -> None:
    for n in range(1, MAX_EXHAUSTIVE + 1):
        depth = (n - 1).bit_length()  # ceil(log2 n)
        for i in range(n):
            source = RecordingSource(LEAVES_64, n)
            proof = inclusion_proof(i, n, source)
            assert len(source.calls) == len(proof) <= depth
        for m in range(1, n + 1):
            source = RecordingSource(LEAVES_64, n)
            proof = consistency_proof(m, n, source)
            assert len(source.calls) == len(proof) <= depth + 1


class PerfectOnlySource:
    """A store that keeps only perfect, aligned subtree hashes (like a database)."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.perfect: dict[tuple[int, int], bytes] = {}
        width = 1
        while width <= len(leaves):
            for start in range(0, len(leaves) - width + 1, width):
                self.perfect[(start, start + width)] = ref_mth(leaves[start : start + width])
            width *= 2

    def subtree_hash(self, start: int, end: int) -> bytes:
        ranges = perfect_subtree_ranges(start, end)
        return fold_subtree_hashes([self.perfect[r] for r in ranges])


def test_perfect_subtree_store_gives_the_same_proofs() -> None:
    source: HashSource = PerfectOnlySource(LEAVES_64)
    for n in range(1, MAX_EXHAUSTIVE + 1):
        for i in range(n):
            assert inclusion_proof(i, n, source) == list(incl_64(i, n))
        for m in range(1, n + 1):
            assert consistency_proof(m, n, source) == list(cons_64(m, n))


def test_perfect_subtree_ranges() -> None:
    assert perfect_subtree_ranges(0, 1) == [(0, 1)]
    assert perfect_subtree_ranges(0, 8) == [(0, 8)]
    assert perfect_subtree_ranges(0, 13) == [(0, 8), (8, 12), (12, 13)]
    assert perfect_subtree_ranges(8, 13) == [(8, 12), (12, 13)]
    assert perfect_subtree_ranges(3, 9) == [(3, 4), (4, 8), (8, 9)]
    for start in range(0, 70):
        for end in range(start + 1, 71):
            ranges = perfect_subtree_ranges(start, end)
            assert ranges[0][0] == start and ranges[-1][1] == end
            for (_, e), (s2, _) in zip(ranges, ranges[1:], strict=False):
                assert e == s2
            for s, e in ranges:
                width = e - s
                assert width & (width - 1) == 0 and s % width == 0
    with pytest.raises(ValueError):
        perfect_subtree_ranges(3, 3)
    with pytest.raises(ValueError):
        fold_subtree_hashes([])


def test_proofs_for_larger_trees() -> None:
    rng = random.Random(9162)
    for n in [100, 1000, 1023, 1024, 1025, 2500]:
        leaves = synthetic_leaves(n, b"large")
        source = ListHashSource(leaves)
        root = ref_mth(leaves)
        for i in {0, 1, n // 2, n - 2, n - 1, rng.randrange(n)}:
            proof = inclusion_proof(i, n, source)
            assert verify_inclusion(leaves[i], i, n, proof, root)
            assert not verify_inclusion(leaves[i], i, n, proof, flip(root, 3))
        for m in {1, 2, n // 3, n - 1, n, rng.randrange(1, n + 1)}:
            proof = consistency_proof(m, n, source)
            first = ref_mth(leaves[:m])
            assert verify_consistency(m, n, first, root, proof)
            assert proof == ref_proof(m, leaves)


def test_generation_rejects_nonsense() -> None:
    source = ListHashSource(LEAVES_64[:8])
    for index, size in [(0, 0), (8, 8), (9, 8), (-1, 8)]:
        with pytest.raises(ValueError):
            inclusion_proof(index, size, source)
    for m, n in [(0, 8), (0, 0), (9, 8), (-1, 8)]:
        with pytest.raises(ValueError):
            consistency_proof(m, n, source)
    with pytest.raises(ValueError):
        source.subtree_hash(0, 9)
    with pytest.raises(ValueError):
        source.subtree_hash(4, 4)


def test_generation_rejects_bad_source_hashes() -> None:
    class Broken:
        def subtree_hash(self, start: int, end: int) -> bytes:
            return b"too short"

    with pytest.raises(ValueError):
        inclusion_proof(0, 4, Broken())
    with pytest.raises(ValueError):
        consistency_proof(1, 4, Broken())


# --------------------------------------------------------------------------
# Verification rejects anything corrupted

SIZES_TO_CORRUPT = [*range(1, 18), 31, 32, 33, 47, 64]


def inclusion_mutations(proof: list[bytes], rng: random.Random) -> list[list[bytes]]:
    out: list[list[bytes]] = []
    for j, element in enumerate(proof):
        for bit in {0, 7, 8, 255, rng.randrange(256)}:
            out.append(proof[:j] + [flip(element, bit)] + proof[j + 1 :])
        out.append(proof[:j] + proof[j + 1 :])  # missing element
        out.append(proof[:j] + [element[:31]] + proof[j + 1 :])  # truncated
        out.append(proof[:j] + [element + b"\x00"] + proof[j + 1 :])  # too long
        out.append(proof[:j] + [element, element] + proof[j + 1 :])  # duplicated
    out.append([*proof, bytes(32)])  # extra element at the end
    out.append([bytes(32), *proof])  # extra element at the start
    out.append([*proof, rng.randbytes(32)])
    if len(proof) > 1:
        out.append(proof[::-1])
    return out


def test_inclusion_rejects_corruption() -> None:
    rng = random.Random(6962)
    for n in SIZES_TO_CORRUPT:
        root = root_64(n)
        for i in range(n):
            leaf = LEAVES_64[i]
            proof = list(incl_64(i, n))
            assert verify_inclusion(leaf, i, n, proof, root)
            for bad in inclusion_mutations(proof, rng):
                assert not verify_inclusion(leaf, i, n, bad, root), (i, n, bad)
            # wrong leaf, wrong root
            assert not verify_inclusion(flip(leaf, 100), i, n, proof, root)
            assert not verify_inclusion(leaf, i, n, proof, flip(root, 200))
            assert not verify_inclusion(leaf, i, n, proof, root[:31])
            assert not verify_inclusion(leaf[:31], i, n, proof, root)
            # wrong index
            for j in range(-1, n + 2):
                if j != i:
                    assert not verify_inclusion(leaf, j, n, proof, root), (i, j, n)
            # wrong size (with that size's genuine root)
            for m in range(max(1, i + 1), MAX_EXHAUSTIVE + 1):
                if m != n:
                    assert not verify_inclusion(leaf, i, m, proof, root_64(m)), (i, n, m)
            assert not verify_inclusion(leaf, i, 0, proof, root)
            assert not verify_inclusion(leaf, i, i, proof, root)


def test_inclusion_rejects_wrong_leaf_at_every_position() -> None:
    n = 13
    root = root_64(n)
    for i in range(n):
        proof = list(incl_64(i, n))
        for j in range(n):
            if j != i:
                assert not verify_inclusion(LEAVES_64[j], i, n, proof, root)


def test_inclusion_never_raises_on_garbage() -> None:
    leaf = LEAVES_64[0]
    proof = list(incl_64(0, 4))
    root = root_64(4)
    garbage: list[tuple[object, object, object, object, object]] = [
        (leaf, 0, 4, proof + ["not bytes"], root),
        (leaf, 0, 4, [*proof[:2], None], root),
        (leaf, 0, 4, b"".join(proof), root),
        (leaf, 0, 4, "abc", root),
        (leaf, 0, 4, None, root),
        (leaf, 0, 4, 5, root),
        (leaf, "0", 4, proof, root),
        (leaf, 0, 4.0, proof, root),
        (leaf, 0, None, proof, root),
        (leaf, True, 4, proof, root),
        (None, 0, 4, proof, root),
        (leaf, 0, 4, proof, None),
        (leaf.hex(), 0, 4, proof, root),
        (leaf, 0, 4, proof, root.hex()),
        (leaf, 0, 2**70, proof, root),
        (leaf, -(2**70), 4, proof, root),
    ]
    for args in garbage:
        assert verify_inclusion(*args) is False  # type: ignore[arg-type]


def test_inclusion_accepts_bytes_like_elements() -> None:
    proof = list(incl_64(5, 11))
    root = root_64(11)
    assert verify_inclusion(
        memoryview(LEAVES_64[5]),  # type: ignore[arg-type]
        5,
        11,
        [memoryview(p) for p in proof],  # type: ignore[misc]
        bytearray(root),  # type: ignore[arg-type]
    )
    assert verify_inclusion(LEAVES_64[5], 5, 11, tuple(proof), root)


def test_single_leaf_tree() -> None:
    leaf = LEAVES_64[0]
    assert verify_inclusion(leaf, 0, 1, [], leaf)
    assert not verify_inclusion(leaf, 0, 1, [leaf], leaf)
    assert not verify_inclusion(leaf, 0, 1, [], flip(leaf, 0))
    assert not verify_inclusion(leaf, 1, 1, [], leaf)
    assert verify_consistency(1, 1, leaf, leaf, [])


def test_consistency_rejects_corruption() -> None:
    rng = random.Random(8785)
    for n in SIZES_TO_CORRUPT:
        second = root_64(n)
        for m in range(1, n + 1):
            first = root_64(m)
            proof = list(cons_64(m, n))
            assert verify_consistency(m, n, first, second, proof)
            for bad in inclusion_mutations(proof, rng):
                assert not verify_consistency(m, n, first, second, bad), (m, n, bad)
            assert not verify_consistency(m, n, flip(first, 9), second, proof)
            assert not verify_consistency(m, n, first, flip(second, 9), proof)
            assert not verify_consistency(m, n, first[:31], second, proof)
            assert not verify_consistency(m, n, first, second + b"\x00", proof)
            if first != second:
                assert not verify_consistency(m, n, second, first, proof)  # swapped roots
            assert not verify_consistency(n, m, first, second, proof) or m == n
            assert not verify_consistency(0, n, EMPTY_ROOT, second, proof)
            # wrong sizes, each with its genuine root
            for m2 in range(1, n + 1):
                if m2 != m:
                    assert not verify_consistency(m2, n, root_64(m2), second, proof), (m, m2, n)
            for n2 in range(m, MAX_EXHAUSTIVE + 1):
                if n2 != n:
                    assert not verify_consistency(m, n2, first, root_64(n2), proof), (m, n, n2)


def test_consistency_equal_sizes() -> None:
    root = root_64(10)
    assert verify_consistency(10, 10, root, root, [])
    assert not verify_consistency(10, 10, root, flip(root, 1), [])
    assert not verify_consistency(10, 10, root, root, [root])
    assert not verify_consistency(10, 10, root, root, [bytes(32)])


def test_consistency_from_empty_tree_is_not_defined() -> None:
    for n in range(0, 5):
        assert not verify_consistency(0, n, EMPTY_ROOT, root_64(n), [])
    assert not verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])


def test_consistency_rejects_first_larger_than_second() -> None:
    proof = list(cons_64(3, 7))
    assert not verify_consistency(7, 3, root_64(7), root_64(3), proof)
    assert not verify_consistency(7, 3, root_64(3), root_64(7), proof)
    assert not verify_consistency(8, 7, root_64(8), root_64(7), [])


def test_consistency_power_of_two_first_tree_needs_its_root() -> None:
    # For m a power of two the first root is not part of the proof; the
    # verifier must still reject a wrong first root.
    for m in [1, 2, 4, 8, 16, 32]:
        for n in {m + 1, min(2 * m + 1, MAX_EXHAUSTIVE), MAX_EXHAUSTIVE}:
            proof = list(cons_64(m, n))
            assert verify_consistency(m, n, root_64(m), root_64(n), proof)
            assert not verify_consistency(m, n, root_64(m + 1), root_64(n), proof)
            assert not verify_consistency(m, n, root_64(m), root_64(n), [root_64(m), *proof])


def test_consistency_never_raises_on_garbage() -> None:
    proof = list(cons_64(3, 7))
    a, b = root_64(3), root_64(7)
    garbage: list[tuple[object, object, object, object, object]] = [
        (3, 7, a, b, [*proof, "x"]),
        (3, 7, a, b, [None]),
        (3, 7, a, b, None),
        (3, 7, a, b, b"".join(proof)),
        (3, 7, a, b, 17),
        (3, 7, None, b, proof),
        (3, 7, a, 42, proof),
        ("3", 7, a, b, proof),
        (3, 7.0, a, b, proof),
        (True, 7, a, b, proof),
        (-3, 7, a, b, proof),
        (3, 2**80, a, b, proof),
        (3, 7, a, b, []),
    ]
    for args in garbage:
        assert verify_consistency(*args) is False  # type: ignore[arg-type]


def test_verifiers_do_not_mutate_the_proof() -> None:
    proof = list(cons_64(4, 9))
    copy = list(proof)
    assert verify_consistency(4, 9, root_64(4), root_64(9), proof)
    assert proof == copy
    ipath = list(incl_64(3, 9))
    icopy = list(ipath)
    assert verify_inclusion(LEAVES_64[3], 3, 9, ipath, root_64(9))
    assert ipath == icopy


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_random_proofs_verify(data: st.DataObject) -> None:
    n = data.draw(st.integers(min_value=1, max_value=MAX_EXHAUSTIVE), label="n")
    i = data.draw(st.integers(min_value=0, max_value=n - 1), label="i")
    m = data.draw(st.integers(min_value=1, max_value=n), label="m")
    proof = list(incl_64(i, n))
    assert verify_inclusion(LEAVES_64[i], i, n, proof, root_64(n))
    cproof = list(cons_64(m, n))
    assert verify_consistency(m, n, root_64(m), root_64(n), cproof)
    if cproof:
        j = data.draw(st.integers(min_value=0, max_value=len(cproof) - 1), label="j")
        bit = data.draw(st.integers(min_value=0, max_value=255), label="bit")
        cproof[j] = flip(cproof[j], bit)
        assert not verify_consistency(m, n, root_64(m), root_64(n), cproof)
    if proof:
        j = data.draw(st.integers(min_value=0, max_value=len(proof) - 1), label="j2")
        bit = data.draw(st.integers(min_value=0, max_value=255), label="bit2")
        proof[j] = flip(proof[j], bit)
        assert not verify_inclusion(LEAVES_64[i], i, n, proof, root_64(n))

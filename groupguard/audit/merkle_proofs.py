"""Inclusion and consistency proofs (RFC 9162, sections 2.1.3 and 2.1.4): making them from a source
of subtree hashes, and checking them with nothing but hashes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from groupguard.audit.merkle import (
    HASH_SIZE,
    NODE_PREFIX,
    check_hash,
    fold_right,
    largest_power_of_two_below,
    root_from_leaf_hashes,
    sha256,
)

__all__ = [
    "HashSource",
    "ListHashSource",
    "consistency_proof",
    "fold_subtree_hashes",
    "inclusion_proof",
    "perfect_subtree_ranges",
    "verify_consistency",
    "verify_inclusion",
]


class HashSource(Protocol):
    """Where proof generation gets subtree hashes from."""

    def subtree_hash(self, start: int, end: int) -> bytes:
        """Return ``MTH(D[start:end])``, the root of leaves ``start`` to ``end - 1``.

        Only called with ``0 <= start < end``, and only for ranges that are
        nodes of the tree being proved about (see the module docstring), so an
        implementation may combine stored perfect-subtree hashes with
        :func:`perfect_subtree_ranges` and :func:`fold_subtree_hashes`.
        """
        ...


class ListHashSource:
    """A :class:`HashSource` over an in-memory list of leaf hashes.

    Recomputes every subtree hash from the leaves (O(end - start) per call),
    which is fine for tests and small trees.
    """

    __slots__ = ("_leaves",)

    def __init__(self, leaf_hashes: Iterable[bytes]) -> None:
        self._leaves = [check_hash(h, "leaf hash") for h in leaf_hashes]

    def __len__(self) -> int:
        return len(self._leaves)

    def subtree_hash(self, start: int, end: int) -> bytes:
        if not 0 <= start < end <= len(self._leaves):
            raise ValueError(f"bad range [{start}, {end}) for {len(self._leaves)} leaves")
        return root_from_leaf_hashes(self._leaves[start:end])


def perfect_subtree_ranges(start: int, end: int) -> list[tuple[int, int]]:
    """Split ``[start, end)`` into maximal aligned perfect subtrees, left to right.

    Each returned ``(s, e)`` has ``e - s`` a power of two and ``s`` a multiple
    of it. For a range that is a node of the tree (every range a
    :class:`HashSource` is asked for), the sizes strictly decrease and
    ``fold_subtree_hashes`` of their hashes is the node's hash.
    """
    if not 0 <= start < end:
        raise ValueError(f"bad range [{start}, {end})")
    ranges: list[tuple[int, int]] = []
    while start < end:
        # Largest power of two that divides start (any, if start == 0) and fits.
        size = start & -start if start else 1 << ((end - start).bit_length() - 1)
        while size > end - start:
            size >>= 1
        ranges.append((start, start + size))
        start += size
    return ranges


def fold_subtree_hashes(hashes: Sequence[bytes]) -> bytes:
    """Combine the hashes of the ranges from :func:`perfect_subtree_ranges`.

    Folds right to left: ``node_hash(h0, node_hash(h1, ... node_hash(hk-1, hk)))``.
    """
    if not hashes:
        raise ValueError("need at least one hash")
    return fold_right(hashes[:-1], hashes[-1])


def _fetch(source: HashSource, start: int, end: int) -> bytes:
    h = source.subtree_hash(start, end)
    if not isinstance(h, bytes) or len(h) != HASH_SIZE:
        raise ValueError(f"HashSource returned a bad hash for [{start}, {end})")
    return h


def inclusion_proof(index: int, size: int, source: HashSource) -> list[bytes]:
    """Return the audit path ``PATH(index, D[0:size])`` of RFC 9162 2.1.3.1.

    Lowest sibling first; empty for a tree of one leaf. Makes one
    ``subtree_hash`` call per proof element (about ``log2(size)``).
    Raises ``ValueError`` unless ``0 <= index < size``.
    """
    if not 0 <= index < size:
        raise ValueError(f"need 0 <= index < size, got index={index}, size={size}")
    # PATH(m, D[n]) for n > 1, k the largest power of two < n:
    #   m < k:  PATH(m, D[0:k]) : MTH(D[k:n])
    #   m >= k: PATH(m - k, D[k:n]) : MTH(D[0:k])
    # Walk from the root down, collecting the siblings, then reverse.
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        mid = start + largest_power_of_two_below(end - start)
        if index < mid:
            path.append(_fetch(source, mid, end))
            end = mid
        else:
            path.append(_fetch(source, start, mid))
            start = mid
    path.reverse()
    return path


def consistency_proof(m: int, n: int, source: HashSource) -> list[bytes]:
    """Return ``PROOF(m, D[0:n])`` of RFC 9162 2.1.4.1.

    Empty when ``m == n``. Makes one ``subtree_hash`` call per proof element
    (about ``log2(n)``). Raises ``ValueError`` unless ``0 < m <= n`` (RFC 9162
    defines no proof from the empty tree).
    """
    if not 0 < m <= n:
        raise ValueError(f"need 0 < m <= n, got m={m}, n={n}")
    # SUBPROOF(m, D[m], true) = {};  SUBPROOF(m, D[m], false) = {MTH(D[m])}
    # for m < n, k the largest power of two < n:
    #   m <= k: SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
    #   m > k:  SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
    # Walk down collecting the appended hashes, then reverse.
    proof: list[bytes] = []
    start, end = 0, n
    complete = True  # the "b" flag: is this subtree the whole old tree so far?
    while m != end - start:
        split = largest_power_of_two_below(end - start)
        if m <= split:
            proof.append(_fetch(source, start + split, end))
            end = start + split
        else:
            proof.append(_fetch(source, start, start + split))
            start += split
            m -= split
            complete = False
    if not complete:
        proof.append(_fetch(source, start, end))
    proof.reverse()
    return proof


def _as_hash(value: object) -> bytes | None:
    """``value`` as 32 bytes, or None if it is not a 32-byte bytes-like object."""
    if type(value) is bytes:
        return value if len(value) == HASH_SIZE else None
    if isinstance(value, bytes | bytearray | memoryview):
        try:
            data = bytes(value)
        except (TypeError, ValueError, BufferError):
            return None
        return data if len(data) == HASH_SIZE else None
    return None


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _as_path(proof: object) -> list[bytes] | None:
    if isinstance(proof, str | bytes | bytearray | memoryview) or not isinstance(proof, Sequence):
        return None
    path: list[bytes] = []
    for element in proof:
        h = _as_hash(element)
        if h is None:
            return None
        path.append(h)
    return path


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Check an inclusion proof (RFC 9162 section 2.1.3.2).

    True iff ``proof`` shows that ``leaf_hash`` is leaf number ``index`` of the
    tree of ``size`` leaves whose root is ``root``. Returns False, never
    raises, for anything malformed.
    """
    leaf = _as_hash(leaf_hash)
    expected = _as_hash(root)
    path = _as_path(proof)
    if leaf is None or expected is None or path is None:
        return False
    if not (_is_count(index) and _is_count(size)) or not 0 <= index < size:
        return False
    fn = index
    sn = size - 1
    r = leaf
    sha = sha256
    prefix = NODE_PREFIX
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = sha(prefix + p + r).digest()
            # (when LSB(fn) is set this loop does nothing)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = sha(prefix + r + p).digest()
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == expected


def verify_consistency(
    m: int, n: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Check a consistency proof (RFC 9162 section 2.1.4.2).

    True iff ``proof`` shows that the tree of size ``m`` with root
    ``first_root`` is a prefix of the tree of size ``n`` with root
    ``second_root``. For ``m == n`` the proof must be empty and the roots
    equal. ``m == 0`` always gives False: RFC 9162 defines no proof from the
    empty tree (every tree trivially extends it; nothing needs checking).
    Returns False, never raises, for anything malformed.
    """
    first = _as_hash(first_root)
    second = _as_hash(second_root)
    path = _as_path(proof)
    if first is None or second is None or path is None:
        return False
    if not (_is_count(m) and _is_count(n)) or not 0 < m <= n:
        return False
    if m == n:
        return not path and first == second
    if not path:
        return False
    if m & (m - 1) == 0:
        path.insert(0, first)
    fn = m - 1
    sn = n - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    sha = sha256
    prefix = NODE_PREFIX
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = sha(prefix + c + fr).digest()
            sr = sha(prefix + c + sr).digest()
            # (when LSB(fn) is set this loop does nothing)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = sha(prefix + sr + c).digest()
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first and sr == second

"""Merkle tree primitives of RFC 9162 (Certificate Transparency 2.0).

The tree is the one RFC 6962 defined and RFC 9162 kept unchanged, so the
published CT test vectors apply. Everything here is pure computation over
32-byte SHA-256 hashes; storage is the caller's business (see
:class:`HashSource`).

Terms
-----

Leaf
    One log entry. The tree never holds the entry itself, only its *leaf
    hash* ``SHA-256(0x00 || entry bytes)`` (:func:`leaf_hash`). Leaves are
    numbered 0, 1, 2, ... in the order they were appended.

Interior node
    ``SHA-256(0x01 || left || right)`` (:func:`node_hash`). The different
    one-byte prefixes keep a leaf from ever being passed off as an interior
    node or the reverse (a second-preimage attack).

Tree hash (MTH) and tree head
    The Merkle Tree Hash of the first ``n`` leaves, ``MTH(D[0:n])``, is
    defined recursively (RFC 9162 section 2.1.1): the empty tree hashes to
    ``SHA-256()`` (:data:`EMPTY_ROOT`), one leaf to its leaf hash, and ``n > 1``
    leaves to ``node_hash(MTH(D[0:k]), MTH(D[k:n]))`` where ``k`` is the
    largest power of two smaller than ``n``. A *tree head* is the pair
    (tree size ``n``, root hash ``MTH(D[0:n])``); publishing or signing a tree
    head commits to every entry below it and to their order.

Inclusion proof (audit path)
    Shows that the leaf at ``index`` is part of the tree of size ``size``
    with a given root: the list of sibling hashes on the way from that leaf up
    to the root, lowest first (RFC 9162 section 2.1.3). It has about
    ``log2(size)`` entries. See :func:`inclusion_proof` and
    :func:`verify_inclusion`.

Consistency proof
    Shows that the tree of size ``m`` is a prefix of the tree of size
    ``n >= m``: the log only ever appended, nothing earlier was changed,
    removed or reordered (RFC 9162 section 2.1.4). Also about ``log2(n)``
    hashes. See :func:`consistency_proof` and :func:`verify_consistency`.

Subtree hashes and storage
    A proof is a list of hashes of subtrees ``MTH(D[start:end])``. Every range
    a proof needs is a node of the tree of size ``n`` (the larger size): its
    ``start`` is a multiple of the smallest power of two that is at least
    ``end - start``, and it is either *perfect* (``end - start`` a power of two)
    or runs to the right edge ``end == n``. A store that keeps the hashes of
    the perfect, aligned subtrees can answer any of those ranges from at most
    ``log2(n)`` stored hashes: see :func:`perfect_subtree_ranges` and
    :func:`fold_subtree_hashes`.

Verification functions never raise on bad input; they return ``False``.
Proof generation raises ``ValueError`` on sizes or indexes that make no sense,
because those are caller bugs rather than untrusted data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Final, Protocol

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "HashSource",
    "ListHashSource",
    "RootBuilder",
    "consistency_proof",
    "fold_subtree_hashes",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "perfect_subtree_ranges",
    "root_from_leaf_hashes",
    "verify_consistency",
    "verify_inclusion",
]

_sha256: Final = hashlib.sha256

#: Size in bytes of every hash in the tree.
HASH_SIZE: Final = 32

#: Root hash of the empty tree: SHA-256 of the empty string.
EMPTY_ROOT: Final[bytes] = _sha256(b"").digest()

_LEAF_PREFIX: Final = b"\x00"
_NODE_PREFIX: Final = b"\x01"

# RootBuilder.extend (and so root_from_leaf_hashes) hashes leaves in aligned
# blocks of up to this many (a power of two) with list comprehensions, which
# is faster in CPython than pushing every leaf through the stack loop, while
# keeping the temporary lists small.
_BLOCK: Final = 1024


def leaf_hash(data: bytes) -> bytes:
    """Return the leaf hash of one entry: ``SHA-256(0x00 || data)``."""
    return _sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the interior node hash ``SHA-256(0x01 || left || right)``."""
    return _sha256(_NODE_PREFIX + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    """Largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def _check_hash(value: object, what: str) -> bytes:
    if not isinstance(value, bytes | bytearray | memoryview):
        raise TypeError(f"{what} must be bytes, got {type(value).__name__}")
    data = bytes(value)
    if len(data) != HASH_SIZE:
        raise ValueError(f"{what} must be {HASH_SIZE} bytes, got {len(data)}")
    return data


def _perfect_root(hashes: list[bytes]) -> bytes:
    """MTH of a non-empty list of leaf hashes, by pairing level by level.

    Pairing neighbours and carrying an odd last node up unchanged gives the
    same tree as the recursive RFC 9162 definition.
    """
    level = hashes
    sha = _sha256
    prefix = _NODE_PREFIX
    while len(level) > 1:
        odd = level[-1] if len(level) & 1 else None
        pairs = iter(level)
        level = [sha(prefix + a + b).digest() for a, b in zip(pairs, pairs, strict=False)]
        if odd is not None:
            level.append(odd)
    return level[0]


def _fold(stack: Sequence[bytes], right: bytes) -> bytes:
    sha = _sha256
    prefix = _NODE_PREFIX
    for i in range(len(stack) - 1, -1, -1):
        right = sha(prefix + stack[i] + right).digest()
    return right


def root_from_leaf_hashes(hashes: Iterable[bytes]) -> bytes:
    """Return the Merkle Tree Hash (tree root) of the given leaf hashes.

    Iterative, O(n) time and O(log n) extra memory besides one list of the
    input: see :meth:`RootBuilder.extend`. Raises ``ValueError`` (or
    ``TypeError``) if an element is not a 32-byte hash.
    """
    builder = RootBuilder()
    builder.extend(hashes)
    return builder.root()


def _validated(leaf_hashes: Iterable[bytes]) -> list[bytes]:
    """The leaf hashes as a list of 32-byte ``bytes``; raises on any bad element."""
    hashes = leaf_hashes if type(leaf_hashes) is list else list(leaf_hashes)
    # Checked with C-level map/set first; the slow path only runs when
    # something must be converted (e.g. memoryview from a database) or rejected.
    if set(map(type, hashes)) - {bytes} or set(map(len, hashes)) - {HASH_SIZE}:
        hashes = [_check_hash(h, f"leaf hash {i}") for i, h in enumerate(hashes)]
    return hashes


class RootBuilder:
    """Incrementally computes the tree root as leaf hashes are appended.

    Keeps only the roots of the perfect subtrees that make up the current
    tree (one per set bit of the size, largest first; the "compact range" or
    "frontier"), so ``append`` is amortised O(1) and ``root`` is O(log n).

    To resume from a stored state, pass ``size`` and the matching ``peaks``
    (as returned by :attr:`peaks`).
    """

    __slots__ = ("_size", "_stack")

    def __init__(self, size: int = 0, peaks: Iterable[bytes] = ()) -> None:
        stack = [_check_hash(p, "peak") for p in peaks]
        if size < 0:
            raise ValueError("size must be >= 0")
        if len(stack) != size.bit_count():
            raise ValueError(
                f"a tree of size {size} has {size.bit_count()} peaks, got {len(stack)}"
            )
        self._size = size
        self._stack = stack

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    @property
    def peaks(self) -> tuple[bytes, ...]:
        """Roots of the perfect subtrees covering the tree, left (largest) first."""
        return tuple(self._stack)

    def append(self, leaf_hash: bytes) -> None:
        """Append one leaf hash (32 bytes, as made by :func:`leaf_hash`)."""
        if type(leaf_hash) is not bytes or len(leaf_hash) != HASH_SIZE:
            leaf_hash = _check_hash(leaf_hash, "leaf hash")
        self._push(leaf_hash, 0)

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append several leaf hashes in order; much faster than repeated ``append``.

        All elements are checked before any is added, so on error the builder
        is unchanged. Leaves are taken in the largest aligned perfect blocks
        that fit (at most ``_BLOCK`` leaves), each hashed level by level with
        list comprehensions, and pushed as one subtree.
        """
        hashes = _validated(leaf_hashes)
        n = len(hashes)
        i = 0
        while i < n:
            size = self._size
            # Largest power of two that divides size, fits, and is <= _BLOCK.
            width = _BLOCK if size % _BLOCK == 0 else size & -size
            while width > n - i:
                width >>= 1
            if width == 1:
                self._push(hashes[i], 0)
            else:
                self._push(_perfect_root(hashes[i : i + width]), width.bit_length() - 1)
            i += width

    def _push(self, subtree_root: bytes, level: int) -> None:
        """Add a perfect subtree of ``2**level`` leaves; size must be a multiple of that."""
        stack = self._stack
        h = subtree_root
        self._size += 1 << level
        carry = self._size >> level
        while not carry & 1:
            h = _sha256(_NODE_PREFIX + stack.pop() + h).digest()
            carry >>= 1
        stack.append(h)

    def root(self) -> bytes:
        """Root hash of the tree of the leaves appended so far."""
        stack = self._stack
        if not stack:
            return EMPTY_ROOT
        return _fold(stack[:-1], stack[-1])


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
        self._leaves = [_check_hash(h, "leaf hash") for h in leaf_hashes]

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
    return _fold(hashes[:-1], hashes[-1])


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
        mid = start + _largest_power_of_two_below(end - start)
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
        split = _largest_power_of_two_below(end - start)
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
    sha = _sha256
    prefix = _NODE_PREFIX
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
    sha = _sha256
    prefix = _NODE_PREFIX
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

"""Merkle tree primitives of RFC 9162 (Certificate Transparency 2.0).

The tree is the one RFC 6962 defined and RFC 9162 kept unchanged, so the
published CT test vectors apply. Everything here is pure computation over
32-byte SHA-256 hashes; storage is the caller's business (see
:class:`merkle_proofs.HashSource`). Proofs, made and checked, are in
``merkle_proofs``.

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
from typing import Final

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "RootBuilder",
    "leaf_hash",
    "node_hash",
    "root_from_leaf_hashes",
]

sha256: Final = hashlib.sha256

#: Size in bytes of every hash in the tree.
HASH_SIZE: Final = 32

#: Root hash of the empty tree: SHA-256 of the empty string.
EMPTY_ROOT: Final[bytes] = sha256(b"").digest()

_LEAF_PREFIX: Final = b"\x00"
NODE_PREFIX: Final = b"\x01"

# RootBuilder.extend (and so root_from_leaf_hashes) hashes leaves in aligned
# blocks of up to this many (a power of two) with list comprehensions, which
# is faster in CPython than pushing every leaf through the stack loop, while
# keeping the temporary lists small.
_BLOCK: Final = 1024


def leaf_hash(data: bytes) -> bytes:
    """Return the leaf hash of one entry: ``SHA-256(0x00 || data)``."""
    return sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the interior node hash ``SHA-256(0x01 || left || right)``."""
    return sha256(NODE_PREFIX + left + right).digest()


def largest_power_of_two_below(n: int) -> int:
    """Largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def check_hash(value: object, what: str) -> bytes:
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
    sha = sha256
    prefix = NODE_PREFIX
    while len(level) > 1:
        odd = level[-1] if len(level) & 1 else None
        pairs = iter(level)
        level = [sha(prefix + a + b).digest() for a, b in zip(pairs, pairs, strict=False)]
        if odd is not None:
            level.append(odd)
    return level[0]


def fold_right(stack: Sequence[bytes], right: bytes) -> bytes:
    sha = sha256
    prefix = NODE_PREFIX
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
        hashes = [check_hash(h, f"leaf hash {i}") for i, h in enumerate(hashes)]
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
        stack = [check_hash(p, "peak") for p in peaks]
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
            leaf_hash = check_hash(leaf_hash, "leaf hash")
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
            h = sha256(NODE_PREFIX + stack.pop() + h).digest()
            carry >>= 1
        stack.append(h)

    def root(self) -> bytes:
        """Root hash of the tree of the leaves appended so far."""
        stack = self._stack
        if not stack:
            return EMPTY_ROOT
        return fold_right(stack[:-1], stack[-1])

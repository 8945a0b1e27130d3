# Over 400 lines by design: one algorithm (RFC 6962 hashes, ranges, proofs), shared helpers.
"""RFC 6962 / RFC 9162 Merkle tree: hashing, compact ranges, proofs.

Storage model: only *perfect* subtrees are ever stored. Node ``(level, index)``
is the hash of the 2**level leaves ``[index * 2**level, (index + 1) * 2**level)``.
Perfect nodes never change once written, so they can be stored append-only (and
C2SP tlog-tiles are just a view of them). Hashes of the ragged right edge of a
tree are "ephemeral": they are recomputed from the perfect nodes they decompose
into, which costs at most O(log n) extra reads.

This module is pure: proof generation takes a batch ``Reader`` so that the
caller decides how nodes are fetched, and every proof needs exactly one read.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping, Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "NodeId",
    "ProofError",
    "Reader",
    "consistency_ids",
    "consistency_proof",
    "frontier_ids",
    "inclusion_ids",
    "inclusion_proof",
    "inclusion_proof_in",
    "leaf_hash",
    "node_hash",
    "root_at",
    "root_from_inclusion",
    "roots_from_consistency",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32

NodeId = tuple[int, int]
"""``(level, index)`` of a perfect subtree of ``2**level`` leaves."""

Reader = Callable[[Sequence[NodeId]], Sequence[bytes]]
"""Batch node reader: returns the stored hashes in the order asked."""

EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()

# Domain-separation prefixes (RFC 6962 section 2.1) stop a leaf from being
# passed off as an interior node (second-preimage attacks).
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


class ProofError(ValueError):
    """A Merkle proof failed to verify (or is malformed)."""


def leaf_hash(leaf: bytes) -> bytes:
    """MTH of a single leaf: SHA-256(0x00 || leaf)."""
    return hashlib.sha256(_LEAF_PREFIX + leaf).digest()


def leaf_hash_b64(leaf: bytes) -> str:
    """The leaf hash as pages, receipts and webhooks show it: standard base64."""
    return base64.b64encode(leaf_hash(leaf)).decode("ascii")


def node_hash(left: bytes, right: bytes) -> bytes:
    """Interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _check_size(name: str, value: int) -> None:
    # bool is an int subclass; accepting True as "1" would hide caller bugs.
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")


def _split(n: int) -> int:
    """Largest power of two strictly less than ``n`` (n >= 2): RFC 6962's k."""
    return 1 << ((n - 1).bit_length() - 1)


def _range_ids(start: int, end: int) -> list[NodeId]:
    """Perfect nodes covering leaves [start, end), left to right (largest first).

    Only valid for ranges that appear in RFC 6962 recursion, where ``start`` is
    a multiple of a power of two >= ``end - start``; greedy binary decomposition
    then yields aligned subtrees whose right fold is exactly the MTH.
    """
    ids: list[NodeId] = []
    width = end - start
    while width:  # one step per set bit of the width, largest first
        level = width.bit_length() - 1
        ids.append((level, start >> level))
        start += 1 << level
        width -= 1 << level
    return ids


def _fold(hashes: Sequence[bytes]) -> bytes:
    """Right fold of a decomposition: MTH = H(p1, H(p2, ... pk))."""
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def frontier_ids(size: int) -> list[NodeId]:
    """Node ids of the binary decomposition of a tree of ``size`` leaves.

    These are exactly the hashes a :class:`CompactRange` holds, so one batch
    read of these ids restores it.
    """
    _check_size("size", size)
    return _range_ids(0, size)


class CompactRange:
    """The O(log n) frontier of a tree: enough to append leaves and get roots."""

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        _check_size("size", size)
        if len(hashes) != size.bit_count():
            raise ValueError(
                f"a compact range of size {size} needs {size.bit_count()} hashes, got {len(hashes)}"
            )
        _check_hashes("hashes", hashes)
        self._size = size
        self._hashes = [bytes(h) for h in hashes]

    @property
    def size(self) -> int:
        return self._size

    @property
    def hashes(self) -> list[bytes]:
        """The frontier, left to right (a copy, so callers can't corrupt us)."""
        return list(self._hashes)

    def append(self, leaf_hash: bytes) -> list[tuple[NodeId, bytes]]:
        """Add a leaf hash; return every perfect node this append completed.

        The level-0 node is always first, followed by each parent completed
        (bottom-up), so the caller can persist them all.
        """
        if type(leaf_hash) is not bytes or len(leaf_hash) != HASH_SIZE:
            _check_hashes("leaf_hash", (leaf_hash,))
        h = bytes(leaf_hash)
        index = self._size
        level = 0
        completed: list[tuple[NodeId, bytes]] = [((0, index), h)]
        # Each trailing 1-bit of the old size is a perfect left sibling on the
        # frontier that now has a complete right sibling: merge them.
        while self._size >> level & 1:
            h = node_hash(self._hashes.pop(), h)
            level += 1
            index >>= 1
            completed.append(((level, index), h))
        self._hashes.append(h)
        self._size += 1
        return completed

    def root(self) -> bytes:
        return _fold(self._hashes) if self._hashes else EMPTY_ROOT

    def __repr__(self) -> str:
        return f"CompactRange(size={self._size})"


def _check_hashes(name: str, hashes: Iterable[bytes]) -> None:
    for h in hashes:
        if not isinstance(h, bytes | bytearray | memoryview) or len(h) != HASH_SIZE:
            raise ValueError(f"{name}: every hash must be {HASH_SIZE} bytes")


# --- proof generation --------------------------------------------------------
#
# Each proof element is the MTH of some leaf range [a, b). We first compute the
# ranges (pure arithmetic), then the perfect node ids they decompose into, read
# all ids in one batch, and fold each range back into its hash.

_Range = tuple[int, int]


def _inclusion_ranges(index: int, size: int) -> list[_Range]:
    """RFC 6962 PATH(m, D[n]) as leaf ranges, deepest sibling first."""
    out: list[_Range] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo += k
    out.reverse()  # collected top-down, proofs list bottom-up
    return out


def _consistency_ranges(old: int, size: int) -> list[_Range]:
    """RFC 6962 SUBPROOF(m, D[n], true) as leaf ranges, in proof order."""
    out: list[_Range] = []
    lo, hi = 0, size
    m = old
    complete = True  # RFC's b: is the old tree's subtree a full prefix so far?
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo += k
            m -= k
            complete = False
    if not complete:
        out.append((lo, hi))
    out.reverse()
    return out


def _resolve(ranges: Sequence[_Range], read: Reader) -> list[bytes]:
    """Hash every range using a single batched ``read`` call."""
    decomps = [_range_ids(a, b) for a, b in ranges]
    # dict preserves order and de-duplicates ids shared between ranges.
    wanted = list(dict.fromkeys(i for ids in decomps for i in ids))
    if not wanted:
        return []
    got = read(wanted)
    if len(got) != len(wanted):
        raise ValueError(f"reader returned {len(got)} hashes for {len(wanted)} node ids")
    _check_hashes("reader result", got)
    table = {nid: bytes(h) for nid, h in zip(wanted, got, strict=True)}
    return [_fold([table[i] for i in ids]) for ids in decomps]


def inclusion_ids(index: int, size: int) -> list[NodeId]:
    """The stored nodes ``inclusion_proof`` reads, to read them ahead with others."""
    return _ids(_inclusion_ranges(index, size)) if 0 <= index < size else []


def consistency_ids(old: int, size: int) -> list[NodeId]:
    """The stored nodes ``consistency_proof`` reads, to read them ahead with others."""
    return _ids(_consistency_ranges(old, size)) if 0 < old < size else []


def _ids(ranges: Sequence[_Range]) -> list[NodeId]:
    return list(dict.fromkeys(i for a, b in ranges for i in _range_ids(a, b)))


def inclusion_proof(index: int, size: int, read: Reader) -> list[bytes]:
    """Audit path for leaf ``index`` in the tree of ``size`` leaves."""
    _check_size("index", index)
    _check_size("size", size)
    if index >= size:
        raise ValueError(f"leaf index {index} is out of range for tree size {size}")
    return _resolve(_inclusion_ranges(index, size), read)


def inclusion_proof_in(nodes: Mapping[NodeId, bytes], index: int, size: int) -> list[bytes]:
    """As ``inclusion_proof``, from nodes the caller holds in memory (the integrator's own,
    just computed): no batch read, no checks of what a store returned."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is out of range for tree size {size}")
    return [_fold([nodes[i] for i in _range_ids(a, b)]) for a, b in _inclusion_ranges(index, size)]


def consistency_proof(old: int, size: int, read: Reader) -> list[bytes]:
    """Proof that the tree of ``old`` leaves is a prefix of the one of ``size``.

    ``old == size`` yields ``[]`` (RFC 9162 section 2.1.4). ``old == 0`` is
    rejected: every tree extends the empty tree, so such a proof says nothing.
    """
    _check_size("old", old)
    _check_size("size", size)
    if old == 0:
        raise ValueError("consistency proof from the empty tree is meaningless (old must be > 0)")
    if old > size:
        raise ValueError(f"old size {old} exceeds new size {size}")
    return _resolve(_consistency_ranges(old, size), read)


def root_at(size: int, read: Reader) -> bytes:
    """Root hash of the tree of ``size`` leaves, from stored perfect nodes."""
    _check_size("size", size)
    if size == 0:
        return EMPTY_ROOT
    return _resolve([(0, size)], read)[0]


# --- verification (RFC 9162 sections 2.1.3.2 and 2.1.4.2) -------------------


def _check_proof(proof: Sequence[bytes]) -> None:
    for i, p in enumerate(proof):
        if not isinstance(p, bytes | bytearray | memoryview) or len(p) != HASH_SIZE:
            raise ProofError(f"proof element {i} is not a {HASH_SIZE}-byte hash")


def _check_proof_sizes(*pairs: tuple[str, int]) -> None:
    for name, value in pairs:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ProofError(f"{name} must be a non-negative int, got {value!r}")


def _equal(a: bytes, b: bytes) -> bool:
    # Constant-time: cheap, and avoids ever having to reason about timing.
    return hmac.compare_digest(bytes(a), bytes(b))


def root_from_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """Root implied by an inclusion proof (RFC 9162 section 2.1.3.2).

    Raises ProofError if the proof's shape does not fit ``index``/``size``.
    """
    _check_proof_sizes(("index", index), ("size", size))
    if index >= size:
        raise ProofError(f"leaf index {index} is out of range for tree size {size}")
    if len(leaf_hash) != HASH_SIZE:
        raise ProofError(f"leaf hash must be {HASH_SIZE} bytes, got {len(leaf_hash)}")
    _check_proof(proof)
    fn, sn = index, size - 1
    r = bytes(leaf_hash)
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            # Skip levels where our node is a right-edge node with no sibling.
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is too short")
    return r


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise ProofError unless ``proof`` shows leaf ``index`` is in ``root``."""
    if not _equal(root_from_inclusion(leaf_hash, index, size, proof), root):
        raise ProofError("inclusion proof does not match the root hash")


def roots_from_consistency(
    old: int, size: int, proof: Sequence[bytes], old_root: bytes
) -> tuple[bytes, bytes]:
    """The old and new roots a consistency proof implies (RFC 9162 section 2.1.4.2).

    ``old_root`` is only used when the old tree is perfect (a power of two), whose
    root the proof leaves implicit; otherwise both roots come from the proof alone.
    Every proof element feeds the new root, so a wrong element changes it.
    Raises ProofError if the proof's shape does not fit ``old``/``size``.
    """
    _check_proof_sizes(("old size", old), ("new size", size))
    if old > size:
        raise ProofError(f"old size {old} exceeds new size {size}")
    if old == 0:
        raise ProofError("consistency with the empty tree is meaningless (old size is 0)")
    if old == size:
        if proof:
            raise ProofError("consistency proof between equal sizes must be empty")
        return bytes(old_root), bytes(old_root)
    if not proof:
        raise ProofError("consistency proof is empty")
    _check_proof(proof)

    path = [bytes(p) for p in proof]
    # If the old tree is perfect, its root is the first node of the path and
    # RFC 9162 leaves it implicit.
    if old & (old - 1) == 0:
        path.insert(0, bytes(old_root))
    fn, sn = old - 1, size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is too short")
    return fr, sr


def verify_consistency(
    old: int, size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    """Raise ProofError unless ``proof`` shows tree ``old`` is a prefix of ``size``.

    Roots are only compared for equality, never parsed, so a root of the wrong
    length simply fails to match (except the trivial ``old == size`` case).
    """
    if old == size and not proof:
        _check_proof_sizes(("old size", old), ("new size", size))
        if old == 0:
            raise ProofError("consistency with the empty tree is meaningless (old size is 0)")
        if not _equal(old_root, new_root):
            raise ProofError("roots differ for equal tree sizes")
        return
    fr, sr = roots_from_consistency(old, size, proof, old_root)
    if not _equal(fr, old_root):
        raise ProofError("consistency proof does not match the old root")
    if not _equal(sr, new_root):
        raise ProofError("consistency proof does not match the new root")

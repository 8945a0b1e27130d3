"""Property tests: stored perfect nodes serve proofs matching a naive MTH."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.log.merkle import (
    EMPTY_ROOT,
    CompactRange,
    NodeId,
    ProofError,
    consistency_ids,
    consistency_proof,
    frontier_ids,
    inclusion_ids,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_at,
    verify_consistency,
    verify_inclusion,
)
from ledger.log.nodes import completed_ids


def naive_mth(leaves: Sequence[bytes]) -> bytes:
    """RFC 6962 MTH, written independently: split at largest power of 2 < n."""
    n = len(leaves)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hash(leaves[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(naive_mth(leaves[:k]), naive_mth(leaves[k:]))


class Store:
    """In-memory node table fed by CompactRange.append; counts reads."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.nodes: dict[NodeId, bytes] = {}
        self.cr = CompactRange()
        self.calls: list[list[NodeId]] = []
        for leaf in leaves:
            for nid, h in self.cr.append(leaf_hash(leaf)):
                assert nid not in self.nodes  # perfect nodes are write-once
                self.nodes[nid] = h

    def read(self, ids: Sequence[NodeId]) -> list[bytes]:
        self.calls.append(list(ids))
        return [self.nodes[i] for i in ids]

    def reset(self) -> None:
        self.calls.clear()


def max_ids(size: int) -> int:
    return 2 * math.ceil(math.log2(size)) + 2 if size > 1 else 2


def assert_one_small_read(store: Store, size: int, proof_len: int) -> None:
    # One batched read when anything is needed, none otherwise.
    assert len(store.calls) == (1 if proof_len else 0)
    if store.calls:
        ids = store.calls[0]
        assert len(ids) == len(set(ids))
        assert len(ids) <= max_ids(size), (size, ids)
    store.reset()


@st.composite
def leaves_st(draw: st.DrawFn) -> list[bytes]:
    # Draw the size uniformly (st.lists favours tiny lists) and derive leaves
    # from a random salt, so large trees are exercised too.
    size = draw(st.integers(1, 300))
    salt = draw(st.binary(max_size=8))
    return [salt + i.to_bytes(2, "big") for i in range(size)]


@settings(max_examples=60, deadline=None)
@given(leaves=leaves_st(), data=st.data())
def test_inclusion_proofs_verify(leaves: list[bytes], data: st.DataObject) -> None:
    store = Store(leaves)
    size = len(leaves)
    root = naive_mth(leaves)
    assert store.cr.root() == root
    assert root_at(size, store.read) == root
    store.reset()
    indices = (
        range(size)
        if size <= 40
        else data.draw(st.lists(st.integers(0, size - 1), min_size=1, max_size=20))
    )
    for index in indices:
        proof = inclusion_proof(index, size, store.read)
        assert_one_small_read(store, size, len(proof))
        verify_inclusion(leaf_hash(leaves[index]), index, size, proof, root)
        # Another leaf, another root, or an extra element must fail.
        with pytest.raises(ProofError):
            verify_inclusion(leaf_hash(leaves[index] + b"x"), index, size, proof, root)
        with pytest.raises(ProofError):
            verify_inclusion(leaf_hash(leaves[index]), index, size, proof, node_hash(root, root))
        with pytest.raises(ProofError):
            verify_inclusion(leaf_hash(leaves[index]), index, size, [*proof, root], root)


@settings(max_examples=60, deadline=None)
@given(leaves=leaves_st(), data=st.data())
def test_consistency_proofs_verify(leaves: list[bytes], data: st.DataObject) -> None:
    store = Store(leaves)
    size = len(leaves)
    new_root = naive_mth(leaves)
    for old in data.draw(st.lists(st.integers(1, size), min_size=1, max_size=10)):
        old_root = naive_mth(leaves[:old])
        assert root_at(old, store.read) == old_root
        store.reset()
        proof = consistency_proof(old, size, store.read)
        assert_one_small_read(store, size, len(proof))
        verify_consistency(old, size, proof, old_root, new_root)
        if old < size:
            with pytest.raises(ProofError):
                verify_consistency(old, size, proof, new_root, new_root)
            with pytest.raises(ProofError):
                verify_consistency(old, size, proof[:-1], old_root, new_root)


@settings(max_examples=40, deadline=None)
@given(leaves=leaves_st(), data=st.data())
def test_flipped_bit_fails(leaves: list[bytes], data: st.DataObject) -> None:
    store = Store(leaves)
    size = len(leaves)
    root = naive_mth(leaves)
    index = data.draw(st.integers(0, size - 1))
    proof = inclusion_proof(index, size, store.read)
    old = data.draw(st.integers(1, size))
    cproof = consistency_proof(old, size, store.read)
    old_root = naive_mth(leaves[:old])
    bit = data.draw(st.integers(0, 255))

    def flip(p: list[bytes], i: int) -> list[bytes]:
        out = list(p)
        b = bytearray(out[i])
        b[bit // 8] ^= 1 << (bit % 8)
        out[i] = bytes(b)
        return out

    for i in range(len(proof)):
        with pytest.raises(ProofError):
            verify_inclusion(leaf_hash(leaves[index]), index, size, flip(proof, i), root)
    for i in range(len(cproof)):
        with pytest.raises(ProofError):
            verify_consistency(old, size, flip(cproof, i), old_root, root)


@settings(max_examples=40, deadline=None)
@given(leaves=leaves_st())
def test_compact_range_restores_from_frontier(leaves: list[bytes]) -> None:
    store = Store(leaves)
    size = len(leaves)
    ids = frontier_ids(size)
    assert len(ids) == size.bit_count()
    restored = CompactRange(size, store.read(ids))
    assert restored.hashes == store.cr.hashes
    assert restored.root() == store.cr.root()
    extra = leaf_hash(b"next")
    assert restored.append(extra) == store.cr.append(extra)
    assert restored.root() == naive_mth([*leaves, b"next"])


def test_append_reports_completed_nodes() -> None:
    cr = CompactRange()
    assert cr.root() == EMPTY_ROOT
    assert [nid for nid, _ in cr.append(leaf_hash(b"a"))] == [(0, 0)]
    assert [nid for nid, _ in cr.append(leaf_hash(b"b"))] == [(0, 1), (1, 0)]
    assert [nid for nid, _ in cr.append(leaf_hash(b"c"))] == [(0, 2)]
    assert [nid for nid, _ in cr.append(leaf_hash(b"d"))] == [(0, 3), (1, 1), (2, 0)]
    assert cr.size == 4
    assert frontier_ids(4) == [(2, 0)]
    assert frontier_ids(7) == [(2, 0), (1, 2), (0, 6)]
    assert frontier_ids(0) == []


@settings(max_examples=60, deadline=None)
@given(leaves=leaves_st(), data=st.data())
def test_completed_ids_are_the_nodes_appends_complete(leaves: list[bytes],
                                                     data: st.DataObject) -> None:
    """`verify --db` reads the stored nodes a run of leaves completes in this order."""
    start = data.draw(st.integers(0, len(leaves)))
    cr, completed = CompactRange(), []
    for index, leaf in enumerate(leaves):
        ids = [nid for nid, _ in cr.append(leaf_hash(leaf))]
        if index >= start:
            completed += ids
    assert list(completed_ids(start, len(leaves))) == completed


@settings(max_examples=60, deadline=None)
@given(leaves=leaves_st(), data=st.data())
def test_proof_ids_are_what_proofs_read(leaves: list[bytes], data: st.DataObject) -> None:
    """The reader reads a proof's nodes ahead, with the nodes that check it, in one query."""
    store, size = Store(leaves), len(leaves)
    index = data.draw(st.integers(0, size - 1))
    old = data.draw(st.integers(1, size))
    inclusion_proof(index, size, store.read)
    assert [i for call in store.calls for i in call] == inclusion_ids(index, size)
    store.reset()
    consistency_proof(old, size, store.read)
    assert [i for call in store.calls for i in call] == consistency_ids(old, size)


def test_empty_reads_skip_reader() -> None:
    def no_read(ids: Sequence[NodeId]) -> list[bytes]:
        raise AssertionError("read should not be called")

    assert root_at(0, no_read) == EMPTY_ROOT
    assert inclusion_proof(0, 1, no_read) == []
    assert consistency_proof(5, 5, no_read) == []


@pytest.mark.parametrize(("index", "size"), [(0, 0), (3, 3), (-1, 5)])
def test_inclusion_proof_rejects_bad_args(index: int, size: int) -> None:
    with pytest.raises(ValueError):
        inclusion_proof(index, size, lambda ids: [])


@pytest.mark.parametrize(("old", "size"), [(0, 5), (6, 5), (-1, 5), (0, 0)])
def test_consistency_proof_rejects_bad_args(old: int, size: int) -> None:
    with pytest.raises(ValueError):
        consistency_proof(old, size, lambda ids: [])


def test_compact_range_rejects_bad_state() -> None:
    with pytest.raises(ValueError):
        CompactRange(3, [b"\0" * 32])
    with pytest.raises(ValueError):
        CompactRange(1, [b"\0" * 31])
    with pytest.raises(ValueError):
        CompactRange().append(b"short")


def test_reader_returning_wrong_count_is_rejected() -> None:
    with pytest.raises(ValueError):
        root_at(3, lambda ids: [b"\0" * 32])

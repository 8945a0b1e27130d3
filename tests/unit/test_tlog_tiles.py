"""C2SP tlog-tiles: the spec's path encoding and examples, partial tiles, entry bundles, and
proofs computed from tiles equal to the ones computed from the stored nodes."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.log.merkle import (
    HASH_SIZE,
    CompactRange,
    NodeId,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_at,
)
from ledger.log.tiles import (
    MAX_ENTRY_BYTES,
    WIDTH,
    Tile,
    TileNodes,
    TilePathError,
    changed_tiles,
    decode_bundle,
    encode_bundle,
    encode_index,
    parse_index,
    parse_tile,
    tile_width,
    tiles_of,
)

# -- paths -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("index", "path"),
    [
        (0, "000"),
        (5, "005"),
        (67, "067"),
        (999, "999"),
        (1000, "x001/000"),
        (1234, "x001/234"),
        (1234067, "x001/x234/067"),  # the spec's own example
        (455667, "x455/667"),
        (123456789, "x123/x456/789"),
        (123456789000, "x123/x456/x789/000"),
        (999999999999999999, "x999/x999/x999/x999/x999/999"),
    ],
)
def test_index_encoding(index: int, path: str) -> None:
    assert encode_index(index) == path
    assert parse_index(path) == index


@pytest.mark.parametrize(
    ("level", "rest", "tile"),
    [
        ("0", "x001/x234/067", Tile(0, 1234067, 256)),
        ("0", "x001/x234/067.p/89", Tile(0, 1234067, 89)),
        ("63", "x999/x999/x999/x999/x999/999.p/255", Tile(63, 999999999999999999, 255)),
        ("0", "001", Tile(0, 1, 256)),
        ("entries", "273.p/112", Tile(-1, 273, 112)),
        ("entries", "x001/x000/000", Tile(-1, 1_000_000, 256)),
    ],
)
def test_tile_paths_parse_and_print_the_same(level: str, rest: str, tile: Tile) -> None:
    assert parse_tile(level, rest) == tile
    assert tile.path() == f"tile/{level}/{rest}"


@pytest.mark.parametrize(
    ("level", "rest"),
    [
        ("0", "x001/x234/067.p/"),
        ("0", "x001/x234/067.p"),
        ("0", "x001/x234/"),
        ("0", "x001/x234"),
        ("0", "x001/"),
        ("0", "x001"),
        ("1", "x001/.p/abc"),
        ("64", "x001/002"),
        ("-1", "x001/002"),
        ("abc", "x001/002"),
        ("01", "001"),  # a level has no leading zero
        ("8", "001/002"),
        ("8", "x001/0002"),
        ("8", "x001/-002"),
        ("8", "x001/002.p/256"),
        ("8", "x001/002.p/0"),
        ("8", "x001/002.p/012"),  # a width has no leading zero
        ("0", "x000/067"),  # one spelling per index: no leading x000
        ("0", "67"),
        ("0", "x01/067"),
        ("0", "０６７"),
        ("0", "x999/x999/x999/x999/x999/x999/999.p/255"),  # beyond 2**64
    ],
)
def test_other_spellings_are_refused(level: str, rest: str) -> None:
    with pytest.raises(TilePathError):
        parse_tile(level, rest)


# -- widths: the spec's examples ------------------------------------------------------------


def test_a_tree_of_70000_has_the_tiles_the_spec_lists() -> None:
    tiles = list(tiles_of(70_000))
    level0 = [t for t in tiles if t.level == 0]
    assert len([t for t in level0 if t.full]) == 273
    assert [t for t in level0 if not t.full] == [Tile(0, 273, 112)]
    assert [t for t in tiles if t.level == 1] == [Tile(1, 0, 256), Tile(1, 1, 17)]
    assert [t for t in tiles if t.level == 2] == [Tile(2, 0, 1)]
    assert len(tiles) == 273 + 1 + 2 + 1


def test_a_tree_of_256_has_a_full_tile_and_a_partial_one_above() -> None:
    assert list(tiles_of(256)) == [Tile(0, 0, 256), Tile(1, 0, 1)]
    assert [t.path() for t in tiles_of(255)] == ["tile/0/000.p/255"]
    assert list(tiles_of(0)) == []


@pytest.mark.parametrize(
    ("level", "index", "size", "width"),
    [
        (0, 0, 256, 256),
        (0, 0, 255, 255),
        (0, 1, 257, 1),
        (0, 254, 255 * 256 - 3, 253),
        (1, 0, 256, 1),
        (1, 0, 1024, 4),
        (1, 0, 2**64 - 1, 256),
        (0, 5, 1000, 0),  # not in the tree at all
    ],
)
def test_tile_width(level: int, index: int, size: int, width: int) -> None:
    assert tile_width(level, index, size) == width


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 300_000), st.integers(0, 300_000))
def test_changed_tiles_are_those_whose_width_grew(a: int, b: int) -> None:
    old, size = min(a, b), max(a, b)
    before = set(tiles_of(old))
    changed = set(changed_tiles(old, size))
    assert changed == set(tiles_of(size)) - before
    # A full tile, once published, is never published again.
    assert not any(t.full for t in before & changed)


# -- entry bundles ---------------------------------------------------------------------------


def test_bundles_are_length_prefixed_big_endian() -> None:
    leaves = [b"", b"a", b"x" * 300, "阳光".encode()]
    bundle = encode_bundle(leaves)
    assert bundle[:2] == b"\x00\x00" and bundle[2:5] == b"\x00\x01a"
    assert bundle[5:7] == (300).to_bytes(2, "big")
    assert decode_bundle(bundle, 4) == leaves


def test_bundles_refuse_what_does_not_fit() -> None:
    encode_bundle([b"x" * MAX_ENTRY_BYTES])
    with pytest.raises(ValueError, match="does not fit"):
        encode_bundle([b"x" * (MAX_ENTRY_BYTES + 1)])
    bundle = encode_bundle([b"abc", b"de"])
    for broken, count in ((bundle, 3), (bundle, 1), (bundle[:-1], 2), (bundle + b"\x00", 2)):
        with pytest.raises(ValueError):
            decode_bundle(broken, count)


# -- proofs from tiles ------------------------------------------------------------------------


class Tree:
    """Every perfect node of a tree, as ``log_nodes`` stores them."""

    def __init__(self, size: int):
        self.nodes: dict[NodeId, bytes] = {}
        tree = CompactRange()
        for i in range(size):
            leaf = hashlib.sha256(i.to_bytes(8, "big")).digest()
            self.nodes.update(tree.append(leaf_hash(leaf)))
        self.size = size
        self.fetched: list[Tile] = []

    def read(self, ids: Sequence[NodeId]) -> list[bytes]:
        return [self.nodes[i] for i in ids]

    def fetch(self, tile: Tile) -> bytes:
        self.fetched.append(tile)
        return b"".join(self.nodes[(8 * tile.level, tile.first + i)] for i in range(tile.width))


TREES = {n: Tree(n) for n in (1, 2, 255, 256, 257, 511, 4096, 65535, 65536, 70000)}


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(TREES)), st.data())
def test_proofs_from_tiles_are_the_proofs_from_stored_nodes(n: int, data: st.DataObject) -> None:
    tree = TREES[n]
    size = data.draw(st.integers(1, n))
    index = data.draw(st.integers(0, size - 1))
    old = data.draw(st.integers(1, size))
    nodes = TileNodes(tree.fetch, size)
    assert inclusion_proof(index, size, nodes) == inclusion_proof(index, size, tree.read)
    assert consistency_proof(old, size, nodes) == consistency_proof(old, size, tree.read)
    assert root_at(size, nodes) == root_at(size, tree.read)


def test_tiles_fetched_are_those_of_the_tree_of_that_size() -> None:
    tree = TREES[70000]
    tree.fetched.clear()
    nodes = TileNodes(tree.fetch, 70000)
    root_at(70000, nodes)
    assert set(tree.fetched) <= set(tiles_of(70000))
    # A node the tree of that size does not complete is not read from a wider tile.
    with pytest.raises(ProofError):
        TileNodes(tree.fetch, 300)([(1, 150)])
    with pytest.raises(ProofError):
        TileNodes(tree.fetch, 300)([(8, 1)])


def test_a_tile_of_the_wrong_length_is_refused() -> None:
    nodes = TileNodes(lambda tile: b"\x00" * (HASH_SIZE * tile.width - 1), 300)
    with pytest.raises(ValueError, match="not 256 hashes"):
        nodes([(0, 0)])
    assert WIDTH == 256

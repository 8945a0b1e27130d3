"""C2SP tlog-tiles: the log as static files. Paths, widths, entry bundles, and proofs from tiles.

A tile at level L, index N is up to 256 consecutive hashes of tree level 8·L, starting at
N·256: exactly the stored perfect nodes ``(8·L, N·256 …)`` (``ledger.log.merkle``), so a tile
is a range read of ``log_nodes``. The tile for a tree of size s is *partial*, with fewer
than 256 hashes, when the tree ends inside it; a partial tile is never hashed into the level
above. An entry bundle holds the leaves of a level-0 tile, each prefixed with its length as
a big-endian uint16.

Pure: no I/O. ``TileNodes`` turns a tile fetcher into the ``Reader`` the proof functions of
``ledger.log.merkle`` take, so inclusion and consistency proofs come from tiles alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from ledger.log.merkle import HASH_SIZE, NodeId, ProofError, node_hash

__all__ = [
    "HEIGHT",
    "MAX_ENTRY_BYTES",
    "WIDTH",
    "Tile",
    "TileNodes",
    "TilePathError",
    "changed_tiles",
    "decode_bundle",
    "encode_bundle",
    "encode_index",
    "parse_index",
    "parse_tile",
    "tile_width",
    "tiles_of",
]

HEIGHT: Final = 8
WIDTH: Final = 1 << HEIGHT  # 256 hashes in a full tile
MAX_ENTRY_BYTES: Final = 0xFFFF  # an entry's length is a uint16
MAX_LEVEL: Final = 63
MAX_INDEX: Final = 2**64  # tile indices are uint64 in every implementation

_ELEMENT = re.compile(r"x[0-9]{3}")
_LAST = re.compile(r"[0-9]{3}")
_LEVEL = re.compile(r"0|[1-9][0-9]?")
_PARTIAL_WIDTH = re.compile(r"[1-9][0-9]{0,2}")


class TilePathError(ValueError):
    """A tile path that is not in the spec's one spelling."""


@dataclass(frozen=True, order=True)
class Tile:
    """Tile ``index`` of ``level`` with ``width`` hashes (256: full); level -1: entries."""

    level: int
    index: int
    width: int

    @property
    def full(self) -> bool:
        return self.width == WIDTH

    def path(self) -> str:
        """``tile/<L>/<N>[.p/<W>]``, or ``tile/entries/<N>[.p/<W>]`` for an entry bundle."""
        where = "entries" if self.level < 0 else str(self.level)
        suffix = "" if self.full else f".p/{self.width}"
        return f"tile/{where}/{encode_index(self.index)}{suffix}"

    def entries(self) -> Tile:
        """The entry bundle beside this level-0 tile."""
        assert self.level == 0, self
        return Tile(-1, self.index, self.width)

    @property
    def first(self) -> int:
        """The first hash's index at tree level 8·L (for a bundle: the first entry's)."""
        return self.index * WIDTH


def encode_index(n: int) -> str:
    """N as zero-padded 3-digit path elements, all but the last prefixed with x:
    1234067 → ``x001/x234/067``."""
    if n < 0:
        raise ValueError(f"a tile index is never negative (got {n})")
    groups = [n % 1000]
    while n >= 1000:
        n //= 1000
        groups.append(n % 1000)
    *upper, last = reversed(groups)
    return "".join(f"x{g:03d}/" for g in upper) + f"{last:03d}"


def parse_index(text: str) -> int:
    """The inverse of ``encode_index``; any other spelling (a leading ``x000``, missing
    padding, an ``x`` on the last element) is refused, so each tile has one path."""
    *upper, last = text.split("/")
    if not _LAST.fullmatch(last) or not all(_ELEMENT.fullmatch(e) for e in upper):
        raise TilePathError(f"not a tile index: {text!r}")
    if upper and upper[0] == "x000":
        raise TilePathError(f"not a tile index (a leading x000 element): {text!r}")
    n = 0
    for element in [*(e[1:] for e in upper), last]:
        n = n * 1000 + int(element)
    if n >= MAX_INDEX:
        raise TilePathError(f"a tile index beyond 2**64: {text!r}")
    return n


def parse_tile(level: str, rest: str) -> Tile:
    """The tile at ``tile/<level>/<rest>``; ``level`` is ``entries`` for an entry bundle."""
    if level == "entries":
        number = -1
    elif _LEVEL.fullmatch(level) and int(level) <= MAX_LEVEL:
        number = int(level)
    else:
        raise TilePathError(f"not a tile level: {level!r} (0 to {MAX_LEVEL}, or entries)")
    width = WIDTH
    head, partial, tail = rest.partition(".p/")
    if partial:
        if not _PARTIAL_WIDTH.fullmatch(tail) or int(tail) >= WIDTH:
            raise TilePathError(f"not a partial tile width: {tail!r} (1 to {WIDTH - 1})")
        width = int(tail)
    return Tile(number, parse_index(head), width)


def tile_width(level: int, index: int, size: int) -> int:
    """How many hashes tile ``index`` of ``level`` has in the tree of ``size`` leaves (0 to
    256; for an entry bundle, as at level 0)."""
    count = size >> (HEIGHT * max(level, 0))
    return max(0, min(WIDTH, count - index * WIDTH))


def tiles_of(size: int) -> Iterator[Tile]:
    """Every hash tile of the tree of ``size`` leaves (full and partial), level by level."""
    yield from changed_tiles(0, size)


def changed_tiles(old: int, size: int) -> Iterator[Tile]:
    """The hash tiles of the tree of ``size`` that the tree of ``old`` did not have at that
    width: the ones to publish when a log grows from ``old`` to ``size`` leaves."""
    level = 0
    while size >> (HEIGHT * level):
        count = size >> (HEIGHT * level)
        before = old >> (HEIGHT * level)
        for index in range(before // WIDTH, -(-count // WIDTH)):
            width = tile_width(level, index, size)
            if width != tile_width(level, index, old):
                yield Tile(level, index, width)
        level += 1


def encode_bundle(leaves: Sequence[bytes]) -> bytes:
    """Each leaf prefixed with its length as a big-endian uint16."""
    out = bytearray()
    for leaf in leaves:
        if len(leaf) > MAX_ENTRY_BYTES:
            raise ValueError(
                f"a leaf of {len(leaf)} bytes does not fit an entry bundle "
                f"(at most {MAX_ENTRY_BYTES} bytes)"
            )
        out += len(leaf).to_bytes(2, "big")
        out += leaf
    return bytes(out)


def decode_bundle(data: bytes, count: int) -> list[bytes]:
    """Exactly ``count`` entries filling ``data``; anything else is a ValueError."""
    leaves: list[bytes] = []
    at = 0
    view = memoryview(data)
    while at < len(data):
        if at + 2 > len(data):
            raise ValueError(f"the bundle ends inside the length of entry {len(leaves)}")
        length = int.from_bytes(view[at : at + 2], "big")
        at += 2
        if at + length > len(data):
            raise ValueError(f"the bundle ends inside entry {len(leaves)}")
        leaves.append(bytes(view[at : at + length]))
        at += length
    if len(leaves) != count:
        raise ValueError(f"the bundle holds {len(leaves)} entries, not {count}")
    return leaves


def split_hashes(data: bytes, tile: Tile) -> list[bytes]:
    """The hashes of a fetched hash tile, which must be exactly ``tile.width`` of them."""
    if len(data) != tile.width * HASH_SIZE:
        raise ValueError(
            f"{tile.path()} holds {len(data)} bytes, not {tile.width} hashes of {HASH_SIZE}"
        )
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


Fetch = Callable[[Tile], bytes]
"""Reads a hash tile's bytes (from a server, a directory, the database)."""


class TileNodes:
    """A ``Reader`` of perfect nodes for the tree of ``size`` leaves, from its hash tiles.

    Node ``(8·L + r, i)`` is the root of the ``2**r`` hashes of tile level L from
    ``i·2**r``, which lie in one tile (``2**r`` divides 256): fetched once, then folded.
    """

    def __init__(self, fetch: Fetch, size: int):
        self._fetch = fetch
        self.size = size
        self._tiles: dict[tuple[int, int], list[bytes]] = {}

    def tile(self, level: int, index: int) -> list[bytes]:
        key = (level, index)
        if key not in self._tiles:
            width = tile_width(level, index, self.size)
            if width == 0:
                raise ProofError(f"the tree of size {self.size} has no tile {level}/{index}")
            tile = Tile(level, index, width)
            self._tiles[key] = split_hashes(self._fetch(tile), tile)
        return self._tiles[key]

    def node(self, node: NodeId) -> bytes:
        level, index = node
        tile_level, height = divmod(level, HEIGHT)
        first = index << height  # its first hash's index at tree level 8·L
        hashes = self.tile(tile_level, first // WIDTH)
        offset = first % WIDTH
        span = hashes[offset : offset + (1 << height)]
        if len(span) != 1 << height:
            raise ProofError(f"node {node} is not complete in the tree of size {self.size}")
        while len(span) > 1:
            span = [node_hash(span[i], span[i + 1]) for i in range(0, len(span), 2)]
        return span[0]

    def __call__(self, ids: Sequence[NodeId]) -> list[bytes]:
        return [self.node(node) for node in ids]

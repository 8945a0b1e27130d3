"""Tiles read from the log's own tables: a hash tile is one range of ``log_nodes`` (a tile's
hashes are stored perfect nodes, level 8·L), an entry bundle one range of ``log_leaves``.
Each is one primary-key range read, whatever the size of the log.

Only what the latest signed checkpoint covers is served: a tile of the tree of that size,
or a narrower partial tile of an earlier size (its hashes never change). A client checks a
tile against a signed checkpoint (``sunshine verify --tiles`` recomputes every one from the
entries), so nothing here is taken on trust.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Final

from ledger.domain.errors import NotFound
from ledger.log.health import LogDamaged
from ledger.log.note import NoteError, parse_checkpoint
from ledger.log.tiles import HEIGHT, Tile, encode_bundle, tile_width
from ledger.store.sql import Cursor, PostgresDatabase, SQLiteDatabase

#: Full tiles and bundles kept in memory, most recently served first: they never change.
#: At most about 64 × 260 KB of bundles (real leaves are about 1 KB) and 64 × 8 KB of hashes.
CACHED: Final = 128


class LogTiles:
    def __init__(self, db: SQLiteDatabase | PostgresDatabase, cached: int = CACHED):
        self.db = db
        self._cached = cached
        self._full: OrderedDict[Tile, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def tile(self, tile: Tile) -> bytes:
        """A hash tile or an entry bundle; a full one from memory once it was read."""
        with self._lock:  # routes run in a thread pool
            found = self._full.get(tile)
            if found is not None:
                self._full.move_to_end(tile)
                return found
        data = self.entries(tile) if tile.level < 0 else self.hashes(tile)
        if tile.full and self._cached:
            with self._lock:
                self._full[tile] = data
                while len(self._full) > self._cached:
                    self._full.popitem(last=False)
        return data

    def hashes(self, tile: Tile) -> bytes:
        """The tile's hashes, concatenated (``tile.width`` × 32 bytes)."""
        with self.db.read() as cur:
            self._check_signed(cur, tile)
            rows = cur.execute(
                "SELECT hash FROM log_nodes WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx",
                (HEIGHT * tile.level, tile.first, tile.first + tile.width),
            ).fetchall()
        if len(rows) != tile.width:
            raise LogDamaged(
                f"{tile.path()}: {tile.width - len(rows)} of its nodes are missing from log_nodes"
            )
        return b"".join(bytes(r[0]) for r in rows)

    def entries(self, tile: Tile) -> bytes:
        """The entry bundle: the tile's leaves, each after its length (uint16, big-endian)."""
        with self.db.read() as cur:
            self._check_signed(cur, tile)
            rows = cur.execute(
                "SELECT leaf FROM log_leaves WHERE idx >= ? AND idx < ? ORDER BY idx",
                (tile.first, tile.first + tile.width),
            ).fetchall()
        if len(rows) != tile.width:
            raise LogDamaged(
                f"{tile.path()}: {tile.width - len(rows)} of its leaves are missing from log_leaves"
            )
        try:
            return encode_bundle([bytes(r[0]) for r in rows])
        except ValueError as problem:
            raise LogDamaged(f"{tile.path()} cannot be served: {problem}") from None

    @staticmethod
    def _check_signed(cur: Cursor, tile: Tile) -> None:
        row = cur.execute("SELECT note FROM log_checkpoints ORDER BY size DESC LIMIT 1").fetchone()
        if row is None:
            raise NotFound("the log is empty: no checkpoint has been signed yet")
        try:
            size = parse_checkpoint(str(row[0]).split("\n\n", 1)[0] + "\n").size
        except NoteError as problem:
            raise LogDamaged(f"the latest stored checkpoint cannot be read: {problem}") from None
        if tile.width > tile_width(tile.level, tile.index, size):
            raise NotFound(
                f"{tile.path()} is beyond the latest signed checkpoint (size {size}): "
                "fetch the tiles its checkpoint names"
            )

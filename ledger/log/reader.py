"""Reading the log: checkpoints, leaves and proofs, each proof in O(log n) reads."""

from __future__ import annotations

from ledger.domain.errors import Invalid, NotFound
from ledger.log.merkle import consistency_proof, inclusion_proof
from ledger.log.nodes import node_reader
from ledger.store.sql import Cursor, PostgresDatabase, SQLiteDatabase

MAX_ENTRIES_PER_PAGE = 1000


class LogReader:
    def __init__(self, db: SQLiteDatabase | PostgresDatabase):
        self.db = db

    def checkpoint(self) -> str | None:
        with self.db.read() as cur:
            row = cur.execute(
                "SELECT note FROM log_checkpoints ORDER BY size DESC LIMIT 1"
            ).fetchone()
        return str(row[0]) if row else None

    def size(self) -> int:
        with self.db.read() as cur:
            return _size(cur)

    def entry(self, index: int) -> bytes:
        with self.db.read() as cur:
            row = cur.execute("SELECT leaf FROM log_leaves WHERE idx = ?", (index,)).fetchone()
        if row is None:
            raise NotFound(f"no log entry at index {index}")
        return bytes(row[0])

    def entries_at(self, indices: list[int]) -> dict[int, bytes]:
        """The leaves at these indices (those the log has), in one read."""
        if not indices:
            return {}
        marks = ",".join("?" for _ in indices)
        with self.db.read() as cur:
            rows = cur.execute(
                f"SELECT idx, leaf FROM log_leaves WHERE idx IN ({marks})",  # noqa: S608
                tuple(indices),
            ).fetchall()
        return {int(i): bytes(leaf) for i, leaf in rows}

    def entries(self, start: int, count: int) -> list[bytes]:
        if start < 0 or not 0 < count <= MAX_ENTRIES_PER_PAGE:
            raise Invalid(
                f"start must be ≥ 0 and count between 1 and {MAX_ENTRIES_PER_PAGE}", status=400
            )
        with self.db.read() as cur:
            rows = cur.execute(
                "SELECT leaf FROM log_leaves WHERE idx >= ? AND idx < ? ORDER BY idx",
                (start, start + count),
            ).fetchall()
        return [bytes(r[0]) for r in rows]

    @staticmethod
    def entries_in(cur: Cursor, start: int, count: int) -> list[bytes]:
        """As ``entries``, within the caller's transaction (a projection's batch)."""
        rows = cur.execute(
            "SELECT leaf FROM log_leaves WHERE idx >= ? AND idx < ? ORDER BY idx",
            (start, start + count),
        ).fetchall()
        return [bytes(r[0]) for r in rows]

    def leaf_indices(self, notification_ids: list[int]) -> list[int]:
        marks = ",".join("?" for _ in notification_ids)
        with self.db.read() as cur:
            rows = cur.execute(
                f"SELECT notification_id, idx FROM log_leaves WHERE notification_id IN ({marks})",  # noqa: S608
                notification_ids,
            ).fetchall()
        found = {int(n): int(i) for n, i in rows}
        return [found[n] for n in notification_ids if n in found]

    def inclusion(self, index: int, size: int) -> tuple[bytes, list[bytes]]:
        """The leaf hash at `index` and its audit path in the tree of `size` leaves."""
        with self.db.read() as cur:
            _check_size(cur, size)
            if not 0 <= index < size:
                raise Invalid(
                    f"index must satisfy 0 ≤ index < size (got {index}, {size})", status=400
                )
            read = node_reader(cur)
            (leaf,) = read([(0, index)])
            return leaf, inclusion_proof(index, size, read)

    def consistency(self, old: int, size: int) -> list[bytes]:
        with self.db.read() as cur:
            _check_size(cur, size)
            if not 0 < old <= size:
                raise Invalid(f"old must satisfy 0 < old ≤ size (got {old}, {size})", status=400)
            return consistency_proof(old, size, node_reader(cur))


def _size(cur: Cursor) -> int:
    row = cur.execute("SELECT MAX(idx) FROM log_leaves").fetchone()
    return 0 if row is None or row[0] is None else int(row[0]) + 1


def _check_size(cur: Cursor, size: int) -> None:
    current = _size(cur)
    if size < 1:
        raise Invalid(f"size must be ≥ 1 (got {size})", status=400)
    if size > current:
        raise NotFound(f"the log has {current} entries, fewer than size {size}")

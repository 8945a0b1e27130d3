"""Reading the log: checkpoints, leaves and proofs, each proof in O(log n) reads.

Every proof is checked against the latest signed checkpoint before it is served: a
proof from a stored node that was changed would not verify for the public, so it is
refused (``LogDamaged``, 503) and the damage is kept in ``health``.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Sequence
from typing import NoReturn

from ledger.domain.errors import Invalid, NotFound
from ledger.log.health import Damage, LogDamaged, TreeHealth, locate
from ledger.log.merkle import (
    NodeId,
    ProofError,
    consistency_ids,
    consistency_proof,
    inclusion_ids,
    inclusion_proof,
    root_at,
    root_from_inclusion,
    roots_from_consistency,
    verify_consistency,
)
from ledger.log.nodes import MissingNode, node_reader
from ledger.log.note import Checkpoint, NoteError, Verifier, open_note, parse_checkpoint
from ledger.store.sql import Cursor, PostgresDatabase, SQLiteDatabase

MAX_ENTRIES_PER_PAGE = 1000


class LogReader:
    def __init__(self, db: SQLiteDatabase | PostgresDatabase):
        self.db = db
        self.health = TreeHealth()

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
            signed = _signed(cur, size)
            if not 0 <= index < size:
                raise Invalid(
                    f"index must satisfy 0 ≤ index < size (got {index}, {size})", status=400
                )
            what = f"the inclusion proof of entry {index} in the tree of size {size}"
            read = _Prefetched(node_reader(cur))
            try:
                # Every node the proof and its check need, in one read.
                read.ahead(
                    [(0, index), *inclusion_ids(index, size), *consistency_ids(size, signed.size)]
                )
                (leaf,) = read([(0, index)])
                proof = inclusion_proof(index, size, read)
                root = root_from_inclusion(leaf, index, size, proof)
                self._vouch(read, signed, size, root)
            except (MissingNode, ProofError) as problem:
                self._refuse(cur, read, signed, size, what, problem)
            return leaf, proof

    def consistency(self, old: int, size: int) -> list[bytes]:
        with self.db.read() as cur:
            signed = _signed(cur, size)
            if not 0 < old <= size:
                raise Invalid(f"old must satisfy 0 < old ≤ size (got {old}, {size})", status=400)
            if old == size:
                return []  # no node is served, so there is nothing to check
            what = f"the consistency proof from size {old} to size {size}"
            read = _Prefetched(node_reader(cur))
            # A perfect old tree's root is left out of the proof but feeds the new root.
            perfect = [(old.bit_length() - 1, 0)] if old & (old - 1) == 0 else []
            try:
                read.ahead(
                    [*consistency_ids(old, size), *perfect, *consistency_ids(size, signed.size)]
                )
                proof = consistency_proof(old, size, read)
                old_root = read(perfect)[0] if perfect else b""
                _, root = roots_from_consistency(old, size, proof, old_root)
                self._vouch(read, signed, size, root)
            except (MissingNode, ProofError) as problem:
                self._refuse(cur, read, signed, size, what, problem)
            return proof

    def check_tree(self, verifier: Verifier) -> tuple[int, Damage | None]:
        """The signed size and the first damage: one a refused proof recorded, or one found
        now. Cheap, O(log n): the latest checkpoint must open with the log key, and the
        stored frontier must give its root. A node inside the tree is checked when a proof
        uses it; `sunshine verify --db` recomputes every node."""
        with self.db.read() as cur:
            row = cur.execute(
                "SELECT note FROM log_checkpoints ORDER BY size DESC LIMIT 1"
            ).fetchone()
            if row is None:
                return 0, self.health.damage
            try:
                signed = parse_checkpoint(open_note(str(row[0]), [verifier]))
            except NoteError as problem:
                return 0, self.health.record(
                    Damage(f"the latest stored checkpoint does not verify: {problem}", 0, None)
                )
            read = _Prefetched(node_reader(cur))
            try:
                if root_at(signed.size, read) != signed.root:
                    raise ProofError("the stored frontier does not give the signed root")
            except (MissingNode, ProofError) as problem:
                node = problem.node if isinstance(problem, MissingNode) else locate(cur, read.asked)
                what = f"the stored tree at size {signed.size} does not give the signed root"
                self.health.record(Damage(f"{what} ({problem})", signed.size, node))
            return signed.size, self.health.damage

    @staticmethod
    def _vouch(read: _Prefetched, signed: Checkpoint, size: int, root: bytes) -> None:
        """Pass only if `root`, the tree of `size` a proof implies, is the signed one: equal
        to the signed root, or consistent with it by a proof from the same stored nodes.
        Every node of a proof feeds the root it implies, so a changed node cannot pass."""
        if size == signed.size:
            if not hmac.compare_digest(root, signed.root):
                raise ProofError("it does not give the signed root")
            return
        onward = consistency_proof(size, signed.size, read)
        verify_consistency(size, signed.size, onward, root, signed.root)

    def _refuse(
        self,
        cur: Cursor,
        read: _Prefetched,
        signed: Checkpoint,
        size: int,
        what: str,
        problem: Exception,
    ) -> NoReturn:
        node = problem.node if isinstance(problem, MissingNode) else locate(cur, read.asked)
        damage = self.health.record(
            Damage(
                f"{what} does not verify against the signed checkpoint of size {signed.size} "
                f"({problem})",
                size,
                node,
            ),
            refused=True,
        )
        where = f" at {damage.where()}" if damage.node is not None else ""
        raise LogDamaged(
            f"the stored Merkle tree is damaged{where}: {what} would not verify against the "
            f"signed checkpoint of size {signed.size}, so it is not served. "
            "The operator is told at GET /log/health."
        )


class _Prefetched:
    """A node reader that reads ahead in one query, and remembers which nodes a proof
    was made of (to find a wrong one among them)."""

    def __init__(self, read: Callable[[Sequence[NodeId]], Sequence[bytes]]):
        self._read = read
        self._table: dict[NodeId, bytes] = {}
        self.asked: list[NodeId] = []

    def ahead(self, ids: Sequence[NodeId]) -> None:
        self.asked.extend(ids)
        wanted = list(dict.fromkeys(ids))
        self._table.update(zip(wanted, self._read(wanted), strict=True))

    def __call__(self, ids: Sequence[NodeId]) -> Sequence[bytes]:
        missing = [i for i in ids if i not in self._table]
        if missing:
            self.ahead(missing)
        return [self._table[i] for i in ids]


def _signed(cur: Cursor, size: int) -> Checkpoint:
    """The latest signed checkpoint, which proofs are checked against; `size` must be within
    it. Its signature is the log's own (the integrator checks it before signing the next)."""
    if size < 1:
        raise Invalid(f"size must be ≥ 1 (got {size})", status=400)
    row = cur.execute("SELECT note FROM log_checkpoints ORDER BY size DESC LIMIT 1").fetchone()
    if row is None:
        raise NotFound(f"the log is empty: no checkpoint has been signed yet (size {size})")
    try:
        signed = parse_checkpoint(str(row[0]).split("\n\n", 1)[0] + "\n")
    except NoteError as problem:
        raise LogDamaged(f"the latest stored checkpoint cannot be read: {problem}") from None
    if size > signed.size:
        raise NotFound(f"the log has {signed.size} signed entries, fewer than size {size}")
    return signed


def _size(cur: Cursor) -> int:
    row = cur.execute("SELECT MAX(idx) FROM log_leaves").fetchone()
    return 0 if row is None or row[0] is None else int(row[0]) + 1

"""The integrator: one leaf per stored event, dense indices, a signed checkpoint per batch.

It follows the event store's notification log in order. Each batch — its leaves,
the perfect-subtree hashes they complete, the new checkpoint — is written in one
transaction, and the last leaf's notification id is the integrator's position, so
a crash loses nothing and repeats nothing. Before signing, the tree as stored must
still produce the root of the last signed checkpoint: the log never signs two
checkpoints that are inconsistent with each other.

On SQLite the write path integrates inside the events' own transaction
(``integrate_in``): one durable commit per group of commands holds their events, their
leaves and the checkpoint that covers them, and what it appended (``Integrated``) answers
the commands' receipts from memory.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from eventsourcing.persistence import ApplicationRecorder, Notification

from ledger.log.leaf import parts_of
from ledger.log.merkle import (
    CompactRange,
    NodeId,
    ProofError,
    frontier_ids,
    inclusion_proof_in,
    leaf_hash,
    root_at,
    root_from_inclusion,
)
from ledger.log.nodes import node_reader
from ledger.log.note import open_note, parse_checkpoint
from ledger.log.signer import LogSigner
from ledger.store.sql import Cursor, PostgresDatabase, SQLiteDatabase

# PostgreSQL advisory lock: one integrating transaction at a time across processes.
INTEGRATOR_LOCK = 0x53554E4C


#: The stored events after a notification id, at most so many, in order.
Select = Callable[[int, int], Sequence[Notification]]


class InconsistentLog(RuntimeError):
    """The stored tree no longer matches a checkpoint the log has signed."""


@dataclass(frozen=True)
class Integrated:
    """What one integration appended: each event's leaf index, the checkpoint signed last,
    and the tree nodes an inclusion proof of any appended leaf is made of (the frontier
    before it and every node completed since), so that its receipt needs no read."""

    size: int
    root: bytes
    note: str
    indices: dict[int, int]  # notification id -> leaf index
    nodes: dict[NodeId, bytes]

    def inclusion(self, index: int) -> tuple[bytes, list[bytes]]:
        """The leaf hash at `index` and its audit path in the tree of `size`, checked
        against the signed root like every proof the log serves."""
        leaf = self.nodes[(0, index)]
        proof = inclusion_proof_in(self.nodes, index, self.size)
        if not hmac.compare_digest(root_from_inclusion(leaf, index, self.size, proof), self.root):
            raise ProofError(f"the proof of entry {index} does not give the signed root")
        return leaf, proof


class Integrator:
    def __init__(
        self,
        db: SQLiteDatabase | PostgresDatabase,
        recorder: ApplicationRecorder,
        signer: LogSigner,
        batch_size: int = 2000,
    ):
        self.db = db
        self.recorder = recorder
        self.signer = signer
        self.batch_size = batch_size
        self._mutex = threading.Lock()
        self._range: CompactRange | None = None
        # The note this process signed last over ``_range``, while it holds that range.
        self._vouched: str | None = None

    def integrate(self) -> int:
        """Append leaves for every stored event not yet in the log; return the log size."""
        while True:
            size, appended = self._batch()
            if appended < self.batch_size:
                return size

    def integrate_in(self, cur: Cursor, select: Select) -> Integrated | None:
        """Within the caller's write transaction, which stored the events: their leaves, the
        nodes they complete and one checkpoint over them. None if nothing was pending."""
        nodes: dict[NodeId, bytes] = {}
        indices: dict[int, int] = {}
        note: str | None = None
        with self._mutex:
            try:
                while True:
                    size, appended, signed = self._append(cur, select, nodes, indices)
                    note = signed or note
                    if appended < self.batch_size:
                        break
            except BaseException:
                self._forget()
                raise
        if note is None:
            return None
        assert self._range is not None
        return Integrated(size, self._range.root(), note, indices, nodes)

    def _batch(self) -> tuple[int, int]:
        # The database's lock first, then the in-process one: the events' transaction
        # (``integrate_in``) holds the first when it takes the second.
        try:
            with self.db.write(lock=INTEGRATOR_LOCK) as cur, self._mutex:
                size, appended, _ = self._append(cur, self._select)
                return size, appended
        except BaseException:
            self._forget()
            raise

    def _select(self, position: int, limit: int) -> Sequence[Notification]:
        return self.recorder.select_notifications(
            start=position, limit=limit, inclusive_of_start=False
        )

    def _forget(self) -> None:
        # The in-memory frontier may be ahead of what was committed.
        self._range = None
        self._vouched = None

    def _append(
        self,
        cur: Cursor,
        select: Select,
        nodes: dict[NodeId, bytes] | None = None,
        indices: dict[int, int] | None = None,
    ) -> tuple[int, int, str | None]:
        row = cur.execute(
            "SELECT idx, notification_id FROM log_leaves ORDER BY idx DESC LIMIT 1"
        ).fetchone()
        size, position = (int(row[0]) + 1, int(row[1])) if row else (0, 0)
        notifications = select(position, self.batch_size)
        if not notifications:
            return size, 0, None
        tree = self._frontier(cur, size)
        if nodes is not None and not nodes:
            nodes.update(zip(frontier_ids(size), tree.hashes, strict=True))
        leaves = []
        completed: list[tuple[int, int, bytes]] = []
        for offset, notification in enumerate(notifications):
            leaf = parts_of(notification).encode(size + offset)
            leaves.append((size + offset, notification.id, leaf))
            completed.extend(
                (level, idx, digest) for (level, idx), digest in tree.append(leaf_hash(leaf))
            )
        self._check_last_checkpoint(cur)
        cur.executemany(
            "INSERT INTO log_leaves (idx, notification_id, leaf) VALUES (?, ?, ?)", leaves
        )
        cur.executemany("INSERT INTO log_nodes (level, idx, hash) VALUES (?, ?, ?)", completed)
        note = self.signer.sign(tree.size, tree.root())
        cur.execute(
            "INSERT INTO log_checkpoints (size, note, signed_at) VALUES (?, ?, ?)",
            (tree.size, note, datetime.now(UTC).isoformat()),
        )
        self._vouched = note
        if nodes is not None and indices is not None:
            nodes.update(((level, idx), digest) for level, idx, digest in completed)
            indices.update((notification_id, idx) for idx, notification_id, _ in leaves)
        return tree.size, len(notifications), note

    def _frontier(self, cur: Cursor, size: int) -> CompactRange:
        if self._range is None or self._range.size != size:
            ids = frontier_ids(size)
            self._range = CompactRange(size, node_reader(cur)(ids))
            self._vouched = None  # read from the store: checked before the next signing
        return self._range

    def _check_last_checkpoint(self, cur: Cursor) -> None:
        row = cur.execute(
            "SELECT size, note FROM log_checkpoints ORDER BY size DESC LIMIT 1"
        ).fetchone()
        if row is None or row[1] == self._vouched:
            # The last checkpoint is the one this process signed over the frontier it holds:
            # the new root extends it by construction. One read from the store is checked.
            return
        signed = parse_checkpoint(open_note(row[1], [self.signer.verifier]))
        if signed.size == 0:
            return
        stored = root_at(signed.size, node_reader(cur))
        if stored != signed.root:
            raise InconsistentLog(
                f"the stored tree at size {signed.size} does not match the signed checkpoint; "
                "refusing to sign a new one"
            )

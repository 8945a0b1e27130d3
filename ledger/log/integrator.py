"""The integrator: one leaf per stored event, dense indices, a signed checkpoint per batch.

It follows the event store's notification log in order. Each batch — its leaves,
the perfect-subtree hashes they complete, the new checkpoint — is written in one
transaction, and the last leaf's notification id is the integrator's position, so
a crash loses nothing and repeats nothing. Before signing, the tree as stored must
still produce the root of the last signed checkpoint: the log never signs two
checkpoints that are inconsistent with each other.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from eventsourcing.persistence import ApplicationRecorder

from ledger.log.leaf import parts_of
from ledger.log.merkle import CompactRange, frontier_ids, leaf_hash, root_at
from ledger.log.nodes import node_reader
from ledger.log.note import open_note, parse_checkpoint
from ledger.log.signer import LogSigner
from ledger.store.sql import Cursor, PostgresDatabase, SQLiteDatabase

# PostgreSQL advisory lock: one integrating transaction at a time across processes.
INTEGRATOR_LOCK = 0x53554E4C


class InconsistentLog(RuntimeError):
    """The stored tree no longer matches a checkpoint the log has signed."""


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

    def integrate(self) -> int:
        """Append leaves for every stored event not yet in the log; return the log size."""
        with self._mutex:
            while True:
                size, appended = self._batch()
                if appended < self.batch_size:
                    return size

    def _batch(self) -> tuple[int, int]:
        try:
            with self.db.write(lock=INTEGRATOR_LOCK) as cur:
                return self._append(cur)
        except BaseException:
            self._range = None  # the in-memory frontier may be ahead of what was committed
            raise

    def _append(self, cur: Cursor) -> tuple[int, int]:
        row = cur.execute(
            "SELECT idx, notification_id FROM log_leaves ORDER BY idx DESC LIMIT 1"
        ).fetchone()
        size, position = (int(row[0]) + 1, int(row[1])) if row else (0, 0)
        notifications = self.recorder.select_notifications(
            start=position, limit=self.batch_size, inclusive_of_start=False
        )
        if not notifications:
            return size, 0
        tree = self._frontier(cur, size)
        leaves = []
        nodes: list[tuple[int, int, bytes]] = []
        for offset, notification in enumerate(notifications):
            leaf = parts_of(notification).encode(size + offset)
            leaves.append((size + offset, notification.id, leaf))
            nodes.extend(
                (level, idx, digest) for (level, idx), digest in tree.append(leaf_hash(leaf))
            )
        self._check_last_checkpoint(cur)
        cur.executemany(
            "INSERT INTO log_leaves (idx, notification_id, leaf) VALUES (?, ?, ?)", leaves
        )
        cur.executemany("INSERT INTO log_nodes (level, idx, hash) VALUES (?, ?, ?)", nodes)
        note = self.signer.sign(tree.size, tree.root())
        cur.execute(
            "INSERT INTO log_checkpoints (size, note, signed_at) VALUES (?, ?, ?)",
            (tree.size, note, datetime.now(UTC).isoformat()),
        )
        return tree.size, len(notifications)

    def _frontier(self, cur: Cursor, size: int) -> CompactRange:
        if self._range is None or self._range.size != size:
            ids = frontier_ids(size)
            self._range = CompactRange(size, node_reader(cur)(ids))
        return self._range

    def _check_last_checkpoint(self, cur: Cursor) -> None:
        row = cur.execute(
            "SELECT size, note FROM log_checkpoints ORDER BY size DESC LIMIT 1"
        ).fetchone()
        if row is None:
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

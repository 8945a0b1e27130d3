"""The witness's memory: per log, the size and root of the latest checkpoint it cosigned.

One SQLite file (WAL, synchronous=FULL: a committed answer survives kill -9 and power loss).
Checking a submission against the stored state and storing the new state happen in one
``BEGIN IMMEDIATE`` transaction, so two concurrent submissions cannot both pass against the
same old state (the race of C2SP tlog-witness), and the update itself is a compare-and-swap
on the old size and root. A trigger refuses any update that would make a size go down.
Inconsistent submissions signed by the log are kept as evidence.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from ledger.log.merkle import ProofError, verify_consistency
from ledger.log.note import Checkpoint

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS witness_logs (origin TEXT PRIMARY KEY, size INTEGER NOT NULL, "
    "root BLOB NOT NULL, checkpoint TEXT NOT NULL, cosigned_at INTEGER NOT NULL)",
    "CREATE TRIGGER IF NOT EXISTS witness_logs_forward BEFORE UPDATE ON witness_logs "
    "WHEN NEW.size < OLD.size OR NEW.origin != OLD.origin "
    "BEGIN SELECT RAISE(ABORT, 'a witness never goes backwards'); END",
    "CREATE TRIGGER IF NOT EXISTS witness_logs_kept BEFORE DELETE ON witness_logs "
    "BEGIN SELECT RAISE(ABORT, 'a witness never forgets a log'); END",
    "CREATE TABLE IF NOT EXISTS witness_evidence (id INTEGER PRIMARY KEY, origin TEXT NOT NULL, "
    "received_at INTEGER NOT NULL, reason TEXT NOT NULL, request TEXT NOT NULL)",
]


@dataclass(frozen=True)
class Known:
    size: int
    root: bytes | None  # None: never cosigned a checkpoint of this log


class Conflict(Exception):
    """The old size is not the one the witness knows, or the same size has another root:
    answer 409 with the known size."""

    def __init__(self, known: int, reason: str, fork: bool = False):
        super().__init__(reason)
        self.known = known
        self.fork = fork  # another root for a size it cosigned: evidence, not staleness


class BadProof(Exception):
    """The consistency proof does not lead from the known checkpoint to the new one: 422."""


class WitnessState:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # One connection, one writer at a time in this process; BEGIN IMMEDIATE orders this
        # process against any other that opened the same file.
        self._conn = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=30
        )
        self._lock = threading.Lock()
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute("PRAGMA busy_timeout=30000")
        with self._transaction() as cur:
            for statement in SCHEMA:
                cur.execute(statement)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Cursor]:
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")

    def known(self, origin: str) -> Known:
        with self._lock:
            row = self._conn.execute(
                "SELECT size, root FROM witness_logs WHERE origin = ?", (origin,)
            ).fetchone()
        return Known(0, None) if row is None else Known(int(row[0]), bytes(row[1]))

    def advance(
        self,
        old: int,
        proof: Sequence[bytes],
        checkpoint: Checkpoint,
        note: str,
        cosign: Callable[[], str],
    ) -> str:
        """Check the submission against what was cosigned, store it, and return ``cosign()``;
        all in one transaction, so the answer is never ahead of what is on disk."""
        origin = checkpoint.origin
        with self._transaction() as cur:
            row = cur.execute(
                "SELECT size, root FROM witness_logs WHERE origin = ?", (origin,)
            ).fetchone()
            known = Known(0, None) if row is None else Known(int(row[0]), bytes(row[1]))
            refusal = _check(old, proof, checkpoint, known)
            if refusal is None:
                lines = cosign()
                now = int(time.time())
                if row is None:
                    cur.execute(
                        "INSERT INTO witness_logs (origin, size, root, checkpoint, cosigned_at) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (origin, checkpoint.size, checkpoint.root, checkpoint.body(), now),
                    )
                else:
                    cur.execute(
                        "UPDATE witness_logs SET size = ?, root = ?, checkpoint = ?, "
                        "cosigned_at = ? WHERE origin = ? AND size = ? AND root = ?",
                        (checkpoint.size, checkpoint.root, checkpoint.body(), now, origin,
                         known.size, known.root),
                    )
                    if cur.rowcount != 1:  # cannot happen under BEGIN IMMEDIATE; never cosign
                        raise RuntimeError("the witness state changed under its own lock")
                return lines
            if isinstance(refusal, BadProof) or refusal.fork:
                # Signed by the log and inconsistent with what it signed before: keep it.
                cur.execute(
                    "INSERT INTO witness_evidence (origin, received_at, reason, request) "
                    "VALUES (?, ?, ?, ?)",
                    (origin, int(time.time()), str(refusal), f"old {old}\n\n{note}"),
                )
        raise refusal

    def evidence(self) -> list[tuple[str, str, str]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT origin, reason, request FROM witness_evidence ORDER BY id"
            ).fetchall()
        return [(str(a), str(b), str(c)) for a, b, c in rows]

    def close(self) -> None:
        with self._lock, suppress(sqlite3.Error):
            self._conn.close()


def _check(
    old: int, proof: Sequence[bytes], checkpoint: Checkpoint, known: Known
) -> Conflict | BadProof | None:
    if old != known.size:
        return Conflict(known.size, f"old size {old} is not the cosigned size {known.size}")
    if old == checkpoint.size and known.root is not None:
        if proof:
            return BadProof("the proof must be empty when the sizes are equal")
        if checkpoint.root != known.root:
            return Conflict(known.size, f"fork: another root for size {old}", fork=True)
        return None
    if old == 0:  # nothing cosigned yet (or the empty tree): nothing to be consistent with
        return BadProof("the proof must be empty when the old size is 0") if proof else None
    assert known.root is not None  # known.size == old > 0
    try:
        verify_consistency(old, checkpoint.size, proof, known.root, checkpoint.root)
    except ProofError as exc:
        return BadProof(f"the consistency proof does not verify: {exc}")
    return None

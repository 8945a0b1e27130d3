"""The stored tree's health: damage found while serving proofs, and where it lies.

Only perfect subtrees are stored, and a proof is made of stored nodes. A node changed
behind the ledger's back (a flipped byte, an operator's UPDATE) would make every proof
through it fail for the public. The reader checks each proof against the latest signed
checkpoint before serving it (``LogReader``); what it finds wrong is kept here, first
damage first, for ``GET /log/health``.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ledger.domain.errors import LedgerError
from ledger.log.leaf import rfc3339
from ledger.log.merkle import NodeId, leaf_hash, node_hash
from ledger.store.sql import Cursor


class LogDamaged(LedgerError):
    """The stored tree no longer gives the signed root: a proof from it is not served."""

    status = 503
    code = "log_damaged"


@dataclass(frozen=True)
class Damage:
    """Where a proof check found the stored tree wrong."""

    message: str
    size: int  # the tree size whose proof failed against the signed checkpoint
    node: NodeId | None  # the stored node that differs from its children or leaf, if found
    found_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def where(self) -> str:
        if self.node is None:
            return f"the tree of size {self.size}"
        return f"node (level {self.node[0]}, index {self.node[1]})"

    def as_json(self) -> dict[str, object]:
        node = None if self.node is None else {"level": self.node[0], "index": self.node[1]}
        return {
            "message": self.message,
            "size": self.size,
            "node": node,
            "found_at": rfc3339(self.found_at),
        }


class TreeHealth:
    """The first damage this process found, and how many proofs it refused."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._first: Damage | None = None
        self.refused = 0  # proofs refused since the process started

    def record(self, damage: Damage, refused: bool = False) -> Damage:
        """Keep `damage` unless an earlier one is kept; `refused`: a proof was not served."""
        with self._lock:
            self.refused += refused
            if self._first is None:
                self._first = damage
            return self._first

    @property
    def damage(self) -> Damage | None:
        return self._first


def locate(cur: Cursor, suspects: Iterable[NodeId]) -> NodeId | None:
    """The stored node that differs from what its own children (at level 0: its leaf) give,
    searched from the nodes a failed proof used. A wrong node disagrees with its children,
    and so does its parent; descending to the deepest disagreement names the wrong one."""
    for node in dict.fromkeys(suspects):
        if _agrees(cur, node):
            continue
        while node[0] > 0:
            level, index = node
            children = [(level - 1, 2 * index), (level - 1, 2 * index + 1)]
            wrong = [child for child in children if not _agrees(cur, child)]
            if not wrong:
                break
            node = wrong[0]
        return node
    return None


def _agrees(cur: Cursor, node: NodeId) -> bool:
    stored = _stored(cur, node)
    if stored is None:
        return False
    level, index = node
    if level == 0:
        row = cur.execute("SELECT leaf FROM log_leaves WHERE idx = ?", (index,)).fetchone()
        return row is not None and hmac.compare_digest(leaf_hash(bytes(row[0])), stored)
    left = _stored(cur, (level - 1, 2 * index))
    right = _stored(cur, (level - 1, 2 * index + 1))
    if left is None or right is None:
        return False
    return hmac.compare_digest(node_hash(left, right), stored)


def _stored(cur: Cursor, node: NodeId) -> bytes | None:
    row = cur.execute("SELECT hash FROM log_nodes WHERE level = ? AND idx = ?", node).fetchone()
    return None if row is None else bytes(row[0])

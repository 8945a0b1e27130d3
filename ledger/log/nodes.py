"""Batch reads of stored perfect-subtree hashes: one query per proof."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from ledger.log.merkle import NodeId
from ledger.store.sql import Cursor


class MissingNode(LookupError):
    def __init__(self, node: NodeId):
        super().__init__(f"tree node {node} is missing from log_nodes")
        self.node = node


def node_reader(cur: Cursor) -> Callable[[Sequence[NodeId]], Sequence[bytes]]:
    def read(ids: Sequence[NodeId]) -> Sequence[bytes]:
        if not ids:
            return []
        wanted = list(dict.fromkeys(ids))
        # One primary-key lookup per node. SQLite plans `(level, idx) IN (VALUES …)`
        # as a scan of the whole table, so the OR form is used on both backends.
        where = " OR ".join("(level = ? AND idx = ?)" for _ in wanted)
        params = [n for node in wanted for n in node]
        rows = cur.execute(
            f"SELECT level, idx, hash FROM log_nodes WHERE {where}",  # noqa: S608
            params,
        ).fetchall()
        found = {(int(level), int(idx)): bytes(h) for level, idx, h in rows}
        try:
            return [found[node] for node in ids]
        except KeyError as exc:
            raise MissingNode(exc.args[0]) from None

    return read


def nodes_completed(cur: Cursor, ids: Iterable[NodeId]) -> dict[NodeId, bytes]:
    """The stored nodes among ``ids``, read as one range per level: the nodes a run of
    leaves completes are consecutive at each level, so one query reads them all."""
    spans: dict[int, tuple[int, int]] = {}
    for level, idx in ids:
        low, high = spans.get(level, (idx, idx))
        spans[level] = (min(low, idx), max(high, idx))
    if not spans:
        return {}
    where = " OR ".join("(level = ? AND idx BETWEEN ? AND ?)" for _ in spans)
    params = [n for level, (low, high) in spans.items() for n in (level, low, high)]
    rows = cur.execute(
        f"SELECT level, idx, hash FROM log_nodes WHERE {where}",  # noqa: S608
        params,
    ).fetchall()
    return {(int(level), int(idx)): bytes(h) for level, idx, h in rows}

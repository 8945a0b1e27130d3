"""Batch reads of stored perfect-subtree hashes: one query per proof."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

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


def completed_ids(start: int, end: int) -> Iterator[NodeId]:
    """The perfect subtrees leaves ``start`` to ``end - 1`` complete, in the order appending
    them completes them: each leaf's own node, then every parent whose last leaf it is."""
    for index in range(start, end):
        level = 0
        while True:
            yield level, index >> level
            if (index + 1) >> level & 1:
                break
            level += 1


def completed_hashes(cur: Cursor, start: int, end: int) -> list[bytes]:
    """The hashes of the stored nodes leaves ``start`` to ``end - 1`` complete, in the order
    of ``completed_ids``."""
    return [bytes(row[0]) for row in _completed(cur, "hash", start, end)]


def completed_nodes(cur: Cursor, start: int, end: int) -> dict[NodeId, bytes]:
    """As ``completed_hashes``, by node id."""
    rows = _completed(cur, "level, idx, hash", start, end)
    return {(int(level), int(idx)): bytes(h) for level, idx, h in rows}


def _completed(cur: Cursor, columns: str, start: int, end: int) -> list[tuple[Any, ...]]:
    # One range per level (at level l: start >> l to (end >> l) - 1), in one query, in the
    # order of completion: by the node's last leaf, then upwards.
    spans = [
        (level, start >> level, (end >> level) - 1)
        for level in range(end.bit_length())
        if start >> level <= (end >> level) - 1
    ]
    if not spans:
        return []
    where = " OR ".join("(level = ? AND idx BETWEEN ? AND ?)" for _ in spans)
    return cur.execute(
        f"SELECT {columns} FROM log_nodes WHERE {where} "  # noqa: S608
        "ORDER BY (idx + 1) << level, level",
        [n for span in spans for n in span],
    ).fetchall()

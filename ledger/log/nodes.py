"""Batch reads of stored perfect-subtree hashes: one query per proof."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ledger.log.merkle import NodeId
from ledger.store.sql import Cursor


class MissingNode(LookupError):
    pass


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
            raise MissingNode(f"tree node {exc.args[0]} is missing from log_nodes") from None

    return read

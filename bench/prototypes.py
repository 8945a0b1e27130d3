"""Bench-local prototypes of proposed product fixes, measured beside the product as it is.

Nothing here changes product files: a prototype is swapped in for the duration of a
measurement (or in a server process started through `python -m bench.prototypes serve`).

node_reader: ledger/log/nodes.py asks SQLite for
    WHERE (level, idx) IN (VALUES (?,?), ...)
which SQLite (3.40) plans as a full SCAN of log_nodes — O(n) per proof, per receipt and per
integrator batch. The same lookup written as an OR of primary-key equalities is planned as
one PRIMARY KEY search per id on SQLite and as a BitmapOr of index scans on PostgreSQL.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

NodeId = tuple[int, int]


def node_reader_by_key(cur: Any) -> Callable[[Sequence[NodeId]], Sequence[bytes]]:
    """Proposed ledger/log/nodes.py:node_reader — same contract, index lookups only."""
    from ledger.log.nodes import MissingNode

    def read(ids: Sequence[NodeId]) -> Sequence[bytes]:
        if not ids:
            return []
        wanted = list(dict.fromkeys(ids))
        where = " OR ".join("(level = ? AND idx = ?)" for _ in wanted)
        params = [n for node in wanted for n in node]
        rows = cur.execute(f"SELECT level, idx, hash FROM log_nodes WHERE {where}",
                           params).fetchall()
        found = {(int(level), int(idx)): bytes(h) for level, idx, h in rows}
        try:
            return [found[node] for node in ids]
        except KeyError as exc:
            raise MissingNode(f"tree node {exc.args[0]} is missing from log_nodes") from None

    return read


_USERS = ("ledger.log.nodes", "ledger.log.reader", "ledger.log.integrator")


@contextmanager
def fixed_node_reader() -> Iterator[None]:
    """Swap the prototype in wherever the product imported node_reader."""
    import importlib

    modules = [importlib.import_module(name) for name in _USERS]
    saved = [m.node_reader for m in modules]  # type: ignore[attr-defined]
    for m in modules:
        m.node_reader = node_reader_by_key  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for m, original in zip(modules, saved, strict=True):
            m.node_reader = original  # type: ignore[attr-defined]


def main(argv: list[str]) -> int:
    """`python -m bench.prototypes serve ...`: `sunshine serve` with the prototypes in."""
    from sunshine.cli import main as sunshine_main

    with fixed_node_reader():
        return sunshine_main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

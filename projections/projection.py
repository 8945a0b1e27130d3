"""What a projection is: tables of its own, built from the log's leaves in index order.

A projection never reads another component's tables: it reads leaves through the ledger's
``LogReader`` and writes only the tables it declares. Its position (the next leaf index to
apply) is kept in ``projection_positions`` and written in the same transaction as the rows
that leaf produced, so a crash loses nothing and applies nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from ledger.store.sql import Cursor

Entry = dict[str, Any]


class Projection(Protocol):
    #: A short identifier: the key of its position and the argument of ``sunshine rebuild``.
    name: str
    #: Bumped when the tables or what ``apply`` writes change: the runner then rebuilds.
    version: int

    def create(self, sqlite: bool) -> Sequence[str]:
        """Statements creating its tables and indexes (idempotent: IF NOT EXISTS)."""
        ...

    def drop(self) -> Sequence[str]:
        """Statements dropping everything ``create`` made."""
        ...

    def apply(self, cur: Cursor, index: int, entry: Entry, leaf: bytes) -> None:
        """Write what leaf ``index`` means for these tables: ``entry`` is its parsed JSON,
        ``leaf`` its exact bytes."""
        ...

    def tables(self) -> Sequence[str]:
        """Its tables, for comparing a rebuild with the original and for dropping."""
        ...

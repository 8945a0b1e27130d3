"""The OCDS projection: one release per notice, built as the log arrives (``ocds_*``).

The work is ``ledger.ocds.teller.Teller``'s, which the publisher's planner runs over tables
of its own: both make the same release of a notice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from ledger.ocds.teller import Teller
from ledger.store.sql import Cursor
from projections.projection import Entry

TELLER: Final = Teller("ocds")


class OcdsProjection:
    name = "ocds"
    # 2: parties with identity, contact, scale; techniques. 3: items, ceiling. 4: 补充合同;
    # 5: planning.budget names the plan's 资金来源 and 预算项目
    version = 5

    def create(self, sqlite: bool) -> Sequence[str]:
        return TELLER.schema()

    def drop(self) -> Sequence[str]:
        return TELLER.drop()

    def tables(self) -> Sequence[str]:
        return TELLER.tables()

    def flush(self, cur: Cursor) -> None:
        """Nothing kept back: each leaf's rows are written as it is applied."""

    def apply(self, cur: Cursor, index: int, entry: Entry, leaf: bytes) -> None:
        TELLER.apply(cur, index, entry, leaf)

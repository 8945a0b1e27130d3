"""The red-flags projection 预警: flags raised as leaves arrive, never by rescanning the log.

Each leaf updates what the rules know of its procurement (``flag_procurements``) and runs
the rules that leaf can change: a plan can complete a split purchase or tip a purchaser's
single-source share; opened bids can be identical; an award can come on a single bid, close
to the budget, or make one supplier a purchaser's repeated winner; every finding the ledger
attached becomes the flag it belongs to. Items on a statutory clock (a challenge to answer, a
result or contract to announce) are kept with their due date and become flags once overdue
(``queries`` asks with today's date). One leaf being applied: ``run``; per event:
``handlers``; tables and writes: ``store``; the rules: ``rules`` and ``groups``; thresholds:
``config`` and ``flags.toml``.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from typing import Final

from ledger.calendar_files import load_time_limits
from ledger.domain.clock import TimeLimit
from ledger.domain.schema import entries as E
from ledger.store.sql import Cursor
from projections.flags.clocks import CLOCKS
from projections.flags.config import FlagConfig, load_flag_config
from projections.flags.handlers import handle
from projections.flags.run import Run
from projections.flags.statutes import CREATE as STATUTE_TABLES
from projections.flags.statutes import TABLES as STATUTES
from projections.flags.statutes import StatuteBook
from projections.flags.store import CREATE, TABLES, dumps
from projections.projection import Entry

BASE_VERSION: Final = 9  # 9: experts' selection, testing bodies; 8: unbudgeted, budget
# items; 7: 资格预审 results; 6: debarments; 5: committee seats, framework items (4: contacts)


class FlagsProjection:
    """Red flags with their evidence, computed incrementally from the log."""

    name = "flags"

    def __init__(
        self, config: FlagConfig | None = None, unadopted: Mapping[str, TimeLimit] | None = None
    ) -> None:
        self.config = config or load_flag_config()
        # Clocks count with the log's own statute book as each leaf arrives; the packaged
        # table stands only where the log adopted none, as in the ledger itself.
        self.unadopted: Mapping[str, TimeLimit] = (
            load_time_limits() if unadopted is None else unadopted
        )
        self.book = StatuteBook(self.unadopted)
        self._last = -1  # the last leaf applied: one again or earlier is a retry's replay
        # Other thresholds give other flags: the version carries a fingerprint of them, so a
        # changed configuration rebuilds the projection on the next start.
        clocks = {rule: repr(self.unadopted.get(rule)) for rule in CLOCKS}
        basis = f"{self.config.fingerprint()}|{dumps(clocks)}"
        self.version = BASE_VERSION * 1_000_000 + zlib.crc32(basis.encode()) % 1_000_000

    def create(self, sqlite: bool) -> Sequence[str]:
        return [*CREATE, *STATUTE_TABLES]

    def drop(self) -> Sequence[str]:
        self.book.forget()
        return [f"DROP TABLE IF EXISTS {t}" for t in self.tables()]

    def tables(self) -> Sequence[str]:
        return (*TABLES, *STATUTES)

    def flush(self, cur: Cursor) -> None:
        """Nothing kept back: each leaf's rows are written as it is applied."""

    def apply(self, cur: Cursor, index: int, entry: Entry, leaf: bytes) -> None:
        if isinstance(
            entry.data, E.ActorRegistered | E.KeyRegistered | E.KeyRevoked | E.SealedValueRead
        ):
            return  # no procurement, no organisation's name: nothing for the flags
        if index <= self._last:
            self.book.forget()  # a batch rolled back may have adopted: read what stands
        self._last = index
        if isinstance(entry.data, E.CalendarAdopted | E.TimeLimitsAdopted):
            self.book.adopt(cur, entry.version, entry.data)
            return
        statutes = self.book.current(cur)
        run = Run(self.config, statutes.calendar, statutes.limits, cur, index, entry)
        handle(run)
        run.findings()

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
from collections.abc import Sequence
from typing import Final

from ledger.calendar_files import build_calendar, load_time_limits
from ledger.domain.clock import TimeLimit, WorkingCalendar
from ledger.domain.context import Statutes
from ledger.domain.schema import entries as E
from ledger.store.sql import Cursor
from projections.flags.clocks import CLOCKS
from projections.flags.config import FlagConfig, load_flag_config
from projections.flags.handlers import handle
from projections.flags.run import Run
from projections.flags.store import CREATE, TABLES, dumps
from projections.projection import Entry

BASE_VERSION: Final = 1


class FlagsProjection:
    """Red flags with their evidence, computed incrementally from the log."""

    name = "flags"

    def __init__(self, statutes: Statutes | None = None, config: FlagConfig | None = None):
        self.config = config or load_flag_config()
        self.calendar: WorkingCalendar = statutes.calendar if statutes else build_calendar()
        self.limits: dict[str, TimeLimit] = dict(
            statutes.limits if statutes else load_time_limits()
        )
        # Other thresholds or clocks give other flags: the version carries a fingerprint of
        # them, so a changed configuration rebuilds the projection on the next start.
        clocks = {rule: repr(self.limits.get(rule)) for rule in CLOCKS}
        basis = f"{self.config.fingerprint()}|{dumps(clocks)}|{self.calendar!r}"
        self.version = BASE_VERSION * 1_000_000 + zlib.crc32(basis.encode()) % 1_000_000

    def create(self, sqlite: bool) -> Sequence[str]:
        return CREATE

    def drop(self) -> Sequence[str]:
        return [f"DROP TABLE IF EXISTS {t}" for t in TABLES]

    def tables(self) -> Sequence[str]:
        return TABLES

    def apply(self, cur: Cursor, index: int, entry: Entry, leaf: bytes) -> None:
        if isinstance(
            entry.data, E.ActorRegistered | E.KeyRegistered | E.KeyRevoked | E.SealedValueRead
        ):
            return  # no procurement, no organisation's name: nothing for the flags
        run = Run(self.config, self.calendar, self.limits, cur, index, entry)
        handle(run)
        run.findings()

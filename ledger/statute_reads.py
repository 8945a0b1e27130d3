"""What the ledger measures with, read from its statute book (``domain.statute_book``), and
the results recorded provisionally, read from the log for a re-evaluation."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping

import orjson

from ledger.domain.clock import TimeLimit
from ledger.domain.context import Statutes
from ledger.domain.schema import entries as E
from ledger.domain.statute_book import (
    CalendarBook,
    Provisional,
    TableBook,
    provisional_items,
    statutes_of,
    still_provisional,
)
from ledger.log.reader import MAX_ENTRIES_PER_PAGE, LogReader

_PROVISIONAL = b'"provisional":true'  # leaves are canonical JSON (RFC 8785): no spaces


class StatuteCache:
    """The statutes of the latest book versions seen, built once per adoption."""

    def __init__(self, unadopted: Mapping[str, TimeLimit]):
        self.unadopted = unadopted
        self._kept: tuple[tuple[int, int], Statutes] | None = None
        self._lock = threading.Lock()

    def statutes(self, calendar: CalendarBook | None, table: TableBook | None) -> Statutes:
        key = (0 if calendar is None else calendar.version, 0 if table is None else table.version)
        with self._lock:
            if self._kept is not None and self._kept[0] == key:
                return self._kept[1]
        statutes = statutes_of(calendar, table, self.unadopted)
        with self._lock:
            self._kept = (key, statutes)
        return statutes


def provisional_results(reader: LogReader, years: Iterable[int]) -> list[Provisional]:
    """Every result the log records provisionally that still waits for one of ``years``,
    as it stands after the re-evaluations already appended. Reads the whole log (a year is
    adopted about once a year), parsing only the leaves that hold a provisional result."""
    wanted = frozenset(years)
    recorded: list[Provisional] = []
    reevaluated: list[E.TimingReevaluated] = []
    size = reader.size()
    for start in range(0, size, MAX_ENTRIES_PER_PAGE):
        leaves = reader.entries(start, min(MAX_ENTRIES_PER_PAGE, size - start))
        for offset, leaf in enumerate(leaves):
            if _PROVISIONAL not in leaf:
                continue
            entry = orjson.loads(leaf)
            kind, data = entry["type"], entry["data"]
            if kind == E.TimingReevaluated.__name__:
                reevaluated.append(E.TimingReevaluated.model_validate(data))
            else:
                recorded += provisional_items(start + offset, kind, data)
    return [i for i in still_provisional(recorded, reevaluated) if i.waits_for(wanted)]

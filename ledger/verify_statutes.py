"""The statute book replayed from the log alone, as an independent verifier checks it.

* an adoption is a finance office's, on its own stream, and records exactly what its signed
  command adopted (each year once, dates in their year, 调休 days on weekends; each rule
  once and valid);
* each ``TimingReevaluated`` is one the adopting command had to append: after a calendar
  adoption, every result recorded provisionally that waited for an adopted year is
  re-evaluated on the new calendar, in the order the log recorded them, each exactly as
  ``statute_book.reevaluate`` gives it — none left out, none invented;
* what it keeps — the adopted years and table, each with the version that adopted it — is
  what ``sunshine verify --check-timing`` measures every later entry with (``statutes``),
  never the calendar package the verifier has installed.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ledger.domain.clock import TimeLimit
from ledger.domain.context import Statutes
from ledger.domain.registry import Role
from ledger.domain.schema import entries as E
from ledger.domain.statute_book import (
    CALENDAR_STREAM,
    TABLE_STREAM,
    Provisional,
    Refused,
    calendar_of,
    check_table,
    check_years,
    limits_of,
    provisional_items,
    reevaluate,
    still_provisional,
)
from ledger.domain.vocabulary import Role as RoleTerm


class StatuteViolation(ValueError):
    pass


class StatuteReplay:
    def __init__(self, unadopted: Mapping[str, TimeLimit]):
        self.unadopted = unadopted
        self.years: dict[int, tuple[E.AdoptedYear, int]] = {}
        self.table: Mapping[str, TimeLimit] | None = None
        self.recorded: list[Provisional] = []
        self.reevaluated: list[E.TimingReevaluated] = []
        self.expected: list[E.TimingReevaluated] = []  # still due from the last adoption
        self._statutes: Statutes | None = None

    @property
    def statutes(self) -> Statutes:
        """What the ledger measured with at this point of the log."""
        if self._statutes is None:
            limits = self.unadopted if self.table is None else self.table
            self._statutes = Statutes(calendar_of(MappingProxyType(self.years)), limits)
        return self._statutes

    def check(self, entry: dict[str, Any], role: str) -> None:
        """Check a statute-book entry and apply it."""
        name, data = entry["type"], entry["data"]
        if name != E.TimingReevaluated.__name__ and self.expected:
            raise StatuteViolation(self._missing())
        if RoleTerm(role) is not Role.FINANCE_OFFICE:
            raise StatuteViolation(f"{name}: only a finance office adopts the statutes")
        calendar = name in (E.CalendarAdopted.__name__, E.TimingReevaluated.__name__)
        stream = CALENDAR_STREAM if calendar else TABLE_STREAM
        if entry["stream"] != str(stream):
            raise StatuteViolation(f"{name} is not on the statute book's stream")
        expected_command = "AdoptCalendar" if calendar else "AdoptTimeLimits"
        if entry["command"]["type"] != expected_command:
            raise StatuteViolation(f"a {entry['command']['type']} command cannot record {name}")
        version = int(entry["version"])
        try:
            if name == E.CalendarAdopted.__name__:
                self._calendar(entry, E.CalendarAdopted.model_validate(data), version)
            elif name == E.TimeLimitsAdopted.__name__:
                self._table(entry, E.TimeLimitsAdopted.model_validate(data), version)
            else:
                self._reevaluated(E.TimingReevaluated.model_validate(data))
        except Refused as refused:
            raise StatuteViolation(f"{name} should have been refused: {refused}") from None

    def record(self, index: int, entry: dict[str, Any]) -> None:
        """Keep the provisional results another entry records, for the next adoption."""
        if self.expected:
            raise StatuteViolation(self._missing())
        data = entry.get("data")
        if isinstance(data, dict):
            self.recorded += provisional_items(index, entry["type"], data)

    def finish(self) -> None:
        if self.expected:
            raise StatuteViolation(self._missing())

    def _missing(self) -> str:
        first = self.expected[0]
        return (
            f"the calendar adopted leaves out the re-evaluation of entry {first.entry}'s "
            f"provisional {first.before.rule} ({len(self.expected)} missing)"
        )

    def _calendar(self, entry: dict[str, Any], data: E.CalendarAdopted, version: int) -> None:
        if data.dump() != entry["command"]["payload"]:
            raise StatuteViolation("CalendarAdopted differs from the calendar its command adopts")
        check_years(data.years)
        for year in data.years:
            self.years[year.year] = (year, version)
        self._statutes = None
        adopted = frozenset(y.year for y in data.years)
        waiting = still_provisional(self.recorded, self.reevaluated)
        self.expected = [
            r
            for r in (reevaluate(i, self.statutes) for i in waiting if i.waits_for(adopted))
            if r is not None
        ]

    def _table(self, entry: dict[str, Any], data: E.TimeLimitsAdopted, version: int) -> None:
        if data.dump() != entry["command"]["payload"]:
            raise StatuteViolation("TimeLimitsAdopted differs from the table its command adopts")
        check_table(data.limits, ())
        self.table = limits_of(data, version)
        self._statutes = None

    def _reevaluated(self, data: E.TimingReevaluated) -> None:
        if not self.expected:
            raise StatuteViolation(
                f"a re-evaluation of entry {data.entry} no adopted calendar calls for"
            )
        due = self.expected.pop(0)
        if data != due:
            raise StatuteViolation(
                f"the re-evaluation of entry {data.entry}'s {data.before.rule} records "
                f"{data.change} (due {data.after.deadline}); the adopted calendar gives "
                f"{due.change} (due {due.after.deadline}) for entry {due.entry}"
            )
        self.reevaluated.append(data)

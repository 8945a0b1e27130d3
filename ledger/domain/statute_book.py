"""The statute book 法定时限依据: the working calendar and the time-limit table, as the log
holds them (DOMAIN.md, "Corrections (turn 2)"; issue: the calendar in the log).

Pure: no I/O. A finance office adopts each year's working calendar (``CalendarAdopted``, on
the calendar stream) and the time-limit table (``TimeLimitsAdopted``, on the table stream)
by signed commands. What the ledger measures with is ``statutes_of(calendar, table)``: the
years adopted, each remembering the entry (its version on the calendar stream) that adopted
it, and the table of the latest adoption, each rule remembering that entry's version. Every
timed finding names those versions (``Finding.basis``), and ``sunshine verify
--check-timing`` rebuilds the same from the same entries — never from whichever calendar
package is installed.

A year no entry has adopted is counted on weekends alone, and what is counted through it is
provisional: recorded as such, finding or pass. When the year is adopted later, each such
result is re-evaluated (``reevaluate``) and the outcome appended as a ``TimingReevaluated``
entry of the adopting command — a finding added or withdrawn, or the result confirmed —
never edited in place.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any, Final, Literal

from ledger.domain.clock import TimeLimit, TimeLimitError, WorkingCalendar, time_limit
from ledger.domain.context import Statutes
from ledger.domain.events import SignedCreated, SignedEvent, ValueAggregate
from ledger.domain.findings import basis_value
from ledger.domain.registry import stream_id
from ledger.domain.schema import entries as E
from ledger.domain.schema.values import Finding

CALENDAR_STREAM: Final = stream_id("statutes", "calendar")
TABLE_STREAM: Final = stream_id("statutes", "time-limits")


def _adopted_calendar(data: str) -> E.CalendarAdopted:
    return E.CalendarAdopted.model_validate_json(data)


class CalendarBook(ValueAggregate):
    """Every year's working calendar adopted so far, each with the version that adopted
    it (a later adoption of a year replaces it wholly)."""

    class Adopted(SignedCreated):
        event_type = E.CalendarAdopted.__name__

    class Readopted(SignedEvent):
        event_type = E.CalendarAdopted.__name__

        def apply(self, aggregate: CalendarBook) -> None:
            aggregate.adopt(_adopted_calendar(self.data), self.originator_version)

    class Reevaluated(SignedEvent):
        event_type = E.TimingReevaluated.__name__

        def apply(self, aggregate: CalendarBook) -> None:
            pass  # the log keeps it; the calendar is unchanged

    def __init__(self, actor: str, key: str, command: str, signature: str, data: str) -> None:
        self.years: Mapping[int, tuple[E.AdoptedYear, int]] = MappingProxyType({})
        self.adopt(_adopted_calendar(data), 1)

    def adopt(self, adopted: E.CalendarAdopted, version: int) -> None:
        years = dict(self.years)  # replaced, never mutated: the cache hands out shallow copies
        years.update({y.year: (y, version) for y in adopted.years})
        self.years = MappingProxyType(years)

    @property
    def calendar(self) -> WorkingCalendar:
        return calendar_of(self.years)


class TableBook(ValueAggregate):
    """The time-limit table in force: the latest adoption's, with its version."""

    class Adopted(SignedCreated):
        event_type = E.TimeLimitsAdopted.__name__

    class Readopted(SignedEvent):
        event_type = E.TimeLimitsAdopted.__name__

        def apply(self, aggregate: TableBook) -> None:
            adopted = E.TimeLimitsAdopted.model_validate_json(self.data)
            aggregate.limits = limits_of(adopted, self.originator_version)

    def __init__(self, actor: str, key: str, command: str, signature: str, data: str) -> None:
        self.limits = limits_of(E.TimeLimitsAdopted.model_validate_json(data), 1)


def calendar_of(years: Mapping[int, tuple[E.AdoptedYear, int]]) -> WorkingCalendar:
    """The working calendar of the adopted ``years`` (year → its arrangement and the version
    of the entry that adopted it)."""
    return WorkingCalendar(
        known_years=years,
        holidays=[d for y, _ in years.values() for d in y.holidays],
        workdays=[d for y, _ in years.values() for d in y.workdays],
        sources={year: version for year, (_, version) in years.items()},
    )


def limits_of(adopted: E.TimeLimitsAdopted, version: int) -> Mapping[str, TimeLimit]:
    """The table an adoption states, each rule naming the adoption's ``version``."""
    return MappingProxyType(
        {
            row.id: dataclasses.replace(time_limit(**row.dump()), adopted=version)
            for row in adopted.limits
        }
    )


def statutes_of(
    calendar: CalendarBook | None, table: TableBook | None, unadopted: Mapping[str, TimeLimit]
) -> Statutes:
    """What the ledger measures with. Before any calendar is adopted every year counts on
    weekends alone (provisional); before any table is, the packaged one (``unadopted``:
    its rules name no entry) — a ledger's genesis is followed by both adoptions."""
    return Statutes(
        calendar=WorkingCalendar.weekends_only() if calendar is None else calendar.calendar,
        limits=unadopted if table is None else table.limits,
    )


# -- validating what a command adopts ------------------------------------------------------


class Refused(ValueError):
    """An adoption that cannot stand; the message names the field."""


def check_years(years: Sequence[E.AdoptedYear]) -> None:
    """Each year once, each date in its year, workdays on weekends, no date both ways, and
    the notice of the arrangement cited."""
    seen: set[int] = set()
    for i, adopted in enumerate(years):
        where = f"payload.years[{i}]"
        if adopted.year in seen:
            raise Refused(f"{where}.year: {adopted.year} is listed twice")
        seen.add(adopted.year)
        if not adopted.notice.strip():
            raise Refused(
                f"{where}.notice: cite the State Council's notice of {adopted.year}'s "
                "arrangement (国务院办公厅关于…年部分节假日安排的通知)"
            )
        for name, days in (("holidays", adopted.holidays), ("workdays", adopted.workdays)):
            for j, day in enumerate(days):
                if day.year != adopted.year:
                    raise Refused(f"{where}.{name}[{j}]: {day} is not in {adopted.year}")
                if name == "workdays" and day.weekday() < 5:
                    raise Refused(
                        f"{where}.workdays[{j}]: {day} is a weekday; workdays lists the "
                        "weekend days that are worked (调休)"
                    )
        both = sorted(set(adopted.holidays) & set(adopted.workdays))
        if both:
            raise Refused(f"{where}: {both[0]} is listed both as holiday and as workday")
    if not years:
        raise Refused("payload.years: adopt at least one year")


def check_table(rows: Sequence[E.TimeLimitRow], required: Iterable[str]) -> None:
    """Each rule once, each a valid limit, and none the ledger measures left out."""
    ids: set[str] = set()
    for i, row in enumerate(rows):
        if row.id in ids:
            raise Refused(f"payload.limits[{i}].id: rule {row.id} is listed twice")
        ids.add(row.id)
        try:
            time_limit(**row.dump())
        except TimeLimitError as e:
            raise Refused(f"payload.limits[{i}].{e.field}: {e}") from None
    missing = sorted(set(required) - ids)
    if missing:
        raise Refused(
            f"payload.limits: the table is adopted whole, and leaves out {', '.join(missing)}"
        )


# -- re-evaluating provisional results -----------------------------------------------------


@dataclass(frozen=True)
class Provisional:
    """A result recorded on a provisional deadline, as it stands now: the finding (or the
    pass, ``passed``) of the entry at log index ``entry`` — as that entry recorded it, or as
    its latest re-evaluation left it."""

    entry: int
    kind: str
    procurement: str | None
    result: Finding
    passed: bool

    @property
    def key(self) -> tuple[int, str, date | None]:
        return self.entry, self.result.rule, self.result.start

    def waits_for(self, years: Iterable[int]) -> bool:
        """Whether its count went through one of ``years`` before that year was adopted."""
        basis = self.result.basis
        if not self.result.provisional or basis is None or self.result.start is None:
            return False
        unknown = {int(y) for y, entry in basis.calendars.items() if entry is None}
        return bool(unknown & set(years))


Change = Literal["added", "withdrawn", "confirmed"]


def reevaluate(item: Provisional, statutes: Statutes) -> E.TimingReevaluated | None:
    """``item`` recomputed on ``statutes`` (its calendar now holding the adopted years);
    None when the rule is no longer in the table."""
    before = item.result
    limit = statutes.limits.get(before.rule)
    if limit is None or not limit.is_time_limit or before.start is None:
        return None
    deadline = statutes.calendar.deadline_for(limit, before.start)
    basis = basis_value(statutes.calendar.basis(limit, deadline))
    after = before.model_copy(
        update={
            "deadline": deadline.due,
            "provisional": deadline.provisional,
            "reason": deadline.reason,
            "basis": basis,
        }
    )
    if before.actual is None:  # an act never done (found at the archive): still not done
        broken = True
    elif limit.direction == "at_most":
        broken = before.actual > deadline.due
    else:
        broken = before.actual < deadline.due
    change: Change = "confirmed"
    if item.passed and broken:
        change = "added"
    elif not item.passed and not broken:
        change = "withdrawn"
    return E.TimingReevaluated(
        entry=item.entry,
        kind=item.kind,
        procurement=item.procurement,
        change=change,
        kept=not broken,
        before=before,
        after=after,
    )


def still_provisional(
    recorded: Iterable[Provisional], reevaluated: Iterable[E.TimingReevaluated]
) -> list[Provisional]:
    """The provisional results as they stand: each recorded one, replaced by its latest
    re-evaluation (whose result is a finding unless the limit was kept), and dropped once
    that is exact."""
    current: dict[tuple[int, str, date | None], Provisional] = {}
    for item in recorded:
        current[item.key] = item
    for r in reevaluated:
        before = Provisional(r.entry, r.kind, r.procurement, r.before, passed=False)
        current[before.key] = Provisional(r.entry, r.kind, r.procurement, r.after, r.kept)
    return [item for item in current.values() if item.result.provisional]


def provisional_items(entry: int, kind: str, data: Mapping[str, Any]) -> list[Provisional]:
    """The provisional findings and passes an entry's ``data`` (its JSON) records."""
    code = data.get("procurement")
    procurement = code if isinstance(code, str) else None
    items = [
        Provisional(entry, kind, procurement, f, passed=False)
        for f in (Finding.model_validate(v) for v in data.get("findings") or ())
        if f.provisional
    ]
    items += [
        Provisional(entry, kind, procurement, Finding.model_validate(v), passed=True)
        for v in data.get("provisional_passes") or ()
    ]
    return [i for i in items if i.result.start is not None]

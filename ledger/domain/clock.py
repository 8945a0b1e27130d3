# Over 400 lines by design: the time-limit model and the day counting it needs, two lines over.
"""Statutory clocks: time limits as data, and day counting on the PRC working calendar.

Pure: no I/O. The time-limit table and the holiday data are loaded by
``ledger.domain.calendars``; this module only counts.

Counting rules (DOMAIN.md, "Statutory time limits"):

* the first day is not counted: a limit of *n* days (or working days) from ``start`` counts
  the days after ``start``;
* a limit counted in calendar days that ends on a non-working day moves to the next working
  day (working-day limits always end on a working day);
* working days follow the PRC calendar with its adjusted weekends (调休). For a year the
  calendar does not know, only Saturdays and Sundays are non-working, and every deadline whose
  computation touched such a year is marked provisional, with the reason in Chinese and
  English. The clock never guesses holidays and never fails for an unknown year.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Final, Literal, cast, get_args

Unit = Literal["working_days", "days", "years", "bidders", "wan_yuan"]
Direction = Literal["at_most", "at_least"]

UNITS: Final[tuple[str, ...]] = get_args(Unit)
DIRECTIONS: Final[tuple[str, ...]] = get_args(Direction)
#: Units the clock can compute a deadline for; "bidders" is a count and "wan_yuan" (万元)
#: an amount, not a time.
TIME_UNITS: Final[frozenset[str]] = frozenset({"working_days", "days", "years"})

#: Upper bound on a single count, to refuse absurd inputs instead of looping for ages.
MAX_COUNT: Final = 36_600

_ID = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_CJK = re.compile(r"[\u3400-\u9fff]")
_ONE_DAY: Final = timedelta(days=1)


class TimeLimitError(ValueError):
    """A time limit whose field is not acceptable; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class TimeLimit:
    """One statutory limit, with its legal source.

    ``at_most``: the act must happen no later than the deadline (e.g. result announced within
    2 working days of the award). ``at_least``: the act, or the end of the period, must come
    no earlier than the deadline (e.g. bid deadline at least 20 days after documents issued).
    """

    id: str
    description_zh: str
    limit: int
    unit: Unit
    direction: Direction
    citation: str
    #: The statute-book entry (its version) that adopted the table this rule came from; None
    #: for a table no entry adopted (the packaged one, before any adoption).
    adopted: int | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not _ID.fullmatch(self.id):
            raise TimeLimitError("id", f"{self.id!r} is not a snake_case identifier")
        if not isinstance(self.description_zh, str) or not self.description_zh.strip():
            raise TimeLimitError("description_zh", "must be a non-empty string")
        if not _CJK.search(self.description_zh):
            raise TimeLimitError(
                "description_zh", f"{self.description_zh!r} contains no Chinese text"
            )
        if isinstance(self.limit, bool) or not isinstance(self.limit, int):
            raise TimeLimitError("limit", f"{self.limit!r} is not an integer")
        if not 0 < self.limit <= MAX_COUNT:
            raise TimeLimitError("limit", f"{self.limit} is not between 1 and {MAX_COUNT}")
        if self.unit not in UNITS:
            raise TimeLimitError("unit", f"{self.unit!r} is not one of {', '.join(UNITS)}")
        if self.direction not in DIRECTIONS:
            raise TimeLimitError(
                "direction", f"{self.direction!r} is not one of {', '.join(DIRECTIONS)}"
            )
        if not isinstance(self.citation, str) or not self.citation.strip():
            raise TimeLimitError("citation", "must be a non-empty string")

    @property
    def is_time_limit(self) -> bool:
        """True when the clock can compute a deadline for this rule."""
        return self.unit in TIME_UNITS


def time_limit(
    *,
    id: str,
    description_zh: str,
    limit: int,
    unit: str,
    direction: str,
    citation: str,
) -> TimeLimit:
    """Build a TimeLimit from untyped values (e.g. parsed data); validation as the class."""
    if unit not in UNITS:
        raise TimeLimitError("unit", f"{unit!r} is not one of {', '.join(UNITS)}")
    if direction not in DIRECTIONS:
        raise TimeLimitError("direction", f"{direction!r} is not one of {', '.join(DIRECTIONS)}")
    return TimeLimit(
        id=id,
        description_zh=description_zh,
        limit=limit,
        unit=cast(Unit, unit),
        direction=cast(Direction, direction),
        citation=citation,
    )


@dataclass(frozen=True)
class Deadline:
    """A computed deadline.

    ``provisional`` is True when a day the computation depended on lies in a year whose
    holiday arrangement the calendar does not know (weekends only were used); ``reason`` then
    says so in Chinese and English. ``reason`` also notes a deadline moved off a non-working
    day; it is empty when there is nothing to say.
    """

    due: date
    provisional: bool
    reason: str
    # the years whose calendar the count went through (what it was computed with, not what
    # it is: two equal deadlines may come from different counts)
    years: tuple[int, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Basis:
    """What a deadline was computed with: the statute-book entries (their versions) that
    adopted the time-limit table and each year's calendar the count went through; None for
    one no entry adopted (a year counted on weekends alone is provisional)."""

    table: int | None
    calendars: tuple[tuple[int, int | None], ...]

    @property
    def unknown_years(self) -> tuple[int, ...]:
        return tuple(year for year, entry in self.calendars if entry is None)


@dataclass(frozen=True)
class Check:
    """One time limit measured: the act ``actual`` against the deadline counted from
    ``start``; ``kept`` when the limit was kept."""

    limit: TimeLimit
    start: date
    actual: date
    deadline: Deadline
    basis: Basis

    @property
    def kept(self) -> bool:
        if self.limit.direction == "at_most":
            return self.actual <= self.deadline.due
        return self.actual >= self.deadline.due


@dataclass(frozen=True)
class Breach:
    """A time limit that was not kept: what a finding records."""

    rule_id: str
    citation: str
    direction: Direction
    deadline: date
    actual: date
    provisional: bool
    reason: str
    start: date | None = field(default=None, compare=False)  # the clock's start (not counted)
    basis: Basis | None = field(default=None, compare=False)  # what it was computed with

    def describe(self) -> str:
        """A bilingual one-line account."""
        if self.direction == "at_most":
            zh, en = "晚于", "after"
        else:
            zh, en = "早于", "before"
        text = (
            f"{self.rule_id}（{self.citation}）：实际日期{self.actual.isoformat()}"
            f"{zh}期限{self.deadline.isoformat()} / {self.rule_id} ({self.citation}): "
            f"{self.actual.isoformat()} is {en} the deadline {self.deadline.isoformat()}"
        )
        if self.provisional:
            text += "（暂定 / provisional）"
        return text


def unknown_year_reason(year: int) -> str:
    """The bilingual note for a year whose holidays the calendar does not know."""
    return (
        f"{year}年节假日安排未知，仅按周末计算（暂定） / "
        f"{year} holidays unknown: weekends only (provisional)"
    )


def _as_date(value: object, name: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{name} must be a datetime.date, not {type(value).__name__}")
    return value


def _as_count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not 0 <= value <= MAX_COUNT:
        raise ValueError(f"{name} must be between 0 and {MAX_COUNT}, not {value}")
    return value


def _is_weekend(d: date) -> bool:
    return d.weekday() >= 5


def _add_years(start: date, years: int) -> date:
    """The corresponding day ``years`` later; without one (29 February), the month's last day."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February into a common year
        return date(start.year + years, 2, 28)


class WorkingCalendar:
    """Which days are working days, for the years whose holiday arrangement is known.

    Built from, per known year, the non-working weekdays (``holidays``; dates of a holiday
    span that fall on a weekend may be listed too) and the weekend days that are worked
    (``workdays``, 调休). Every listed date must lie in a known year. A year not known is
    counted on weekends alone, and anything computed across it is provisional.

    Immutable; ``overlay`` makes a new calendar.
    """

    __slots__ = ("_holidays", "_passes", "_sources", "_workdays", "_years")

    def __init__(
        self,
        *,
        known_years: Iterable[int],
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
        sources: Mapping[int, int] | None = None,
    ) -> None:
        years = frozenset(known_years)
        for y in years:
            if isinstance(y, bool) or not isinstance(y, int) or not 1 <= y <= 9999:
                raise ValueError(f"known year {y!r} is not a year")
        hols = frozenset(_as_date(d, "holiday") for d in holidays)
        works = frozenset(_as_date(d, "workday") for d in workdays)
        for label, days in (("holiday", hols), ("workday", works)):
            stray = sorted(d for d in days if d.year not in years)
            if stray:
                raise ValueError(
                    f"{label} {stray[0].isoformat()} lies in {stray[0].year}, "
                    "a year the calendar is not told it knows"
                )
        both = sorted(hols & works)
        if both:
            raise ValueError(f"{both[0].isoformat()} is listed both as holiday and as workday")
        self._years = years
        self._holidays = hols
        self._workdays = works
        # year -> the statute-book entry (its version) that adopted that year's arrangement
        self._sources: Mapping[int, int] = {
            y: v for y, v in (sources or {}).items() if y in years
        }
        self._passes: list[Check] | None = None

    # -- construction -------------------------------------------------------------------

    @classmethod
    def weekends_only(cls) -> WorkingCalendar:
        """A calendar that knows no year: every deadline from it is provisional."""
        return cls(known_years=())

    @classmethod
    def from_predicate(
        cls, is_working_day: Callable[[date], bool], years: Iterable[int]
    ) -> WorkingCalendar:
        """Ask ``is_working_day`` about every day of ``years`` and keep the exceptions."""
        known = frozenset(years)
        holidays: list[date] = []
        workdays: list[date] = []
        for year in sorted(known):
            d = date(year, 1, 1)
            while d.year == year:
                working = bool(is_working_day(d))
                if _is_weekend(d) and working:
                    workdays.append(d)
                elif not _is_weekend(d) and not working:
                    holidays.append(d)
                d += _ONE_DAY
        return cls(known_years=known, holidays=holidays, workdays=workdays)

    def overlay(self, other: WorkingCalendar) -> WorkingCalendar:
        """A calendar where each year ``other`` knows is taken wholly from ``other``."""
        replaced = other._years
        return WorkingCalendar(
            known_years=self._years | replaced,
            holidays=[d for d in self._holidays if d.year not in replaced] + list(other._holidays),
            workdays=[d for d in self._workdays if d.year not in replaced] + list(other._workdays),
            sources={
                **{y: v for y, v in self._sources.items() if y not in replaced},
                **other._sources,
            },
        )

    def recording(self) -> WorkingCalendar:
        """The same calendar, keeping every limit it finds kept only provisionally (a year
        it does not know in the count): one command's record of its provisional passes."""
        copy = WorkingCalendar.__new__(WorkingCalendar)
        copy._years, copy._holidays, copy._workdays = self._years, self._holidays, self._workdays
        copy._sources = self._sources
        copy._passes = []
        return copy

    @property
    def provisional_passes(self) -> tuple[Check, ...]:
        """The limits found kept only provisionally since ``recording()``."""
        return tuple(self._passes or ())

    def arrangement(self, year: int) -> tuple[list[date], list[date]]:
        """A known year's non-working weekdays and worked weekend days, in order."""
        return (
            sorted(d for d in self._holidays if d.year == year),
            sorted(d for d in self._workdays if d.year == year),
        )

    def source_of(self, year: int) -> int | None:
        """The statute-book entry that adopted ``year``'s arrangement; None if none did."""
        return self._sources.get(year)

    def basis(self, limit: TimeLimit, deadline: Deadline) -> Basis:
        years = deadline.years or (deadline.due.year,)
        return Basis(limit.adopted, tuple((y, self._sources.get(y)) for y in sorted(years)))

    # -- queries ------------------------------------------------------------------------

    @property
    def known_years(self) -> frozenset[int]:
        return self._years

    def knows(self, year: int) -> bool:
        return year in self._years

    def is_working_day(self, d: date) -> bool:
        d = _as_date(d, "day")
        if d in self._workdays:
            return True
        return not _is_weekend(d) and d not in self._holidays

    def add_working_days(self, start: date, n: int) -> Deadline:
        """The n-th working day after ``start`` (``start`` itself is not counted).

        ``n == 0`` gives ``start`` itself.
        """
        start = _as_date(start, "start")
        n = _as_count(n, "n")
        d = start
        touched: set[int] = set()
        counted = 0
        while counted < n:
            d += _ONE_DAY
            touched.add(d.year)
            if self.is_working_day(d):
                counted += 1
        return self._deadline(d, touched, moved_from=None)

    def add_days(self, start: date, n: int) -> Deadline:
        """``start`` plus ``n`` calendar days, moved on to the next working day if need be."""
        start = _as_date(start, "start")
        n = _as_count(n, "n")
        end = start + timedelta(days=n)
        return self._moved_to_working_day(end)

    def add_years(self, start: date, n: int) -> Deadline:
        """The corresponding day ``n`` years later (民法典 第二百零二条). Not moved: used for
        retention periods, where no act falls due."""
        start = _as_date(start, "start")
        n = _as_count(n, "n")
        return Deadline(_add_years(start, n), provisional=False, reason="")

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in (a, b]: ``a`` not counted, ``b`` counted; negative when b < a."""
        a = _as_date(a, "a")
        b = _as_date(b, "b")
        if b < a:
            return -self.working_days_between(b, a)
        count = 0
        d = a + _ONE_DAY
        while d <= b:
            if self.is_working_day(d):
                count += 1
            d += _ONE_DAY
        return count

    def unknown_years_between(self, a: date, b: date) -> tuple[int, ...]:
        """Years in (a, b] (or (b, a]) the calendar does not know: a count across them is
        provisional."""
        lo, hi = (a, b) if a <= b else (b, a)
        if lo == hi:
            return ()
        first = (lo + _ONE_DAY).year
        return tuple(y for y in range(first, hi.year + 1) if y not in self._years)

    # -- statutory limits ---------------------------------------------------------------

    def deadline_for(self, limit: TimeLimit, start: date) -> Deadline:
        """The deadline of ``limit`` counted from ``start`` (``start`` not counted)."""
        if limit.unit == "working_days":
            return self.add_working_days(start, limit.limit)
        if limit.unit == "days":
            return self.add_days(start, limit.limit)
        if limit.unit == "years":
            return self.add_years(start, limit.limit)
        raise ValueError(
            f"rule {limit.id} counts {limit.unit}, not time: it has no deadline ({limit.citation})"
        )

    def check(self, limit: TimeLimit, start: date, actual: date) -> Breach | None:
        """The breach of ``limit`` when the act counted from ``start`` happened on ``actual``.

        ``at_most``: a breach when ``actual`` is after the deadline. ``at_least``: a breach
        when ``actual`` is before it. None when the limit was kept.
        """
        actual = _as_date(actual, "actual")
        measured = self.measure(limit, start, actual)
        deadline = measured.deadline
        if measured.kept:
            if deadline.provisional and self._passes is not None:
                self._passes.append(measured)
            return None
        return Breach(
            rule_id=limit.id,
            citation=limit.citation,
            direction=limit.direction,
            deadline=deadline.due,
            actual=actual,
            provisional=deadline.provisional,
            reason=deadline.reason,
            start=start,
            basis=measured.basis,
        )

    def measure(self, limit: TimeLimit, start: date, actual: date) -> Check:
        """``limit`` counted from ``start`` against the act on ``actual``, kept or not."""
        deadline = self.deadline_for(limit, start)
        basis = self.basis(limit, deadline)
        return Check(limit, start, _as_date(actual, "actual"), deadline, basis)

    # -- internals ----------------------------------------------------------------------

    def _moved_to_working_day(self, end: date) -> Deadline:
        touched = {end.year}
        due = end
        while not self.is_working_day(due):
            due += _ONE_DAY
            touched.add(due.year)
        return self._deadline(due, touched, moved_from=end if due != end else None)

    def _deadline(self, due: date, touched: Iterable[int], moved_from: date | None) -> Deadline:
        unknown = sorted(y for y in set(touched) if y not in self._years)
        notes = [unknown_year_reason(y) for y in unknown]
        if moved_from is not None:
            notes.append(
                f"期限届满日{moved_from.isoformat()}为非工作日，顺延至{due.isoformat()} / "
                f"ends on non-working day {moved_from.isoformat()}: "
                f"moved to next working day {due.isoformat()}"
            )
        return Deadline(
            due=due,
            provisional=bool(unknown),
            reason="；".join(notes),
            years=tuple(sorted(set(touched))),
        )

    def __repr__(self) -> str:
        years = sorted(self._years)
        span = f"{years[0]}..{years[-1]}" if years else "none"
        return (
            f"WorkingCalendar(years={span}, holidays={len(self._holidays)}, "
            f"workdays={len(self._workdays)})"
        )

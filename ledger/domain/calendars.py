"""The statutory clock's calendar and time-limit table, from their texts (pure: the files
are read by the adapter ``ledger.calendar_files``).

* ``package_calendar()`` — the PRC working calendar from the ``chinese_calendar`` package,
  for the years it ships (found by probing: it raises NotImplementedError for others).
* ``parse_holiday_file(text, source)`` — an operator's holiday file for years the package does
  not know (or to correct one it does)::

      [2027]
      holidays = ["2027-01-01", "2027-02-05", ...]   # non-working days (weekends may be listed)
      workdays = ["2027-02-07", ...]                 # weekend days that are worked (调休)

  Dates may be quoted strings or TOML dates. Each year's table replaces that year wholly.
* ``parse_time_limits(text, source)`` — a time-limit table (the packaged
  ``time_limits.toml``, or an operator's override file laid over it: a ``[[time_limit]]`` of
  an existing id replaces that rule, every key given; a new id adds one).

A malformed file raises ``CalendarFileError`` / ``TimeLimitFileError`` whose message starts
with ``file:line:`` where the line can be found, and always names the table and key.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Final

from ledger.domain.clock import TimeLimit, TimeLimitError, WorkingCalendar, time_limit
from ledger.domain.toml_text import ConfigFileError, TomlLocator, parse_toml

#: Years probed to find what the chinese_calendar package knows.
PROBE_YEARS: Final = range(1900, 2201)

TIME_LIMITS_RESOURCE: Final = "time_limits.toml"
_TIME_LIMIT_KEYS: Final = ("id", "description_zh", "limit", "unit", "direction", "citation")
_HOLIDAY_KEYS: Final = ("holidays", "workdays")


class CalendarFileError(ConfigFileError):
    """A malformed holiday file."""


class TimeLimitFileError(ConfigFileError):
    """A malformed time-limit file."""


# -- the chinese_calendar package ----------------------------------------------------------


def _package_is_workday(d: date) -> bool:
    import chinese_calendar  # type: ignore[import-untyped]

    return bool(chinese_calendar.is_workday(d))


@functools.cache
def chinese_calendar_years() -> frozenset[int]:
    """The years the installed chinese_calendar package has holiday data for.

    Probed: a year is known when the package answers for its first and last day instead of
    raising NotImplementedError (its answer for years it lacks).
    """
    known: set[int] = set()
    for year in PROBE_YEARS:
        try:
            _package_is_workday(date(year, 1, 1))
            _package_is_workday(date(year, 12, 31))
        except NotImplementedError:
            continue
        known.add(year)
    return frozenset(known)


@functools.cache
def package_calendar() -> WorkingCalendar:
    """The working calendar of the chinese_calendar package, for the years it knows."""
    return WorkingCalendar.from_predicate(_package_is_workday, chinese_calendar_years())


# -- the operator's holiday file -----------------------------------------------------------


def _parse_day(value: object) -> date | None:
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def parse_holiday_file(text: str, source: str = "<holiday file>") -> WorkingCalendar:
    """A calendar knowing exactly the years of the holiday file ``text``."""
    data = parse_toml(text, source, CalendarFileError)
    where = TomlLocator(text)
    years: set[int] = set()
    holidays: list[date] = []
    workdays: list[date] = []
    for key, table in data.items():
        section = where.section(key)
        line = where.top_line(key)
        if not re.fullmatch(r"\d{4}", key) or not 1900 <= int(key) <= 9999:
            raise CalendarFileError(source, line, f"[{key}]: tables must be years, like [2027]")
        year = int(key)
        if not isinstance(table, dict):
            raise CalendarFileError(
                source, line, f"{key}: must be a table [{key}] with holidays and workdays"
            )
        for name in table:
            if name not in _HOLIDAY_KEYS:
                raise CalendarFileError(
                    source,
                    where.key_line(section, name),
                    f"[{key}] {name}: unknown key (expected {' or '.join(_HOLIDAY_KEYS)})",
                )
        if "holidays" not in table:
            raise CalendarFileError(source, line, f"[{key}]: the holidays list is missing")
        seen: dict[date, str] = {}
        for name in _HOLIDAY_KEYS:
            days = table.get(name, [])
            if not isinstance(days, list):
                raise CalendarFileError(
                    source,
                    where.key_line(section, name),
                    f'[{key}] {name}: must be a list of dates like "{year}-01-01"',
                )
            for i, value in enumerate(days):
                day = _parse_day(value)
                at = where.value_line(section, name, str(value))
                label = f"[{key}] {name}[{i}] = {value!r}"
                if day is None:
                    raise CalendarFileError(
                        source, at, f'{label}: not a date (expected "YYYY-MM-DD")'
                    )
                if day.year != year:
                    raise CalendarFileError(source, at, f"{label}: not in {year}")
                if day in seen:
                    raise CalendarFileError(source, at, f"{label}: already listed in {seen[day]}")
                if name == "workdays" and day.weekday() < 5:
                    raise CalendarFileError(
                        source,
                        at,
                        f"{label}: a {day.strftime('%A')}; workdays lists the weekend days "
                        "that are worked (调休)",
                    )
                seen[day] = name
                (holidays if name == "holidays" else workdays).append(day)
        years.add(year)
    return WorkingCalendar(known_years=years, holidays=holidays, workdays=workdays)


# -- the time-limit table ------------------------------------------------------------------


def _time_limit_entries(text: str, source: str) -> Iterator[tuple[TimeLimit, int | None]]:
    data = parse_toml(text, source, TimeLimitFileError)
    where = TomlLocator(text)
    for key in data:
        if key != "time_limit":
            raise TimeLimitFileError(
                source,
                where.top_line(key),
                f"{key}: unknown table (each rule is a [[time_limit]] table)",
            )
    entries = data.get("time_limit", [])
    if not isinstance(entries, list):
        raise TimeLimitFileError(source, None, "time_limit: must be [[time_limit]] tables")
    for index, entry in enumerate(entries):
        section = where.section("time_limit", index)
        line = where.header_line(section)
        label = f"[[time_limit]] #{index + 1}"
        if not isinstance(entry, dict):
            raise TimeLimitFileError(source, line, f"{label}: must be a table")
        if isinstance(entry.get("id"), str):
            label += f" ({entry['id']})"
        for name in entry:
            if name not in _TIME_LIMIT_KEYS:
                raise TimeLimitFileError(
                    source,
                    where.key_line(section, name),
                    f"{label} {name}: unknown key (expected {', '.join(_TIME_LIMIT_KEYS)})",
                )
        missing = [name for name in _TIME_LIMIT_KEYS if name not in entry]
        if missing:
            raise TimeLimitFileError(source, line, f"{label}: missing {', '.join(missing)}")
        for name in ("id", "description_zh", "unit", "direction", "citation"):
            if not isinstance(entry[name], str):
                raise TimeLimitFileError(
                    source, where.key_line(section, name), f"{label} {name}: must be a string"
                )
        try:
            rule = time_limit(
                id=entry["id"],
                description_zh=entry["description_zh"],
                limit=entry["limit"],
                unit=entry["unit"],
                direction=entry["direction"],
                citation=entry["citation"],
            )
        except TimeLimitError as exc:
            raise TimeLimitFileError(
                source, where.key_line(section, exc.field), f"{label} {exc}"
            ) from exc
        yield rule, line


def parse_time_limits(text: str, source: str = "<time limits>") -> dict[str, TimeLimit]:
    """The rules of a time-limit file, by id, in file order; ids must be unique."""
    rules: dict[str, TimeLimit] = {}
    for rule, line in _time_limit_entries(text, source):
        if rule.id in rules:
            raise TimeLimitFileError(source, line, f"id {rule.id}: defined twice")
        rules[rule.id] = rule
    return rules

"""Reading the statutory clock's files (an adapter): the packaged time-limit table, the
operator's holiday file and time-limit overrides. What they say is parsed by the pure
``ledger.domain.calendars``."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ledger.domain.calendars import (
    TIME_LIMITS_RESOURCE,
    CalendarFileError,
    TimeLimitFileError,
    package_calendar,
    parse_holiday_file,
    parse_time_limits,
)
from ledger.domain.clock import TimeLimit, WorkingCalendar


def load_holiday_file(path: Path) -> WorkingCalendar:
    """Read an operator's holiday file (UTF-8 TOML)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CalendarFileError(str(path), None, f"cannot read holiday file: {exc}") from exc
    return parse_holiday_file(text, str(path))


def build_calendar(holiday_file: Path | None = None) -> WorkingCalendar:
    """The package calendar, with the years of the operator's holiday file laid over it."""
    calendar = package_calendar()
    if holiday_file is None:
        return calendar
    return calendar.overlay(load_holiday_file(holiday_file))


def packaged_time_limits_text() -> str:
    """The time-limit table shipped with the package."""
    return resources.files("ledger.domain").joinpath(TIME_LIMITS_RESOURCE).read_text("utf-8")


def load_time_limits(path: Path | None = None) -> dict[str, TimeLimit]:
    """The packaged time-limit table, with the operator's file at ``path`` laid over it."""
    rules = parse_time_limits(packaged_time_limits_text(), f"ledger/domain/{TIME_LIMITS_RESOURCE}")
    if path is None:
        return rules
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TimeLimitFileError(str(path), None, f"cannot read time-limit file: {exc}") from exc
    overrides = parse_time_limits(text, str(path))
    return {**rules, **overrides}

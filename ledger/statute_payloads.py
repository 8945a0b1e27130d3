"""The payloads of the statute-book commands, from the calendar package, the packaged
time-limit table and the operator's files (an adapter: ``sunshine init`` adopts the seeds,
``sunshine statutes`` an operator's files)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from ledger.calendar_files import load_holiday_file, load_time_limits
from ledger.domain.calendars import chinese_calendar_years, package_calendar
from ledger.domain.clock import TimeLimit, WorkingCalendar


def notice_of(year: int) -> str:
    """The State Council's yearly notice that sets the year's holidays and 调休 days."""
    return f"国务院办公厅关于{year}年部分节假日安排的通知"


def calendar_payload(
    calendar: WorkingCalendar, years: Iterable[int], source: str
) -> dict[str, Any]:
    rows = []
    for year in sorted(set(years)):
        holidays, workdays = calendar.arrangement(year)
        rows.append(
            {
                "year": year,
                "holidays": [d.isoformat() for d in holidays],
                "workdays": [d.isoformat() for d in workdays],
                "notice": notice_of(year),
            }
        )
    return {"years": rows, "source": source}


def package_calendar_payload(years: Iterable[int] | None = None) -> dict[str, Any]:
    """The chinese-calendar package's arrangement of ``years`` (default: every year it
    knows), as an ``AdoptCalendar`` payload naming the package and its version."""
    known = chinese_calendar_years()
    chosen = sorted(known if years is None else set(years) & known)
    version = metadata.version("chinese-calendar")
    return calendar_payload(package_calendar(), chosen, f"chinese-calendar {version}")


def holiday_file_payload(path: Path) -> dict[str, Any]:
    """An operator's holiday file (``[2027] holidays = [...]``) as an ``AdoptCalendar``
    payload."""
    calendar = load_holiday_file(path)
    return calendar_payload(calendar, calendar.known_years, f"holiday file {path.name}")


def time_limits_payload(limits: Mapping[str, TimeLimit], source: str) -> dict[str, Any]:
    rows = [
        {
            "id": rule.id,
            "description_zh": rule.description_zh,
            "limit": rule.limit,
            "unit": rule.unit,
            "direction": rule.direction,
            "citation": rule.citation,
        }
        for rule in limits.values()
    ]
    return {"limits": rows, "source": source}


def packaged_time_limits_payload(override: Path | None = None) -> dict[str, Any]:
    """The packaged table (with the operator's file laid over it) as an
    ``AdoptTimeLimits`` payload."""
    version = metadata.version("sunshine-ledger")
    source = f"sunshine-ledger {version} time_limits.toml"
    if override is not None:
        source += f" + {override.name}"
    return time_limits_payload(load_time_limits(override), source)

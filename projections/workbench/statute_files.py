"""What the finance office is asked to sign on the statute pages: an ``AdoptCalendar`` or
``AdoptTimeLimits`` payload proposed from the packaged data or from an uploaded file in the
format ``sunshine statutes`` reads, every mistake of the file listed in Chinese, and what
the proposal changes against what the log has adopted now.

The files are parsed by the same functions as the command line's (``ledger.domain.calendars``);
each file is first walked here to list all its mistakes at once in Chinese, since the
parser stops at the first and speaks English to operators.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final

from ledger.domain.calendars import (
    CalendarFileError,
    TimeLimitFileError,
    parse_holiday_file,
    parse_time_limits,
)
from ledger.domain.clock import DIRECTIONS as CLOCK_DIRECTIONS
from ledger.domain.clock import MAX_COUNT, TimeLimit, WorkingCalendar
from ledger.domain.clock import UNITS as CLOCK_UNITS
from ledger.domain.toml_text import TomlLocator
from ledger.statute_payloads import calendar_payload, time_limits_payload

#: Upload size the pages take: a holiday file is a few hundred bytes, the table a few KiB.
MAX_FILE_CHARS: Final = 64 * 1024

UNITS: Final = {"working_days": "工作日", "days": "日", "years": "年", "bidders": "家",
                "wan_yuan": "万元"}  # fmt: skip
DIRECTIONS: Final = {"at_most": "不超过", "at_least": "不少于"}
_KEYS: Final = ("holidays", "workdays")
_NAMES: Final = {"holidays": "放假日期", "workdays": "调休上班日期"}
_WEEKDAYS: Final = "一二三四五六日"


class FileRefused(ValueError):
    """An uploaded file that cannot be adopted: each of its mistakes, in Chinese."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("；".join(errors))
        self.errors = errors


def file_name(raw: str) -> str:
    """The uploaded file's name as the payload's ``source`` cites it: the last path part,
    printable characters only, at most 100."""
    name = re.split(r"[\\/]", raw)[-1]
    name = "".join(c for c in name if c.isprintable()).strip()[:100]
    return name or "未命名文件"


def _toml(text: str, what: str) -> dict[str, Any]:
    if len(text) > MAX_FILE_CHARS:
        raise FileRefused([f"{what}过大：最多 {MAX_FILE_CHARS // 1024} KiB。"])
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"at line (\d+)", str(exc))
        where = f"第 {m.group(1)} 行：" if m else ""
        raise FileRefused([f"{where}不是有效的 TOML 格式，请检查引号、方括号和逗号。"]) from exc


def _as_found(exc: CalendarFileError | TimeLimitFileError) -> str:
    return (f"第 {exc.line} 行：" if exc.line else "") + f"文件有误（{exc.detail}）。"


def _day(value: object) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def holiday_file_errors(text: str) -> list[str]:
    """Every mistake of a holiday file (``[2027] holidays = ["2027-01-01", …]``), in
    Chinese, each with its line; empty when the file is well formed."""
    data = _toml(text, "节假日文件")
    where = TomlLocator(text)
    errors: list[str] = []

    def at(line: int | None, message: str) -> None:
        errors.append(f"第 {line} 行：{message}" if line else message)

    if not data:
        errors.append("文件中没有任何年度：每个年度写成一个表，如 [2027]。")
    for key, table in data.items():
        section, line = where.section(key), where.top_line(key)
        if not re.fullmatch(r"\d{4}", key) or not 1900 <= int(key) <= 9999:
            at(line, f"[{key}] 不是年度：表名须为四位年份，如 [2027]。")
            continue
        year = int(key)
        if not isinstance(table, dict):
            at(line, f"{key} 须写成表 [{key}]，其中列出 holidays 和 workdays。")
            continue
        for name in table:
            if name not in _KEYS:
                at(where.key_line(section, name), f"[{key}] 中的 {name} 不可识别：只能是 "
                   "holidays（放假日期）或 workdays（调休上班日期）。")  # fmt: skip
        if "holidays" not in table:
            at(line, f"[{key}] 缺少 holidays（放假日期）列表。")
        seen: dict[date, str] = {}
        for name in _KEYS:
            days = table.get(name, [])
            if not isinstance(days, list):
                at(where.key_line(section, name),
                   f'[{key}] {name} 须为日期列表，如 ["{year}-01-01"]。')  # fmt: skip
                continue
            for value in days:
                day, line_of = _day(value), where.value_line(section, name, str(value))
                shown = f"[{key}] {name} 中的“{value}”"
                if day is None:
                    at(line_of, f"{shown}不是日期：须写成“年-月-日”，如“{year}-01-01”。")
                elif day.year != year:
                    at(line_of, f"{shown}不在 {year} 年内。")
                elif day in seen:
                    at(line_of, f"{shown}重复：已列在 {seen[day]} 中。")
                elif name == "workdays" and day.weekday() < 5:
                    weekday = _WEEKDAYS[day.weekday()]
                    at(line_of, f"{shown}是星期{weekday}：workdays 只列调休上班的周末日期。")
                else:
                    seen[day] = name
    return errors


def calendar_from_file(text: str, name: str) -> dict[str, Any]:
    """The ``AdoptCalendar`` payload of an uploaded holiday file, as ``sunshine statutes
    calendar --holidays FILE`` would sign it; ``FileRefused`` listing its mistakes."""
    errors = holiday_file_errors(text)
    if errors:
        raise FileRefused(errors)
    try:
        calendar = parse_holiday_file(text, name)
    except CalendarFileError as exc:  # a rule the walk above does not know: said as found
        raise FileRefused([_as_found(exc)]) from exc
    return calendar_payload(calendar, calendar.known_years, f"holiday file {name}")


_RULE_KEYS: Final = ("id", "description_zh", "limit", "unit", "direction", "citation")
_ID: Final = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_CJK: Final = re.compile(r"[\u3400-\u9fff]")


def _rule_problems(entry: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(key, what is wrong) for each value of one ``[[time_limit]]`` rule the clock refuses
    (``ledger.domain.clock.TimeLimit``), all of them."""
    problems: list[tuple[str, str]] = []
    value = entry.get("id")
    if not isinstance(value, str) or not _ID.fullmatch(value):
        problems.append(("id", "id 须为小写字母、数字和下划线组成的标识符，如 challenge_answered"))
    value = entry.get("description_zh")
    if not isinstance(value, str) or not _CJK.search(value):
        problems.append(("description_zh", "description_zh 须为中文说明"))
    value = entry.get("limit")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_COUNT:
        problems.append(("limit", f"limit 须为 1 至 {MAX_COUNT} 之间的整数（不加引号）"))
    if entry.get("unit") not in CLOCK_UNITS:
        problems.append(("unit", f"unit 须为 {'、'.join(CLOCK_UNITS)} 之一"))
    if entry.get("direction") not in CLOCK_DIRECTIONS:
        problems.append(("direction", "direction 须为 at_most（不超过）或 at_least（不少于）"))
    value = entry.get("citation")
    if not isinstance(value, str) or not value.strip():
        problems.append(("citation", "citation 须注明法律依据"))
    return problems


def time_limit_file_errors(text: str) -> list[str]:
    """Every mistake of a time-limit file (``[[time_limit]]`` tables with the keys
    ``_RULE_KEYS``), in Chinese, each with its line; empty when the file is well formed."""
    data = _toml(text, "时限表文件")
    where = TomlLocator(text)
    errors: list[str] = []

    def at(line: int | None, message: str) -> None:
        errors.append(f"第 {line} 行：{message}" if line else message)

    for key in data:
        if key != "time_limit":
            at(where.top_line(key), f"[{key}] 不可识别：每条规则写成一个 [[time_limit]] 表。")
    entries = data.get("time_limit", [])
    if not isinstance(entries, list) or not entries:
        errors.append("文件中没有任何规则：每条规则写成一个 [[time_limit]] 表。")
        return errors
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        section = where.section("time_limit", index)
        label = f"第 {index + 1} 条规则"
        if not isinstance(entry, dict):
            at(where.header_line(section), f"{label}须为 [[time_limit]] 表。")
            continue
        if isinstance(entry.get("id"), str):
            label += f"（{entry['id']}）"
        for name in entry:
            if name not in _RULE_KEYS:
                at(where.key_line(section, name),
                   f"{label}的 {name} 不可识别：只能是 {'、'.join(_RULE_KEYS)}。")  # fmt: skip
        missing = [name for name in _RULE_KEYS if name not in entry]
        if missing:
            at(where.header_line(section), f"{label}缺少 {'、'.join(missing)}。")
        for name, problem in _rule_problems(entry):
            if name not in missing:
                at(where.key_line(section, name), f"{label}：{problem}。")
        if isinstance(entry.get("id"), str):
            if entry["id"] in seen:
                at(where.header_line(section), f"{label}：编号重复，已在前面定义。")
            seen.add(entry["id"])
    return errors


def time_limits_from_file(
    text: str, name: str, packaged: Mapping[str, TimeLimit], packaged_source: str
) -> dict[str, Any]:
    """The ``AdoptTimeLimits`` payload of the packaged table with an uploaded time-limit
    file laid over it, as ``sunshine statutes time-limits --time-limits FILE`` would sign
    it; ``FileRefused`` listing its mistakes."""
    errors = time_limit_file_errors(text)
    if errors:
        raise FileRefused(errors)
    try:
        overrides = parse_time_limits(text, name)
    except TimeLimitFileError as exc:  # a rule the walk above does not know: said as found
        raise FileRefused([_as_found(exc)]) from exc
    return time_limits_payload({**packaged, **overrides}, f"{packaged_source} + {name}")


# -- what a proposal changes ---------------------------------------------------------------


def day_zh(text: str) -> str:
    d = date.fromisoformat(text)
    return f"{d.month}月{d.day}日（星期{_WEEKDAYS[d.weekday()]}）"


@dataclass(frozen=True)
class YearShown:
    """One year of a proposed calendar, as the page shows it, with what differs from the
    arrangement the log has adopted for it (``adopted`` False: the year is new)."""

    year: int
    notice: str
    holidays: list[str]
    workdays: list[str]
    adopted: bool
    changes: list[str] = field(default_factory=list)


def calendar_shown(payload: Mapping[str, Any], now: WorkingCalendar) -> list[YearShown]:
    shown = []
    for row in payload["years"]:
        year = int(row["year"])
        changes: list[str] = []
        adopted = year in now.known_years
        if adopted:
            holidays, workdays = now.arrangement(year)
            before = {"holidays": {d.isoformat() for d in holidays},
                      "workdays": {d.isoformat() for d in workdays}}  # fmt: skip
            for key in _KEYS:
                after = set(row[key])
                changes += [f"新增{_NAMES[key]} {day_zh(d)}" for d in sorted(after - before[key])]
                changes += [f"不再列为{_NAMES[key]} {day_zh(d)}"
                            for d in sorted(before[key] - after)]  # fmt: skip
        shown.append(YearShown(year, row["notice"], [day_zh(d) for d in row["holidays"]],
                               [day_zh(d) for d in row["workdays"]], adopted, changes))  # fmt: skip
    return shown


@dataclass(frozen=True)
class RuleShown:
    """One rule of a proposed table, and how it differs from the rule in force."""

    id: str
    description: str
    limit: str
    unit: str
    citation: str
    change: str  # 新增 / 修改（原为…） / "" when unchanged


def _limit_zh(limit: int, unit: str, direction: str) -> tuple[str, str]:
    return f"{DIRECTIONS.get(direction, direction)} {limit}", UNITS.get(unit, unit)


def table_shown(
    payload: Mapping[str, Any], now: Mapping[str, TimeLimit]
) -> tuple[list[RuleShown], list[str]]:
    """The proposed rules as shown, and the rules in force the proposal leaves out."""
    rules = []
    for row in payload["limits"]:
        limit, unit = _limit_zh(row["limit"], row["unit"], row["direction"])
        old = now.get(row["id"])
        if old is None:
            change = "新增"
        elif (old.limit, old.unit, old.direction, old.citation, old.description_zh) == (
            row["limit"], row["unit"], row["direction"], row["citation"], row["description_zh"]
        ):  # fmt: skip
            change = ""
        else:
            was = " ".join(_limit_zh(old.limit, old.unit, old.direction))
            change = f"修改（原为{was}，依据 {old.citation}）"
        rules.append(RuleShown(row["id"], row["description_zh"], limit, unit, row["citation"],
                               change))  # fmt: skip
    proposed = {row["id"] for row in payload["limits"]}
    dropped = [f"{r.description_zh}（{r.id}）" for k, r in now.items() if k not in proposed]
    return rules, dropped

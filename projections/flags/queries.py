"""Reading the red flags: the list with its filters, one flag with its evidence.

A flag is either raised by events (``flag_flags``) or an item on a statutory clock that is
overdue on the day asked (``flag_pending`` with ``overdue_on <= today``): both are read in
one query, so the list, its counts and its pages agree. Everything is read in one
transaction together with the projection's position, which names the part of the log the
answer covers (``projections.supervision.checkpoint`` stamps it).

Filters come from untrusted query parameters: unknown names, bad values, reversed or
enormous date ranges are a ``BadRequest`` in Chinese, never a query.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Final

import orjson

from ledger.store.sql import Cursor
from projections.flags.kinds import SEVERITIES, FlagKind
from projections.web.queries import BadRequest, parse_page

FILTERS: Final = ("kind", "purchaser", "procurement", "severity", "date_from", "date_to", "page")
PARAMETERS: Final = {
    "kind": "预警类型",
    "purchaser": "采购人",
    "procurement": "采购项目编号",
    "severity": "严重程度",
    "date_from": "起始日期",
    "date_to": "截止日期",
    "page": "页码",
    "format": "格式",
}
PAGE_SIZE: Final = 50
MAX_RANGE_DAYS: Final = 366 * 20  # twenty years: longer is not a question, it is a scan
MAX_EVIDENCE: Final = 500  # a flag's evidence on its page; a group beyond this is cut short
_CODE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")
_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_ID: Final = re.compile(r"[a-z_]{3,40}:[A-Za-z0-9._:|-]{1,300}\Z")


@dataclass(frozen=True)
class Filters:
    kind: str | None = None
    purchaser: str | None = None
    procurement: str | None = None
    severity: str | None = None
    date_from: str | None = None
    date_to: str | None = None

    def params(self) -> dict[str, str]:
        return {k: v for k, v in asdict(self).items() if v}


@dataclass(frozen=True)
class Flag:
    id: str
    kind: str
    subject: str
    procurement: str | None
    purchaser: str | None
    raised_leaf: int
    raised_on: str
    severity: str
    summary: str
    overdue: bool  # an item on a clock, overdue on the day asked
    title: str | None
    purchaser_name: str | None
    details: dict[str, Any]

    @property
    def label(self) -> str:
        return FlagKind(self.kind).label

    @property
    def rule_zh(self) -> str:
        return FlagKind(self.kind).rule_zh


def _text(params: Mapping[str, str], name: str, pattern: re.Pattern[str]) -> str | None:
    raw = params.get(name)
    value = raw.strip() if raw is not None else ""
    if not value:
        return None
    if len(value) > 64 or not pattern.match(value):
        raise BadRequest(name, f"{PARAMETERS[name]}“{value[:64]}”格式不正确。")
    return value


def parse_filters(cur: Cursor, params: Mapping[str, str]) -> tuple[Filters, int]:
    """The filters and page number in ``params``; ``BadRequest`` for anything else."""
    unknown = sorted(set(params) - set(FILTERS) - {"format"})
    if unknown:
        raise BadRequest(
            unknown[0], f"不支持的查询参数“{unknown[0][:40]}”，可用：{'、'.join(FILTERS)}。"
        )
    kind = _text(params, "kind", re.compile(r"[a-z_]+\Z"))
    if kind is not None and kind not in {k.value for k in FlagKind}:
        allowed = "、".join(f"{k.value}（{k.label}）" for k in FlagKind)
        raise BadRequest("kind", f"预警类型“{kind}”不存在，可选：{allowed}。")
    severity = _text(params, "severity", re.compile(r"[a-z]+\Z"))
    if severity is not None and severity not in SEVERITIES:
        raise BadRequest("severity", "严重程度须为 high、medium 或 low。")
    filters = Filters(
        kind=kind,
        purchaser=_text(params, "purchaser", _CODE),
        procurement=_text(params, "procurement", _CODE),
        severity=severity,
        date_from=_day(params, "date_from"),
        date_to=_day(params, "date_to"),
    )
    if filters.date_from and filters.date_to:
        start, end = date.fromisoformat(filters.date_from), date.fromisoformat(filters.date_to)
        if start > end:
            raise BadRequest("date_from", "起始日期晚于截止日期，请调换后重试。")
        if (end - start).days > MAX_RANGE_DAYS:
            raise BadRequest("date_to", "日期范围过大（不超过20年），请缩小范围。")
    if filters.purchaser and cur.execute(
        "SELECT 1 FROM flag_organisations WHERE code = ? AND kind = 'purchaser'",
        (filters.purchaser,),
    ).fetchone() is None:  # fmt: skip
        raise BadRequest("purchaser", f"采购人“{filters.purchaser}”不存在。")
    return filters, parse_page(params.get("page"))


def _day(params: Mapping[str, str], name: str) -> str | None:
    value = _text(params, name, _DATE)
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise BadRequest(name, f"{PARAMETERS[name]}须为有效日期，格式如 2026-05-08。") from None
    if not 1990 <= day.year <= 2200:
        raise BadRequest(name, f"{PARAMETERS[name]}超出范围（1990年至2200年）。")
    return value


# -- the list ---------------------------------------------------------------------------------

_COLUMNS: Final = (
    "f.id, f.kind, f.subject, f.procurement, f.purchaser, {leaf}, {day}, f.severity, "
    "f.summary, {overdue}, p.title, o.name, f.details"
)
_JOINS: Final = (
    "LEFT JOIN flag_procurements p ON p.code = f.procurement "
    "LEFT JOIN flag_organisations o ON o.code = f.purchaser"
)


def _where(filters: Filters, day: str) -> tuple[str, list[Any]]:
    clauses, params = [], []
    for column in ("kind", "purchaser", "procurement", "severity"):
        value = getattr(filters, column)
        if value is not None:
            clauses.append(f"f.{column} = ?")
            params.append(value)
    if filters.date_from:
        clauses.append(f"{day} >= ?")
        params.append(filters.date_from)
    if filters.date_to:
        clauses.append(f"{day} <= ?")
        params.append(filters.date_to)
    return " AND ".join(clauses), params


def _union(filters: Filters, today: date, columns: str | None = None) -> tuple[str, list[Any]]:
    raised_where, raised_params = _where(filters, "f.raised_on")
    pending_where, pending_params = _where(filters, "f.overdue_on")
    raised = columns or _COLUMNS.format(leaf="f.raised_leaf", day="f.raised_on", overdue="0")
    pending = columns or _COLUMNS.format(leaf="f.start_leaf", day="f.overdue_on", overdue="1")
    # Only fixed column names and placeholders are put together here; values are parameters.
    first = f"SELECT {raised} FROM flag_flags f {_JOINS}"  # noqa: S608
    second = f"SELECT {pending} FROM flag_pending f {_JOINS} WHERE f.overdue_on <= ?"  # noqa: S608
    sql = (
        first
        + (f" WHERE {raised_where}" if raised_where else "")
        + " UNION ALL "
        + second
        + (f" AND {pending_where}" if pending_where else "")
    )
    return sql, [*raised_params, today.isoformat(), *pending_params]


def _flag(r: tuple[Any, ...]) -> Flag:
    return Flag(
        id=r[0], kind=r[1], subject=r[2], procurement=r[3], purchaser=r[4],
        raised_leaf=int(r[5]), raised_on=r[6], severity=r[7], summary=r[8],
        overdue=bool(r[9]), title=r[10], purchaser_name=r[11], details=orjson.loads(r[12]),
    )  # fmt: skip


def list_flags(cur: Cursor, filters: Filters, today: date, page: int = 1) -> list[Flag]:
    """One page of flags, latest first (by the day raised, then by log position)."""
    sql, params = _union(filters, today)
    rows = cur.execute(
        f"SELECT * FROM ({sql}) AS flags ORDER BY 7 DESC, 6 DESC, 1 LIMIT ? OFFSET ?",  # noqa: S608
        (*params, PAGE_SIZE, (page - 1) * PAGE_SIZE),
    ).fetchall()
    return [_flag(r) for r in rows]


def count_by_kind(cur: Cursor, filters: Filters, today: date) -> dict[str, int]:
    """How many flags of each kind match the filters (kinds with none are left out)."""
    sql, params = _union(filters, today, columns="f.kind")
    rows = cur.execute(
        f"SELECT kind, COUNT(*) FROM ({sql}) AS flags GROUP BY kind",  # noqa: S608
        params,
    ).fetchall()
    return {str(kind): int(n) for kind, n in rows}


MAX_CHOICES: Final = 300  # beyond this a list of purchasers is no help: a code is typed


def purchasers(cur: Cursor) -> list[tuple[str, str]] | None:
    """Purchasers with a flag or an item on a clock, for the filter form; None when there
    are too many to choose from a list."""
    rows = cur.execute(
        "SELECT o.code, o.name FROM flag_organisations o JOIN (SELECT purchaser FROM flag_flags "
        "UNION SELECT purchaser FROM flag_pending) f ON f.purchaser = o.code "
        "ORDER BY o.code LIMIT ?",
        (MAX_CHOICES + 1,),
    ).fetchall()
    if len(rows) > MAX_CHOICES:
        return None
    return [(str(code), str(name)) for code, name in rows]


# -- one flag -----------------------------------------------------------------------------------


def valid_id(text: str) -> bool:
    return bool(_ID.match(text))


def find_flag(cur: Cursor, fid: str, today: date) -> Flag | None:
    """The flag, or None (also for an item on a clock not yet overdue: not a flag yet)."""
    raised = _COLUMNS.format(leaf="f.raised_leaf", day="f.raised_on", overdue="0")
    row = cur.execute(
        f"SELECT {raised} FROM flag_flags f {_JOINS} WHERE f.id = ?",  # noqa: S608
        (fid,),
    ).fetchone()
    if row is None:
        pending = _COLUMNS.format(leaf="f.start_leaf", day="f.overdue_on", overdue="1")
        row = cur.execute(
            f"SELECT {pending} FROM flag_pending f {_JOINS} "  # noqa: S608
            "WHERE f.id = ? AND f.overdue_on <= ?",
            (fid, today.isoformat()),
        ).fetchone()
    return None if row is None else _flag(row)


def evidence(cur: Cursor, fid: str) -> list[tuple[int, str]]:
    """The flag's evidence: (leaf index, note), in log order."""
    rows = cur.execute(
        "SELECT leaf_index, note FROM flag_evidence WHERE flag_id = ? ORDER BY leaf_index LIMIT ?",
        (fid, MAX_EVIDENCE),
    ).fetchall()
    return [(int(leaf), str(note)) for leaf, note in rows]


def evidence_count(cur: Cursor, fid: str) -> int:
    row = cur.execute("SELECT COUNT(*) FROM flag_evidence WHERE flag_id = ?", (fid,)).fetchone()
    return 0 if row is None else int(row[0])

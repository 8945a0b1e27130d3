"""The yearly summary's figures 政府采购统计 for any period, region, purchaser, category and
method, read from the statistics projection (``projections.statistics``), reconciled to the fen.

Definitions (the page states them too):

* a procurement counts in the period of its contract date (合同签订日期) for its contract
  amount, its budget and so its savings: 节约资金 = Σ预算 − Σ合同金额 over the same
  procurements, and 资金节约率 = 节约资金 ÷ 预算, exact, shown as a percentage with two
  decimals (rounded half up once, at the end);
* planned 计划, failed 废标 and terminated 终止 count on the day of that act, with the budget;
* challenges and complaints are received 收到 on the day filed and resolved 办结 on the day
  answered, decided or withdrawn.

Each breakdown (category, method, month, region, purchaser) is summed by the database on its
own, and ``reconcile`` checks that every breakdown's rows add up to the total row exactly; a
report that does not reconcile says so rather than hiding it. Filters are untrusted query
parameters: an unknown parameter, a repeated one, an unknown value, a reversed or enormous
period answer 400 naming the parameter, never data.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from typing import Any, Final

from ledger.domain.money import Money, ratio
from ledger.domain.vocabulary import Category, FundingSource, Method
from ledger.store.sql import Cursor, PostgresDatabase, SQLiteDatabase
from projections.statistics import MEASURES, NAME, covering
from projections.supervision.checkpoint import NoCheckpoint, Stamp, stamp_at

Database = SQLiteDatabase | PostgresDatabase

#: The Chinese name of each query parameter a report accepts.
PARAMETERS: Final = {
    "year": "年度",
    "date_from": "起始日期",
    "date_to": "截止日期",
    "region": "行政区域",
    "purchaser": "采购人",
    "category": "采购项目类别",
    "method": "采购方式",
}
MAX_DAYS: Final = 3660  # ten years: a longer period is not a summary anyone reports
FIRST_YEAR: Final = 1990
LAST_YEAR: Final = 2100
MAX_VALUE: Final = 100

#: Breakdowns in page order: name (the column grouped by), Chinese heading, and the sum
#: table whose whole units it reads (``projections.statistics.covering``). The purchaser
#: breakdown reads ``stat_years``, the rest ``stat_months``: two tables kept apart, so their
#: agreement in ``reconcile`` is a check, not an identity.
BREAKDOWNS: Final = (
    ("category", "按采购项目类别", "stat_months"),
    ("method", "按采购方式", "stat_months"),
    ("month", "按月份", "stat_months"),
    ("region", "按行政区域", "stat_months"),
    ("purchaser", "按采购人", "stat_years"),
)


class BadFilter(Exception):
    """A parameter a report cannot answer; ``message`` is one sentence in Chinese."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter
        self.message = message


@dataclass(frozen=True)
class Filters:
    date_from: str
    date_to: str
    region: str | None = None
    purchaser: str | None = None
    category: str | None = None
    method: str | None = None

    def params(self) -> dict[str, str]:
        """As query parameters (the period always explicit), for links and exports."""
        return {f.name: v for f in fields(self) if (v := getattr(self, f.name))}

    def where(self) -> dict[str, str]:
        """The dimensions filtered on and their values."""
        names = ("region", "purchaser", "category", "method")
        return {n: v for n in names if (v := getattr(self, n)) is not None}


@dataclass
class Totals:
    """The summed figures of one row; amounts in fen."""

    planned: int = 0
    planned_budget_fen: int = 0
    contracts: int = 0
    budget_fen: int = 0
    contract_fen: int = 0
    failed: int = 0
    failed_budget_fen: int = 0
    terminated: int = 0
    terminated_budget_fen: int = 0
    challenges_received: int = 0
    challenges_resolved: int = 0
    complaints_received: int = 0
    complaints_resolved: int = 0
    sme_contract_fen: int = 0
    small_micro_contract_fen: int = 0
    centralised_contract_fen: int = 0
    departmental_contract_fen: int = 0
    decentralised_contract_fen: int = 0
    funded_general_budget_fen: int = 0
    funded_government_fund_fen: int = 0
    funded_state_capital_fen: int = 0
    funded_special_account_fen: int = 0
    funded_other_fen: int = 0

    @classmethod
    def of(cls, values: Sequence[Any]) -> Totals:
        # PostgreSQL's SUM(bigint) is numeric (a Decimal here): exact, made an int.
        return cls(*(0 if v is None else int(v) for v in values))

    def values(self) -> tuple[int, ...]:
        return tuple(getattr(self, m) for m in MEASURES)

    def __add__(self, other: Totals) -> Totals:
        return Totals(*(a + b for a, b in zip(self.values(), other.values(), strict=True)))

    @property
    def savings_fen(self) -> int:
        return self.budget_fen - self.contract_fen

    @property
    def rate(self) -> Decimal | None:
        """资金节约率 as a fraction with 4 decimals (ROUND_HALF_UP once); None without budget."""
        if self.budget_fen <= 0 or self.savings_fen < 0:
            return None
        return ratio(Money.from_fen(self.savings_fen), Money.from_fen(self.budget_fen))

    def share(self, part_fen: int) -> str:
        """``part_fen`` as a share of the contract amount, ``12.05%`` (``—`` without one)."""
        if self.contract_fen <= 0:
            return "—"
        share = ratio(Money.from_fen(part_fen), Money.from_fen(self.contract_fen))
        return f"{share * 100:.2f}%"

    @property
    def sme_share(self) -> str:
        """授予中小企业合同金额占比 (财库〔2020〕46号)."""
        return self.share(self.sme_contract_fen)

    @property
    def small_micro_share(self) -> str:
        """授予小微企业合同金额占比."""
        return self.share(self.small_micro_contract_fen)

    @property
    def by_source(self) -> list[tuple[str, int]]:
        """The contract amount by the plans' 资金来源, as (its label, fen), in the
        vocabulary's order."""
        return [(s.label, getattr(self, f"funded_{s.value}_fen")) for s in FundingSource]

    @property
    def unstated_source_fen(self) -> int:
        """The contract amount of plans that name no 资金来源."""
        return self.contract_fen - sum(fen for _, fen in self.by_source)

    @property
    def unstated_form_fen(self) -> int:
        """The contract amount of plans that state no 组织形式."""
        stated = (self.centralised_contract_fen + self.departmental_contract_fen
                  + self.decentralised_contract_fen)  # fmt: skip
        return self.contract_fen - stated

    @property
    def rate_text(self) -> str:
        """The rate as the summaries write it: ``12.05%`` (``—`` when there is no budget)."""
        rate = self.rate
        return "—" if rate is None else f"{rate * 100:.2f}%"


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    totals: Totals


@dataclass
class Report:
    filters: Filters
    stamp: Stamp | None
    total: Totals
    breakdowns: dict[str, list[Row]]
    names: dict[str, str] = field(default_factory=dict)  # organisation code → name
    problems: list[str] = field(default_factory=list)

    @property
    def reconciled(self) -> bool:
        return not self.problems


# -- parameters ---------------------------------------------------------------------------


def _one(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, raw in items:
        if name not in PARAMETERS:
            allowed = "、".join(PARAMETERS)
            raise BadFilter(name, f"不支持的筛选条件“{name[:40]}”，可用：{allowed}。")
        if name in found:
            raise BadFilter(name, f"{PARAMETERS[name]}只能指定一次。")
        value = raw.strip()
        if len(value) > MAX_VALUE or any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise BadFilter(name, f"{PARAMETERS[name]}过长或含有控制字符。")
        found[name] = value
    return {k: v for k, v in found.items() if v}


def _day(name: str, value: str) -> date:
    try:
        if len(value) != 10 or not value.isascii():
            raise ValueError(value)
        day = date.fromisoformat(value)
    except ValueError:
        raise BadFilter(name, f"{PARAMETERS[name]}须为有效日期，格式如 2026-06-30。") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise BadFilter(name, f"{PARAMETERS[name]}须在{FIRST_YEAR}年至{LAST_YEAR}年之间。")
    return day


def _period(given: dict[str, str], default_year: int) -> tuple[date, date]:
    if "year" in given:
        if "date_from" in given or "date_to" in given:
            raise BadFilter("year", "年度与起止日期只能选其一。")
        text = given["year"]
        if not (text.isascii() and text.isdigit() and len(text) == 4):
            raise BadFilter("year", "年度须为四位数字，如 2026。")
        year = int(text)
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise BadFilter("year", f"年度须在{FIRST_YEAR}年至{LAST_YEAR}年之间。")
        return date(year, 1, 1), date(year, 12, 31)
    start = _day("date_from", given["date_from"]) if "date_from" in given else None
    end = _day("date_to", given["date_to"]) if "date_to" in given else None
    # One end given: the rest of its year, as "截至6月底" means since 1 January.
    start = start or (date(end.year, 1, 1) if end else date(default_year, 1, 1))
    end = end or date(start.year, 12, 31)
    if start > end:
        raise BadFilter("date_from", "起始日期晚于截止日期，请调换后重试。")
    if (end - start).days + 1 > MAX_DAYS:
        raise BadFilter("date_to", "统计期间过长：一次最多统计十年。")
    return start, end


def parse_filters(db: Database, items: Iterable[tuple[str, str]]) -> Filters:
    """The filters in ``items`` (query parameters, repeated ones included), or ``BadFilter``.

    Without a period, the calendar year of the latest recorded act (or this year)."""
    given = _one(items)
    for name, term in (("category", Category), ("method", Method)):
        if name in given and given[name] not in {t.value for t in term}:
            allowed = "、".join(f"{t.value}（{t.label}）" for t in term)
            raise BadFilter(name, f"{PARAMETERS[name]}“{given[name]}”不存在，可选：{allowed}。")
    with db.read() as cur:
        latest = cur.execute("SELECT MAX(day) FROM stat_cells").fetchone()
        for name, sql in (
            ("region", "SELECT 1 FROM stat_procurements WHERE region = ? LIMIT 1"),
            ("purchaser", "SELECT 1 FROM stat_procurements WHERE purchaser = ? LIMIT 1"),
        ):
            if name in given and cur.execute(sql, (given[name],)).fetchone() is None:
                raise BadFilter(name, f"{PARAMETERS[name]}“{given[name]}”没有采购记录。")
    default_year = int(latest[0][:4]) if latest and latest[0] else date.today().year
    start, end = _period(given, default_year)
    return Filters(
        start.isoformat(), end.isoformat(), given.get("region"), given.get("purchaser"),
        given.get("category"), given.get("method"),
    )  # fmt: skip


def choices(db: Database) -> tuple[list[str], list[tuple[str, str]]]:
    """The regions and the purchasers (code, name) that have procurements, for the form."""
    with db.read() as cur:
        regions = [
            r[0]
            for r in cur.execute(
                "SELECT DISTINCT region FROM stat_procurements ORDER BY region"
            ).fetchall()
        ]
        purchasers = cur.execute(
            "SELECT p.purchaser, COALESCE(o.name, p.purchaser) FROM "
            "(SELECT DISTINCT purchaser FROM stat_procurements) p "
            "LEFT JOIN stat_organisations o ON o.code = p.purchaser ORDER BY p.purchaser"
        ).fetchall()
    return regions, [(str(c), str(n)) for c, n in purchasers]


# -- the report ---------------------------------------------------------------------------

_SUMS: Final = ", ".join(f"SUM({m})" for m in MEASURES)


def compute(db: Database, filters: Filters) -> Report:
    """The report for ``filters`` as of the projection's position, with the signed checkpoint
    covering it; ``NoCheckpoint`` (503) while nothing is projected and signed yet."""
    with db.read() as cur:
        if isinstance(db, PostgresDatabase):
            # One snapshot for the position and every sum (SQLite's read is one already).
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        position, report = report_in(cur, filters)
    # Checkpoints are append-only: reading them after the snapshot changes nothing.
    stamp = stamp_at(db, position) if position > 0 else None
    if stamp is None:
        raise NoCheckpoint("the statistics are not projected and signed yet; try again shortly")
    report.stamp = stamp
    return report


def report_in(cur: Cursor, filters: Filters) -> tuple[int, Report]:
    """The projection's position and the report as of it, within the caller's transaction
    (the report's ``stamp`` is left for the caller: ``compute`` finds the signed one)."""
    row = cur.execute(
        "SELECT position FROM projection_positions WHERE name = ?", (NAME,)
    ).fetchone()
    position = 0 if row is None else int(row[0])
    where = filters.where()

    def sums(rollup: str, group: str | None) -> list[tuple[Any, ...]]:
        source, args = covering(filters.date_from, filters.date_to, rollup, where)
        # group is a column name of BREAKDOWNS, never from the request
        select = f"SELECT {group + ', ' if group else ''}{_SUMS} FROM ({source}) s"  # noqa: S608
        return cur.execute(select + (f" GROUP BY {group}" if group else ""), args).fetchall()

    (total,) = sums("stat_months", None)
    grouped = {
        name: {str(r[0]): Totals.of(r[1:]) for r in sums(rollup, name)}
        for name, _, rollup in BREAKDOWNS
    }
    names = dict(
        cur.execute("SELECT code, name FROM stat_organisations WHERE kind = 'purchaser'").fetchall()
    )
    report = Report(filters, None, Totals.of(total), _arranged(grouped, filters, names), names)
    report.problems = reconcile(report)
    return position, report


def months(date_from: str, date_to: str) -> list[str]:
    """Every month the period touches, as YYYY-MM."""
    year, month = int(date_from[:4]), int(date_from[5:7])
    last = (int(date_to[:4]), int(date_to[5:7]))
    out = []
    while (year, month) <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def month_label(key: str) -> str:
    return f"{int(key[:4])}年{int(key[5:7])}月"


def _arranged(
    grouped: dict[str, dict[str, Totals]], filters: Filters, names: dict[str, str]
) -> dict[str, list[Row]]:
    """Rows in a fixed order; every category, method and month of the period is shown,
    with zeros where nothing happened, so the tables read the same year after year."""

    def fixed(name: str, keys: Sequence[tuple[str, str]]) -> list[Row]:
        found = grouped[name]
        rows = [Row(k, label, found.get(k, Totals())) for k, label in keys]
        known = {k for k, _ in keys}
        return rows + [Row(k, k, t) for k, t in sorted(found.items()) if k not in known]

    return {
        "category": fixed("category", [(c.value, c.label) for c in Category]),
        "method": fixed("method", [(m.value, m.label) for m in Method]),
        "month": fixed(
            "month", [(m, month_label(m)) for m in months(filters.date_from, filters.date_to)]
        ),
        "region": [Row(k, k, t) for k, t in sorted(grouped["region"].items())],
        "purchaser": [
            Row(k, names.get(k, k), t)
            for k, t in sorted(
                grouped["purchaser"].items(), key=lambda i: (-i[1].contract_fen, i[0])
            )
        ],
    }


def reconcile(report: Report) -> list[str]:
    """Every way the report fails to add up, in Chinese; empty when it reconciles to the fen."""
    problems = []
    total = report.total
    for name, heading, _ in BREAKDOWNS:
        summed = sum((r.totals for r in report.breakdowns[name]), Totals())
        for measure, mine, theirs in zip(MEASURES, summed.values(), total.values(), strict=True):
            if mine != theirs:
                problems.append(
                    f"{heading}各行之和的 {measure} 为 {mine}，总计为 {theirs}，不一致。"
                )
    for name, heading, _ in BREAKDOWNS:
        for r in report.breakdowns[name]:
            if r.totals.savings_fen < 0:
                problems.append(f"{heading}“{r.label}”的合同金额超过预算。")
    return problems

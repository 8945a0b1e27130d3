"""The statistics reconcile to the fen: for random procurements, every breakdown's rows sum to
the total, the total equals the sums computed straight from the procurements, savings are
budget − contract over the contracted procurements, and the rate is their exact ratio rounded
half up once, to two decimals of a percent."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.domain.money import Money
from ledger.domain.progress import State
from ledger.domain.schema.entries import EntryData
from ledger.domain.schema.entry import Entry, parse_data
from ledger.domain.schema.kinds import BY_NAME
from ledger.domain.vocabulary import Category, Method
from projections.statistics import MEASURES, StatisticsProjection, split
from projections.supervision.statistics import BREAKDOWNS, Filters, reconcile, report_in

START = date(2025, 12, 1)
REGIONS = ("澄溪县", "白鹭市")
PURCHASERS = ("rmyy", "jyj", "jtj")


class Cursor:
    """The ledger's Cursor protocol over a plain sqlite3 connection."""

    def __init__(self, conn: sqlite3.Connection):
        self._cur = conn.cursor()

    def execute(self, sql: str, params: Any = ()) -> Cursor:
        self._cur.execute(sql, tuple(params))
        return self

    def executemany(self, sql: str, rows: Any) -> None:
        self._cur.executemany(sql, rows)

    def fetchone(self) -> Any:
        return self._cur.fetchone()

    def fetchall(self) -> list[Any]:
        return list(self._cur.fetchall())


class Memory:
    """An in-memory database holding the statistics projection, fed entries directly."""

    def __init__(self) -> None:
        self.conn = sqlite3.connect(":memory:", isolation_level=None)
        self.projection = StatisticsProjection()
        self.position = 0
        cur = self.cursor()
        cur.execute(
            "CREATE TABLE projection_positions (name TEXT PRIMARY KEY, "
            "position BIGINT NOT NULL, version INTEGER NOT NULL)"
        )
        cur.execute("INSERT INTO projection_positions VALUES ('statistics', 0, 1)")
        for statement in self.projection.create(True):
            cur.execute(statement)

    def cursor(self) -> Cursor:
        return Cursor(self.conn)

    def feed(self, entries: list[dict[str, Any]]) -> None:
        cur = self.cursor()
        for entry in entries:
            self.projection.apply(cur, self.position, typed(entry), b"")
            self.position += 1
        cur.execute("UPDATE projection_positions SET position = ?", (self.position,))

    @contextmanager
    def read(self) -> Iterator[Cursor]:
        yield self.cursor()


# What the statistics do not read, filled in so that each leaf is a whole entry of its kind.
FILLED: dict[str, dict[str, Any]] = {
    "lifecycle": {"state": State(), "announcement": None, "findings": []},
    "summary": {"title": "采购项目", "agency": None, "requirement": "", "rationale": ""},
    "ContractSigned": {"contract_number": "HT-1", "supplier": "kangtai"},
    "ProcurementFailed": {"announcement": "failure", "reason": "不足三家"},
    "ProcurementTerminated": {"announcement": "termination", "reason": "需求变化"},
    "ChallengeFiled": {"known_on": "2026-01-01", "subject": "result", "findings": [],
                       "answer_due": None, "envelope": {"commitment": "A" * 43 + "="}},
    "ChallengeAnswered": {"outcome": "rejected", "answer": "答复", "findings": []},
    "ComplaintFiled": {"supplier": "kangtai", "challenge": "c", "grounds": "理由",
                       "findings": [], "decision_due": None,
                       "challenger": {"commitment": "A" * 43 + "=", "value": None,
                                      "salt": "A" * 43 + "="}},
    "ComplaintDecided": {"outcome": "rejected", "decision": "决定", "findings": []},
}  # fmt: skip


def typed(entry: dict[str, Any]) -> Entry[EntryData]:
    """A leaf with just what the statistics read, as a whole typed entry."""
    kind, data = entry["type"], dict(entry["data"])
    fields = BY_NAME[kind].data.model_fields
    if "state" in fields:
        data = FILLED["lifecycle"] | data
    if "title" in fields and "budget" not in data:  # a notice repeats the plan's summary
        data |= {"purchaser": "rmyy", "region": "澄溪县", "category": "goods",
                 "method": "inquiry", "budget": "1000.00"}  # fmt: skip
    if "title" in fields:
        data = {k: v for k, v in FILLED["summary"].items() if k in fields} | data
    data = FILLED.get(kind, {}) | data
    return Entry(0, "", 1, kind, "", "", "", {}, "", parse_data(kind, data))


def yuan(fen: int) -> str:
    return str(Money.from_fen(fen))


@dataclass
class Procurement:
    code: str
    region: str
    purchaser: str
    category: str
    method: str
    budget: int
    planned: date
    contract: tuple[date, int] | None = None
    closed: tuple[str, date] | None = None  # ("failed" | "terminated", day)
    streams: list[tuple[str, date, date | None]] = field(default_factory=list)

    def entries(self) -> list[tuple[date, dict[str, Any]]]:
        def leaf(kind: str, on: date, **data: Any) -> tuple[date, dict[str, Any]]:
            return on, {
                "type": kind,
                "data": {"procurement": self.code, "date": on.isoformat(), **data},
            }

        out = [
            leaf(
                "PlanFiled",
                self.planned,
                purchaser=self.purchaser,
                region=self.region,
                category=self.category,
                method=self.method,
                budget=yuan(self.budget),
            )
        ]
        if self.contract:
            out.append(leaf("ContractSigned", self.contract[0], amount=yuan(self.contract[1])))
        if self.closed:
            kind = {"failed": "ProcurementFailed", "terminated": "ProcurementTerminated"}
            out.append(leaf(kind[self.closed[0]], self.closed[1]))
        for n, (stream, filed, closed) in enumerate(self.streams):
            number = f"{self.code}-{stream}{n}"
            out.append(leaf(f"{stream}Filed", filed, number=number))
            if closed:
                end = {"Challenge": "ChallengeAnswered", "Complaint": "ComplaintDecided"}
                out.append(leaf(end[stream], closed, number=number))
        return out


days = st.integers(min_value=0, max_value=800)


@st.composite
def procurements(draw: st.DrawFn, n: int) -> Procurement:
    budget = draw(st.integers(min_value=1, max_value=10**13))
    planned = START + timedelta(days=draw(days))
    p = Procurement(
        f"p{n}", draw(st.sampled_from(REGIONS)), draw(st.sampled_from(PURCHASERS)),
        draw(st.sampled_from([c.value for c in Category])),
        draw(st.sampled_from([m.value for m in Method])), budget, planned,
    )  # fmt: skip
    fate = draw(st.sampled_from(["contract", "contract", "open", "failed", "terminated"]))
    later = planned + timedelta(days=draw(st.integers(0, 120)))
    if fate == "contract":
        p.contract = (later, draw(st.integers(min_value=0, max_value=budget)))
    elif fate in ("failed", "terminated"):
        p.closed = (fate, later)
    for _ in range(draw(st.integers(0, 2))):
        filed = planned + timedelta(days=draw(st.integers(0, 60)))

        def close(d: int, f: date = filed) -> date:
            return f + timedelta(d)

        closed = draw(st.none() | st.integers(0, 40).map(close))
        p.streams.append((draw(st.sampled_from(["Challenge", "Complaint"])), filed, closed))
    return p


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list[Procurement], Filters]:
    count = draw(st.integers(0, 25))
    ps = [draw(procurements(n)) for n in range(count)]
    first = START + timedelta(days=draw(days))
    last = first + timedelta(days=draw(st.integers(0, 800)))
    # Often a period of whole months or years: the rollup tables answer those.
    snap = draw(st.sampled_from(["day", "month", "year"]))
    if snap == "month":
        first = first.replace(day=1)
        last = (last.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    elif snap == "year":
        first, last = first.replace(month=1, day=1), last.replace(month=12, day=31)
    filters = Filters(
        first.isoformat(), last.isoformat(),
        draw(st.none() | st.sampled_from(REGIONS)), draw(st.none() | st.sampled_from(PURCHASERS)),
        draw(st.none() | st.sampled_from([c.value for c in Category])),
        draw(st.none() | st.sampled_from([m.value for m in Method])),
    )  # fmt: skip
    return ps, filters


def fed(ps: list[Procurement]) -> Memory:
    memory = Memory()
    stream = sorted((e for p in ps for e in p.entries()), key=lambda e: e[0])
    memory.feed([entry for _, entry in stream])  # plans come first: a stable sort by day
    return memory


def expected_rate(savings: int, budget: int) -> str:
    """Independently: the exact fraction as a percentage, rounded half up to 0.01."""
    hundredths = math.floor(Fraction(savings * 10_000, budget) + Fraction(1, 2))
    return f"{hundredths // 100}.{hundredths % 100:02d}%"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_every_breakdown_sums_to_the_total_and_the_total_to_the_procurements(
    world: tuple[list[Procurement], Filters],
) -> None:
    ps, filters = world
    memory = fed(ps)
    position, report = report_in(memory.cursor(), filters)
    assert position == memory.position
    assert reconcile(report) == []

    total = report.total
    for name, _, _ in BREAKDOWNS:
        rows = report.breakdowns[name]
        for n, measure in enumerate(MEASURES):
            assert sum(r.totals.values()[n] for r in rows) == total.values()[n], (name, measure)

    def within(on: date) -> bool:
        return filters.date_from <= on.isoformat() <= filters.date_to

    mine = [p for p in ps if all(
        getattr(filters, k) in (None, getattr(p, k))
        for k in ("region", "purchaser", "category", "method"))]  # fmt: skip
    contracted = [p for p in mine if p.contract and within(p.contract[0])]
    budget = sum((Money.from_fen(p.budget) for p in contracted), Money.zero())
    spent = sum((Money.from_fen(p.contract[1]) for p in contracted if p.contract), Money.zero())
    assert total.contracts == len(contracted)
    assert total.budget_fen == budget.fen
    assert total.contract_fen == spent.fen
    assert (
        total.savings_fen
        == (budget - spent).fen
        == sum(p.budget - p.contract[1] for p in contracted if p.contract)
    )
    if budget.fen:
        assert total.rate_text == expected_rate(total.savings_fen, budget.fen)
    else:
        assert total.rate is None and total.rate_text == "—"

    planned = [p for p in mine if within(p.planned)]
    assert (total.planned, total.planned_budget_fen) == (
        len(planned),
        sum(p.budget for p in planned),
    )
    for fate in ("failed", "terminated"):
        ended = [p for p in mine if p.closed and p.closed[0] == fate and within(p.closed[1])]
        assert getattr(total, fate) == len(ended)
        assert getattr(total, f"{fate}_budget_fen") == sum(p.budget for p in ended)
    for stream in ("Challenge", "Complaint"):
        items = [s for p in mine for s in p.streams if s[0] == stream]
        received = sum(1 for s in items if within(s[1]))
        resolved = sum(1 for s in items if s[2] is not None and within(s[2]))
        prefix = stream.lower() + "s"
        assert getattr(total, f"{prefix}_received") == received
        assert getattr(total, f"{prefix}_resolved") == resolved


@settings(max_examples=60, deadline=None)
@given(worlds())
def test_months_cover_the_period_and_split_contracts_by_the_contract_month(
    world: tuple[list[Procurement], Filters],
) -> None:
    ps, filters = world
    _, report = report_in(fed(ps).cursor(), filters)
    months = [r.key for r in report.breakdowns["month"]]
    assert months[0] == filters.date_from[:7] and months[-1] == filters.date_to[:7]
    assert months == sorted(set(months))
    by_month: dict[str, int] = {}
    for p in ps:
        if (
            p.contract
            and filters.date_from <= p.contract[0].isoformat() <= filters.date_to
            and all(
                getattr(filters, k) in (None, getattr(p, k))
                for k in ("region", "purchaser", "category", "method")
            )
        ):
            key = p.contract[0].isoformat()[:7]
            by_month[key] = by_month.get(key, 0) + p.contract[1]
    assert {r.key: r.totals.contract_fen for r in report.breakdowns["month"]
            if r.totals.contract_fen} == {k: v for k, v in by_month.items() if v}  # fmt: skip


def test_a_second_contract_replaces_the_first_rather_than_counting_twice() -> None:
    p = Procurement(
        "p1",
        "澄溪县",
        "rmyy",
        "goods",
        "inquiry",
        100_000,
        date(2026, 3, 1),
        contract=(date(2026, 4, 1), 90_000),
    )
    memory = fed([p])
    memory.feed(
        [
            {
                "type": "ContractSigned",
                "data": {"procurement": "p1", "date": "2026-05-02", "amount": "850.00"},
            }
        ]
    )
    _, report = report_in(memory.cursor(), Filters("2026-01-01", "2026-12-31"))
    assert (report.total.contracts, report.total.contract_fen) == (1, 85_000)
    months = {r.key: r.totals.contracts for r in report.breakdowns["month"]}
    assert months["2026-04"] == 0 and months["2026-05"] == 1


def test_the_rate_is_rounded_once_half_up_from_exact_integers() -> None:
    # The seed's line: 256.99万元 saved with 2132.62万元 spent, printed as 6.99%. On the
    # budget of those procurements (2389.61万元) the rate is 10.75%.
    p = Procurement(
        "p1",
        "澄溪县",
        "rmyy",
        "goods",
        "inquiry",
        238_961_000,
        date(2026, 3, 1),
        contract=(date(2026, 4, 1), 213_262_000),
    )
    _, report = report_in(fed([p]).cursor(), Filters("2026-01-01", "2026-12-31"))
    assert report.total.savings_fen == 25_699_000
    assert report.total.rate_text == expected_rate(25_699_000, 238_961_000) == "10.75%"
    # Exactly half a hundredth of a percent rounds up: 100 / 2,000,000 = 0.005% → 0.01%.
    q = Procurement(
        "q",
        "澄溪县",
        "rmyy",
        "goods",
        "inquiry",
        2_000_000,
        date(2026, 3, 1),
        contract=(date(2026, 4, 1), 1_999_900),
    )
    _, small = report_in(fed([q]).cursor(), Filters("2026-01-01", "2026-12-31"))
    assert small.total.rate_text == expected_rate(100, 2_000_000) == "0.01%"


def test_a_period_splits_into_whole_units_and_edge_days() -> None:
    d = date.fromisoformat
    assert split(d("2019-01-01"), d("2026-12-31"), 4) == (("2019", "2026"), [])
    assert split(d("2026-01-01"), d("2026-06-30"), 4) == (None, [("2026-01-01", "2026-06-30")])
    assert split(d("2026-01-01"), d("2026-06-30"), 7) == (("2026-01", "2026-06"), [])
    assert split(d("2025-12-15"), d("2027-01-02"), 4) == (
        ("2026", "2026"),
        [("2025-12-15", "2025-12-31"), ("2027-01-01", "2027-01-02")],
    )
    assert split(d("2026-02-10"), d("2026-04-29"), 7) == (
        ("2026-03", "2026-03"),
        [("2026-02-10", "2026-02-28"), ("2026-04-01", "2026-04-29")],
    )
    assert split(d("2024-02-01"), d("2024-02-29"), 7) == (("2024-02", "2024-02"), [])
    assert split(d("2026-03-05"), d("2026-03-05"), 7) == (None, [("2026-03-05", "2026-03-05")])

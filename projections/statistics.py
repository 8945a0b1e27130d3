"""The statistics projection 统计投影: the yearly summary's figures, kept up as leaves arrive.

Every figure the summaries report is a sum of integers (fen 分 or counts), so the projection
keeps sums, not events: one row of ``stat_cells`` per day and per (region, purchaser,
category, method), and every relevant leaf adds to exactly one row. A report for any period
and filter is then a sum over rows, whatever the size of the log.

A leaf counts on the day it records (its ``data.date``, the date of the act):

* ``PlanFiled``: planned 计划 (count and budget);
* ``ContractSigned``: contracted 签订合同 — the count, the contract amount, and the
  procurement's budget (so savings = Σbudget − Σcontract over the same procurements);
* ``ProcurementFailed`` / ``ProcurementTerminated``: failed 废标 / terminated 终止, with budget;
* ``ChallengeFiled`` / ``ComplaintFiled``: received 收到; ``ChallengeAnswered`` /
  ``ChallengeWithdrawn`` / ``ComplaintDecided`` / ``ComplaintWithdrawn``: resolved 办结.

Only ``PlanFiled`` names the procurement's region, purchaser, category, method and budget, so
``stat_procurements`` keeps them per procurement for the later leaves (a contract, a challenge)
to be counted in the right row. It also keeps the contract: the lifecycle allows one contract
per procurement, and should a second ever arrive it replaces the first rather than counting
twice. Money is integer fen throughout; no float is ever involved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final, assert_never

from ledger.domain.identity import SMALL_OR_MICRO, SME
from ledger.domain.schema import entries as E
from ledger.domain.vocabulary import FundingSource
from ledger.store.sql import Cursor
from projections.projection import Entry

NAME: Final = "statistics"

#: The summed columns of every sum table, in order (fen columns end in ``_fen``).
MEASURES: Final = (
    "planned", "planned_budget_fen",
    "contracts", "budget_fen", "contract_fen",
    "failed", "failed_budget_fen",
    "terminated", "terminated_budget_fen",
    "challenges_received", "challenges_resolved",
    "complaints_received", "complaints_resolved",
    # Policy figures 政策功能, of the contract amount: awarded to 中小企业 and to 小微企业 (by
    # the winner's status as declared when awarded), and by 组织形式 as the plan states it.
    "sme_contract_fen", "small_micro_contract_fen",
    "centralised_contract_fen", "departmental_contract_fen", "decentralised_contract_fen",
    # The contract amount by the plan's 资金来源 (``funded_<FundingSource>_fen``).
    *(f"funded_{source.value}_fen" for source in FundingSource),
)  # fmt: skip

#: The sum tables: name → key (its first column is the day, or its month or year prefix,
#: and the key's length says how much of the day). Every leaf adds to one row of each:
#: ``stat_cells`` answers any period to the day; ``stat_months`` (no purchaser: a twentieth
#: of the rows) the whole months of a period; ``stat_years`` a purchaser breakdown's whole
#: years. A report reads whole units from the coarse tables and only the edge days from
#: ``stat_cells``, so a period of years reads thousands of rows, not every day's.
SUMS: Final[dict[str, tuple[str, int, tuple[str, ...]]]] = {
    "stat_cells": ("day", 10, ("region", "purchaser", "category", "method")),
    "stat_months": ("month", 7, ("region", "category", "method")),
    "stat_years": ("year", 4, ("region", "purchaser", "category", "method")),
}
TABLES: Final = (*SUMS, "stat_procurements", "stat_organisations")


def _columns(table: str) -> tuple[str, ...]:
    period, _, dims = SUMS[table]
    return (period, *dims)


def _sum_table(table: str, sqlite: bool) -> str:
    key = _columns(table)
    return (
        f"CREATE TABLE IF NOT EXISTS {table} ("
        + ", ".join(f"{c} TEXT NOT NULL" for c in key)
        + ", "
        + ", ".join(f"{m} BIGINT NOT NULL" for m in MEASURES)
        + f", PRIMARY KEY ({', '.join(key)}))"
        # SQLite: rows stored in key order, so a period is one contiguous range of the table.
        + (" WITHOUT ROWID" if sqlite else "")
    )


def _upsert(table: str) -> str:
    key = _columns(table)
    return (
        f"INSERT INTO {table} ({', '.join(key + MEASURES)}) "  # noqa: S608 (fixed names)
        f"VALUES ({', '.join('?' for _ in key + MEASURES)}) "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET "
        + ", ".join(f"{m} = {table}.{m} + excluded.{m}" for m in MEASURES)
    )


_UPSERTS: Final = {table: _upsert(table) for table in SUMS}
_CREATE: Final = [
    # A region or purchaser filter narrows the day cells first.
    "CREATE INDEX IF NOT EXISTS stat_cells_by_region ON stat_cells (region, day)",
    "CREATE INDEX IF NOT EXISTS stat_cells_by_purchaser ON stat_cells (purchaser, day)",
    "CREATE TABLE IF NOT EXISTS stat_procurements (code TEXT PRIMARY KEY, "
    "region TEXT NOT NULL, purchaser TEXT NOT NULL, category TEXT NOT NULL, "
    "method TEXT NOT NULL, budget_fen BIGINT NOT NULL, planned_on TEXT NOT NULL, "
    "plan_leaf BIGINT NOT NULL, contract_on TEXT, contract_fen BIGINT, contract_leaf BIGINT, "
    "form TEXT, winner_sme TEXT, source TEXT)",
    # The filters' choices and checks: which regions and purchasers have procurements.
    "CREATE INDEX IF NOT EXISTS stat_procurements_by_region ON stat_procurements (region)",
    "CREATE INDEX IF NOT EXISTS stat_procurements_by_purchaser ON stat_procurements (purchaser)",
    "CREATE TABLE IF NOT EXISTS stat_organisations (code TEXT PRIMARY KEY, name TEXT NOT NULL, "
    "kind TEXT NOT NULL, region TEXT NOT NULL, sme TEXT)",
]

@dataclass(frozen=True)
class Facts:
    """What ``PlanFiled`` said about a procurement, for the leaves that follow it."""

    region: str
    purchaser: str
    category: str
    method: str
    budget_fen: int
    contract_on: str | None
    contract_fen: int | None
    form: str | None = None  # 组织形式, where the plan states it
    winner_sme: str | None = None  # the winner's 中小企业 status as declared at the award
    source: str | None = None  # 资金来源, where the plan names it

    def contract_values(self, amount: int) -> dict[str, int]:
        """What one contract of ``amount`` adds: its count, budget and amount, and the
        amount again under the policy figures it falls in."""
        values = {"contracts": 1, "budget_fen": self.budget_fen, "contract_fen": amount}
        if self.winner_sme in SME:
            values["sme_contract_fen"] = amount
        if self.winner_sme in SMALL_OR_MICRO:
            values["small_micro_contract_fen"] = amount
        if self.form is not None:
            values[f"{self.form}_contract_fen"] = amount
        if self.source is not None:
            values[f"funded_{self.source}_fen"] = amount
        return values


class StatisticsProjection:
    name = NAME
    # 2: the policy figures (中小企业, 小微企业, 组织形式); 3: by 资金来源
    version = 3

    def create(self, sqlite: bool) -> Sequence[str]:
        return [*(_sum_table(t, sqlite) for t in SUMS), *_CREATE]

    def drop(self) -> Sequence[str]:
        return [f"DROP TABLE IF EXISTS {t}" for t in TABLES]

    def tables(self) -> Sequence[str]:
        return TABLES

    def flush(self, cur: Cursor) -> None:
        """Nothing kept back: each leaf's rows are written as it is applied."""

    def apply(self, cur: Cursor, index: int, entry: Entry, leaf: bytes) -> None:
        data = entry.data
        match data:
            case E.PlanFiled():
                _plan(cur, index, data)
            case E.ContractSigned():
                _contract(cur, index, data)
            case E.ProcurementFailed():
                _closed(cur, data, "failed")
            case E.ProcurementTerminated():
                _closed(cur, data, "terminated")
            case E.ChallengeFiled():
                _count(cur, data, "challenges_received")
            case E.ChallengeAnswered() | E.ChallengeWithdrawn():
                _count(cur, data, "challenges_resolved")
            case E.ComplaintFiled():
                _count(cur, data, "complaints_received")
            case E.ComplaintDecided() | E.ComplaintWithdrawn():
                _count(cur, data, "complaints_resolved")
            case E.ComplaintScreened():
                if not data.accepted:  # 不予受理 ends it
                    _count(cur, data, "complaints_resolved")
            case E.OrganisationRegistered():
                cur.execute(
                    "INSERT INTO stat_organisations (code, name, kind, region, sme) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (data.code, data.name, data.kind.value, data.region,
                     None if data.sme is None else data.sme.value),
                )  # fmt: skip
            case E.OrganisationAmended():
                for column, value in (("name", data.name), ("sme", data.sme)):
                    if value is not None:
                        cur.execute(
                            f"UPDATE stat_organisations SET {column} = ? WHERE code = ?",  # noqa: S608
                            (str(value), data.code),
                        )
            case E.AwardDecided():
                _award(cur, data)
            case (
                E.ActorRegistered() | E.KeyRegistered() | E.KeyRevoked() | E.PlanApproved()
                | E.SupplierDebarred()
                | E.PlanRejected() | E.MethodApproved() | E.IntentionDisclosed()
                | E.PrequalificationAnnounced() | E.PrequalificationCompleted()
                | E.TenderAnnounced() | E.AnnouncementCorrected() | E.BidBoxClosed()
                | E.BidsOpened() | E.EvaluationCompleted()
                | E.ResultAnnounced() | E.ContractAnnounced() | E.ContractFiled()
                | E.SupplementaryContractSigned() | E.BidDepositsRefunded() | E.AcceptanceRecorded()
                | E.CandidatesPublished() | E.TenderReportFiled()
                | E.CallOffSigned() | E.CallOffAnnounced()
                | E.Archived() | E.ProcurementSuspended() | E.ProcurementResumed()
                | E.NoticeDelivered() | E.NoticeDeliveryFailed() | E.SealedValueRead()
                | E.BidCommitted()
                | E.CalendarAdopted() | E.TimeLimitsAdopted() | E.TimingReevaluated()
                | E.ReleaseImported()
            ):  # fmt: skip
                pass  # nothing the yearly statistics count (an import is another's)
            case _:
                assert_never(data)


def _closed(
    cur: Cursor, data: E.ProcurementFailed | E.ProcurementTerminated, what: str
) -> None:
    facts = _facts(cur, data.procurement)
    if facts is not None:
        day = data.date.isoformat()
        _add(cur, day, facts, {what: 1, f"{what}_budget_fen": facts.budget_fen})


def _count(cur: Cursor, data: E.StreamData, counter: str) -> None:
    """One more challenge or complaint received or resolved, on its day."""
    facts = _facts(cur, data.procurement)
    if facts is not None:
        _add(cur, data.date.isoformat(), facts, {counter: 1})


def _plan(cur: Cursor, index: int, data: E.PlanFiled) -> None:
    form = None if data.organisation_form is None else data.organisation_form.value
    source = None if data.funding_source is None else data.funding_source.value
    facts = Facts(
        data.region, data.purchaser, data.category.value, data.method.value,
        data.budget.fen, None, None, form, None, source,
    )  # fmt: skip
    day = data.date.isoformat()
    cur.execute(
        "INSERT INTO stat_procurements (code, region, purchaser, category, method, budget_fen, "
        "planned_on, plan_leaf, form, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (data.procurement, facts.region, facts.purchaser, facts.category, facts.method,
         facts.budget_fen, day, index, form, source),
    )  # fmt: skip
    _add(cur, day, facts, {"planned": 1, "planned_budget_fen": facts.budget_fen})


def _award(cur: Cursor, data: E.AwardDecided) -> None:
    """The winner's 中小企业 status as declared when the award is decided (a later amendment
    does not change what this award counts as)."""
    row = cur.execute("SELECT sme FROM stat_organisations WHERE code = ?", (data.supplier,))
    found = row.fetchone()
    cur.execute(
        "UPDATE stat_procurements SET winner_sme = ? WHERE code = ?",
        (None if found is None else found[0], data.procurement),
    )


def _contract(cur: Cursor, index: int, data: E.ContractSigned) -> None:
    facts = _facts(cur, data.procurement)
    if facts is None:
        return
    if facts.contract_on is not None and facts.contract_fen is not None:
        # Replace, never double count: take the earlier contract out of its day's row.
        _add(cur, facts.contract_on, facts, facts.contract_values(facts.contract_fen), sign=-1)
    amount, day = data.amount.fen, data.date.isoformat()
    cur.execute(
        "UPDATE stat_procurements SET contract_on = ?, contract_fen = ?, contract_leaf = ? "
        "WHERE code = ?",
        (day, amount, index, data.procurement),
    )
    _add(cur, day, facts, facts.contract_values(amount))


def _facts(cur: Cursor, code: str) -> Facts | None:
    row = cur.execute(
        "SELECT region, purchaser, category, method, budget_fen, contract_on, contract_fen, "
        "form, winner_sme, source FROM stat_procurements WHERE code = ?",
        (code,),
    ).fetchone()
    if row is None:
        return None  # no plan in the log: nothing to attribute it to (the ledger refuses this)
    return Facts(
        row[0], row[1], row[2], row[3], int(row[4]), row[5],
        None if row[6] is None else int(row[6]), row[7], row[8], row[9],
    )  # fmt: skip


def _add(cur: Cursor, day: str, facts: Facts, values: dict[str, int], sign: int = 1) -> None:
    """Add ``values`` to the day's row of each sum table (``sign`` -1 takes them out)."""
    measures = [sign * values.get(m, 0) for m in MEASURES]
    dims = {"region": facts.region, "purchaser": facts.purchaser,
            "category": facts.category, "method": facts.method}  # fmt: skip
    for table, (_, length, names) in SUMS.items():
        key = [day[:length], *(dims[n] for n in names)]
        cur.execute(_UPSERTS[table], (*key, *measures))


# -- reading the sums for a period ---------------------------------------------------------

#: The columns every ``covering`` query yields, before the measures.
COVER_COLUMNS: Final = ("month", "region", "purchaser", "category", "method")


def _unit_start(day: date, length: int) -> date:
    return day.replace(day=1) if length == 7 else day.replace(month=1, day=1)


def _next_unit(day: date, length: int) -> date:
    if length == 4:
        return date(day.year + 1, 1, 1)
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def split(
    start: date, end: date, length: int
) -> tuple[tuple[str, str] | None, list[tuple[str, str]]]:
    """The whole months (``length`` 7) or years (4) within ``start…end``, as the first and
    last key, and the day ranges left over at either edge."""
    first = start if _unit_start(start, length) == start else _next_unit(start, length)
    after = _next_unit(end, length)
    after = after if after - timedelta(days=1) == end else _unit_start(end, length)
    if first >= after:
        return None, [(start.isoformat(), end.isoformat())]
    whole = (first.isoformat()[:length], (after - timedelta(days=1)).isoformat()[:length])
    edges = []
    if start < first:
        edges.append((start.isoformat(), (first - timedelta(days=1)).isoformat()))
    if after <= end:
        edges.append((after.isoformat(), end.isoformat()))
    return whole, edges


def covering(
    date_from: str, date_to: str, rollup: str, where: Mapping[str, str]
) -> tuple[str, list[str]]:
    """SQL yielding ``COVER_COLUMNS`` and ``MEASURES`` for rows that cover the period exactly
    once: whole units from ``rollup`` (``stat_months`` or ``stat_years``), the edge days from
    ``stat_cells``; only ``stat_cells`` when ``where`` names a column the rollup lacks.
    ``where`` maps dimension columns to values (bound, never spliced in)."""
    if not set(where) <= set(SUMS["stat_cells"][2]):  # column names, so never from a request
        raise ValueError(f"not a dimension: {sorted(set(where))}")
    measures = ", ".join(MEASURES)
    period, length, dims = SUMS[rollup]
    if not set(where) <= set(dims):
        rollup, period, length, dims = "stat_cells", "day", 10, SUMS["stat_cells"][2]
    filters = "".join(f" AND {column} = ?" for column in where)
    values = list(where.values())
    whole, edges = split(date.fromisoformat(date_from), date.fromisoformat(date_to), length)
    if rollup == "stat_cells":
        whole, edges = None, [(date_from, date_to)]
    parts, args = [], []
    if whole is not None:
        month = "month" if rollup == "stat_months" else "NULL"
        purchaser = "purchaser" if "purchaser" in dims else "NULL"
        parts.append(
            f"SELECT {month} AS month, region, {purchaser} AS purchaser, category, method, "  # noqa: S608
            f"{measures} FROM {rollup} WHERE {period} >= ? AND {period} <= ?{filters}"
        )
        args += [*whole, *values]
    if edges:
        days = " OR ".join("(day >= ? AND day <= ?)" for _ in edges)
        parts.append(
            f"SELECT substr(day, 1, 7) AS month, region, purchaser, category, method, "  # noqa: S608
            f"{measures} FROM stat_cells WHERE ({days}){filters}"
        )
        args += [*(d for edge in edges for d in edge), *values]
    return " UNION ALL ".join(parts), args

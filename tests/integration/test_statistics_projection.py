"""The statistics projection follows the real log on SQLite and PostgreSQL: figures counted on
the day of each act, a contract after its plan counted once in its own month, challenges and
complaints received and resolved, each report stamped with the signed checkpoint covering
what was applied, and a rebuild giving exactly the same rows as the incremental following."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from procurement_world import PLAN, County

from ledger.log.follower import Follower
from projections.statistics import StatisticsProjection
from projections.supervision.checkpoint import NoCheckpoint
from projections.supervision.statistics import compute, parse_filters

# Each test's county is a copy of one registered once per worker (conftest.py).
pytestmark = pytest.mark.world("county")


@pytest.fixture
def county(world: Any) -> County:
    c = County(world)
    c.to_evaluated()
    c.act(
        c.purchaser,
        "DecideAward",
        {"date": "2026-05-07", "supplier": "kangtai", "amount": "1790000.00"},
    )
    c.act(c.agency, "AnnounceResult", {"date": "2026-05-08"})
    c.act(
        c.suppliers[1],
        "FileChallenge",
        {
            "date": "2026-05-11",
            "subject": "result",
            "grounds": "评分不公",
        },
    )
    c.act(
        c.agency,
        "AnswerChallenge",
        {
            "challenge": "p1-ZY1",
            "date": "2026-05-13",
            "outcome": "rejected",
            "answer": "评分符合采购文件",
        },
    )
    c.act(
        c.suppliers[1],
        "FileComplaint",
        {"challenge": "p1-ZY1", "date": "2026-05-14", "grounds": "不服答复"},
    )
    # p2: another purchaser's works plan, terminated.
    jyj = c.other_purchaser
    c.act(jyj, "FilePlan", PLAN | {"title": "澄溪县第三中学操场改造工程", "category": "works",
                                   "method": "inquiry", "budget": "300000.00", "agency": None,
                                   "rationale": "小额工程"}, "p2")  # fmt: skip
    c.act(jyj, "Terminate", {"date": "2026-04-20", "reason": "项目取消"}, "p2")
    return c  # fmt: skip


def follower(county: County) -> Follower:
    f = Follower(county.ledger.db, StatisticsProjection())
    f.setup()
    return f


def report(county: County, *items: tuple[str, str]) -> Any:
    db = county.ledger.db
    return compute(db, parse_filters(db, list(items)))


def test_the_year_is_counted_from_the_log(county: County) -> None:
    f = follower(county)
    with pytest.raises(NoCheckpoint):  # nothing applied yet: no figure without its checkpoint
        report(county)
    assert f.catch_up() == county.ledger.reader.size()
    found = report(county)
    t = found.total
    assert (t.planned, t.planned_budget_fen) == (2, 185_000_000 + 30_000_000)
    assert (t.contracts, t.contract_fen) == (0, 0)  # awarded, not yet contracted
    assert (t.terminated, t.terminated_budget_fen) == (1, 30_000_000)
    assert (t.challenges_received, t.challenges_resolved) == (1, 1)
    assert (t.complaints_received, t.complaints_resolved) == (1, 0)
    assert found.reconciled and found.stamp.size == county.ledger.reader.size()
    assert found.stamp.exact  # a caught-up projection sits on a signed checkpoint
    assert found.names["rmyy"] == "澄溪县人民医院"

    county.act(
        county.purchaser,
        "SignContract",
        {"date": "2026-06-02", "contract_number": "HT-1", "amount": "1790000.00"},
    )
    f.catch_up()
    found = report(county)
    assert (found.total.contracts, found.total.budget_fen, found.total.contract_fen) == (
        1, 185_000_000, 179_000_000)  # fmt: skip
    assert (found.total.savings_fen, found.total.rate_text) == (6_000_000, "3.24%")
    months = {r.key: r.totals for r in found.breakdowns["month"]}
    assert months["2026-06"].contracts == 1 and months["2026-03"].planned == 2
    assert months["2026-05"].contract_fen == 0  # counted in the month of the contract only
    by_purchaser = {r.key: r.totals for r in found.breakdowns["purchaser"]}
    assert by_purchaser["jyj"].terminated == 1 and by_purchaser["rmyy"].contracts == 1

    # Filters narrow the same figures; the first half-year has no contract.
    assert report(county, ("date_to", "2026-05-31")).total.contracts == 0
    assert report(county, ("category", "works")).total.planned == 1
    assert report(county, ("purchaser", "rmyy")).total.terminated == 0
    assert report(county, ("year", "2025")).total.planned == 0
    # A period of whole units and edge days reads both the rollups and the day cells.
    wide = report(county, ("date_from", "2025-12-15"), ("date_to", "2027-01-02"))
    assert wide.total == found.total and wide.reconciled
    assert {r.key: r.totals for r in wide.breakdowns["purchaser"]} == by_purchaser


def test_a_rebuild_gives_the_same_rows_as_following_incrementally(county: County) -> None:
    f = follower(county)
    size = county.ledger.reader.size()
    for step in range(7, size + 7, 7):  # small batches, as leaves arrive
        f.catch_up(limit=7)
        assert f.position() == min(step, size)
    county.act(
        county.purchaser,
        "SignContract",
        {"date": "2026-06-02", "contract_number": "HT-1", "amount": "1790000.00"},
    )
    f.catch_up()
    incremental = f.digest()
    assert f.rebuild() == county.ledger.reader.size()
    assert f.digest() == incremental
    with county.ledger.db.read() as cur:
        assert cur.execute("SELECT COUNT(*) FROM stat_cells").fetchone() != (0,)


def test_a_report_part_way_is_stamped_with_the_checkpoint_covering_it(county: County) -> None:
    with county.ledger.db.read() as cur:
        leaves = [orjson.loads(bytes(r[0])) for r in cur.execute(
            "SELECT leaf FROM log_leaves ORDER BY idx").fetchall()]  # fmt: skip
    plan = next(n for n, leaf in enumerate(leaves) if leaf["type"] == "PlanFiled")
    f = follower(county)
    f.catch_up(limit=plan + 1)  # part way: the stamp names the signed checkpoint covering it
    found = report(county)
    assert found.stamp.size == plan + 1 and found.stamp.checkpoint_size >= plan + 1
    assert (found.total.planned, found.total.planned_budget_fen) == (1, 185_000_000)
    assert found.reconciled

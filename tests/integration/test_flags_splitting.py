"""化整为零 measured as the law does, through the real ledger (政府采购法实施条例 第二十八条):
one fiscal year and the same 品目 (``group_by = "catalogue"``), against the open-tender
threshold and the 采购限额标准, with the figures a region sets for itself. Each raised by
pieces made to raise it, each silent on its honest twin."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flag_scene import Scene, open_world
from procurement_world import County

from ledger.log.follower import Follower
from ledger.store.url import DatabaseURL
from projections.flags import FlagKind, FlagsProjection, load_flag_config
from projections.flags import queries as q

K = FlagKind
BY_CATALOGUE = '[splitting]\nperiod = "year"\ngroup_by = "catalogue"\n'
COMPUTERS = "A02010104"  # 台式计算机
PRINTERS = "A02010601"  # 打印设备
BY_LAW = '[splitting]\nperiod = "year"\ngroup_by = "budget_item_and_catalogue"\n'
BY_BUDGET_ITEM = '[splitting]\nperiod = "year"\ngroup_by = "budget_item"\n'
EQUIPMENT = {"code": "2026-RMYY-01", "name": "设备及物资购置"}
TRAINING = {"code": "2026-RMYY-07", "name": "住院医师规范化培训"}


def scene_with(url: DatabaseURL, tmp_path: Path, thresholds: str) -> Iterator[Scene]:
    path = tmp_path / "flags.toml"
    path.write_text(thresholds, encoding="utf-8")
    for world in open_world(url, tmp_path):
        projection = FlagsProjection(load_flag_config(path))
        follower = Follower(world.ledger.db, projection)
        follower.setup()
        yield Scene(County(world), projection, follower)


@pytest.fixture
def by_catalogue(sqlite_url: DatabaseURL, tmp_path: Path) -> Iterator[Scene]:
    yield from scene_with(sqlite_url, tmp_path, BY_CATALOGUE)


@pytest.fixture
def by_title(sqlite_url: DatabaseURL, tmp_path: Path) -> Iterator[Scene]:
    yield from scene_with(sqlite_url, tmp_path, "")


@pytest.fixture
def regional(sqlite_url: DatabaseURL, tmp_path: Path) -> Iterator[Scene]:
    # This county buys goods openly from 4,000,000 yuan and sets no lower limit of its own.
    yield from scene_with(sqlite_url, tmp_path, '[regions]\n"澄溪县" = { open_tender = { goods '
                          '= "4000000.00" }, procurement_limit = { goods = "500000.00" } }\n')


@pytest.fixture
def by_law(sqlite_url: DatabaseURL, tmp_path: Path) -> Iterator[Scene]:
    yield from scene_with(sqlite_url, tmp_path, BY_LAW)


@pytest.fixture
def by_budget_item(sqlite_url: DatabaseURL, tmp_path: Path) -> Iterator[Scene]:
    yield from scene_with(sqlite_url, tmp_path, BY_BUDGET_ITEM)


def piece(s: Scene, code: str, title: str, budget: str, day: str, catalogue: str,
          item: dict[str, str] = EQUIPMENT) -> None:
    s.plan(code, "inquiry", budget, title, day,
           funding={"funding_source": "general_budget", "budget_item": item})
    s.act("approve_plan", code, s.c.finance, "ApprovePlan", {"date": day})
    s.act("tender", code, s.c.agency, "AnnounceTender", {
        "date": day, "requirement": "技术参数见采购文件第三章。", "qualifications": "无",
        "contact": "刘洋 0319-8123456", "bid_deadline": "2026-12-20", "bid_deadline_time": "09:30",
        "place": "采购人会议室",
        "items": [{"name": title, "catalogue": catalogue, "quantity": "10", "unit": "台"}]})


def splits(s: Scene) -> list[q.Flag]:
    return [f for f in s.flags().values() if f.kind == K.SPLITTING]


def test_one_item_in_one_fiscal_year_under_other_titles_is_a_split(by_catalogue: Scene) -> None:
    s = by_catalogue
    piece(s, "p1", "办公电脑采购项目", "1500000.00", "2026-02-10", COMPUTERS)
    assert not splits(s)
    # Another quarter, another title: the same 品目 in the same 预算年度.
    piece(s, "p2", "教学用台式机采购", "1200000.00", "2026-09-15", COMPUTERS)
    (flag,) = splits(s)
    assert flag.details.items() >= {
        "item": f"品目{COMPUTERS}", "period": "2026", "pieces": 2, "total_fen": 270_000_000,
        "threshold_fen": 200_000_000, "measure": "open_tender_threshold"}.items()
    assert s.evidence(flag.id) == s.at("p1:plan", "p2:plan")
    assert "2026年分2次采购“品目A02010104”，合计270.00万元" in flag.summary


def test_other_items_or_another_year_are_no_split(by_catalogue: Scene) -> None:
    s = by_catalogue
    piece(s, "p1", "办公电脑采购项目", "1500000.00", "2026-02-10", COMPUTERS)
    # Another 品目 under the same title, and the same 品目 in another year.
    piece(s, "p2", "办公电脑采购项目（第二批）", "1200000.00", "2026-09-15", PRINTERS)
    piece(s, "p3", "办公电脑采购项目（第三批）", "1200000.00", "2025-11-15", COMPUTERS)
    assert not splits(s)


def test_the_same_budget_item_and_item_in_one_year_is_a_split_as_the_law_reads_it(
    by_law: Scene,
) -> None:
    s = by_law
    piece(s, "p1", "办公电脑采购项目", "1500000.00", "2026-02-10", COMPUTERS)
    # The same 品目 paid from another budget item: not the same purchase (第二十八条).
    piece(s, "p2", "培训用电脑采购", "1200000.00", "2026-05-15", COMPUTERS, TRAINING)
    assert not splits(s)
    piece(s, "p3", "教学用台式机采购", "1200000.00", "2026-09-15", COMPUTERS)
    (flag,) = splits(s)
    assert flag.details["item"] == f"预算项目2026-RMYY-01、品目{COMPUTERS}"
    assert flag.details["pieces"] == 2
    assert s.evidence(flag.id) == s.at("p1:plan", "p3:plan")


def test_grouped_by_budget_item_pieces_join_at_their_plans(by_budget_item: Scene) -> None:
    s = by_budget_item
    s.plan("p1", "inquiry", "1500000.00", "办公电脑采购项目", "2026-02-10",
           funding={"budget_item": EQUIPMENT})
    s.plan("p2", "inquiry", "1200000.00", "打印机采购项目", "2026-09-15",
           funding={"budget_item": EQUIPMENT})
    s.plan("p3", "inquiry", "1200000.00", "办公电脑采购项目", "2026-10-15",
           funding={"budget_item": TRAINING})
    (flag,) = splits(s)
    assert flag.details["item"] == "预算项目2026-RMYY-01"
    assert s.evidence(flag.id) == s.at("p1:plan", "p2:plan")


def test_pieces_under_the_procurement_limit_that_reach_it_avoid_procurement(
    by_title: Scene,
) -> None:
    s = by_title
    for code, budget, day in (("p1", "400000.00", "2026-04-02"), ("p2", "350000.00", "2026-05-06")):
        s.plan(code, "inquiry", budget, "会议室音视频设备采购项目", day)
    assert not splits(s)  # 75万元: under the 采购限额标准 of 100万元
    s.plan("p3", "inquiry", "300000.00", "会议室音视频设备采购项目（第三批）", "2026-06-01")
    (flag,) = splits(s)
    assert flag.details.items() >= {
        "pieces": 3, "total_fen": 105_000_000, "threshold_fen": 100_000_000,
        "measure": "procurement_limit"}.items()
    assert "达到采购限额标准（规避政府采购）100.00万元" in flag.summary
    assert s.evidence(flag.id) == s.at("p1:plan", "p2:plan", "p3:plan")
    # Rejected, the third piece leaves the group, which falls under the limit again.
    s.act("reject", "p3", s.c.finance, "RejectPlan", {"date": "2026-06-02", "reason": "重复采购"})
    assert not splits(s)


def test_a_regions_own_figures_decide(regional: Scene) -> None:
    s = regional
    # 270万元 of computers is a split under the default 200万 threshold, not under the
    # county's 400万 ...
    s.plan("p1", "inquiry", "1500000.00", "教学用计算机采购项目（第一批）", "2026-04-01")
    s.plan("p2", "inquiry", "1200000.00", "教学用计算机采购项目（第二批）", "2026-05-13")
    assert not splits(s)
    # ... while its 50万 limit catches 60万 bought in two pieces of 30万.
    s.plan("p3", "inquiry", "300000.00", "打印机采购项目", "2026-04-01")
    s.plan("p4", "inquiry", "300000.00", "打印机采购项目（第二批）", "2026-05-13")
    (flag,) = splits(s)
    assert flag.details.items() >= {"threshold_fen": 50_000_000, "region": "澄溪县",
                                    "measure": "procurement_limit"}.items()

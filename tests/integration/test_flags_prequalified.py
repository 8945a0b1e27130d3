"""未通过资格预审的供应商投标 through the real ledger: an invited tender prequalifies its
suppliers (财政部令第87号 第十四条), and a bid opened from a supplier its result did not find
qualified is a red flag at the opening, with the result and the opening as evidence; its
honest twin, every bidder qualified, raises nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flag_scene import Scene, make_scene, open_world
from test_statutes import verified

from ledger.store.url import DatabaseURL
from projections.flags import FlagKind

K = FlagKind
INVITED = "采购项目具有特殊性，只能从有限范围的供应商处采购（政府采购法第二十九条第一项）"


@pytest.fixture
def scene(sqlite_url: DatabaseURL, tmp_path: Path) -> Iterator[Scene]:
    for world in open_world(sqlite_url, tmp_path):
        yield make_scene(world)


def invited_tender(s: Scene, code: str, qualified: list[str]) -> None:
    """An invited tender that prequalifies ``qualified`` and refuses the rest of the four;
    kangtai, xinda and huamei bid, kangtai wins."""
    s.plan(code, method="invited_tender", rationale=INVITED)
    s.approve(code, rationale=INVITED)
    s.act("intention", code, s.c.purchaser, "DiscloseIntention",
          {"date": "2026-03-04", "expected_start": "2026-04-10"})  # fmt: skip
    s.act("call", code, s.c.agency, "AnnouncePrequalification", {
        "date": "2026-03-23", "requirement": "彩色多普勒超声诊断仪一台。",
        "qualifications": "具有医疗器械经营许可证。", "contact": "刘洋 0319-8123456",
        "application_deadline": "2026-03-30", "period_end": "2026-03-30"})  # fmt: skip
    everyone = [supplier.organisation for supplier in s.c.suppliers]
    refused = [{"supplier": code, "reason": "未提供医疗器械经营许可证。"}
               for code in everyone if code not in qualified]  # fmt: skip
    s.act("prequalified", code, s.c.agency, "RecordPrequalification",
          {"date": "2026-03-31", "qualified": qualified, "refused": refused})  # fmt: skip
    s.announce(code, intention=False)
    s.evaluate(code, ("1790000.00", "1805000.00", "1820000.00"))
    s.award(code, "kangtai", "1790000.00")


def test_a_bid_from_a_supplier_not_qualified_raises_the_flag(scene: Scene) -> None:
    s = scene
    invited_tender(s, "p1", ["kangtai", "xinda", "tongda"])  # huamei was refused, and bids
    flag = s.the(K.UNQUALIFIED_BIDDER, "p1")
    assert flag.severity == "high" and "资格预审合格供应商名单" in flag.summary
    assert flag.details["supplier"] == "huamei"
    assert flag.details["qualified"] == ["kangtai", "xinda", "tongda"]
    assert s.evidence(flag.id) == s.at("p1:prequalified", "p1:opened")
    verified(s.c)


def test_its_honest_twin_raises_nothing(scene: Scene) -> None:
    s = scene
    invited_tender(s, "p1", ["kangtai", "xinda", "huamei"])  # tongda refused, and did not bid
    assert K.UNQUALIFIED_BIDDER not in s.kinds("p1")
    assert K.FEWER_THAN_THREE_BIDDERS not in s.kinds("p1")


def test_fewer_than_three_qualified_is_a_flag_of_too_little_competition(scene: Scene) -> None:
    s = scene
    invited_tender(s, "p1", ["kangtai", "xinda"])  # and huamei, refused, bids all the same
    assert {K.FEWER_THAN_THREE_BIDDERS, K.UNQUALIFIED_BIDDER} <= s.kinds("p1")
    few = s.the(K.FEWER_THAN_THREE_BIDDERS, "p1")
    assert "通过资格预审2家" in few.summary
    assert s.leaves["p1:prequalified"] in s.evidence(few.id)


def test_a_tender_without_a_prequalification_raises_nothing(scene: Scene) -> None:
    s = scene
    s.tender_run("p1", ("1790000.00", "1805000.00", "1820000.00"), 0, "1790000.00")
    assert K.UNQUALIFIED_BIDDER not in s.kinds("p1")

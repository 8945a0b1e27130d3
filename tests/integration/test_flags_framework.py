"""框架协议外采购 through the real ledger: a framework agreement for office computers signed
with a year's term; an inquiry of the same region listing the same 品目 within the term is
flagged, with the agreement's item and term on its page. Another 品目, or the same one
before the agreement was signed, raises nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flag_scene import Scene, make_scene, open_world

from ledger.store.url import DatabaseURL
from projections.flags import FlagKind

K = FlagKind
COMPUTERS = "A02010104"  # 台式计算机
PRINTERS = "A02010601"  # 打印设备
PRICES = ("1790000.00", "1720000.00", "1805000.00")


@pytest.fixture
def scene(sqlite_url: DatabaseURL, tmp_path: Path) -> Iterator[Scene]:
    for world in open_world(sqlite_url, tmp_path):
        yield make_scene(world)


def item(name: str, catalogue: str) -> list[dict[str, str]]:
    return [{"name": name, "catalogue": catalogue, "quantity": "10", "unit": "台"}]


def agreement(s: Scene, name: str = "台式计算机", catalogue: str = COMPUTERS) -> None:
    """fw: computers (unless said) by framework agreement, xinda and kangtai admitted,
    signed on 11 May 2026 for a year."""
    s.plan("fw", method="framework_agreement", title=f"{name}框架协议采购项目")
    s.approve("fw")
    s.announce("fw", items=item(name, catalogue))
    s.evaluate("fw", PRICES)
    s.act("award", "fw", s.c.purchaser, "DecideAward",
          {"date": "2026-05-07", "admitted": ["xinda", "kangtai"],
           "amount": "1800000.00"})  # fmt: skip
    s.act("result", "fw", s.c.agency, "AnnounceResult", {"date": "2026-05-08"})
    s.act("signed", "fw", s.c.purchaser, "SignContract",
          {"date": "2026-05-11", "contract_number": "KJ-2026-001", "amount": "1800000.00",
           "term_ends": "2027-05-10"})  # fmt: skip


def inquiry(s: Scene, code: str, day: str, name: str, catalogue: str) -> None:
    s.plan(code, method="inquiry", budget="300000.00", title=f"{name}采购", day=day)
    s.act("approve_plan", code, s.c.finance, "ApprovePlan", {"date": day})
    s.act("tender", code, s.c.agency, "AnnounceTender", {
        "date": day, "requirement": "技术参数见采购文件第三章。", "qualifications": "无",
        "contact": "刘洋 0319-8123456", "bid_deadline": "2026-12-20", "bid_deadline_time": "09:30",
        "place": "采购人会议室", "items": item(name, catalogue)})


def test_the_same_item_bought_by_inquiry_within_the_agreements_term(scene: Scene) -> None:
    s = scene
    agreement(s)
    inquiry(s, "p2", "2026-06-15", "办公电脑", COMPUTERS)
    flag = s.the(K.OUTSIDE_FRAMEWORK, "p2")
    assert flag.summary == (
        "“办公电脑”（品目A02010104）在框架协议fw有效期内（2026年5月11日至2027年5月10日）另行采购")
    assert flag.severity == "medium"
    assert [f["value"] for f in flag.details["facts"]] == [
        "本项目“办公电脑”；框架协议fw“台式计算机”，有效期2026年5月11日至2027年5月10日"]
    assert flag.details["citation"] == "财政部令第110号（条号待核）"
    assert s.evidence(flag.id) == s.at("fw:signed", "p2:tender")
    assert K.OUTSIDE_FRAMEWORK not in s.kinds("fw")


def test_another_item_or_before_the_agreement_raises_nothing(scene: Scene) -> None:
    s = scene
    inquiry(s, "p1", "2026-03-02", "办公电脑", COMPUTERS)  # before there was an agreement
    agreement(s)
    inquiry(s, "p2", "2026-06-15", "激光打印机", PRINTERS)  # an item it does not cover
    assert K.OUTSIDE_FRAMEWORK not in s.kinds("p1") | s.kinds("p2")
    assert not [f for f in s.flags().values() if f.kind == K.OUTSIDE_FRAMEWORK]


def test_a_catch_all_code_names_no_item(scene: Scene) -> None:
    s = scene
    # 其他服务 covers vehicle repairs and school meals alike: the same code is no same item.
    agreement(s, "公务用车定点维修服务", "C99000000")
    inquiry(s, "p2", "2026-06-15", "学生营养餐配送服务", "C99000000")
    assert K.OUTSIDE_FRAMEWORK not in s.kinds("p2")

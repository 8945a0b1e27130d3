"""The Cardinal-style red flags of bidders and awards, through the real ledger: each raised
by a procurement made to raise it, showing the values it rests on (telephones, addresses,
prices, ranks, reasons), and silent on its honest twin. On SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from flag_scene import Scene, make_scene, open_world

from ledger.store.url import DatabaseURL
from projections.flags import FlagKind, rules

K = FlagKind


@pytest.fixture
def scene(sqlite_url: DatabaseURL, tmp_path: Path) -> Iterator[Scene]:
    for world in open_world(sqlite_url, tmp_path):
        yield make_scene(world)


def amend(s: Scene, n: int, **fields: str) -> int:
    """Amend supplier ``n``'s registration; the leaf it was recorded at."""
    receipt = s.c.world.submit(
        s.c.world.admin, "AmendOrganisation", {"code": s.c.suppliers[n].organisation, **fields}
    )
    return int(receipt.events[0]["leaf_index"])


# -- R044 bidders sharing a telephone or an address -------------------------------------------


def test_bidders_sharing_a_telephone_at_the_opening(scene: Scene) -> None:
    s = scene
    amend(s, 0, telephone="0319-8123456", address="澄溪县长江路1号")
    second = amend(s, 1, telephone="+86 03198123456", address="澄溪县长江路2号")  # the same
    amend(s, 2, telephone="0319-8765432", address="澄溪县长江路3号")
    s.tender_run("p1", ("1700000.00", "1720000.00", "1750000.00"), 0, "1700000.00")
    flag = s.the(K.SHARED_CONTACT, "p1")
    assert flag.details["shared"] == [{
        "field": "telephone", "label": "联系电话", "value": "0319-8123456",
        "suppliers": ["kangtai", "xinda"],
        "names": ["云岭康泰医疗器械有限公司", "云岭信达信息技术有限公司"],
    }]  # fmt: skip
    assert "0319-8123456" in flag.summary and "联系电话相同" in flag.summary
    # The opening and the registration that set the shared number are its evidence.
    assert s.at("p1:opened") | {second} <= s.evidence(flag.id)


def test_bidders_at_one_address_written_two_ways(scene: Scene) -> None:
    s = scene
    amend(s, 0, address="澄溪县工业园一路 8 号")
    amend(s, 2, address="澄溪县工业园一路8号")  # spaces aside, the same address
    s.tender_run("p1", ("1700000.00", "1720000.00", "1750000.00"), 0, "1700000.00")
    (shared,) = s.the(K.SHARED_CONTACT, "p1").details["shared"]
    assert (shared["field"], shared["suppliers"]) == ("address", ["huamei", "kangtai"])


def test_distinct_contacts_and_a_change_after_the_opening_raise_nothing(scene: Scene) -> None:
    s = scene
    for n in range(3):
        amend(s, n, telephone=f"0319-812345{n}", address=f"澄溪县长江路{n + 1}号")
    s.tender_run("p1", ("1700000.00", "1720000.00", "1750000.00"), 0, "1700000.00")
    # Two suppliers later share a number: the bidders are judged as the registry knew them
    # at the opening, and one who did not bid (tongda) shares nothing with the bidders.
    amend(s, 1, telephone="0319-8123450")
    amend(s, 3, telephone="0319-8123452")
    assert K.SHARED_CONTACT not in s.kinds("p1")


def test_shared_contacts_compare_digits_and_uniform_addresses() -> None:
    contacts: dict[str, dict[str, str | None]] = {
        "a": {"telephone": "0319-8123456", "address": "长江路1号"},
        "b": {"telephone": "+86-03198123456", "address": "长江路１号"},
        "c": {"telephone": "0319-8123457", "address": None},
    }
    assert rules.shared_contacts(contacts, ["telephone", "address"]) == [
        ("telephone", "0319-8123456", ["a", "b"]), ("address", "长江路1号", ["a", "b"])
    ]
    assert rules.shared_contacts(contacts, ["address"]) == [("address", "长江路1号", ["a", "b"])]


# -- award not to the top-ranked ----------------------------------------------------------------


def run_to_evaluation(s: Scene, code: str, prices: tuple[str, ...]) -> None:
    s.plan(code)
    s.approve(code)
    s.announce(code)
    s.evaluate(code, prices)  # ranked by price, the lowest first


def test_an_award_past_the_first_ranked_without_a_reason(scene: Scene) -> None:
    s = scene
    run_to_evaluation(s, "p1", ("1700000.00", "1650000.00", "1750000.00"))
    s.award("p1", "kangtai", "1700000.00")  # ranked second
    flag = s.the(K.AWARD_NOT_TOP_RANKED, "p1")
    assert flag.details["first"] == "xinda" and flag.details["winner_rank"] == 2
    facts = {f["label"]: f["value"] for f in flag.details["facts"]}
    assert "报价165.00万元" in facts["评审排序第一"]
    assert "第2名" in facts["确定中标（成交）"] and "金额170.00万元" in facts["确定中标（成交）"]
    assert facts["理由"] == "未记录"
    # The ledger's own finding (实施条例 第四十三条) is on the same flag, not another.
    (finding,) = flag.details["findings"]
    assert finding["rule"] == "award_follows_ranking"
    assert s.evidence(flag.id) == s.at("p1:evaluated", "p1:award")
    assert K.IRREGULAR_PROCEDURE not in s.kinds("p1")


def test_the_second_ranked_awarded_with_a_reason_or_the_first_raise_nothing(
    scene: Scene,
) -> None:
    s = scene
    run_to_evaluation(s, "p1", ("1700000.00", "1650000.00", "1750000.00"))
    s.act("award", "p1", s.c.purchaser, "DecideAward", {
        "date": "2026-05-07", "supplier": "kangtai", "amount": "1700000.00",
        "reason": "排名第一的中标候选人书面放弃中标。"})  # fmt: skip
    run_to_evaluation(s, "p2", ("1700000.00", "1650000.00", "1750000.00"))
    s.award("p2", "xinda", "1650000.00")
    assert K.AWARD_NOT_TOP_RANKED not in s.kinds("p1") | s.kinds("p2")


# -- R024 runner-up close, R058 heavily discounted, R038 many disqualified ----------------------


def test_a_runner_up_within_half_a_percent_of_the_winner(scene: Scene) -> None:
    s = scene
    s.tender_run("p1", ("1700000.00", "1705000.00", "1750000.00"), 0, "1700000.00")
    flag = s.the(K.RUNNER_UP_CLOSE, "p1")
    assert (flag.details["runner_up"], flag.details["gap"]) == ("xinda", "0.0029")
    facts = {f["label"]: f["value"] for f in flag.details["facts"]}
    assert facts["第二名报价"].endswith("170.50万元") and facts["相差"] == "0.50万元（0.3%）"
    assert s.at("p1:opened", "p1:evaluated", "p1:award") == s.evidence(flag.id)
    # A fen apart is close too, though its share rounds to nothing.
    s.tender_run("p2", ("1790000.00", "1790000.01", "1805000.00"), 0, "1790000.00")
    assert s.the(K.RUNNER_UP_CLOSE, "p2").details["gap"] == "0.0000"


def test_a_runner_up_further_off_or_at_the_same_price_is_not_close(scene: Scene) -> None:
    s = scene
    s.tender_run("p1", ("1700000.00", "1760000.00", "1705000.00"), 0, "1700000.00",
                 invalid=(2,))  # the close one was invalid: not a runner-up  # fmt: skip
    s.tender_run("p2", ("1700000.00", "1700000.00", "1750000.00"), 0, "1700000.00")
    assert K.RUNNER_UP_CLOSE not in s.kinds("p1") | s.kinds("p2")
    assert K.IDENTICAL_BID_PRICES in s.kinds("p2")  # equal prices are that flag's


def announce_with_ceiling(s: Scene, code: str, ceiling: str) -> None:
    s.act("intention", code, s.c.purchaser, "DiscloseIntention",
          {"date": "2026-03-04", "expected_start": "2026-04-10"})
    s.act("tender", code, s.c.agency, "AnnounceTender", {
        "date": "2026-04-10", "requirement": "技术参数见采购文件第三章。",
        "qualifications": "具有医疗器械经营许可证。", "contact": "刘洋 0319-8123456",
        "bid_deadline": "2026-05-06", "bid_deadline_time": "09:30",
        "place": "澄溪县公共资源交易中心开标一室", "ceiling_price": ceiling})  # fmt: skip


def test_an_award_far_below_the_ceiling_price(scene: Scene) -> None:
    s = scene
    s.plan("p1")
    s.approve("p1")
    announce_with_ceiling(s, "p1", "1800000.00")
    s.evaluate("p1", ("1200000.00", "1300000.00", "1750000.00"))
    s.award("p1", "kangtai", "1200000.00")
    flag = s.the(K.DEEP_DISCOUNT, "p1")
    assert (flag.details["measured"], flag.details["ratio"]) == ("最高限价", "0.6667")
    assert "仅为最高限价180.00万元的66.7%" in flag.summary
    assert s.evidence(flag.id) == s.at("p1:tender", "p1:award")


def test_an_award_at_three_quarters_of_the_budget_is_no_deep_discount(scene: Scene) -> None:
    s = scene
    s.tender_run("p1", ("1400000.00", "1500000.00", "1750000.00"), 0, "1400000.00")
    assert K.DEEP_DISCOUNT not in s.kinds("p1")  # 75.7% of the budget (no ceiling stated)
    s.tender_run("p2", ("1250000.00", "1500000.00", "1750000.00"), 0, "1250000.00")
    assert s.the(K.DEEP_DISCOUNT, "p2").details["measured"] == "预算"  # 67.6% of it


def test_a_third_of_the_bids_found_invalid(scene: Scene) -> None:
    s = scene
    s.tender_run("p1", ("1700000.00", "1720000.00", "1750000.00"), 0, "1700000.00",
                 invalid=(2,))  # fmt: skip
    flag = s.the(K.MANY_DISQUALIFIED, "p1")
    assert flag.details["invalid"] == ["huamei"] and flag.details["share"] == "0.3333"
    (fact,) = flag.details["facts"]
    assert fact["value"] == "报价175.00万元；未按要求提供有效的资格证明文件"


def test_one_invalid_bid_of_four_is_not_many(scene: Scene) -> None:
    s = scene
    s.tender_run("p1", ("1700000.00", "1720000.00", "1750000.00", "1760000.00"), 0,
                 "1700000.00", invalid=(3,))  # fmt: skip
    assert K.MANY_DISQUALIFIED not in s.kinds("p1")


# -- R048 a winner across unrelated categories --------------------------------------------------


def won_with_items(s: Scene, code: str, catalogue: str, day: str = "2026-04-10") -> None:
    """An open tender of one 品目 code, won by kangtai at the lowest price."""
    s.plan(code, title=f"{catalogue}项目")
    s.approve(code)
    s.act("tender", code, s.c.agency, "AnnounceTender", {
        "date": day, "requirement": "技术参数见采购文件第三章。",
        "qualifications": "具有相应资质。", "contact": "刘洋 0319-8123456",
        "bid_deadline": "2026-05-06", "bid_deadline_time": "09:30",
        "place": "澄溪县公共资源交易中心开标一室",
        "items": [{"name": "标的", "catalogue": catalogue, "quantity": "1", "unit": "项"}],
    })  # fmt: skip
    s.evaluate(code, ("1700000.00", "1720000.00", "1750000.00"))
    s.award(code, "kangtai", "1700000.00")


def test_a_supplier_winning_in_three_unrelated_categories(scene: Scene) -> None:
    s = scene
    won_with_items(s, "p1", "A02320000")  # 医疗设备
    won_with_items(s, "p2", "A02100000")  # 仪器仪表: the same class, A02
    won_with_items(s, "p3", "C16000000")  # 信息技术服务
    assert not [f for f in s.flags().values() if f.kind == K.WINNER_ACROSS_CATEGORIES]
    won_with_items(s, "p4", "B08000000")  # 工程: a third class
    (flag,) = [f for f in s.flags().values() if f.kind == K.WINNER_ACROSS_CATEGORIES]
    assert flag.id == "winner_across_categories:kangtai:2026" and flag.procurement is None
    assert flag.details["by_section"] == {"A02": ["p1", "p2"], "B08": ["p4"], "C16": ["p3"]}
    assert "3个不同品目类别中标" in flag.summary
    assert s.evidence(flag.id) == s.at("p1:award", "p2:award", "p3:award", "p4:award")


# -- failed tender followed by a non-competitive method -----------------------------------------


def failed_tender(s: Scene, code: str, title: str) -> None:
    s.plan(code, title=title)
    s.approve(code)
    s.announce(code)
    s.act("failed", code, s.c.agency, "DeclareFailure",
          {"date": "2026-05-06", "reason": "投标截止时投标人不足三家"})  # fmt: skip


def test_a_failed_tender_bought_again_by_negotiation(scene: Scene) -> None:
    s = scene
    failed_tender(s, "p1", "彩色多普勒超声诊断仪采购项目")
    s.plan("p2", "competitive_negotiation", title="彩色多普勒超声诊断仪采购项目（二次）",
           day="2026-05-20", rationale="公开招标因投标人不足三家而废标")  # fmt: skip
    flag = s.the(K.FAILED_THEN_NON_COMPETITIVE, "p2")
    assert flag.details["failed"] == "p1" and flag.details["days"] == 14
    facts = {f["label"]: f["value"] for f in flag.details["facts"]}
    assert facts["改用方式"].startswith("竞争性谈判")
    assert facts["采购计划所述理由"] == "公开招标因投标人不足三家而废标"
    assert s.evidence(flag.id) == s.at("p1:failed", "p2:plan")


def test_a_failed_tender_tendered_again_or_another_item_negotiated_raises_nothing(
    scene: Scene,
) -> None:
    s = scene
    failed_tender(s, "p1", "彩色多普勒超声诊断仪采购项目")
    s.plan("p2", title="彩色多普勒超声诊断仪采购项目（二次）", day="2026-05-20")
    s.plan("p3", "competitive_negotiation", title="病房空调采购项目", day="2026-05-20",
           budget="800000.00")  # fmt: skip
    assert not {K.FAILED_THEN_NON_COMPETITIVE} & (s.kinds("p2") | s.kinds("p3"))


# -- slow award ---------------------------------------------------------------------------------


def test_a_result_announced_long_after_the_opening(scene: Scene) -> None:
    s = scene
    s.plan("p1")
    s.approve("p1")
    s.announce("p1")
    # Opened on 6 May, evaluated on 12 June (no limit binds the evaluation itself); each
    # later step within its own limit.
    s.evaluate("p1", ("1700000.00", "1720000.00", "1750000.00"), evaluated="2026-06-12")
    s.award("p1", "kangtai", "1700000.00", day="2026-06-15")
    s.act("result", "p1", s.c.agency, "AnnounceResult", {"date": "2026-06-16"})
    flag = s.the(K.SLOW_AWARD, "p1")
    assert flag.details["days"] == 41 and flag.summary == "开标后41日才发布结果公告，超过30日"
    facts = {f["label"]: f["value"] for f in flag.details["facts"]}
    assert facts["开标"] == "2026年5月6日" and facts["结果公告"] == "2026年6月16日（开标后41日）"
    assert s.at("p1:opened", "p1:evaluated", "p1:award", "p1:result") == s.evidence(flag.id)
    # No statutory limit was broken on the way (the next day: later the contract falls due).
    assert s.kinds("p1", date(2026, 6, 17)) == {K.SLOW_AWARD}


def test_a_result_two_days_after_the_opening_is_not_slow(scene: Scene) -> None:
    s = scene
    s.tender_run("p1", ("1700000.00", "1720000.00", "1750000.00"), 0, "1700000.00")
    assert K.SLOW_AWARD not in s.kinds("p1")

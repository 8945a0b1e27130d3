"""Red flags 预警 through the real ledger: each flag is raised by a procurement made to raise
it, with the log entries that prove it as evidence, and stays silent on its honest twin. The
projection follows the log incrementally and a rebuild gives the same rows. On SQLite, and a
few on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import make_config
from flag_scene import RATIONALE, TODAY, Scene, make_scene, open_world

from demo.catalogue import REQUIREMENTS
from ledger.application import Ledger
from ledger.log.follower import Follower
from ledger.store.url import DatabaseURL
from projections.flags import FlagConfigError, FlagKind, FlagsProjection, load_flag_config, rules
from projections.flags import queries as q
from projections.web.queries import BadRequest
from sunshine.bootstrap import projector_for

K = FlagKind


@pytest.fixture
def scene(sqlite_url: DatabaseURL, tmp_path: Path) -> Iterator[Scene]:
    for world in open_world(sqlite_url, tmp_path):
        yield make_scene(world)


@pytest.fixture
def pg_scene(pg_url: DatabaseURL, tmp_path: Path) -> Iterator[Scene]:
    for world in open_world(pg_url, tmp_path):
        yield make_scene(world)


# -- splitting 化整为零 -------------------------------------------------------------------------


def test_splitting_is_raised_by_pieces_of_one_item_under_the_threshold(scene: Scene) -> None:
    s = scene
    s.plan("p1", "inquiry", "1500000.00", "教学用计算机采购项目（第一批）", "2026-04-01")
    assert not s.flags()  # one piece is no split
    s.plan("p2", "inquiry", "1200000.00", "教学用计算机采购项目（第二批）", "2026-05-13")
    (flag,) = [f for f in s.flags().values() if f.kind == K.SPLITTING]
    assert flag.purchaser == "rmyy" and flag.procurement is None
    assert flag.raised_leaf == s.leaves["p2:plan"]
    assert flag.details.items() >= {
        "pieces": 2, "total_fen": 270_000_000, "threshold_fen": 200_000_000}.items()
    assert flag.details["item"] == "教学用计算机采购项目" and flag.details["period"] == "2026Q2"
    assert s.evidence(flag.id) == s.at("p1:plan", "p2:plan")
    # A third piece joins the evidence; rejected, it leaves it again.
    s.plan("p3", "inquiry", "300000.00", "教学用计算机采购项目（第三批）", "2026-05-20")
    assert s.evidence(flag.id) == s.at("p1:plan", "p2:plan", "p3:plan")
    s.act("reject", "p3", s.c.finance, "RejectPlan", {"date": "2026-05-21", "reason": "重复采购"})
    assert s.evidence(flag.id) == s.at("p1:plan", "p2:plan")


def test_splitting_is_silent_on_different_items_other_quarters_and_open_tenders(
    scene: Scene,
) -> None:
    s = scene
    s.plan("p1", "inquiry", "1500000.00", "教学用计算机采购项目（第一批）", "2026-03-20")
    s.plan("p2", "inquiry", "1200000.00", "教学用计算机采购项目（第二批）", "2026-04-02")  # Q2
    s.plan("p3", "inquiry", "1200000.00", "办公家具采购项目", "2026-04-03")
    s.plan("p4", "open_tender", "1900000.00", "办公家具采购项目（第二批）", "2026-04-07")
    assert not [f for f in s.flags().values() if f.kind == K.SPLITTING]


# -- procure first, file later 先采购后备案 ---------------------------------------------------


def test_procure_first_file_later_is_raised_with_the_acts_before_approval(scene: Scene) -> None:
    s = scene
    s.plan("p1")
    s.announce("p1", intention=True)  # the tender, before the plan was approved
    s.act("late_approval", "p1", s.c.finance, "ApprovePlan", {"date": "2026-04-13"})
    flag = s.the(K.PROCURE_FIRST_FILE_LATER, "p1")
    assert flag.raised_leaf == s.leaves["p1:tender"]
    assert s.evidence(flag.id) == s.at("p1:tender", "p1:late_approval")
    assert flag.details["findings"][0]["rule"] == "procure_first_file_later"


def test_procure_first_file_later_is_silent_when_approved_first(scene: Scene) -> None:
    s = scene
    s.tender_run("p1", ("1790000.00", "1720000.00", "1805000.00"), 1, "1720000.00")
    assert s.kinds("p1") == set()


# -- designated brand 指定品牌 -------------------------------------------------------------------


def test_a_designated_brand_is_raised_where_it_is_written(scene: Scene) -> None:
    s = scene
    s.plan("p1", requirement="全自动生化分析仪1台。")
    s.approve("p1")
    s.announce("p1", requirement="★所投全自动生化分析仪须为西门子品牌，型号为Atellica CH 930。")
    flag = s.the(K.DESIGNATED_BRAND, "p1")
    assert s.evidence(flag.id) == s.at("p1:tender")
    terms = [m["term"] for m in flag.details["matches"]]
    assert terms == ["西门子", "型号为Atellica CH 930"]
    # A correction naming a model is more evidence on the same flag.
    s.act("correction", "p1", s.c.agency, "CorrectAnnouncement",
          {"date": "2026-04-13", "changes": "投标产品限定为迈瑞品牌BS-2000M型号。"})
    assert s.evidence(flag.id) == s.at("p1:tender", "p1:correction")


def test_a_designated_brand_is_silent_on_neutral_wording(scene: Scene) -> None:
    s = scene
    neutral = ("品牌不限，不得指定品牌或供应商；所投产品须为全新原厂正品，提供产品品牌、型号及"
               "技术参数；配件须为原厂或同质配件；按采购人指定地点送货。")
    s.tender_run("p1", ("1790000.00", "1720000.00", "1805000.00"), 1, "1720000.00",
                 requirement=neutral)
    assert s.kinds("p1") == set()


@pytest.mark.parametrize("text", [
    "★所投全自动生化分析仪须为西门子品牌",
    "投标产品指定品牌为某某牌",
    "服务器采用戴尔PowerEdge R750",
    "核心交换机须为Cisco Catalyst 9300系列",
    "型号：XR-200",
    "限定原厂授权代理商投标",
])
def test_brand_wording_that_names_a_brand_or_model(text: str) -> None:
    assert rules.brand_matches(text, load_flag_config())


@pytest.mark.parametrize("text", [
    *REQUIREMENTS.values(),
    "不得指定品牌、型号或供应商，品牌不限",
    "投标人须在响应文件中注明所投产品的品牌、型号及产地",
    "配件须为原厂或同质配件并明码标价",
    "按采购人指定地点送货上门并安装",
    "性能不低于同档次主流产品，完美的售后服务",
    "三星级以上酒店会议服务",
    "HPLC色谱柱及配套耗材",
])
def test_neutral_wording_names_no_brand(text: str) -> None:
    assert rules.brand_matches(text, load_flag_config()) == []


# -- single bid, single bidder, fewer than three 竞争不充分 -------------------------------------


def test_a_single_bid_in_a_negotiation_raises_single_bid_and_single_bidder(scene: Scene) -> None:
    s = scene
    s.tender_run("p1", ("800000.00",), 0, "800000.00", method="competitive_negotiation",
                 budget="860000.00")
    bid = s.the(K.SINGLE_BID, "p1")
    assert s.evidence(bid.id) == s.at("p1:opened", "p1:award")
    bidder = s.the(K.SINGLE_BIDDER, "p1")
    assert s.evidence(bidder.id) == s.at("p1:evaluated", "p1:award")
    assert s.kinds("p1") == {K.SINGLE_BID, K.SINGLE_BIDDER}


def test_three_valid_bids_in_a_negotiation_raise_nothing(scene: Scene) -> None:
    s = scene
    s.tender_run("p1", ("800000.00", "790000.00", "810000.00"), 1, "790000.00",
                 method="competitive_negotiation", budget="860000.00")
    assert s.kinds("p1") == set()


def test_an_open_tender_awarded_on_two_valid_bids_has_fewer_than_three(scene: Scene) -> None:
    s = scene
    s.tender_run("p1", ("1790000.00", "1720000.00"), 1, "1720000.00")
    flag = s.the(K.FEWER_THAN_THREE_BIDDERS, "p1")
    assert s.evidence(flag.id) == s.at("p1:opened", "p1:evaluated", "p1:award")
    # The ledger's own findings (政府采购法 第三十六条), at the opening with two bids and at
    # the award, are on the same flag.
    assert [f["rule"] for f in flag.details["findings"]] == [
        "minimum_bids_at_opening",
        "minimum_valid_bidders_open_tender",
    ]
    assert s.kinds("p1") == {K.FEWER_THAN_THREE_BIDDERS}


def test_an_open_tender_with_three_valid_bids_is_silent(scene: Scene) -> None:
    s = scene
    s.tender_run("p1", ("1790000.00", "1720000.00", "1805000.00"), 1, "1720000.00")
    assert s.kinds("p1") == set()


# -- Cardinal indicators on prices and evaluation --------------------------------------------


def test_an_award_close_to_the_budget(scene: Scene) -> None:
    s = scene
    s.tender_run("p1", ("1840000.00", "1845000.00", "1849000.00"), 0, "1840000.00")
    flag = s.the(K.AWARD_CLOSE_TO_BUDGET, "p1")
    assert flag.details["ratio"] == "0.9946"
    assert s.evidence(flag.id) == s.at("p1:plan", "p1:award")
    s.tender_run("p2", ("1790000.00", "1720000.00", "1805000.00"), 1, "1720000.00")  # 0.93
    assert s.kinds("p2") == set()


def test_identical_bid_prices(scene: Scene) -> None:
    s = scene
    s.tender_run("p1", ("1790000.00", "1790000.00", "1805000.00"), 0, "1790000.00")
    flag = s.the(K.IDENTICAL_BID_PRICES, "p1")
    assert flag.details["groups"] == [["kangtai", "xinda"]]
    assert s.evidence(flag.id) == s.at("p1:opened")  # the opening discloses the sealed bids
    s.tender_run("p2", ("1790000.00", "1790000.01", "1805000.00"), 0, "1790000.00")
    assert s.kinds("p2") == {K.RUNNER_UP_CLOSE}  # a fen apart: not identical, but close


def test_all_but_the_winner_disqualified(scene: Scene) -> None:
    s = scene
    s.tender_run("p1", ("1790000.00", "1720000.00", "1805000.00"), 2, "1805000.00",
                 invalid=(0, 1))
    flag = s.the(K.ALL_BUT_WINNER_DISQUALIFIED, "p1")
    assert s.evidence(flag.id) == s.at("p1:opened", "p1:evaluated", "p1:award")
    # One valid bidder of three is also too little competition; the lowest was one of them;
    # the winner's bid came last (Cardinal R030).
    assert s.kinds("p1") == {K.ALL_BUT_WINNER_DISQUALIFIED, K.SINGLE_BIDDER,
                             K.FEWER_THAN_THREE_BIDDERS, K.LOWEST_BID_DISQUALIFIED,
                             K.MANY_DISQUALIFIED, K.LATE_BID_WON}
    s.tender_run("p2", ("1790000.00", "1720000.00", "1805000.00", "1810000.00"), 1,
                 "1720000.00", invalid=(3,))
    assert K.ALL_BUT_WINNER_DISQUALIFIED not in s.kinds("p2")


def test_the_lowest_bid_disqualified(scene: Scene) -> None:
    s = scene
    s.tender_run("p1", ("1790000.00", "1720000.00", "1805000.00", "1800000.00"), 0,
                 "1790000.00", invalid=(1,))
    flag = s.the(K.LOWEST_BID_DISQUALIFIED, "p1")
    assert flag.details["suppliers"] == ["xinda"]
    assert flag.raised_leaf == s.leaves["p1:evaluated"]
    assert s.evidence(flag.id) == s.at("p1:opened", "p1:evaluated")
    assert s.kinds("p1") == {K.LOWEST_BID_DISQUALIFIED}
    # The highest bid disqualified is no flag.
    s.tender_run("p2", ("1790000.00", "1720000.00", "1805000.00", "1800000.00"), 1,
                 "1720000.00", invalid=(2,))
    assert s.kinds("p2") == set()


def test_an_abnormally_low_winning_bid(scene: Scene) -> None:
    s = scene
    # xinda wins at 1,300,000.00 against the others' 1,790,000.00 and 1,805,000.00: 72.32% of
    # their median (1,797,500.00), under the 80% the configuration sets (87号令 第六十条).
    s.tender_run("p1", ("1790000.00", "1300000.00", "1805000.00"), 1, "1300000.00")
    flag = s.the(K.ABNORMALLY_LOW_WINNER, "p1")
    assert (flag.details["ratio"], flag.details["median_fen"]) == ("0.7232", 179_750_000)
    assert "179.75万元" in flag.summary and "72.3%" in flag.summary
    assert s.evidence(flag.id) == s.at("p1:opened", "p1:evaluated", "p1:award")
    assert s.kinds("p1") == {K.ABNORMALLY_LOW_WINNER}
    # Its honest twin: the lowest bid at 96% of the others' median is competition.
    s.tender_run("p2", ("1790000.00", "1720000.00", "1805000.00"), 1, "1720000.00")
    assert s.kinds("p2") == set()


def test_a_short_submission_period(scene: Scene) -> None:
    s = scene
    s.plan("p1")
    s.approve("p1")
    s.announce("p1", deadline="2026-04-20")  # 10 days; an open tender needs 20
    for n, price in enumerate(("1790000.00", "1720000.00", "1805000.00")):
        s.bid("p1", n, price)
    s.act("closed", "p1", s.c.agency, "CloseBidBox", {"date": "2026-04-20", "time": "09:30"})
    s.act("opened", "p1", s.c.agency, "OpenBids", {"date": "2026-04-20", "time": "09:30"})
    flag = s.the(K.SHORT_SUBMISSION_PERIOD, "p1")
    assert flag.details["period"].items() >= {"length": 10, "limit": 20, "unit": "days"}.items()
    assert s.evidence(flag.id) == s.at("p1:tender", "p1:opened")
    assert [f["rule"] for f in flag.details["findings"]] == ["tender_documents_to_bid_deadline"]
    s.tender_run("p2", ("1790000.00", "1720000.00", "1805000.00"), 1, "1720000.00")  # 26 days
    assert s.kinds("p2") == set()


def test_a_submission_period_threshold_is_configuration(
    scene: Scene, tmp_path: Path
) -> None:
    # 26 days is legal; an operator asking for 30 sees it, with no finding of the ledger.
    override = tmp_path / "flags.toml"
    override.write_text('[short_submission_period]\nopen_tender = { limit = 30, unit = "days" }\n',
                        encoding="utf-8")
    s = scene
    strict = FlagsProjection(load_flag_config(override))
    assert strict.version != s.projection.version  # the runner rebuilds under new thresholds
    s.tender_run("p1", ("1790000.00", "1720000.00", "1805000.00"), 1, "1720000.00")
    assert s.kinds("p1") == set()
    follower = Follower(s.c.ledger.db, strict)
    follower.setup()  # another version: dropped and replayed
    follower.catch_up()
    flag = s.the(K.SHORT_SUBMISSION_PERIOD, "p1")
    assert flag.details["period"]["limit"] == 30 and "findings" not in flag.details


def test_a_bad_thresholds_file_is_refused_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "flags.toml"
    bad.write_text("[award_close_to_budget]\nmin_ratio = \"0.98\"\nmax_ratio = \"1\"\n",
                   encoding="utf-8")
    with pytest.raises(FlagConfigError, match=r"flags.toml:3: \[award_close_to_budget\] max_ratio"):
        load_flag_config(bad)
    bad.write_text('[award_close_to_budget]\nmin_ratio = "1.5"\n', encoding="utf-8")
    with pytest.raises(FlagConfigError, match=r"flags.toml:2: \[award_close_to_budget\] min_ratio"):
        load_flag_config(bad)


def test_the_operators_thresholds_reach_the_service(
    sqlite_url: DatabaseURL, tmp_path: Path
) -> None:
    ledger = Ledger(make_config(sqlite_url, tmp_path))
    try:
        override = tmp_path / "flags.toml"
        override.write_text('[award_close_to_budget]\nmin_ratio = "0.95"\n', encoding="utf-8")
        (flags,) = [f.projection for f in projector_for(ledger, override).followers
                    if isinstance(f.projection, FlagsProjection)]  # fmt: skip
        assert flags.config.ratio("award_close_to_budget", "min_ratio") == Decimal("0.95")
        override.write_text('# stricter\n[award_close_to_budget]\nmin_ratio = "95%"\n',
                            encoding="utf-8")  # fmt: skip
        with pytest.raises(FlagConfigError) as caught:
            projector_for(ledger, override)
        assert str(caught.value).startswith(
            f"{override}:3: [award_close_to_budget] min_ratio: a decimal fraction above 0"
        )
    finally:
        ledger.close()


# -- methods 采购方式 -----------------------------------------------------------------------------


def test_a_non_open_method_awarded_without_approval(scene: Scene) -> None:
    s = scene
    # At or above the open-tender threshold (200万元), where approval is needed.
    s.plan("p1", "competitive_negotiation", "2500000.00", rationale=RATIONALE)
    s.act("approve_plan", "p1", s.c.finance, "ApprovePlan", {"date": "2026-03-03"})
    s.announce("p1")  # the method never approved
    s.evaluate("p1", ("800000.00", "790000.00", "810000.00"))
    s.award("p1", "xinda", "790000.00")
    flag = s.the(K.NON_OPEN_WITHOUT_RATIONALE, "p1")
    assert s.evidence(flag.id) == s.at("p1:plan", "p1:award")
    assert K.PROCURE_FIRST_FILE_LATER in s.kinds("p1")


def test_a_non_open_method_approved_on_an_empty_rationale(scene: Scene) -> None:
    s = scene
    s.plan("p1", "competitive_negotiation", "860000.00")
    s.approve("p1", rationale="工作需要。")
    flag = s.the(K.NON_OPEN_WITHOUT_RATIONALE, "p1")
    assert s.evidence(flag.id) == s.at("p1:plan", "p1:approve_method")
    s.tender_run("p2", ("800000.00", "790000.00", "810000.00"), 1, "790000.00",
                 method="competitive_negotiation", budget="860000.00")
    assert s.kinds("p2") == set()


def test_single_source_overuse_rises_and_falls_with_the_share(scene: Scene) -> None:
    s = scene
    s.plan("p1", title="医用耗材采购项目")
    s.plan("p2", "single_source", "600000.00", "HIS系统升级改造项目", rationale=RATIONALE)
    s.plan("p3", "single_source", "400000.00", "PACS系统扩容项目", rationale=RATIONALE)
    (flag,) = [f for f in s.flags().values() if f.kind == K.SINGLE_SOURCE_OVERUSE]
    assert (flag.purchaser, flag.details["share"]) == ("rmyy", "0.6667")
    assert s.evidence(flag.id) == s.at("p2:plan", "p3:plan")
    for n in range(4, 8):  # 2 of 7: 28.6%, under 30%
        s.plan(f"p{n}", title=f"设备采购项目{n}")
    assert not [f for f in s.flags().values() if f.kind == K.SINGLE_SOURCE_OVERUSE]


def test_repeated_winner_at_one_purchaser(scene: Scene) -> None:
    s = scene
    for n in (1, 2, 3):
        s.tender_run(f"p{n}", ("1790000.00", "1720000.00", "1805000.00"), 1, "1720000.00",
                     title=f"医疗设备采购项目{n}")
    (flag,) = [f for f in s.flags().values() if f.kind == K.REPEATED_WINNER]
    assert flag.id == "repeated_winner:rmyy:2026:xinda"
    assert flag.details.items() >= {"wins": 3, "awards": 3}.items()
    assert s.evidence(flag.id) == s.at("p1:award", "p2:award", "p3:award")
    # Awards to others bring the share under half: withdrawn.
    for n in (4, 5, 6, 7):
        s.tender_run(f"p{n}", ("1790000.00", "1720000.00", "1805000.00"), n % 2 * 2,
                     ("1790000.00", "1720000.00", "1805000.00")[n % 2 * 2],
                     title=f"医疗设备采购项目{n}")
    assert not [f for f in s.flags().values() if f.kind == K.REPEATED_WINNER]


def test_winners_spread_over_suppliers_raise_nothing(scene: Scene) -> None:
    s = scene
    for n in (0, 1, 2):  # each the lowest price of its tender, so each first-ranked
        prices = tuple("1720000.00" if m == n else f"{1790000 + 10000 * m}.00" for m in range(3))
        s.tender_run(f"p{n}", prices, n, prices[n], title=f"医疗设备采购项目{n}")
    # (p2's winner bid last of three: Cardinal's R030, a flag of its own)
    assert {f.id for f in s.flags().values()} == {"late_bid_won:p2"}


# -- notices, challenges, complaints: clocks ---------------------------------------------------


def test_a_late_result_notice_and_a_result_never_announced(scene: Scene) -> None:
    s = scene
    prices = ("1790000.00", "1720000.00", "1805000.00")
    s.tender_run("p1", prices, 1, "1720000.00", finish=False)
    s.finish("p1", "1720000.00", result="2026-05-14")  # 5 working days after the award
    flag = s.the(K.LATE_OR_MISSING_NOTICE, "p1")
    assert flag.id == "late_or_missing_notice:p1:result_announced_after_award"
    assert s.evidence(flag.id) == s.at("p1:award", "p1:result")
    assert not flag.overdue
    # Never announced: overdue once its day has passed, not before.
    s.tender_run("p2", prices, 1, "1720000.00", finish=False)
    missing = s.the(K.LATE_OR_MISSING_NOTICE, "p2")
    due = date.fromisoformat(missing.details["due"])
    assert due == date(2026, 5, 9)  # 2 working days: Saturday 9 May 2026 is one (调休)
    assert missing.overdue and missing.raised_on == "2026-05-10"
    assert K.LATE_OR_MISSING_NOTICE not in s.kinds("p2", today=due)
    assert s.evidence(missing.id) == s.at("p2:award")
    # Announced in time: the clock stops, nothing is left.
    s.tender_run("p3", prices, 1, "1720000.00")
    assert s.kinds("p3") == set()


def test_a_notice_the_publisher_could_not_deliver(scene: Scene) -> None:
    s = scene
    publisher = s.c.world.add("fbfw", "publisher", "fbfw-svc", "澄溪县政府采购信息发布服务")
    s.plan("p1")
    s.approve("p1")
    s.announce("p1")
    failed = {"notice": s.leaves["p1:tender"], "destination": "ccgp-hebei", "required": True,
              "attempts": 17, "last_status": 503, "last_error": "Service Unavailable",
              "failed_at": "2026-04-14T08:00:00Z"}
    s.act("failed", "p1", publisher, "RecordDeliveryFailure", failed)
    flag = s.the(K.LATE_OR_MISSING_NOTICE, "p1")
    assert s.evidence(flag.id) == s.at("p1:tender", "p1:failed")
    # Delivered in time to another website: no flag.
    delivered = {"notice": s.leaves["p1:tender"], "destination": "qhx-portal",
                 "required": True, "attempts": 1, "status": 200,
                 "response_digest": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
                 "delivered_at": "2026-04-13T09:00:00+08:00"}
    s.act("delivered", "p1", publisher, "RecordDelivery", delivered)
    assert [f.id for f in s.flags().values()] == [flag.id]


def _challenged(s: Scene) -> None:
    s.tender_run("p1", ("1790000.00", "1720000.00", "1805000.00"), 1, "1720000.00")
    s.act("challenge", "p1", s.c.suppliers[0], "FileChallenge",
          {"date": "2026-05-11", "subject": "result",
           "grounds": "评分不公"})  # answer due 2026-05-20


def test_a_challenge_never_answered(scene: Scene) -> None:
    s = scene
    _challenged(s)
    assert not s.flags(today=date(2026, 5, 20))
    (flag,) = s.flags(today=date(2026, 5, 21)).values()
    assert flag.id == "challenge_unanswered_in_time:p1-ZY1" and flag.overdue
    assert s.evidence(flag.id) == s.at("p1:challenge")
    # The supplier complains of it: more evidence; and the complaint's clock starts.
    s.c.act(s.c.suppliers[0], "FileComplaint",
            {"challenge": "p1-ZY1", "date": "2026-05-25", "grounds": "质疑逾期未答复"}, "p1")
    assert len(s.evidence(flag.id)) == 2


def test_a_challenge_answered_late_and_one_answered_in_time(scene: Scene) -> None:
    s = scene
    _challenged(s)
    s.act("answer", "p1", s.c.agency, "AnswerChallenge",
          {"challenge": "p1-ZY1", "date": "2026-05-25", "outcome": "rejected",
           "answer": "评分符合规定"})
    flag = s.the(K.CHALLENGE_UNANSWERED_IN_TIME, "p1")
    assert not flag.overdue and flag.raised_leaf == s.leaves["p1:answer"]
    assert s.evidence(flag.id) == s.at("p1:challenge", "p1:answer")
    s.act("challenge2", "p1", s.c.suppliers[2], "FileChallenge",
          {"date": "2026-05-12", "subject": "result",
           "grounds": "评分不公"})
    s.act("answer2", "p1", s.c.agency, "AnswerChallenge",
          {"challenge": "p1-ZY2", "date": "2026-05-21", "outcome": "rejected", "answer": "不成立"})
    assert [f.id for f in s.flags().values()] == [flag.id]  # ZY2 in time: silent


def test_a_complaint_overdue_and_one_decided_in_time(scene: Scene) -> None:
    s = scene
    _challenged(s)
    s.act("answer", "p1", s.c.agency, "AnswerChallenge",
          {"challenge": "p1-ZY1", "date": "2026-05-13", "outcome": "rejected", "answer": "不成立"})
    s.act("complaint", "p1", s.c.suppliers[0], "FileComplaint",
          {"challenge": "p1-ZY1", "date": "2026-05-14", "grounds": "不服答复"})  # due 2026-06-26
    assert not s.flags(today=date(2026, 6, 26))
    (flag,) = s.flags().values()
    assert flag.id == "complaint_overdue:p1-TS1" and flag.overdue
    assert s.evidence(flag.id) == s.at("p1:complaint")
    s.act("decided", "p1", s.c.finance, "DecideComplaint",
          {"complaint": "p1-TS1", "date": "2026-06-20", "outcome": "rejected", "decision": "驳回"})
    assert not s.flags()


def test_acting_while_suspended_is_an_irregular_procedure(scene: Scene) -> None:
    s = scene
    s.plan("p1")
    s.approve("p1")
    s.announce("p1")
    s.bid("p1", 0, "1790000.00")
    s.c.act(s.c.suppliers[0], "FileChallenge", {"date": "2026-04-15", "subject": "documents",
            "grounds": "技术参数有倾向性"}, "p1")
    s.c.act(s.c.agency, "AnswerChallenge", {"challenge": "p1-ZY1", "date": "2026-04-16",
            "outcome": "rejected", "answer": "不成立"}, "p1")
    s.c.act(s.c.suppliers[0], "FileComplaint", {"challenge": "p1-ZY1", "date": "2026-04-17",
            "grounds": "不服答复"}, "p1")
    # Only the finance office handling the complaint suspends (财政部令第94号 第二十八条).
    s.act("suspend", "p1", s.c.finance, "Suspend",
          {"date": "2026-04-17", "reason": "投诉处理期间暂停", "cause": "p1-TS1"})
    s.act("closed", "p1", s.c.agency, "CloseBidBox", {"date": "2026-05-06", "time": "09:30"})
    s.act("opened", "p1", s.c.agency, "OpenBids", {"date": "2026-05-06", "time": "09:30"})
    flag = s.the(K.IRREGULAR_PROCEDURE, "p1")
    assert s.evidence(flag.id) == s.at("p1:opened")


# -- the projection itself ---------------------------------------------------------------------


def _busy_year(s: Scene) -> None:
    prices = ("1790000.00", "1720000.00", "1805000.00")
    s.plan("a1", "inquiry", "1500000.00", "教学用计算机采购项目（第一批）", "2026-04-01")
    s.plan("a2", "inquiry", "1200000.00", "教学用计算机采购项目（第二批）", "2026-04-02")
    s.tender_run("b1", ("1790000.00", "1790000.00"), 0, "1790000.00", invalid=(1,),
                 requirement="须为西门子品牌")
    s.tender_run("b2", prices, 1, "1720000.00", finish=False)
    s.tender_run("b3", prices, 0, "1790000.00", invalid=(1,))
    s.act("challenge", "b3", s.c.suppliers[1], "FileChallenge",
          {"date": "2026-05-11", "subject": "result", "grounds": "不公"})


def test_following_leaf_by_leaf_gives_what_a_rebuild_gives(scene: Scene) -> None:
    s = scene
    _busy_year(s)
    size = s.c.ledger.reader.size()
    stepwise = Follower(s.c.ledger.db, s.projection)
    stepwise.reset()
    while stepwise.catch_up(limit=7) < size:  # small batches, as the runner meets them
        pass
    incremental = stepwise.digest()
    assert s.flags()  # something to compare
    assert stepwise.rebuild() == size
    assert stepwise.digest() == incremental
    kinds = {f.kind for f in s.flags().values()}
    assert {K.SPLITTING, K.DESIGNATED_BRAND, K.IDENTICAL_BID_PRICES, K.LOWEST_BID_DISQUALIFIED,
            K.FEWER_THAN_THREE_BIDDERS, K.LATE_OR_MISSING_NOTICE,
            K.CHALLENGE_UNANSWERED_IN_TIME} <= kinds


def test_filters_and_counts(scene: Scene) -> None:
    _filters_and_counts(scene)


def _filters_and_counts(s: Scene) -> None:
    _busy_year(s)
    everything = s.flags()
    brand = s.flags(kind="designated_brand")
    assert set(brand) == {"designated_brand:b1"}
    assert s.flags(procurement="b3").keys() == {
        f.id for f in everything.values() if f.procurement == "b3"}
    assert s.flags(purchaser="rmyy").keys() == everything.keys()
    assert not s.flags(date_from="2026-06-01", date_to="2026-06-30")
    with s.c.ledger.db.read() as cur:
        counts = q.count_by_kind(cur, q.Filters(), TODAY)
    assert sum(counts.values()) == len(everything)
    for params, parameter in (({"kind": "nonsense"}, "kind"), ({"colour": "red"}, "colour"),
                              ({"date_from": "2026-13-01"}, "date_from"),
                              ({"date_from": "2026-06-01", "date_to": "2026-05-01"}, "date_from"),
                              ({"date_from": "1990-01-01", "date_to": "2200-01-01"}, "date_to"),
                              ({"purchaser": "nobody"}, "purchaser"),
                              ({"severity": "dire"}, "severity"), ({"page": "0"}, "page")):
        with s.c.ledger.db.read() as cur, pytest.raises(BadRequest) as bad:
            q.parse_filters(cur, params)
        assert bad.value.parameter == parameter


# -- PostgreSQL -------------------------------------------------------------------------------


@pytest.mark.postgres
def test_on_postgresql_splitting_and_a_challenge_on_the_clock(pg_scene: Scene) -> None:
    s = pg_scene
    _busy_year(s)
    flags = s.flags()
    (split,) = [f for f in flags.values() if f.kind == K.SPLITTING]
    assert s.evidence(split.id) == s.at("a1:plan", "a2:plan")
    assert "challenge_unanswered_in_time:b3-ZY1" in flags
    assert "challenge_unanswered_in_time:b3-ZY1" not in s.flags(today=date(2026, 5, 20))
    digest = s.follower.digest()
    s.follower.rebuild()
    assert s.follower.digest() == digest


@pytest.mark.postgres
def test_on_postgresql_filters_counts_and_bad_filters(pg_scene: Scene) -> None:
    _filters_and_counts(pg_scene)

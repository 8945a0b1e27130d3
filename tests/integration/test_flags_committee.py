"""The evaluation committee's flags through the real ledger, read from the committee the
result notice discloses: a committee too small or with too few experts (实施条例 第三十九条;
87号令 第四十七条), and an expert who keeps sitting on committees that award the same
supplier. Each with its honest twin."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flag_scene import Scene, make_scene, open_world

from ledger.store.url import DatabaseURL
from projections.flags import FlagKind

K = FlagKind
PRICES = ("1790000.00", "1720000.00", "1805000.00")  # xinda, second in, wins on the lowest


@pytest.fixture
def scene(sqlite_url: DatabaseURL, tmp_path: Path) -> Iterator[Scene]:
    for world in open_world(sqlite_url, tmp_path):
        yield make_scene(world)


def facts(flag: object) -> dict[str, str]:
    return {f["label"]: f["value"] for f in getattr(flag, "details")["facts"]}  # noqa: B009


def test_a_committee_of_four_is_flagged_with_its_members(scene: Scene) -> None:
    s = scene
    s.tender_run("p1", PRICES, 1, "1720000.00", committee={"experts": 3})
    flag = s.the(K.UNDERSIZED_COMMITTEE, "p1")
    assert flag.summary == "评审委员会（小组）4人，少于5人"
    assert flag.severity == "high"
    assert flag.details.items() >= {"members": 4, "experts": 3, "least": 5}.items()
    assert facts(flag) == {
        "法定组成": "5人以上单数，评审专家不少于三分之二", "预算金额": "185.00万元",
        "评审专家": "王建国、李秀英、张伟", "采购人代表": "赵敏",
    }  # fmt: skip
    # The ledger's own finding (committee_size) lands on the same flag, not another.
    assert [f["rule"] for f in flag.details["findings"]] == ["committee_size"]
    assert s.evidence(flag.id) == s.at("p1:evaluated", "p1:result")
    assert K.IRREGULAR_PROCEDURE not in s.kinds("p1")


def test_too_few_experts_and_a_large_tender_under_seven(scene: Scene) -> None:
    s = scene
    # Five members, but two of them the purchaser's: 3 of 5 experts is under two thirds.
    s.tender_run("p1", PRICES, 1, "1720000.00",
                 committee={"experts": 3, "representatives": ("赵敏", "钱進")})  # fmt: skip
    assert s.the(K.UNDERSIZED_COMMITTEE, "p1").summary == (
        "评审委员会（小组）评审专家3人，不足成员总数的三分之二")
    # 1000万元 and more: seven (第四十七条); five lawful members of a smaller tender are not.
    s.tender_run("p2", ("11900000.00", "11800000.00", "11950000.00"), 1, "11800000.00",
                 budget="12000000.00")  # fmt: skip
    flag = s.the(K.UNDERSIZED_COMMITTEE, "p2")
    assert flag.summary == "评审委员会（小组）5人，少于7人"
    assert facts(flag)["法定组成"] == "7人以上单数，评审专家不少于三分之二"


def test_lawful_committees_raise_nothing(scene: Scene) -> None:
    s = scene
    s.tender_run("p1", PRICES, 1, "1720000.00")  # 4 experts and 1 representative
    s.tender_run("p2", ("11900000.00", "11800000.00", "11950000.00"), 1, "11800000.00",
                 budget="12000000.00", committee={"experts": 6})  # fmt: skip
    # A negotiation's group of three, two of them experts (74号令 第七条).
    s.tender_run("p3", PRICES, 1, "1720000.00", method="competitive_negotiation",
                 committee={"experts": 2})  # fmt: skip
    assert not any(K.UNDERSIZED_COMMITTEE in s.kinds(code) for code in ("p1", "p2", "p3"))


def test_the_same_expert_on_three_committees_awarding_one_supplier(scene: Scene) -> None:
    s = scene
    # 张伟 (expert 2) sits on all three; the others rotate, at most twice with xinda.
    for code, pool in (("p1", (0, 1, 2, 3)), ("p2", (4, 5, 2, 0)), ("p3", (1, 2, 6, 4))):
        s.tender_run(code, PRICES, 1, "1720000.00", committee={"pool": pool})
    recurring = [f for f in s.flags().values() if f.kind == K.RECURRING_EXPERT]
    assert [f.summary for f in recurring] == [
        "2026年评审专家张伟参加的3个评审委员会均确定云岭信达信息技术有限公司中标（成交）"]
    (flag,) = recurring
    assert flag.procurement is None and flag.severity == "low"
    assert flag.details["procurements"] == ["p1", "p2", "p3"]
    assert flag.details.items() >= {"expert": "zj2", "supplier": "xinda", "committees": 3}.items()
    assert facts(flag)["项目"] == "p1、p2、p3"
    assert s.evidence(flag.id) == s.at("p1:result", "p2:result", "p3:result")


def test_an_expert_recurring_with_different_winners_or_twice_raises_nothing(
    scene: Scene,
) -> None:
    s = scene
    # The same four experts on three committees, each awarding another supplier.
    for code, winner, prices in (("p1", 1, PRICES), ("p2", 0, ("1700000.00", *PRICES[1:])),
                                 ("p3", 2, (*PRICES[:2], "1690000.00"))):
        s.tender_run(code, prices, winner, prices[winner])
    # Twice with the same winner is not yet a pattern.
    s.tender_run("p4", PRICES, 1, "1720000.00")
    assert [f for f in s.flags().values() if f.kind == K.RECURRING_EXPERT] == []

"""歧视性资格条件 through the real ledger: a tender whose qualifications ask registered capital,
a local branch or a maker's authorisation is flagged with the clause and the article it
breaks; its honest twin, and wording that forbids such terms, raise nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flag_scene import Scene, make_scene, open_world

from demo.catalogue import COMMON_QUALIFICATIONS, QUALIFICATIONS
from ledger.store.url import DatabaseURL
from projections.flags import FlagConfigError, FlagKind, load_flag_config
from projections.flags.qualifications import term_matches

K = FlagKind
UNFAIR = ("投标人注册资本不低于1000万元；须在澄溪县设立分支机构或售后服务网点；"
          "须提供生产厂家针对本项目的授权书。")  # fmt: skip


@pytest.fixture
def scene(sqlite_url: DatabaseURL, tmp_path: Path) -> Iterator[Scene]:
    for world in open_world(sqlite_url, tmp_path):
        yield make_scene(world)


def tender(s: Scene, code: str, qualifications: str, imports: bool = False) -> None:
    s.plan(code)
    s.approve(code)
    payload: dict[str, Any] = {
        "date": "2026-04-10", "requirement": "技术参数见采购文件第三章。",
        "qualifications": qualifications, "contact": "刘洋 0319-8123456",
        "bid_deadline": "2026-05-06", "bid_deadline_time": "09:30",
        "place": "澄溪县公共资源交易中心开标一室",
        "policies": {"sme": "price_deduction", "price_deduction": 10, "imports": imports,
                     "consortium": False},
    }  # fmt: skip
    s.act("tender", code, s.c.agency, "AnnounceTender", payload)


def test_discriminatory_qualifications_are_flagged_with_clause_and_article(scene: Scene) -> None:
    s = scene
    tender(s, "p1", UNFAIR)
    flag = s.the(K.DISCRIMINATORY_QUALIFICATION, "p1")
    assert flag.raised_leaf == s.leaves["p1:tender"]
    assert s.evidence(flag.id) == s.at("p1:tender")
    found = [(m["name"], m["citation"], m["snippet"]) for m in flag.details["matches"]]
    assert found == [
        ("规模条件", "财政部令第87号 第十七条", "投标人注册资本不低于1000万元"),
        ("本地分支机构", "政府采购法实施条例 第二十条", "须在澄溪县设立分支机构或售后服务网点"),
        ("生产厂家授权", "财政部令第87号 第十七条", "须提供生产厂家针对本项目的授权书"),
    ]
    assert flag.summary == "采购公告资格要求含规模条件条件：“投标人注册资本不低于1000万元”"
    # A correction adding a local-registration term is more evidence on the same flag.
    s.act("correction", "p1", s.c.agency, "CorrectAnnouncement",
          {"date": "2026-04-13", "changes": "资格要求增加：投标人须为本县注册企业。"})
    assert s.evidence(flag.id) == s.at("p1:tender", "p1:correction")
    assert flag.severity == "high"


def test_the_honest_twin_raises_nothing(scene: Scene) -> None:
    s = scene
    honest = QUALIFICATIONS["medical"] + COMMON_QUALIFICATIONS
    tender(s, "p1", honest + "不得将注册资本、资产总额、营业收入等规模条件作为资格要求。")
    assert K.DISCRIMINATORY_QUALIFICATION not in s.kinds("p1")


def test_a_makers_authorisation_is_lawful_for_imported_goods(scene: Scene) -> None:
    s = scene
    tender(s, "p1", "须提供生产厂家针对本项目的授权书。", imports=True)
    assert K.DISCRIMINATORY_QUALIFICATION not in s.kinds("p1")
    # The same wording where imports are not admitted is a flag (87号令 第十七条).
    tender(s, "p2", "须提供生产厂家针对本项目的授权书。", imports=False)
    assert K.DISCRIMINATORY_QUALIFICATION in s.kinds("p2")


@pytest.mark.parametrize(("text", "name"), [
    ("投标人注册资金须达到500万元以上", "规模条件"),
    ("近三年年均营业收入不少于2000万元", "规模条件"),
    ("从业人员50人以上", "规模条件"),
    ("投标人须为本市注册的企业", "本地注册"),
    ("须在本县设有售后服务机构", "本地分支机构"),
    ("须在澄溪县设立办事处", "本地分支机构"),
    ("近三年具有本省同类项目业绩", "特定区域或行业业绩、奖项"),
    ("须提供原厂授权书", "生产厂家授权"),
])
def test_wording_that_shuts_suppliers_out(text: str, name: str) -> None:
    assert [m.name for m in term_matches(text, load_flag_config())] == [name]


@pytest.mark.parametrize("text", [
    *QUALIFICATIONS.values(),
    COMMON_QUALIFICATIONS,
    "不得将注册资本作为资格条件",
    "不以本地注册作为资格要求，不要求设立分支机构",
    "中标后须在合同签订后30日内提供本地化售后服务方案",
    "具有独立承担民事责任的能力",
    "在全国范围内提供售后服务",
])
def test_neutral_wording_is_no_match(text: str) -> None:
    assert term_matches(text, load_flag_config()) == []


def test_a_pattern_that_is_no_regular_expression_is_refused_with_its_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "flags.toml"
    path.write_text(
        '[[discriminatory_qualification.patterns]]\nname = "规模条件"\ncitation = "第十七条"\n'
        "pattern = '注册资本('\n",
        encoding="utf-8",
    )
    with pytest.raises(FlagConfigError) as caught:
        load_flag_config(path)
    said = str(caught.value).removeprefix(f"{path}:")
    where = "4: [discriminatory_qualification] patterns[0].pattern"
    assert said == f"{where}: a regular expression (Python re)"

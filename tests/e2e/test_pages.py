"""The public pages over real HTTP, on SQLite and PostgreSQL: a county's procurements built
once per module, then served by `sunshine serve` and read as a citizen would.

Each notice type shows the fields of its standard structure; the list filters, searches
Chinese text and pages; the procurement page tells the whole public story; bad input gets a
Chinese page with a 4xx status, never a 500; what users wrote is escaped."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from conftest import (
    PG_URL,
    eventually,
    hospital_world,
    make_config,
    require_postgres,
    start_server,
)
from procurement_world import PLAN, County

from ledger.application import Ledger
from ledger.domain.sealed import Disclosure
from ledger.store.url import DatabaseURL, parse_database_url
from projections.web.shown import FORMATS, lookup

XSS_TITLE = '<script>alert("x")</script> 办公桌椅 & 书柜采购'
XSS_ITEM = "<img src=y onerror=alert(2)>办公设备购置"
FILLERS = 10  # open tenders besides p1–p3, two notices each
# p1 to acceptance, p2 tender and failure, p3 intention, w1 to its candidates' 公示
NOTICES = 6 + 2 + 1 + 3 + 2 * FILLERS


@dataclass
class Site:
    """A served ledger and the leaf indices of the notices the tests look at."""

    url: str
    notices: dict[str, int] = field(default_factory=dict)
    total: int = 0

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return httpx.get(self.url + path, timeout=30, **kw)


def build(url: DatabaseURL, data_dir: Path) -> tuple[dict[str, int], int]:
    """Record the county's year; the notices of interest by name and the number of notices."""
    ledger = Ledger(make_config(url, data_dir, inline_integration=True))
    notices: dict[str, int] = {}
    try:
        world = hospital_world(ledger)
        c = County(world)
        world.submit(world.admin, "RegisterOrganisation", {
            "code": "nhq-wjw", "name": "南湖区卫生健康委员会", "kind": "purchaser",
            "region": "南湖区"})  # fmt: skip
        south = world.add("nhq-wjw", "purchaser", "nhq-op")

        def leaf(receipt: Any) -> int:
            return int(receipt.events[0]["leaf_index"])

        # p1: an open tender from intention to acceptance, corrected, challenged, complained of.
        c.to_announced("p1", funding_source="general_budget",
                       budget_item={"code": "2026-RMYY-01", "name": "医疗设备购置"})
        notices["intention"] = ledger.reader.size() - 2
        notices["tender"] = ledger.reader.size() - 1  # the last two steps announce
        notices["correction"] = leaf(c.act(c.agency, "CorrectAnnouncement", {
            "date": "2026-04-13", "changes": "投标截止时间顺延。\n开标地点不变。",
            "bid_deadline": "2026-05-11", "bid_deadline_time": "09:30"}))  # fmt: skip
        for supplier, price in zip(
            c.suppliers, ("1790000.00", "1720000.00", "1805000.00"), strict=True
        ):
            c.bid(supplier, price)
        c.world.close_and_open(c.agency, "2026-05-11")
        committee: dict[str, Disclosure] = {}
        results = [{"supplier": s.organisation, "valid": True, "score": f"{90 - n}.50",
                    "rank": n + 1} for n, s in enumerate(c.suppliers)]  # fmt: skip
        evaluation = c.world.evaluation("p1", "2026-05-11", results, committee)
        c.act(c.agency, "CompleteEvaluation", evaluation, sealed=committee)
        c.act(
            c.purchaser,
            "DecideAward",
            {"date": "2026-05-12", "supplier": "kangtai", "amount": "1790000.00"},
        )
        notices["result"] = leaf(c.act(c.agency, "AnnounceResult", {"date": "2026-05-13"}))
        c.act(
            c.suppliers[1],
            "FileChallenge",
            {
                "date": "2026-05-14",
                "subject": "result",
                "grounds": "评分不公",
            },
        )
        c.act(
            c.agency,
            "AnswerChallenge",
            {
                "challenge": "p1-ZY1",
                "date": "2026-05-15",
                "outcome": "rejected",
                "answer": "评分符合采购文件",
            },
        )
        c.act(
            c.suppliers[1],
            "FileComplaint",
            {"challenge": "p1-ZY1", "date": "2026-05-18", "grounds": "不服答复"},
        )
        c.act(
            c.finance,
            "DecideComplaint",
            {
                "complaint": "p1-TS1",
                "date": "2026-05-25",
                "outcome": "rejected",
                "decision": "投诉缺乏事实依据，予以驳回。",
            },
        )
        c.act(
            c.purchaser,
            "SignContract",
            {"date": "2026-05-26", "amount": "1790000.00", "contract_number": "QH-2026-HT-017"},
        )
        notices["contract"] = leaf(c.act(c.agency, "AnnounceContract", {"date": "2026-05-27"}))
        notices["acceptance"] = leaf(c.act(c.purchaser, "RecordAcceptance", {
            "date": "2026-07-01", "passed": True,
            "report": "设备运行正常，验收合格。",
            "testing_body": {"name": "澄州市医疗器械检验所",
                             "report_number": "YJ-2026-0317"}}))  # fmt: skip

        # p2: markup in the title, announced by another purchaser, then failed.
        jyj = c.other_purchaser
        c.act(jyj, "FilePlan", PLAN | {"title": XSS_TITLE, "agency": None,
                                       "budget": "80000.00", "funding_source": "other",
                                       "budget_item": {"code": "JYJ-9", "name": XSS_ITEM}},
              "p2")  # fmt: skip
        c.act(c.finance, "ApprovePlan", {"date": "2026-03-03"}, "p2")
        c.act(c.finance, "ApproveMethod", {"date": "2026-03-03"}, "p2")
        notices["xss"] = leaf(c.act(jyj, "AnnounceTender", {
            "date": "2026-04-01", "requirement": "<img src=x onerror=alert(1)> 桌椅 50 套",
            "qualifications": "无", "contact": "李老师",
            "bid_deadline": "2026-04-25", "bid_deadline_time": "09:30",
            "place": "教育局"}, "p2"))  # fmt: skip
        notices["failure"] = leaf(c.act(jyj, "DeclareFailure", {
            "date": "2026-04-26", "reason": "递交投标文件的供应商不足三家。"}, "p2"))  # fmt: skip

        # p3: a service in another region, by its own purchaser.
        c.act(
            south,
            "FilePlan",
            PLAN
            | {"title": "南湖区卫生监督信息系统运维服务", "category": "services", "agency": None},
            "p3",
        )
        c.act(c.finance, "ApprovePlan", {"date": "2026-03-03"}, "p3")
        c.act(c.finance, "ApproveMethod", {"date": "2026-03-03"}, "p3")
        notices["south"] = leaf(
            c.act(
                south,
                "DiscloseIntention",
                {"date": "2026-03-05", "expected_start": "2026-04-10"},
                "p3",
            )
        )

        # w1: a works tender under 招标投标法, its 行政监督部门 on the notice, its candidates
        # published (中标候选人公示).
        c.world.add("qhx-zjj", "supervision_department", "zjj-op", "澄溪县住房和城乡建设局")
        works = {"supervisor": "qhx-zjj"}
        c.to_announced("w1", works, title="澄溪县人民医院门诊楼改扩建工程", category="works")
        notices["works_tender"] = ledger.reader.size() - 1
        for supplier, price in zip(
            c.suppliers, ("1790000.00", "1720000.00", "1805000.00"), strict=True
        ):
            c.bid(supplier, price, procurement="w1")
        c.world.close_and_open(c.agency, "2026-05-06", "w1")
        committee = {}
        evaluation = c.world.evaluation("w1", "2026-05-06", results, committee)
        c.act(c.agency, "CompleteEvaluation", evaluation, "w1", sealed=committee)
        notices["candidates"] = leaf(c.act(c.agency, "PublishCandidates", {
            "date": "2026-05-07", "period_end": "2026-05-11"}, "w1"))  # fmt: skip

        for n in range(FILLERS):
            c.to_announced(
                f"f{n}",
                works if n % 2 else None,
                title=f"澄溪县第{n + 1}中学教学设备采购项目",
                category=("goods", "works")[n % 2],
            )
        notices["last"] = ledger.reader.size() - 1
        return notices, NOTICES
    finally:
        ledger.close()


def served(url: DatabaseURL, data_dir: Path) -> Iterator[Site]:
    """Build the county, serve it, and wait until the projection shows its last notice."""
    notices, total = build(url, data_dir)
    server = start_server(url, data_dir)
    try:
        site = Site(server.url, notices, total)
        last = f"/announcements/{notices['last']}"
        eventually(lambda: site.get(last).status_code == 200, server.process, every=0.2)
        yield site
    finally:
        server.stop()


def backend(request: pytest.FixtureRequest, tmp: Path) -> Iterator[DatabaseURL]:
    """A module-scoped database of either kind (conftest's are per test)."""
    if request.param == "sqlite":
        yield parse_database_url(f"sqlite:///{tmp / 'ledger.db'}")
        return
    require_postgres()
    admin = parse_database_url(PG_URL)
    name = "sunshine_test_" + secrets.token_hex(6)
    with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.with_database(name)
    finally:
        with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("pages")
    for url in backend(request, tmp):
        yield from served(url, tmp)


def text_of(page: str) -> str:
    """The page's text without tags, for checking what a reader sees (spans are inline)."""
    inline = re.sub(r"</?span[^>]*>", "", page)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", inline)))


def leaf_fields(page: str) -> list[tuple[str, str, str]]:
    """Every data-leaf element's path, format and text (but lists: their items hold markup)."""
    found = re.findall(r'data-leaf="([a-z_.]+)" data-format="([a-z]+)"[^>]*>([^<]*)<', page)
    return [(path, format, unescape(text)) for path, format, text in found if format != "list"]


def organisations_shown(page: str) -> dict[str, tuple[str, str]]:
    """Every organisation a notice names: its path in the entry, its code and the name shown."""
    found = re.findall(
        r'data-leaf-organisation="([a-z_.0-9]+)" data-organisation="([^"]+)"[^>]*>'
        r'(?:<a href="/organisations/[^"]+">)?([^<]*)<', page)  # fmt: skip
    return {path: (code, unescape(name)) for path, code, name in found}


def leaf_data(site: Site, index: int) -> dict[str, Any]:
    data: dict[str, Any] = site.get(f"/log/entries/{index}").json()["data"]
    return data


@pytest.mark.parametrize(
    ("notice", "fields"),
    [
        ("tender", ["采购公告", "项目编号", "预算金额", "¥1,850,000.00", "185.00万元", "采购需求",
                    "技术参数见采购文件第三章。", "供应商资格要求", "获取采购文件时间",
                    "2026年4月10日至2026年5月6日", "投标截止时间", "开标时间", "开标地点",
                    "联系方式", "刘洋 0319-8123456", "澄溪县公共资源交易中心", "公开招标", "货物",
                    "本公告已于2026年4月13日更正"]),
        ("correction", ["更正公告", "原公告", "更正事项", "投标截止时间顺延。", "更正日期",
                        "2026年4月13日", "更正后投标截止时间", "2026年5月11日"]),
        ("result", ["中标（成交）结果公告", "中标（成交）供应商", "云岭康泰医疗器械有限公司",
                    "中标（成交）金额", "¥1,790,000.00", "179.00万元", "评审专家名单", "王建国",
                    "李秀英", "张伟"]),
        ("contract", ["合同公告", "合同编号", "QH-2026-HT-017", "合同签订日期", "2026年5月26日",
                      "合同金额", "¥1,790,000.00"]),
        ("acceptance", ["验收结果公告", "验收结论", "合格", "验收报告",
                        "设备运行正常，验收合格。", "检测机构", "澄州市医疗器械检验所",
                        "检测报告编号", "YJ-2026-0317"]),
        ("works_tender", ["采购公告", "工程", "行政监督部门", "澄溪县住房和城乡建设局",
                          "招标投标法"]),
        ("candidates", ["中标候选人公示", "中标候选人", "云岭康泰医疗器械有限公司",
                        "云岭信达信息技术有限公司", "公示期至", "2026年5月11日",
                        "招标投标法实施条例 第五十四条"]),
        ("failure", ["废标公告", "废标理由", "递交投标文件的供应商不足三家。", "澄溪县教育局"]),
        ("south", ["采购意向公开", "预计采购时间", "2026年4月10日", "南湖区", "服务"]),
    ],
)  # fmt: skip
def test_each_notice_shows_the_fields_of_its_type(
    site: Site, notice: str, fields: list[str]
) -> None:
    index = site.notices[notice]
    response = site.get(f"/announcements/{index}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    shown = text_of(response.text)
    for expected in fields:
        assert expected in shown, (notice, expected)
    # The verify panel sees this leaf, and every data-leaf text is the leaf's own value as
    # its format writes it.
    assert f'data-verify="index">{index}<' in response.text
    data = leaf_data(site, index)
    fields_shown = leaf_fields(response.text)
    paths = {path for path, _, _ in fields_shown}
    assert {"title", "procurement", "region", "budget", "date"} <= paths
    for path, format, text in fields_shown:
        assert text == FORMATS[format](lookup(data, path)), path
    # Organisations are shown by name and marked with the code the entry records.
    named = organisations_shown(response.text)
    assert "purchaser" in named
    for path, (code, name) in named.items():
        assert code == lookup(data, path) and name and code not in name, path
    assert 'href="/procurements/' in response.text


def test_the_committee_appears_only_once_disclosed(site: Site) -> None:
    for notice in ("tender", "correction", "contract"):
        assert "王建国" not in site.get(f"/announcements/{site.notices[notice]}").text
    result = site.get(f"/announcements/{site.notices['result']}").text
    assert "评审专家名单" in result and "王建国" in result
    # Before disclosure the leaf holds a commitment; it is never shown as if it were a value.
    procurement = site.get("/procurements/p1").text
    for index in range(site.notices["correction"], site.notices["result"]):
        committee = leaf_data(site, index).get("committee")
        if isinstance(committee, dict) and "value" not in committee:
            assert committee["commitment"] not in procurement
            break
    else:
        pytest.fail("no sealed committee found before the result")


def test_the_procurement_page_tells_its_public_story(site: Site) -> None:
    response = site.get("/procurements/p1")
    assert response.status_code == 200
    shown = text_of(response.text)
    steps = ["采购计划备案", "批复采购计划", "批准采购方式", "公开采购意向", "发布采购公告",
             "发布更正公告", "投标截止，投标箱封存", "开标", "完成评审", "确定中标（成交）供应商",
             "发布结果公告", "提出质疑", "质疑答复", "提起投诉", "投诉处理决定", "签订合同",
             "发布合同公告", "履约验收"]  # fmt: skip
    timeline = shown[shown.index("采购过程") :]
    positions = [timeline.index(f" {step} ") for step in steps]
    assert positions == sorted(positions), "the timeline is in log order"
    for fact in (
        "¥1,720,000.00",
        "¥1,805,000.00",
        "不成立",
        "投诉缺乏事实依据，予以驳回。",
        "投标截止时间顺延。",
        "已履约验收",
        "检测机构：澄州市医疗器械检验所（检测报告 YJ-2026-0317）",
        "评审专家：王建国、李秀英、张伟、刘芳", "采购人代表：赵敏",
    ):
        assert fact in shown, fact
    assert "评分不公" not in shown  # a challenge shows its outcome, not the supplier's text
    assert "一家供应商" not in shown  # no bid of the sealed box has a line of its own
    for notice in ("tender", "correction", "result", "contract", "acceptance"):
        assert f'href="/announcements/{site.notices[notice]}"' in response.text
    failed = text_of(site.get("/procurements/p2").text)
    assert "已废标" in failed and "废标" in failed
    # The bid box: taking bids, sealed or opened, and the deadline; never who or how many.
    assert "投标箱 已开标" in shown and "投标截止时间" in shown
    assert "投标箱 未开标" in failed
    # The plan names its 资金来源 and 预算项目; a plan naming neither says so.
    assert "资金来源 一般公共预算资金" in shown
    assert "预算项目 医疗设备购置（预算项目编码 2026-RMYY-01）" in shown
    south = text_of(site.get("/procurements/p3").text)
    assert "资金来源 未载明" in south and "预算项目 未载明" in south
    due = text_of(site.get("/procurements/f0").text)  # its deadline is past, no closing yet
    assert "投标箱 投标已截止，待封存开标" in due
    assert "投标截止时间 2026年5月6日" in due


def test_a_works_tender_page_names_its_supervisor_and_its_candidates(site: Site) -> None:
    shown = text_of(site.get("/procurements/w1").text)
    timeline = shown[shown.index("采购过程") :]
    for fact in ("行政监督部门：澄溪县住房和城乡建设局", "公示中标候选人",
                 "1. 云岭康泰医疗器械有限公司", "2. 云岭信达信息技术有限公司",
                 "公示期至：2026年5月11日"):  # fmt: skip
        assert fact in timeline, fact


def test_the_home_page_shows_the_latest_notices_by_type(site: Site) -> None:
    response = site.get("/")
    assert response.status_code == 200
    shown = text_of(response.text)
    for label in ("采购意向公开", "采购公告", "中标（成交）结果公告", "合同公告", "废标公告"):
        assert label in shown
    assert f'href="/announcements/{site.notices["result"]}"' in response.text
    assert 'href="/announcements?type=tender"' in response.text
    assert '<html lang="zh-CN">' in response.text and 'name="viewport"' in response.text


def listed(site: Site, **params: str) -> tuple[int, list[int], str]:
    """Status, the notices listed (leaf indices) and the page's HTML."""
    response = site.get("/announcements", params=params)
    found = [int(i) for i in re.findall(r'<a href="/announcements/(\d+)">', response.text)]
    return response.status_code, found, response.text


def test_the_list_filters_searches_and_pages(site: Site) -> None:
    n = site.notices
    status, first, body = listed(site)
    assert status == 200 and len(first) == 20 and f"共 {site.total} 条公告" in body
    status, second, body = listed(site, page="2")
    assert status == 200 and len(second) == site.total - 20 and not set(first) & set(second)
    assert 'rel="prev"' in body and 'rel="next"' not in body
    assert listed(site, page="3")[0] == 404

    assert listed(site, type="failure")[1] == [n["failure"]]
    assert listed(site, type="result")[1] == [n["result"]]
    assert listed(site, category="services")[1] == [n["south"]]
    assert listed(site, region="南湖区")[1] == [n["south"]]
    assert set(listed(site, purchaser="jyj")[1]) == {n["xss"], n["failure"]}
    assert set(listed(site, method="open_tender")[1]) >= {n["tender"], n["xss"]}
    assert listed(site, method="single_source")[1] == []
    assert listed(site, date_from="2026-05-13", date_to="2026-05-27")[1] == [
        n["contract"], n["result"]]  # fmt: skip
    assert listed(site, date_from="2026-07-01")[1] == [n["acceptance"]]
    # Chinese search: two characters and more (character pairs), in any text.
    assert set(listed(site, q="桌椅")[1]) == {n["xss"], n["failure"]}
    assert len(listed(site, q="超声诊断仪")[1]) == 6
    assert set(listed(site, q="医疗器械经营许可证")[1]) >= {n["tender"]}
    assert listed(site, q="顺延", type="correction")[1] == [n["correction"]]
    assert listed(site, q="没有这样的项目")[1] == []
    # Filters survive paging, and the feed link keeps the fixed-choice filters.
    _, _, body = listed(site, type="tender")
    assert 'href="/feeds/announcements.atom?type=tender"' in body
    _, _, body = listed(site, method="open_tender")
    assert 'href="/announcements?method=open_tender&amp;page=2" rel="next"' in body


BAD_REQUESTS = [
    ("/announcements?type=xyz", 400, "公告类型"),
    ("/announcements?category=food", 400, "采购项目类别"),
    ("/announcements?method=auction", 400, "采购方式"),
    ("/announcements?purchaser=nobody", 400, "采购人"),
    ("/announcements?region=%E7%81%AB%E6%98%9F", 400, "行政区域"),
    ("/announcements?page=-1", 400, "页码"),
    ("/announcements?page=" + "1" + "0" * 30, 400, "页码"),
    ("/announcements?page=abc", 400, "页码"),
    ("/announcements?page=99", 404, "没有第99页"),
    ("/announcements?date_from=2026-05-01&date_to=2026-04-01", 400, "起始日期晚于截止日期"),
    ("/announcements?date_from=2026-02-30", 400, "起始日期"),
    ("/announcements?q=%00", 400, "关键词"),
    ("/announcements?q=" + "长" * 101, 400, "关键词"),
    ("/announcements/999999", 404, "没有编号为"),
    ("/announcements/abc", 404, "没有编号为"),
    ("/announcements/" + "9" * 40, 404, "没有编号为"),
    ("/procurements/nope", 404, "没有项目编号为"),
    ("/procurements/%00", 404, "没有项目编号为"),
    ("/procurements/" + "x" * 300, 404, "没有项目编号为"),
]


@pytest.mark.parametrize(("path", "status", "message"), BAD_REQUESTS)
def test_bad_input_gets_a_chinese_page_with_a_4xx(
    site: Site, path: str, status: int, message: str
) -> None:
    response = site.get(path)
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    assert message in response.text and 'lang="zh-CN"' in response.text
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "q",
    ['" * ( ) AND OR NEAR \' ; -- %', "'", "*", "NEAR(超声 诊断)", "超声 OR 桌椅", "a_b",
     "%%", "\\", "-- DROP TABLE pub_announcements;", "桌椅\"", "^超声", "超声*", "{}[]:"],
)  # fmt: skip
def test_search_syntax_is_plain_text(site: Site, q: str) -> None:
    status, found, body = listed(site, q=q)
    assert status == 200 and found == []
    assert "共 0 条公告" in body


def test_search_characters_match_literally(site: Site) -> None:
    # The only quotes and ampersands are in p2's title: quoted FTS strings and escaped
    # LIKE patterns find them as text.
    expected = {site.notices["xss"], site.notices["failure"]}
    for q in ('"', '"x"', "&", '("x")', "</script>"):
        assert set(listed(site, q=q)[1]) == expected, q


def test_what_users_wrote_is_escaped(site: Site) -> None:
    for path in (
        f"/announcements/{site.notices['xss']}",
        "/announcements?purchaser=jyj",
        "/",
        "/procurements/p2",
        f"/announcements/{site.notices['failure']}",
    ):
        body = site.get(path).text
        assert "&lt;script&gt;alert(" in body, path
        assert "<script>alert" not in body and "<img src=x" not in body, path
    plan = site.get("/procurements/p2").text
    assert "&lt;img src=y onerror=alert(2)&gt;办公设备购置" in plan and "<img src=y" not in plan
    tender = site.get(f"/announcements/{site.notices['xss']}").text
    assert "&lt;img src=x onerror=alert(1)&gt; 桌椅 50 套" in tender
    # What a search query echoes back is escaped too.
    body = listed(site, q="<b>粗体</b>")[2]
    assert "&lt;b&gt;粗体&lt;/b&gt;" in body and "<b>粗体" not in body


def test_pages_carry_an_etag_and_revalidate_to_304(site: Site) -> None:
    for path in (
        "/",
        "/announcements?type=tender",
        f"/announcements/{site.notices['result']}",
        "/procurements/p1",
    ):
        first = site.get(path)
        assert first.status_code == 200 and first.headers["cache-control"].startswith("public")
        etag = first.headers["etag"]
        again = site.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
        assert site.get(path, headers={"If-None-Match": f'W/{etag}, "other"'}).status_code == 304
        assert site.get(path, headers={"If-None-Match": '"stale"'}).status_code == 200


def test_the_list_form_is_labelled_for_keyboard_and_screen_readers(site: Site) -> None:
    body = listed(site)[2]
    form = body[body.index('<form class="filters"') : body.index("</form>")]
    controls = re.findall(r"<(?:input|select)\b[^>]*name=\"(\w+)\"", form)
    assert set(controls) == {"q", "type", "category", "method", "purchaser", "region",
                             "date_from", "date_to"}  # fmt: skip
    # Each control sits inside its <label>: one label per control, text first.
    assert form.count("<label>") == len(controls)
    assert 'class="skip" href="#main"' in body and 'id="main"' in body
    assert 'tabindex="-1"' not in body

"""Each notice type carries the fields the law lists for it, in the standard structure of
财办库〔2020〕50号: for every type, a notice of the demo year is fetched from `sunshine serve`,
and each statutory field is found under its heading on the page and, where the notice's own
log entry states it, in the entry's JSON (``/log/entries/{n}``). Fields the page takes from
the registry (an address, a supplier's 中小企业 declaration) have no path in the entry."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from conftest import TLS, DemoLedger, copy_demo, eventually, make_config, start_server

from ledger.application import Ledger

#: Per notice type: (the page's heading or label, the entry's path or None, the source).
STATUTORY: dict[str, list[tuple[str, str | None]]] = {
    # 采购意向 (财库〔2020〕10号)
    "intention": [
        ("项目名称", "title"), ("采购需求概况", "summary"), ("预算金额", "budget"),
        ("预计采购时间", "expected_start"),
    ],
    # 招标公告 (财政部令第87号 第十三条)
    "tender": [
        ("采购人", "purchaser"), ("采购人地址", None), ("采购人联系电话", None),
        ("采购代理机构", "agency"), ("采购代理机构地址", None), ("项目编号", "procurement"),
        ("项目名称", "title"), ("预算金额", "budget"), ("最高限价", "ceiling_price"),
        ("采购需求", "requirement"), ("供应商资格要求", "qualifications"),
        ("中小企业政策", "policies.sme"), ("是否接受进口产品", "policies.imports"),
        ("是否接受联合体投标", "policies.consortium"),
        ("获取采购文件时间", "documents_until"), ("获取采购文件地点", "obtaining.place"),
        ("获取采购文件方式", "obtaining.method"), ("采购文件售价", "obtaining.price"),
        ("公告期限", "period_end"), ("投标截止时间", "bid_deadline"),
        ("开标时间", "bid_deadline_time"), ("开标地点", "place"), ("联系方式", "contact"),
    ],
    # 资格预审公告 (财政部令第87号 第十四条; 招标投标法实施条例 第十五条)
    "prequalification": [
        ("项目编号", "procurement"), ("项目名称", "title"), ("预算金额", "budget"),
        ("采购需求", "requirement"), ("供应商资格要求", "qualifications"),
        ("公告期限", "period_end"), ("提交资格申请文件截止时间", "application_deadline"),
        ("获取资格预审文件地点", "obtaining.place"), ("获取资格预审文件方式", "obtaining.method"),
        ("资格预审文件售价", "obtaining.price"), ("采购人", "purchaser"), ("联系方式", "contact"),
    ],
    # 更正公告 (财政部令第87号 第二十七条)
    "correction": [
        ("原公告", None), ("更正日期", "date"), ("更正事项", "changes"),
        ("是否可能影响投标（响应）文件编制", "affects_preparation"),
        ("更正后投标截止时间", "bid_deadline"), ("更正后开标时间", "bid_deadline"),
    ],
    # 单一来源公示 (实施条例 第三十八条; 财政部令第74号 第三十八条)
    "single_source": [
        ("拟定供应商", "supplier"), ("拟定供应商地址", None),
        ("采用单一来源方式的理由", "reason"), ("专业人员论证意见", "experts"),
        ("公示期限", "period_end"), ("采购人", "purchaser"), ("联系方式", "contact"),
        ("财政部门", None),
    ],
    # 中标候选人公示 (招标投标法实施条例 第五十四条): the candidates in order, the 公示期
    "candidates": [
        ("项目编号", "procurement"), ("项目名称", "title"), ("中标候选人", "candidates"),
        ("公示期至", "period_end"), ("采购人", "purchaser"),
    ],
    # 中标（成交）结果公告 (财政部令第87号 第六十九条)
    "result": [
        ("采购人", "purchaser"), ("采购人地址", None), ("采购代理机构地址", None),
        ("项目编号", "procurement"), ("项目名称", "title"),
        ("中标（成交）供应商", "supplier"), ("供应商地址", None),
        ("主要标的信息", "items"), ("中标（成交）金额", "amount"),
        ("评审专家名单", "committee"), ("公告期限", None), ("代理服务费", "agency_fee"),
        ("中小企业声明", None),
    ],
    # 合同公告 (实施条例 第五十条)
    "contract": [
        ("合同编号", "contract_number"), ("合同签订日期", "signed_on"),
        ("供应商", "supplier"), ("供应商地址", None), ("合同金额", "amount"),
        ("主要标的信息", "items"), ("履约地点", "place"), ("履约期限", "term"),
    ],
    # 补充合同公告 (政府采购法 第四十九条; published as a contract is, 实施条例 第五十条)
    "supplement": [
        ("补充合同编号", "contract_number"), ("原合同编号", None),
        ("补充合同签订日期", "date"), ("供应商", "supplier"), ("供应商地址", None),
        ("追加内容", "content"), ("补充合同金额", "amount"), ("补充合同累计金额", "total"),
    ],
}  # fmt: skip


@dataclass
class Served:
    url: str
    notices: dict[str, int]  # type → a notice whose entry states every field listed


def lookup(data: Any, path: str) -> Any:
    for key in path.split("."):
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _complete(demo: DemoLedger) -> dict[str, int]:
    """For each type listed, the first notice whose entry states every path listed for it."""
    ledger = Ledger(make_config(demo.url, demo.data))
    try:
        found: dict[str, int] = {}
        start, size = 0, ledger.reader.size()
        while start < size:
            batch = ledger.reader.entries(start, 1000)
            for offset, leaf in enumerate(batch):
                data = json.loads(leaf)["data"]
                kind = data.get("announcement") if isinstance(data, dict) else None
                if data.get("admitted"):
                    continue  # a framework agreement's first stage: its own notice shape
                if kind in STATUTORY and kind not in found and all(
                    lookup(data, path) not in (None, "", [])
                    for _, path in STATUTORY[kind] if path
                ):  # fmt: skip
                    found[kind] = start + offset
            start += len(batch)
        return found
    finally:
        ledger.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, demo_template: DemoLedger) -> Iterator[Served]:
    copy = copy_demo(demo_template, tmp_path_factory.mktemp("statutory"))
    notices = _complete(copy)
    server = start_server(copy.url, copy.data)
    try:
        last = max(notices.values())
        eventually(  # the projector follows the log a moment after the server starts
            lambda: httpx.get(f"{server.url}/announcements/{last}", verify=TLS).status_code == 200,
            server.process,
        )
        yield Served(server.url, notices)
    finally:
        server.stop()


def test_the_demo_has_a_notice_of_each_type_stating_every_field(served: Served) -> None:
    assert set(served.notices) == set(STATUTORY)


@pytest.mark.parametrize("kind", list(STATUTORY))
def test_each_statutory_field_is_on_the_page_and_in_the_json(served: Served, kind: str) -> None:
    index = served.notices[kind]
    page = httpx.get(f"{served.url}/announcements/{index}", verify=TLS, timeout=30,
                     headers={"accept": "text/html"})  # fmt: skip
    assert page.status_code == 200
    leaf = httpx.get(f"{served.url}/log/entries/{index}", verify=TLS, timeout=30).json()
    main = page.text[page.text.index("<main") : page.text.index("</main>")]
    for label, path in STATUTORY[kind]:
        # under its own heading or term, followed by a value that is not empty
        shown = re.search(rf"<(dt|h2)[^>]*>{re.escape(label)}</\1>\s*<(dd|div|p|ul|ol|table)"
                          rf"[^>]*>\s*(?!</)", main)  # fmt: skip
        assert shown is not None, f"{kind}: {label} is not on the page"
        if path is not None:
            value = lookup(leaf["data"], path)
            assert value not in (None, "", []), f"{kind}: {path} is not in the entry"
            if path in ("budget", "amount", "ceiling_price", "agency_fee"):
                assert f'data-leaf="{path}"' in main  # the 验证 button compares it


#: 投诉处理决定公告 (财政部令第94号 第三十七条): each decision on /complaints states these.
COMPLAINT_DECISION = ("文号", "投诉人", "被投诉人", "投诉事项", "处理结论", "处理决定", "处理依据",
                      "执法机关", "公告日期")  # fmt: skip


def test_each_complaint_decision_is_published_with_what_the_law_lists(served: Served) -> None:
    page = httpx.get(f"{served.url}/complaints", verify=TLS, timeout=30,
                     headers={"accept": "text/html"})  # fmt: skip
    assert page.status_code == 200
    decisions = page.text.split("<article")[1:]
    total = re.search(r"共(\d+)件", page.text)
    assert total is not None and len(decisions) == int(total.group(1))
    # a complaint not accepted 不予受理 at screening is told in writing, not decided: no 文号
    decisions = [d for d in decisions if "不予受理" not in d.split("</h2>")[0]]
    assert decisions
    for decision in decisions:
        for label in COMPLAINT_DECISION:
            assert re.search(rf"<dt>{label}</dt><dd[^>]*>\s*[^<\s]", decision), (label, decision)
    # each 文号 once, and the body that decided named: the finance office or, for a works
    # tender, its 行政监督部门
    numbers = re.findall(r"<dt>文号</dt><dd>([^<]+)</dd>", page.text)
    assert len(set(numbers)) == len(decisions)
    authorities = set(re.findall(r"<dt>执法机关</dt><dd>([^<]+)</dd>", page.text))
    assert authorities <= {"澄溪县财政局政府采购监督管理办公室",
                           "澄溪县住房和城乡建设局（建设工程招标投标监督）"}  # fmt: skip
    assert "澄溪县住房和城乡建设局（建设工程招标投标监督）" in authorities  # a works tender's

"""Statistics for inspectors over `sunshine serve`, on the demo year of 澄溪县: the page, the
printable summary, CSV, Excel and SVG charts, each stating its checkpoint, with figures equal
to the sums taken straight from the log's leaves; filters narrow them; bad filters answer a
clear 400 without any figure; a supplier gets 403 and the public 401."""

from __future__ import annotations

import csv
import html
import io
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from conftest import (
    Actor,
    DemoLedger,
    Server,
    copy_demo,
    eventually,
    make_config,
    start_server,
)
from openpyxl import load_workbook
from supervision_client import session, sign_in

from demo.builder import demo_key
from ledger.application import Ledger
from ledger.domain.money import Money
from projections.supervision.auth import Sessions
from projections.supervision.statistics_export import HEADER, STAMP_CELLS

ROUTES = (
    "/supervision/statistics",
    "/supervision/statistics/summary",
    "/supervision/statistics.csv",
    "/supervision/statistics.xlsx",
    "/supervision/statistics.json",
    "/supervision/statistics/charts/month.svg",
)
SVG = re.compile(r"<svg\b.*?</svg>", re.S)


@dataclass
class Year:
    server: Server
    data: Path
    size: int
    leaves: list[dict[str, Any]]
    inspector: Actor
    supplier: Actor

    def expected(
        self, start: str = "2026-01-01", end: str = "2026-12-31", category: str | None = None
    ) -> tuple[int, int, int]:
        """Contracts, their budgets and their amounts, summed straight from the leaves."""
        plans = {leaf["data"]["procurement"]: leaf["data"] for leaf in self.leaves
                 if leaf["type"] == "PlanFiled"}  # fmt: skip
        count = budget = spent = 0
        for leaf in self.leaves:
            data = leaf["data"]
            plan = plans.get(data.get("procurement", ""))
            if (leaf["type"] != "ContractSigned" or plan is None
                    or not start <= data["date"] <= end
                    or category not in (None, plan["category"])):  # fmt: skip
                continue
            count += 1
            budget += Money.parse(plan["budget"], "budget").fen
            spent += Money.parse(data["amount"], "amount").fen
        return count, budget, spent

    def by_source(self) -> dict[str | None, int]:
        """The year's contract amounts by their plans' 资金来源 (None: named none)."""
        plans = {leaf["data"]["procurement"]: leaf["data"] for leaf in self.leaves
                 if leaf["type"] == "PlanFiled"}  # fmt: skip
        found: dict[str | None, int] = defaultdict(int)
        for leaf in self.leaves:
            data = leaf["data"]
            plan = plans.get(data.get("procurement", ""))
            if leaf["type"] == "ContractSigned" and plan is not None and data["date"] < "2027":
                found[plan.get("funding_source")] += Money.parse(data["amount"], "amount").fen
        return dict(found)


@pytest.fixture(scope="module")
def year(
    tmp_path_factory: pytest.TempPathFactory, demo_template: DemoLedger
) -> Iterator[Year]:
    copy = copy_demo(demo_template, tmp_path_factory.mktemp("statistics"))
    data, url, size = copy.data, copy.url, copy.summary.size
    ledger = Ledger(make_config(url, data, inline_integration=True))
    try:
        leaves = [orjson.loads(leaf) for start in range(0, size, 1000)
                  for leaf in ledger.reader.entries(start, min(1000, size - start))]  # fmt: skip
    finally:
        ledger.close()
    server = start_server(url, data)
    try:
        inspector = Actor("qhx-jw-op", "qhx-jw", "inspector", demo_key("qhx-jw-op"))
        supplier = Actor("hb-kemu-op", "hb-kemu", "supplier", demo_key("hb-kemu-op"))
        year = Year(server, data, size, leaves, inspector, supplier)
        with sign_in(server.url, inspector) as client:
            wait_for_projection(client, size, server)
        yield year
    finally:
        server.stop()


def wait_for_projection(client: httpx.Client, size: int, server: Server) -> None:
    def caught_up() -> bool:
        answer = client.get("/supervision/statistics.csv")
        return answer.status_code == 200 and answer.headers["Sunshine-Log-Size"] == str(size)

    eventually(caught_up, server.process, every=0.2)


@pytest.fixture
def client(year: Year) -> Iterator[httpx.Client]:
    with sign_in(year.server.url, year.inspector) as signed:
        yield signed


def csv_rows(body: bytes) -> tuple[list[str], list[list[str]]]:
    text = body.decode("utf-8-sig")
    comments = [line for line in text.splitlines() if line.startswith("#")]
    rows = list(csv.reader(line for line in io.StringIO(text) if not line.startswith("#")))
    assert tuple(rows[0]) == HEADER
    return comments, rows[1:]


def column(name: str) -> int:
    return HEADER.index(name)


def test_the_page_states_its_checkpoint_reconciles_and_draws_its_charts(
    year: Year, client: httpx.Client
) -> None:
    page = client.get("/supervision/statistics", headers={"Accept": "text/html"})
    assert page.status_code == 200, page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Sunshine-Log-Size"] == str(year.size)
    text = page.text
    assert "政府采购统计" in text and "统计期间：2026年1月1日 至 2026年12月31日" in text
    assert page.headers["Sunshine-Checkpoint-Root"] in text
    assert "各分组（类别、方式、月份、区域、采购人）各行之和与总计逐项相等，精确到分" in text
    _, _, spent = year.expected()
    assert f"¥{Money.from_fen(spent).yuan:,}" in text
    drawings = SVG.findall(text)
    assert len(drawings) == 3
    for drawing in drawings:
        ET.fromstring(drawing)  # well-formed
    assert "<script" not in text.split("</header>", 1)[1].split("<footer")[0]


def test_the_csv_equals_the_sums_of_the_leaves_and_carries_the_checkpoint(
    year: Year, client: httpx.Client
) -> None:
    answer = client.get("/supervision/statistics.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    comments, rows = csv_rows(answer.content)
    root = answer.headers["Sunshine-Checkpoint-Root"]
    assert any(f"root {root}" in line for line in comments)
    assert any(f"log size {year.size}" in line for line in comments)
    total = rows[0]
    count, budget, spent = year.expected()
    assert count > 100
    assert [int(total[column(c)]) for c in ("合同项目数", "预算金额（分）", "合同金额（分）",
                                            "节约资金（分）")] == [count, budget, spent,
                                                                  budget - spent]  # fmt: skip
    for group in {r[0] for r in rows[1:]}:
        members = [r for r in rows[1:] if r[0] == group]
        assert sum(int(r[column("合同金额（分）")]) for r in members) == spent, group
        assert sum(int(r[column("计划项目数")]) for r in members) == int(
            total[column("计划项目数")]
        )
        for policy in ("授予中小企业合同金额（分）", "授予小微企业合同金额（分）",
                       "集中采购合同金额（分）", "组织形式未载明合同金额（分）"):
            assert sum(int(r[column(policy)]) for r in members) == int(total[column(policy)])
    # the demo's winners are mostly 中小企业, some of them 小微
    assert 0 < int(total[column("授予小微企业合同金额（分）")]) < int(
        total[column("授予中小企业合同金额（分）")]) < spent  # fmt: skip


def test_contract_amounts_by_funding_source_match_the_leaves_everywhere(
    year: Year, client: httpx.Client
) -> None:
    wanted = year.by_source()
    assert None not in wanted and len(wanted) >= 3  # every demo plan names its source
    body = client.get("/supervision/statistics.json").json()
    assert body["computed_at"]["log_size"] == year.size and body["reconciled"]
    total = body["total"]
    assert {s["funding_source"]: s["contract_fen"] for s in total["by_funding_source"]
            if s["contract_fen"]} == wanted  # fmt: skip
    assert total["unstated_funding_source_contract_fen"] == 0
    assert total["contract_fen"] == sum(wanted.values())
    for name, rows in body["breakdowns"].items():
        for n, source in enumerate(total["by_funding_source"]):
            assert sum(r["by_funding_source"][n]["contract_fen"] for r in rows) == source[
                "contract_fen"], name  # fmt: skip
    _, rows = csv_rows(client.get("/supervision/statistics.csv").content)
    assert int(rows[0][column("一般公共预算资金合同金额（分）")]) == wanted["general_budget"]
    assert int(rows[0][column("政府性基金预算资金合同金额（分）")]) == wanted["government_fund"]
    page = client.get("/supervision/statistics", headers={"Accept": "text/html"}).text
    section = page.split('id="sources"', 1)[1].split("</section>", 1)[0]
    assert "按资金来源" in section and "一般公共预算资金" in section
    assert f"¥{Money.from_fen(wanted['general_budget']).yuan:,}" in section


def test_the_workbook_has_the_checkpoint_cell_and_the_totals(
    year: Year, client: httpx.Client
) -> None:
    answer = client.get("/supervision/statistics.xlsx", params={"category": "goods"})
    assert answer.status_code == 200
    book = load_workbook(io.BytesIO(answer.content))
    basis = book["计算依据"]
    assert basis[STAMP_CELLS["log_size"]].value == year.size
    assert basis[STAMP_CELLS["root"]].value == answer.headers["Sunshine-Checkpoint-Root"]
    assert "\n— " in basis[STAMP_CELLS["note"]].value  # the signed note itself
    rows = [list(r) for r in book["统计"].iter_rows(values_only=True)]
    total = rows[rows.index(list(HEADER)) + 1]
    count, _, spent = year.expected(category="goods")
    assert total[column("合同项目数")] == count
    assert total[column("合同金额（分）")] == spent
    assert total[column("合同金额（元）")] == str(Money.from_fen(spent))


def test_the_printable_summary_fills_the_seeds_statistics_section(
    year: Year, client: httpx.Client
) -> None:
    page = client.get("/supervision/statistics/summary", params={"year": "2026"},
                      headers={"Accept": "text/html"})  # fmt: skip
    assert page.status_code == 200
    text = page.text
    assert "澄溪县2026年度政府采购工作总结（数据部分）" in text
    count, budget, spent = year.expected()
    rate = (budget - spent) * 10_000 * 2 // budget
    percent = (rate + 1) // 2  # half up, in hundredths of a percent
    assert f"资金节约率为 {percent // 100}.{percent % 100:02d}%" in text
    assert f"共签订政府采购合同 {count} 项" in text
    for words in ("货物类采购金额为", "工程类采购金额为", "服务类采购金额为", "公开招标",
                  "收到供应商质疑", "附表一", "计算依据"):  # fmt: skip
        assert words in text
    assert f"{Money.from_fen(spent).in_wan():,}万元" in text


@pytest.mark.parametrize("name", ["month", "category", "method"])
def test_each_chart_is_served_as_svg_naming_its_checkpoint(
    year: Year, client: httpx.Client, name: str
) -> None:
    answer = client.get(f"/supervision/statistics/charts/{name}.svg")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("image/svg+xml")
    assert ET.fromstring(answer.text).tag == "{http://www.w3.org/2000/svg}svg"
    assert answer.headers["Sunshine-Log-Size"] == str(year.size)
    assert f"根哈希 {answer.headers['Sunshine-Checkpoint-Root']}" in answer.text


def test_filters_narrow_the_figures(year: Year, client: httpx.Client) -> None:
    def total(**params: str) -> list[str]:
        answer = client.get("/supervision/statistics.csv", params=params)
        assert answer.status_code == 200, answer.text
        return csv_rows(answer.content)[1][0]

    everything = total()
    assert total(region="澄溪县") == everything
    half = total(date_from="2026-01-01", date_to="2026-06-30")
    count, _, spent = year.expected(end="2026-06-30")
    assert (int(half[column("合同项目数")]), int(half[column("合同金额（分）")])) == (count, spent)
    inquiry = total(method="inquiry", purchaser="qhx-rmyy")
    assert int(inquiry[column("合同项目数")]) < int(everything[column("合同项目数")])
    assert int(total(year="2025")[column("计划项目数")]) == 0


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"colour": "red"}, "colour"),
        ({"date_from": "2026-07-01", "date_to": "2026-06-30"}, "date_from"),
        ({"date_from": "1990-01-01", "date_to": "2026-12-31"}, "date_to"),
        ({"date_to": "0001-01-01"}, "date_to"),
        ({"year": "99999999999999999999"}, "year"),
        ({"purchaser": "nobody"}, "purchaser"),
        ({"region": "<script>"}, "region"),
        ({"method": "bribery"}, "method"),
    ],
)
@pytest.mark.parametrize("route", ROUTES)
def test_bad_filters_answer_400_without_any_figure(
    year: Year, client: httpx.Client, route: str, params: dict[str, str], parameter: str
) -> None:
    answer = client.get(route, params=params)
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["code"] == "bad_filter" and parameter in body["message"]
    _, _, spent = year.expected()
    assert str(spent) not in answer.text and "¥" not in answer.text
    page = client.get(route, params=params, headers={"Accept": "text/html"})
    assert page.status_code == 400 and "<script>" not in page.text
    assert html.escape(body["message_zh"], quote=False) in page.text


def test_a_repeated_filter_is_refused(client: httpx.Client) -> None:
    answer = client.get("/supervision/statistics?year=2026&year=2025")
    assert answer.status_code == 400 and answer.json()["code"] == "bad_filter"
    assert client.get("/supervision/statistics/charts/pie.svg").status_code == 404


@pytest.mark.parametrize("route", ROUTES)
def test_a_supplier_gets_403_and_the_public_401(year: Year, route: str) -> None:
    assert session(year.server.url, year.supplier).status_code == 403  # no session for it
    # Even a genuine token for a supplier (made with the server's own secret) is refused.
    httpx.get(year.server.url + "/supervision/challenge")
    sessions = Sessions((year.data / "session-key").read_bytes())
    token, _ = sessions.issue(year.supplier.code, year.supplier.organisation, "supplier",
                              year.supplier.key_id)  # fmt: skip
    forbidden = httpx.get(year.server.url + route, headers={"Authorization": f"Bearer {token}"})
    assert forbidden.status_code == 403 and "¥" not in forbidden.text
    anonymous = httpx.get(year.server.url + route)
    assert anonymous.status_code == 401 and "¥" not in anonymous.text
    forged = httpx.get(year.server.url + route, cookies={"sunshine_supervision": "x.y.z"})
    assert forged.status_code == 401


def test_nothing_here_is_cached_or_indexed(client: httpx.Client) -> None:
    for route in ROUTES:
        answer = client.get(route)
        assert answer.headers["Cache-Control"] == "no-store", route
        assert answer.headers["X-Robots-Tag"] == "noindex", route


def test_an_export_at_the_same_checkpoint_is_the_same_bytes(client: httpx.Client) -> None:
    # Recomputable: the figures depend on the log entries they were computed from, nothing else.
    assert client.get("/supervision/statistics.csv").content == client.get(
        "/supervision/statistics.csv").content  # fmt: skip

"""Statistics filters, exports and charts: bad parameters are refused with the parameter named,
the CSV and the workbook carry the same figures and the checkpoint, the SVG charts are
well-formed, and a report that does not add up says so."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import date
from typing import cast

import pytest
from openpyxl import load_workbook
from test_statistics_reconcile import Memory, Procurement, fed

from projections.supervision.checkpoint import Stamp
from projections.supervision.statistics import (
    BadFilter,
    Filters,
    Report,
    Row,
    parse_filters,
    reconcile,
    report_in,
)
from projections.supervision.statistics_charts import CHARTS, bar_chart, chart
from projections.supervision.statistics_export import HEADER, STAMP_CELLS, to_csv, to_xlsx

STAMP = Stamp(
    size=120, checkpoint_size=125, origin="sunshine-ledger.localhost/log",
    root="xmOln8n2pkiIHJJ5VYXC9OXZNUnpUOoqYeCbjYQHaAU=",
    note="sunshine-ledger.localhost/log\n125\nxmOln8n2pkiIHJJ5VYXC9OXZNUnpUOoqYeCbjYQHaAU=\n\n"
         "— sunshine-ledger.localhost/log AAAA\n",
    signed_at="2026-11-20T08:00:00+00:00",
)  # fmt: skip


def memory() -> Memory:
    return fed([
        Procurement("p1", "澄溪县", "rmyy", "goods", "open_tender", 185_000_000,
                    date(2026, 3, 2), contract=(date(2026, 5, 20), 179_000_000),
                    streams=[("Challenge", date(2026, 5, 11), date(2026, 5, 13))]),
        Procurement("p2", "澄溪县", "jyj", "works", "inquiry", 40_000_000, date(2026, 4, 1),
                    contract=(date(2026, 6, 2), 38_765_432)),
        Procurement("p3", "白鹭市", "jtj", "services", "single_source", 9_000_000,
                    date(2026, 7, 1), closed=("terminated", date(2026, 8, 1))),
        Procurement("old", "澄溪县", "rmyy", "goods", "inquiry", 1_000, date(2024, 12, 1),
                    contract=(date(2025, 1, 2), 900)),
    ])  # fmt: skip


def report(filters: Filters | None = None) -> Report:
    _, found = report_in(memory().cursor(), filters or Filters("2026-01-01", "2026-12-31"))
    found.stamp = STAMP
    return found


def parse(*items: tuple[str, str]) -> Filters:
    return parse_filters(memory(), list(items))  # type: ignore[arg-type]


# -- filters --------------------------------------------------------------------------------


def test_without_a_period_the_year_of_the_latest_act() -> None:
    assert parse() == Filters("2026-01-01", "2026-12-31")
    assert parse(("year", "2025")) == Filters("2025-01-01", "2025-12-31")
    # "截至6月底": one end given, the rest of its year.
    assert parse(("date_to", "2026-06-30")) == Filters("2026-01-01", "2026-06-30")
    assert parse(("date_from", "2026-07-01")) == Filters("2026-07-01", "2026-12-31")
    both = parse(("date_from", "2024-01-01"), ("date_to", "2026-06-30"), ("region", "澄溪县"),
                 ("purchaser", "rmyy"), ("category", "goods"), ("method", "open_tender"),
                 ("year", ""))  # an empty form field is no filter  # fmt: skip
    assert both == Filters("2024-01-01", "2026-06-30", "澄溪县", "rmyy", "goods", "open_tender")


@pytest.mark.parametrize(
    ("items", "parameter", "words"),
    [
        ([("colour", "red")], "colour", "不支持的筛选条件"),
        ([("year", "2026"), ("year", "2025")], "year", "只能指定一次"),
        ([("date_from", "2026-07-01"), ("date_to", "2026-06-30")], "date_from", "晚于"),
        ([("date_from", "1990-01-01"), ("date_to", "2026-12-31")], "date_to", "过长"),
        ([("date_from", "2026-02-30")], "date_from", "有效日期"),
        ([("date_from", "２０２６-01-01")], "date_from", "有效日期"),
        ([("date_to", "9999-12-31")], "date_to", "之间"),
        ([("year", "10000")], "year", "四位数字"),
        ([("year", "1066")], "year", "之间"),
        ([("year", "2026"), ("date_to", "2026-06-30")], "year", "只能选其一"),
        ([("category", "weapons")], "category", "不存在"),
        ([("method", "bribery")], "method", "不存在"),
        ([("region", "不存在县")], "region", "没有采购记录"),
        ([("purchaser", "nobody")], "purchaser", "没有采购记录"),
        ([("region", "x" * 101)], "region", "过长"),
        ([("purchaser", "rm\x00yy")], "purchaser", "控制字符"),
    ],
)
def test_bad_filters_name_the_parameter(
    items: list[tuple[str, str]], parameter: str, words: str
) -> None:
    with pytest.raises(BadFilter) as raised:
        parse(*items)
    assert raised.value.parameter == parameter
    assert words in raised.value.message


def test_filters_narrow_the_figures() -> None:
    assert report().total.contracts == 2
    assert report(Filters("2026-01-01", "2026-12-31", region="白鹭市")).total.terminated == 1
    only = report(Filters("2026-01-01", "2026-05-31", category="goods"))
    assert (only.total.contracts, only.total.contract_fen, only.total.savings_fen) == (
        1, 179_000_000, 6_000_000)  # fmt: skip
    assert only.total.challenges_received == only.total.challenges_resolved == 1


# -- reconciliation -------------------------------------------------------------------------


def test_a_report_that_does_not_add_up_says_so() -> None:
    found = report()
    assert reconcile(found) == []
    first = found.breakdowns["method"][0]
    found.breakdowns["method"][0] = Row(
        first.key, first.label, replace(first.totals, contract_fen=first.totals.contract_fen + 1)
    )
    problems = reconcile(found)
    assert len(problems) == 1 and "按采购方式" in problems[0] and "contract_fen" in problems[0]


# -- exports --------------------------------------------------------------------------------


def test_the_csv_carries_the_checkpoint_and_reconciles() -> None:
    body = to_csv(report())
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    comments = [line for line in text.splitlines() if line.startswith("#")]
    assert any("log size 120" in line for line in comments)
    assert any(f"root {STAMP.root}" in line for line in comments)
    rows = list(csv.reader(line for line in io.StringIO(text) if not line.startswith("#")))
    assert tuple(rows[0]) == HEADER
    total, *rest = rows[1:]
    assert total[:3] == ["总计", "", "合计"]
    assert total[3:11] == [
        "2",
        "225000000",
        "217765432",
        "7234568",
        "2250000.00",
        "2177654.32",
        "72345.68",
        "3.22%",
    ]  # 7,234,568 / 225,000,000 = 3.2154%
    for group in {r[0] for r in rest}:
        for column in range(3, len(HEADER)):
            if HEADER[column].endswith(("（元）", "率", "占比")):
                continue
            assert sum(int(r[column]) for r in rest if r[0] == group) == int(total[column])


def test_the_exports_carry_the_policy_figures() -> None:
    found = report()
    found.total = replace(found.total, sme_contract_fen=130_000_000,
                          small_micro_contract_fen=38_765_432,
                          centralised_contract_fen=179_000_000)  # fmt: skip
    text = to_csv(found).decode("utf-8-sig")
    rows = list(csv.reader(line for line in io.StringIO(text) if not line.startswith("#")))
    total = dict(zip(rows[0], rows[1], strict=True))
    assert total["授予中小企业合同金额（分）"] == "130000000"
    assert total["中小企业占比"] == "59.70%"  # 130,000,000 / 217,765,432
    assert total["授予小微企业合同金额（分）"] == "38765432"
    assert total["小微企业占比"] == "17.80%"
    assert total["集中采购合同金额（分）"] == "179000000"
    assert total["组织形式未载明合同金额（分）"] == "38765432"
    assert any("财库〔2020〕46号" in line for line in text.splitlines() if line.startswith("#"))
    sheet = load_workbook(io.BytesIO(to_xlsx(found)))["统计"]
    cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    top = cells[cells.index(list(HEADER)) + 1]
    assert top[HEADER.index("授予中小企业合同金额（分）")] == 130_000_000
    assert top[HEADER.index("中小企业占比")] == "59.70%"


def test_the_workbook_carries_the_checkpoint_cells_and_the_same_figures() -> None:
    found = report()
    book = load_workbook(io.BytesIO(to_xlsx(found)))
    basis = book["计算依据"]
    assert basis[STAMP_CELLS["log_size"]].value == 120
    assert basis[STAMP_CELLS["checkpoint_size"]].value == 125
    assert basis[STAMP_CELLS["root"]].value == STAMP.root
    assert basis[STAMP_CELLS["note"]].value == STAMP.note
    sheet = book["统计"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = rows.index(list(HEADER))
    total = rows[header + 1]
    assert total[0] == "总计" and total[2] == "合计"
    assert total[HEADER.index("合同金额（分）")] == found.total.contract_fen == 217_765_432
    assert total[HEADER.index("合同金额（元）")] == "2177654.32"
    by_category = [r for r in rows[header + 2 :] if r[0] == "按采购项目类别"]
    assert sum(cast(int, r[HEADER.index("合同金额（分）")]) for r in by_category) == 217_765_432


def test_a_name_that_looks_like_a_formula_stays_text() -> None:
    found = report()
    found.breakdowns["purchaser"][0] = replace(found.breakdowns["purchaser"][0],
                                               label="=HYPERLINK(\"http://x\")")  # fmt: skip
    sheet = load_workbook(io.BytesIO(to_xlsx(found)))["统计"]
    labels = [c.value for c in sheet["C"]]
    assert '\'=HYPERLINK("http://x")' in labels
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


# -- charts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CHARTS))
def test_charts_are_well_formed_svg_with_a_bar_per_value(name: str) -> None:
    found = report()
    svg = ET.fromstring(chart(found, name))
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    rows = found.breakdowns[CHARTS[name][1]]
    bars = svg.findall("{http://www.w3.org/2000/svg}rect")
    assert len(bars) == 2 * len(rows) + 2  # two series per row, two legend swatches


def test_chart_labels_are_escaped_and_an_empty_chart_is_drawn() -> None:
    from projections.supervision.statistics_charts import Series

    svg = bar_chart("<script>", ["a&b", "</svg>"], [Series("x", "#000", [0, 0])])
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "a&b" in texts and "</svg>" in texts
    assert "<script>" not in svg

"""The statistics as CSV (the ``csv`` module) and Excel (openpyxl), each carrying its checkpoint.

Amounts are exported twice: in fen as integers, which a spreadsheet sums exactly (a
spreadsheet's numbers are binary floating point, which cannot hold 0.10 yuan exactly, but
every integer up to 2^53 fen), and in yuan as text to the fen for reading. The savings rate
is text too (``12.05%``), as computed from exact integers. The checkpoint — log size, signed
checkpoint size, root and the signed note — sits atop the CSV as ``#`` lines and on a sheet
of its own in the workbook, so the figures can be recomputed from the log and checked.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any, Final

from openpyxl import Workbook
from openpyxl.styles import Font

from ledger.domain.money import Money
from ledger.domain.vocabulary import Category, FundingSource, Method
from projections.statistics import MEASURES
from projections.supervision.statistics import BREAKDOWNS, PARAMETERS, Report, Totals
from projections.web.formats import chinese_date

HEADER: Final = (
    "分组", "键", "名称",
    "合同项目数", "预算金额（分）", "合同金额（分）", "节约资金（分）",
    "预算金额（元）", "合同金额（元）", "节约资金（元）", "资金节约率",
    "计划项目数", "计划预算（分）", "废标数", "废标预算（分）", "终止数", "终止预算（分）",
    "收到质疑", "办结质疑", "收到投诉", "办结投诉",
    "授予中小企业合同金额（分）", "中小企业占比", "授予小微企业合同金额（分）", "小微企业占比",
    "集中采购合同金额（分）", "部门集中采购合同金额（分）", "分散采购合同金额（分）",
    "组织形式未载明合同金额（分）",
    *(f"{source.label}合同金额（分）" for source in FundingSource),
    "资金来源未载明合同金额（分）",
)  # fmt: skip
TOTAL_LABEL: Final = "总计"
DEFINITIONS: Final = (
    "合同金额、预算金额与节约资金按合同签订日期计入期间：预算金额为期间内签订合同的采购项目的预算之和，"
    "节约资金＝预算金额－合同金额，资金节约率＝节约资金÷预算金额（由精确整数计算，四舍五入保留两位小数）。",
    "计划、废标、终止按该行为发生日期计入期间；质疑、投诉按提出日期计为收到，按答复、决定或撤回日期计为办结。",
    "各分组各行之和与总计逐项相等，精确到分。",
    "政策功能：授予中小企业、小微企业的合同金额按中标（成交）供应商在授予时声明的企业规模计入"
    "（财库〔2020〕46号），占比＝该金额÷合同金额；组织形式（集中采购、部门集中采购、分散采购）"
    "按采购计划载明的组织形式计入，计划未载明的单列。",
    "资金来源：合同金额按采购计划载明的资金来源（一般公共预算资金、政府性基金预算资金、"
    "国有资本经营预算资金、财政专户管理资金、其他资金）计入，计划未载明的单列"
    "（政府采购法 第六条；实施条例 第二十九条）。",
)


def _yuan(fen: int) -> str:
    return str(Money.from_fen(fen))


def safe(text: str) -> str:
    """Text a spreadsheet will not run as a formula (names are written by people)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def cells(group: str, key: str, label: str, t: Totals) -> list[Any]:
    """One exported row: counts and fen as integers, yuan and the rate as text."""
    return [
        safe(group), safe(key), safe(label),
        t.contracts, t.budget_fen, t.contract_fen, t.savings_fen,
        _yuan(t.budget_fen), _yuan(t.contract_fen), _yuan(t.savings_fen), t.rate_text,
        t.planned, t.planned_budget_fen, t.failed, t.failed_budget_fen,
        t.terminated, t.terminated_budget_fen,
        t.challenges_received, t.challenges_resolved,
        t.complaints_received, t.complaints_resolved,
        t.sme_contract_fen, t.sme_share, t.small_micro_contract_fen, t.small_micro_share,
        t.centralised_contract_fen, t.departmental_contract_fen,
        t.decentralised_contract_fen, t.unstated_form_fen,
        *(fen for _, fen in t.by_source), t.unstated_source_fen,
    ]  # fmt: skip


def rows(report: Report) -> Iterator[list[Any]]:
    """The total row, then every breakdown's rows in page order."""
    yield cells(TOTAL_LABEL, "", "合计", report.total)
    for name, heading, _ in BREAKDOWNS:
        for row in report.breakdowns[name]:
            yield cells(heading, row.key, row.label, row.totals)


def filter_lines(report: Report) -> list[tuple[str, str]]:
    """What the figures were computed for, as (名称, 值) pairs in Chinese."""
    f = report.filters
    lines = [("统计期间", f"{chinese_date(f.date_from)} 至 {chinese_date(f.date_to)}")]
    shown = {
        "region": f.region,
        "purchaser": f.purchaser
        and f"{report.names.get(f.purchaser, f.purchaser)}（{f.purchaser}）",
        "category": f.category and Category(f.category).label,
        "method": f.method and Method(f.method).label,
    }
    lines += [(PARAMETERS[name], value) for name, value in shown.items() if value]
    return lines


def figures(t: Totals) -> dict[str, Any]:
    """One row's figures for JSON: every summed measure in fen, the derived ones, and the
    contract amount by 组织形式 and by 资金来源 (each with its 未载明 remainder)."""
    return {
        **{m: getattr(t, m) for m in MEASURES},
        "savings_fen": t.savings_fen, "savings_rate": t.rate_text,
        "sme_share": t.sme_share, "small_micro_share": t.small_micro_share,
        "unstated_form_contract_fen": t.unstated_form_fen,
        "by_funding_source": [
            {"funding_source": s.value, "label": s.label,
             "contract_fen": getattr(t, f"funded_{s.value}_fen")}
            for s in FundingSource
        ],
        "unstated_funding_source_contract_fen": t.unstated_source_fen,
    }  # fmt: skip


def to_json(report: Report) -> dict[str, Any]:
    """The statistics as JSON: the checkpoint, the filters, the total and every breakdown."""
    assert report.stamp is not None
    return {
        "computed_at": report.stamp.as_json(),
        "filters": report.filters.params(),
        "definitions": list(DEFINITIONS),
        "reconciled": report.reconciled,
        "total": figures(report.total),
        "breakdowns": {
            name: [{"key": row.key, "label": row.label, **figures(row.totals)}
                   for row in report.breakdowns[name]]
            for name, _, _ in BREAKDOWNS
        },
    }  # fmt: skip


def to_csv(report: Report) -> bytes:
    """UTF-8 with a byte-order mark (so a spreadsheet reads the Chinese), ``#`` lines first."""
    assert report.stamp is not None
    out = io.StringIO()
    out.write("# 阳光采购账本 政府采购统计\n")
    for name, value in filter_lines(report):
        out.write(f"# {name}：{value}\n".replace("\r", ""))
    for line in report.stamp.comment_lines():
        out.write(line.replace("\r", "") + "\n")
    for line in DEFINITIONS:
        out.write(f"# 口径：{line}\n")
    out.write(f"# 核对：{'各分组合计与总计一致（精确到分）' if report.reconciled else '不一致'}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows(report))
    return b"\xef\xbb\xbf" + out.getvalue().encode()


#: Where the workbook's "计算依据" sheet keeps the checkpoint (a test reads these cells).
STAMP_CELLS: Final = {
    "log_size": "B1",
    "checkpoint_size": "B2",
    "root": "B3",
    "origin": "B4",
    "signed_at": "B5",
    "note": "B6",
}


def to_xlsx(report: Report) -> bytes:
    """A workbook: sheet 统计 (the table, total first) and sheet 计算依据 (the checkpoint)."""
    stamp = report.stamp
    assert stamp is not None
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "统计"
    sheet.append(["阳光采购账本 政府采购统计"])
    sheet["A1"].font = Font(bold=True, size=14)
    for name, value in filter_lines(report):
        sheet.append([name, safe(value)])
    sheet.append(
        [
            "计算依据",
            f"日志条目 0…{stamp.size - 1}，签名检查点 {stamp.checkpoint_size}，"
            f"根哈希 {stamp.root}（详见“计算依据”工作表）",
        ]
    )
    sheet.append(["核对", "各分组合计与总计一致（精确到分）" if report.reconciled else "不一致"])
    sheet.append([])
    sheet.append(list(HEADER))
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    for row in rows(report):
        sheet.append(row)
    sheet.freeze_panes = f"D{header_row + 1}"
    for column, width in (("A", 16), ("B", 14), ("C", 28)):
        sheet.column_dimensions[column].width = width

    basis = book.create_sheet("计算依据")
    values: tuple[tuple[str, int | str], ...] = (
        ("日志条目数", stamp.size),
        ("签名检查点大小", stamp.checkpoint_size),
        ("根哈希（base64）", stamp.root),
        ("日志标识", stamp.origin),
        ("签名时间", stamp.signed_at),
        ("签名检查点全文", stamp.note),
    )
    for n, (label, figure) in enumerate(values, start=1):
        basis.cell(row=n, column=1, value=label)
        basis.cell(row=n, column=2, value=figure)
    basis.cell(row=len(values) + 2, column=1, value="核验方法")
    basis.cell(row=len(values) + 2, column=2, value=stamp.as_json()["how_to_check"])
    for n, line in enumerate(DEFINITIONS, start=len(values) + 3):
        basis.cell(row=n, column=1, value="口径")
        basis.cell(row=n, column=2, value=line)
    basis.column_dimensions["A"].width = 18
    basis.column_dimensions["B"].width = 100
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

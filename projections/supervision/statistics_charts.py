"""Charts of spending and savings 合同金额与节约资金, drawn on the server as SVG.

No script and no outside asset: the page and its printout carry the drawing itself, and the
same SVG is served on its own for reports. Amounts come in fen; only the geometry (pixel
positions) is floating point, never a figure shown — labels are exact, in 万元 as the
summaries write them. Every text is escaped here, so the result is safe to embed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final
from xml.sax.saxutils import escape

from ledger.domain.money import FEN_PER_WAN, Money
from projections.supervision.statistics import Report, Row

SPENDING: Final = ("合同金额", "#0b57d0")
SAVINGS: Final = ("节约资金", "#1a7f37")
_FONT: Final = (
    'font-family="PingFang SC, Hiragino Sans GB, Noto Sans CJK SC, Microsoft YaHei, sans-serif"'
)


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    values: Sequence[int]  # fen, one per label


def _nice_step(top: int) -> int:
    """A tick step in fen giving about five ticks of 1, 2 or 5 × 10^n 万元 (at least 1 万元)."""
    rough = max(top // 5, 1)
    step = FEN_PER_WAN
    while True:
        for factor in (1, 2, 5):
            if step * factor >= rough:
                return step * factor
        step *= 10


def _wan(fen: int) -> str:
    return f"{Money.from_fen(fen).in_wan():,}"


def _tick(fen: int) -> str:
    """A tick is a whole number of 万元 (see ``_nice_step``)."""
    return f"{fen // FEN_PER_WAN:,}"


# Over 60 lines by design: one drawing: the SVG of a bar chart, element by element.
def bar_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    horizontal: bool = False,
    note: str = "",
) -> str:
    """A grouped bar chart: one group per label, one bar per series, axis in 万元; ``note``
    is a line of small print under it (what a chart standing alone must say of itself)."""
    top = max([0, *(v for s in series for v in s.values)])
    step = _nice_step(top)
    ticks = max(1, -(-top // step))  # ceil: the axis ends on a tick at or above the top
    scale_top = ticks * step
    count, per = len(labels), len(series)
    if horizontal:
        group = 14 * per + 10
        left, width, height = 150, 640, 40 + group * count + 50
        plot_w, plot_h = width - left - 30, group * count
    else:
        group = max(12 * per + 8, 18)
        left, width = 80, max(640, 80 + group * count + 30)
        height = 300
        plot_w, plot_h = width - left - 30, 190
    full = height + (20 if note else 0)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{full}" '
        f'viewBox="0 0 {width} {full}" role="img" {_FONT} font-size="12">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(title)}（单位：万元）；数值见同页表格。</desc>",
        f'<text x="{left}" y="18" font-size="14" font-weight="700">{escape(title)}（万元）</text>',
    ]
    top_y = 32
    for n in range(ticks + 1):
        value = step * n
        if horizontal:
            x = left + plot_w * value / scale_top
            out.append(
                f'<line x1="{x:.1f}" y1="{top_y}" x2="{x:.1f}" y2="{top_y + plot_h}" '
                'stroke="#d1d9e0"/>'
            )
            out.append(
                f'<text x="{x:.1f}" y="{top_y + plot_h + 16}" text-anchor="middle">'
                f"{_tick(value)}</text>"
            )
        else:
            y = top_y + plot_h - plot_h * value / scale_top
            out.append(
                f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" '
                'stroke="#d1d9e0"/>'
            )
            out.append(
                f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_tick(value)}</text>'
            )
    slot = (plot_h if horizontal else plot_w) / max(count, 1)
    bar = min(14.0, (slot - 6) / max(per, 1))
    for i, label in enumerate(labels):
        start = slot * i + (slot - bar * per) / 2
        for j, s in enumerate(series):
            length = (plot_w if horizontal else plot_h) * s.values[i] / scale_top
            tip = escape(f"{label} {s.name} {_wan(s.values[i])}万元")
            if horizontal:
                y = top_y + start + bar * j
                out.append(
                    f'<rect x="{left}" y="{y:.1f}" width="{length:.1f}" '
                    f'height="{bar:.1f}" fill="{s.colour}"><title>{tip}</title>'
                    "</rect>"
                )
            else:
                x = left + start + bar * j
                out.append(
                    f'<rect x="{x:.1f}" y="{top_y + plot_h - length:.1f}" '
                    f'width="{bar:.1f}" height="{length:.1f}" fill="{s.colour}">'
                    f"<title>{tip}</title></rect>"
                )
        middle = start + bar * per / 2
        if horizontal:
            out.append(
                f'<text x="{left - 6}" y="{top_y + middle + 4:.1f}" '
                f'text-anchor="end">{escape(label)}</text>'
            )
        else:
            x = left + middle
            out.append(
                f'<text x="{x:.1f}" y="{top_y + plot_h + 14}" text-anchor="end" '
                f'transform="rotate(-40 {x:.1f} {top_y + plot_h + 14})">'
                f"{escape(label)}</text>"
            )
    legend_y = height - 12
    for j, s in enumerate(series):
        x = left + 110 * j
        out.append(f'<rect x="{x}" y="{legend_y - 10}" width="12" height="12" fill="{s.colour}"/>')
        out.append(f'<text x="{x + 16}" y="{legend_y}">{escape(s.name)}</text>')
    axis = (
        f'<line x1="{left}" y1="{top_y}" x2="{left}" y2="{top_y + plot_h}" stroke="#59636e"/>'
        if horizontal
        else f'<line x1="{left}" y1="{top_y + plot_h}" x2="{left + plot_w}" '
        f'y2="{top_y + plot_h}" stroke="#59636e"/>'
    )
    out.append(axis)
    if note:
        out.append(f'<text x="4" y="{full - 6}" font-size="9" fill="#59636e">{escape(note)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _series(rows: Sequence[Row]) -> list[Series]:
    return [
        Series(SPENDING[0], SPENDING[1], [r.totals.contract_fen for r in rows]),
        Series(SAVINGS[0], SAVINGS[1], [r.totals.savings_fen for r in rows]),
    ]


#: The charts a report offers: name → (title, breakdown, horizontal).
CHARTS: Final = {
    "month": ("按月份的合同金额与节约资金", "month", False),
    "category": ("按采购项目类别的合同金额与节约资金", "category", True),
    "method": ("按采购方式的合同金额与节约资金", "method", True),
}


def chart(report: Report, name: str, standalone: bool = False) -> str:
    """The SVG of chart ``name`` (a key of ``CHARTS``) for ``report``; standing alone, it
    names its period and the checkpoint it was computed at (on a page, the page does)."""
    title, breakdown, horizontal = CHARTS[name]
    rows = report.breakdowns[breakdown]
    note = ""
    if standalone and report.stamp is not None:
        f, stamp = report.filters, report.stamp
        note = (f"{f.date_from} 至 {f.date_to}；计算依据：日志条目 0…{stamp.size - 1}，"
                f"签名检查点 {stamp.checkpoint_size}，根哈希 {stamp.root}")  # fmt: skip
    return bar_chart(title, [r.label for r in rows], _series(rows), horizontal, note)

"""未列入预算的采购 (unbudgeted): a plan that names no 资金来源 or no 预算项目.

Procurement is carried out within the approved budget (政府采购法 第六条), and the purchaser
plans it from its approved department budget (政府采购法实施条例 第二十九条); a plan that does
not say which money or which budget item it spends cannot be checked against either. Older
logs' plans name neither, so on them every plan is flagged: an operator of such a log
lowers the flag's severity in ``flags.toml`` rather than reading it as a finding.
"""

from __future__ import annotations

from ledger.domain.budget import unbudgeted
from ledger.domain.schema import entries as E
from projections.flags.kinds import FlagKind
from projections.flags.run import Run

UNSTATED = "未载明"


def filed(run: Run, d: E.PlanFiled) -> None:
    """A plan without its 资金来源 or 预算项目 raises the flag; its page shows what it names."""
    if not unbudgeted(d):
        return
    missing = [what for what, value in (("资金来源", d.funding_source),
                                        ("预算项目", d.budget_item)) if value is None]  # fmt: skip
    source = UNSTATED if d.funding_source is None else d.funding_source.label
    item = UNSTATED if d.budget_item is None else f"{d.budget_item.name}（{d.budget_item.code}）"
    run.flag(
        FlagKind.UNBUDGETED,
        f"采购计划未载明{'、'.join(missing)}",
        {"missing": missing,
         "facts": [{"label": "资金来源", "value": source},
                   {"label": "预算项目", "value": item},
                   {"label": "预算金额", "value": f"{d.budget}元"}]},
        [run.me("采购计划（资金来源、预算项目）")],
    )  # fmt: skip

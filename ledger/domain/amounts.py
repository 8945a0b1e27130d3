"""Amounts out of line 金额异常: an award or contract above the budget, a contract for
another sum than the award.

Pure: no I/O. They happened, so they are recorded with a finding, never refused (DOMAIN.md,
"Corrections (turn 2)": an over-budget bid is invalid, but the act is recorded). Each rule is
data with its legal source, like the time-limit table.
"""

from __future__ import annotations

from typing import Final

from ledger.domain.lifecycle import Irregularity
from ledger.domain.money import Money

AWARD_OVER_BUDGET: Final = Irregularity(
    "award_over_budget",
    "中标（成交）金额超过采购预算：投标（响应）报价超过采购预算或者最高限价的，投标无效",
    "政府采购法 第六条；财政部令第87号 第六十三条",
)
CONTRACT_OVER_BUDGET: Final = Irregularity(
    "contract_over_budget",
    "合同金额超过采购预算：政府采购应当严格按照批准的预算执行",
    "政府采购法 第六条",
)
CONTRACT_DIFFERS_FROM_AWARD: Final = Irregularity(
    "contract_amount_differs_from_award",
    "合同金额与中标（成交）金额不一致：合同不得对采购文件确定的事项和中标（成交）供应商"
    "投标（响应）文件作实质性修改",
    "政府采购法 第四十六条；财政部令第87号 第七十一条",
)


def award_irregularities(amount: Money, budget: Money) -> tuple[Irregularity, ...]:
    """What an award of ``amount`` on a procurement of ``budget`` is found to break."""
    return (AWARD_OVER_BUDGET,) if amount.fen > budget.fen else ()


def contract_irregularities(
    amount: Money, budget: Money, award: Money | None
) -> tuple[Irregularity, ...]:
    """What a contract of ``amount`` is found to break, given the budget and the award."""
    found = []
    if amount.fen > budget.fen:
        found.append(CONTRACT_OVER_BUDGET)
    if award is not None and amount.fen != award.fen:
        found.append(CONTRACT_DIFFERS_FROM_AWARD)
    return tuple(found)

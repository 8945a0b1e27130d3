"""Amounts out of line 金额异常: an award or contract above the budget, a contract for
another sum than the award; a deposit or the supplementary contracts above their share.

Pure: no I/O. They happened, so they are recorded with a finding, never refused (DOMAIN.md,
"Corrections (turn 2)": an over-budget bid is invalid, but the act is recorded). Each rule is
data with its legal source, like the time-limit table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ledger.domain.lifecycle import Irregularity
from ledger.domain.money import Money

AWARD_OVER_BUDGET: Final = Irregularity(
    "award_over_budget",
    "中标（成交）金额超过采购预算：投标（响应）报价超过采购预算或者最高限价的，投标无效",
    "政府采购法 第六条；财政部令第87号 第六十三条",
)
AWARD_OVER_CEILING: Final = Irregularity(
    "award_over_ceiling",
    "中标（成交）金额超过最高限价：投标（响应）报价超过采购预算或者最高限价的，投标无效",
    "财政部令第87号 第十二条、第六十三条",
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


def award_irregularities(
    amount: Money, budget: Money, ceiling: Money | None = None
) -> tuple[Irregularity, ...]:
    """What an award of ``amount`` on a procurement of ``budget`` and, where its notice set
    one, 最高限价 ``ceiling`` is found to break."""
    if amount.fen > budget.fen:
        return (AWARD_OVER_BUDGET,)
    return (AWARD_OVER_CEILING,) if ceiling is not None and amount.fen > ceiling.fen else ()


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


@dataclass(frozen=True)
class AmountCap:
    """An amount that may not exceed ``percent`` per cent of another (its base): a rule of the
    law as data, with its citation."""

    rule: str
    description_zh: str
    citation: str
    percent: int

    def cap(self, base: Money) -> Money:
        """The most the amount may be: ``percent`` of ``base``, to the fen (rounded down)."""
        return Money.from_fen(base.fen * self.percent // 100)

    def exceeded(self, amount: Money, base: Money) -> bool:
        return amount.fen * 100 > base.fen * self.percent

    def found(self, amount: Money, base: Money, what: str) -> tuple[Irregularity, ...]:
        """The irregularity, naming ``what`` and both sums, when ``amount`` is above its cap."""
        if not self.exceeded(amount, base):
            return ()
        said = f"{self.description_zh}（{what}{amount}元，上限{self.cap(base)}元）"
        return (Irregularity(self.rule, said, self.citation),)


#: 投标（响应）保证金 ≤ 2% of the budget: 招标 (实施条例 第三十三条), 谈判 and 询价 (74号令
#: 第十四条), 磋商 (214号 第十二条).
BID_DEPOSIT_CAP: Final = AmountCap(
    "bid_deposit_over_limit",
    "投标（响应）保证金不得超过采购项目预算金额的2%",
    "政府采购法实施条例 第三十三条；财政部令第74号 第十四条；财库〔2014〕214号 第十二条",
    2,
)
#: 履约保证金 ≤ 10% of the contract amount (实施条例 第四十八条).
PERFORMANCE_DEPOSIT_CAP: Final = AmountCap(
    "performance_deposit_over_limit",
    "履约保证金的数额不得超过政府采购合同金额的10%",
    "政府采购法实施条例 第四十八条",
    10,
)
#: 追加: all supplementary contracts together ≤ 10% of the original contract (法 第四十九条).
SUPPLEMENTARY_CAP: Final = AmountCap(
    "supplementary_contracts_over_limit",
    "政府采购合同履行中追加与合同标的相同的货物、工程或者服务，所有补充合同的采购金额不得超过原合同"
    "采购金额的百分之十",
    "政府采购法 第四十九条",
    10,
)
#: Every rule of this module: a finding of one of them is recomputed from the entry alone.
AMOUNT_RULES: Final = frozenset(
    {
        AWARD_OVER_BUDGET.rule,
        AWARD_OVER_CEILING.rule,
        CONTRACT_OVER_BUDGET.rule,
        CONTRACT_DIFFERS_FROM_AWARD.rule,
        BID_DEPOSIT_CAP.rule,
        PERFORMANCE_DEPOSIT_CAP.rule,
        SUPPLEMENTARY_CAP.rule,
    }
)


def bid_deposit_irregularities(deposit: Money | None, budget: Money) -> tuple[Irregularity, ...]:
    """What a notice asking a bid deposit of ``deposit`` (None: none) is found to break."""
    return () if deposit is None else BID_DEPOSIT_CAP.found(deposit, budget, "投标保证金")


def performance_deposit_irregularities(
    deposit: Money | None, contract: Money
) -> tuple[Irregularity, ...]:
    """What a contract of ``contract`` with a performance deposit of ``deposit`` breaks."""
    if deposit is None:
        return ()
    return PERFORMANCE_DEPOSIT_CAP.found(deposit, contract, "履约保证金")


def supplementary_irregularities(total: Money, contract: Money) -> tuple[Irregularity, ...]:
    """What a supplementary contract breaks that brings the supplements of a contract of
    ``contract`` to ``total``, all of them together."""
    return SUPPLEMENTARY_CAP.found(total, contract, "补充合同累计金额")

"""The amounts capped by a share of another (``ledger.domain.amounts``): a bid deposit ≤ 2% of
the budget, a performance deposit ≤ 10% of the contract, the supplementary contracts together
≤ 10% of the contract; exactly at the cap is lawful, a fen over it is found."""

from __future__ import annotations

import pytest

from ledger.domain.amounts import (
    AMOUNT_RULES,
    BID_DEPOSIT_CAP,
    PERFORMANCE_DEPOSIT_CAP,
    SUPPLEMENTARY_CAP,
    AmountCap,
    bid_deposit_irregularities,
    performance_deposit_irregularities,
    supplementary_irregularities,
)
from ledger.domain.money import Money

Y = Money.parse


@pytest.mark.parametrize(
    ("cap", "percent", "article"),
    [
        (BID_DEPOSIT_CAP, 2, "政府采购法实施条例 第三十三条"),
        (PERFORMANCE_DEPOSIT_CAP, 10, "政府采购法实施条例 第四十八条"),
        (SUPPLEMENTARY_CAP, 10, "政府采购法 第四十九条"),
    ],
)
def test_each_cap_is_data_with_its_citation(cap: AmountCap, percent: int, article: str) -> None:
    assert cap.percent == percent
    assert article in cap.citation
    assert f"{percent}%" in cap.description_zh or "百分之十" in cap.description_zh
    assert cap.rule in AMOUNT_RULES


def test_at_the_cap_is_lawful_and_a_fen_over_is_found() -> None:
    budget = Y("1850000.00", "budget")
    assert BID_DEPOSIT_CAP.cap(budget) == Y("37000.00", "cap")
    assert bid_deposit_irregularities(Y("37000.00", "d"), budget) == ()
    assert bid_deposit_irregularities(None, budget) == ()
    (over,) = bid_deposit_irregularities(Y("37000.01", "d"), budget)
    assert over.rule == "bid_deposit_over_limit"
    assert "37000.01元" in over.description_zh and "上限37000.00元" in over.description_zh
    contract = Y("1720000.00", "contract")
    assert performance_deposit_irregularities(Y("172000.00", "d"), contract) == ()
    assert performance_deposit_irregularities(None, contract) == ()
    assert performance_deposit_irregularities(Y("172000.01", "d"), contract)[0].rule == (
        "performance_deposit_over_limit"
    )
    assert supplementary_irregularities(Y("172000.00", "t"), contract) == ()
    (added,) = supplementary_irregularities(Y("172000.01", "t"), contract)
    assert added.rule == "supplementary_contracts_over_limit"


def test_a_cap_of_an_odd_base_rounds_down_but_compares_exactly() -> None:
    base = Y("0.99", "base")  # 2% is 1.98 fen
    assert BID_DEPOSIT_CAP.cap(base) == Y("0.01", "cap")
    assert not BID_DEPOSIT_CAP.exceeded(Y("0.01", "d"), base)
    assert BID_DEPOSIT_CAP.exceeded(Y("0.02", "d"), base)

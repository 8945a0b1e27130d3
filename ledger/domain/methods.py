"""Whether a procurement's method needs approval 采购方式审批.

Pure: no I/O. A method other than open tender needs a finance office's approval before the
procurement starts only at or above the open-tender threshold of its category (政府采购法
第二十七条; 政府采购法实施条例 第二十三条; 财政部令第74号 第四条); below it, and for open
tender, none is needed, so acting without one is not "procure first, file later". The
thresholds are rows of the time-limit table (unit ``wan_yuan``), each with its citation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from ledger.domain.clock import TimeLimit
from ledger.domain.money import Money
from ledger.domain.vocabulary import Category, Method

#: The threshold row of each category.
THRESHOLDS: Final[Mapping[Category, str]] = {
    Category.GOODS: "open_tender_threshold_goods_services",
    Category.SERVICES: "open_tender_threshold_goods_services",
    Category.WORKS: "open_tender_threshold_works",
}
_FEN_PER_WAN: Final = 1_000_000


def method_approval_required(
    method: Method, category: Category, budget: Money, limits: Mapping[str, TimeLimit]
) -> bool:
    """True when ``method`` on a procurement of ``budget`` needs its method approved. Without
    the category's threshold in the table, every method other than open tender does."""
    return method is not Method.OPEN_TENDER and at_threshold(category, budget, limits)


def at_threshold(category: Category, budget: Money, limits: Mapping[str, TimeLimit]) -> bool:
    """True when ``budget`` is at or above its category's open-tender threshold (or the table
    has none)."""
    threshold = limits.get(THRESHOLDS[category])
    return threshold is None or budget.fen >= threshold.limit * _FEN_PER_WAN

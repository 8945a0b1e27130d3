"""Whether a procurement's method needs approval 采购方式审批.

Pure: no I/O. A method other than open tender needs a finance office's approval before the
procurement starts only at or above the open-tender threshold of its category (政府采购法
第二十七条; 政府采购法实施条例 第二十三条; 财政部令第74号 第四条); below it, and for open
tender, none is needed, so acting without one is not "procure first, file later". The
thresholds are rows of the time-limit table (unit ``wan_yuan``), each with its citation.

Who approves: above the threshold only a finance office at 设区的市级 or above, whose
jurisdiction holds the procurement's region (政府采购法 第二十七条; 实施条例 第二十三条). Any
other approval is not the power the law gives and is refused (``may_approve_method``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from ledger.domain.clock import TimeLimit
from ledger.domain.errors import Forbidden
from ledger.domain.money import Money
from ledger.domain.vocabulary import Category, Level, Method

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


#: The lowest finance office that approves a method above the threshold, and why.
APPROVING_LEVEL: Final = Level.CITY
APPROVING_CITATION: Final = "政府采购法 第二十七条；政府采购法实施条例 第二十三条"


@dataclass(frozen=True)
class Jurisdiction:
    """A finance office's region, its level 层级 (None: not stated) and the regions below it
    that it oversees."""

    region: str
    level: Level | None = None
    oversees: tuple[str, ...] = ()

    def covers(self, region: str) -> bool:
        return region == self.region or region in self.oversees


def may_approve_method(
    office: str, jurisdiction: Jurisdiction, region: str, required: bool
) -> None:
    """Return if finance office ``office`` may approve the method of a procurement in
    ``region`` (``required``: it is at or above the threshold), else ``Forbidden``."""
    if not required:
        return  # below the threshold no approval is needed: any recorded one binds nothing
    level = jurisdiction.level
    if level is not None and level.rank >= APPROVING_LEVEL.rank and jurisdiction.covers(region):
        return
    held = "未登记层级" if level is None else level.label
    raise Forbidden(
        "rule roles.approve_method: 达到公开招标数额标准的项目采用公开招标以外的采购方式，须经"
        f"{APPROVING_LEVEL.label}以上人民政府财政部门批准，且该部门管辖项目所在地区（{region}）"
        f"（{APPROVING_CITATION}）；{office} 为{held}财政部门"
        + ("" if jurisdiction.covers(region) else f"，不管辖{region}")
    )

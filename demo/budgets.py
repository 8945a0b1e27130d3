"""What each demo plan names of its money: its 资金来源 and the 预算项目 of its purchaser's
approved budget, fixed by the catalogue (no draw, so the year's draws stay as they were).

A department budget holds a few project lines, not one per purchase: a purchaser's goods
come out of one item, its works out of another, its services out of a third. So pieces of
the same thing bought by one purchaser share their budget item, as the law's reading of
化整为零 (政府采购法实施条例 第二十八条) needs them to.
"""

from __future__ import annotations

from typing import Any, Final

from demo.catalogue import Item

#: The budget item of a purchaser's purchases of a category: its number and name.
LINES: Final[dict[str, tuple[str, str]]] = {
    "goods": ("01", "设备及物资购置"),
    "works": ("02", "房屋及设施维修改造"),
    "services": ("03", "运行维护及购买服务"),
}
#: Purchasers whose services are paid from their own income (a hospital's 医疗收入) and
#: those whose fees the finance office keeps in its 财政专户 (a vocational school's tuition).
OWN_INCOME: Final = frozenset({"qhx-rmyy", "qhx-zyy", "qhx-fybjy"})
SPECIAL_ACCOUNT: Final = frozenset({"qhx-zjzx"})


def funding_source(item: Item) -> str:
    """Works of roads, water and farmland from the 政府性基金预算 (land revenue); fees in the
    财政专户; hospitals' services from their income; the rest the 一般公共预算."""
    if item.category == "works" and item.purchaser in ("qhx-jtysj", "qhx-slj", "qhx-nyncj"):
        return "government_fund"
    if item.purchaser in SPECIAL_ACCOUNT:
        return "special_account"
    if item.category == "services" and item.purchaser in OWN_INCOME:
        return "other"
    return "general_budget"


def budget_item(item: Item) -> dict[str, str]:
    """The purchaser's budget line for the item's category: ``2026-RMYY-01 设备及物资购置``."""
    number, name = LINES[item.category]
    unit = item.purchaser.removeprefix("qhx-").upper()
    return {"code": f"2026-{unit}-{number}", "name": name}


def funding(item: Item, *, with_item: bool = True) -> dict[str, Any]:
    """The plan's ``funding_source`` and, unless left out, its ``budget_item``."""
    named: dict[str, Any] = {"funding_source": funding_source(item)}
    return named | ({"budget_item": budget_item(item)} if with_item else {})

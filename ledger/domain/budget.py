"""A plan's money: its 资金来源 and the 预算项目 of the approved budget it spends.

Procurement follows the approved budget (政府采购法 第六条), and the purchaser plans it from
its approved department budget (政府采购法实施条例 第二十九条): a plan names the source of its
money and the budget item. Both are optional on ``FilePlan`` so the plans of older logs
replay; a plan that names neither is what the red flag ``unbudgeted`` looks at.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from ledger.domain.errors import Invalid
from ledger.domain.schema import entries as E
from ledger.domain.text import parse_line
from ledger.domain.vocabulary import FundingSource

FUNDING_CITATION: Final = (
    "《中华人民共和国政府采购法》第六条；《中华人民共和国政府采购法实施条例》第二十九条"
)
FIELDS: Final = ("funding_source", "budget_item")
#: A 预算项目编码 as budgets write it: letters, digits and ``. _ / -``, at most 40.
ITEM_CODE: Final = re.compile(r"[0-9A-Za-z][0-9A-Za-z._/-]{0,39}\Z")
ITEM_NAME_MAX: Final = 100


def stated(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The plan's ``funding_source`` and ``budget_item`` as ``PlanFiled`` records them,
    each only when given (an old plan gives neither)."""
    out: dict[str, Any] = {}
    if payload.get("funding_source") is not None:
        out["funding_source"] = FundingSource.from_payload(payload, "funding_source")
    if payload.get("budget_item") is not None:
        out["budget_item"] = budget_item(payload["budget_item"], "payload.budget_item")
    return out


def budget_item(value: object, field: str) -> E.BudgetItem:
    """A 预算项目 {code, name}: a code of the budget's spelling and a one-line name."""
    if not isinstance(value, Mapping):
        raise Invalid(f"{field} must be an object with code and name")
    unknown = sorted(set(value) - {"code", "name"})
    if unknown:
        raise Invalid(f"{field}: unknown field {unknown[0]!r}")
    code = value.get("code")
    if not isinstance(code, str) or not ITEM_CODE.match(code):
        raise Invalid(
            f"{field}.code must be 1–40 letters, digits and '. _ / -', starting with a "
            "letter or digit (the 预算项目编码)"
        )
    name = parse_line(value.get("name"), f"{field}.name", limit=ITEM_NAME_MAX)
    return E.BudgetItem(code=code, name=name)


def unbudgeted(plan: E.PlanFiled) -> bool:
    """Whether the plan names no 资金来源 or no 预算项目."""
    return plan.funding_source is None or plan.budget_item is None

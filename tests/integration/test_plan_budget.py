"""A plan's 资金来源 and 预算项目 (政府采购法 第六条; 实施条例 第二十九条): recorded as the
purchaser names them, checked, and optional so that a plan naming neither is still filed."""

from __future__ import annotations

from typing import Any

import pytest
from procurement_world import PLAN, County

from ledger.domain.errors import Invalid

FUNDED = {
    "funding_source": "general_budget",
    "budget_item": {"code": "2026-WJW-0007", "name": "县人民医院医疗设备购置"},
}


# Each test's county is a copy of one registered once per worker (conftest.py).
pytestmark = pytest.mark.world("county")


@pytest.fixture
def county(world: Any) -> County:
    return County(world)


def test_the_plan_records_its_funding_source_and_budget_item(county: County) -> None:
    receipt = county.act(county.purchaser, "FilePlan", PLAN | FUNDED)
    data = county.leaf(receipt)["data"]
    assert data["funding_source"] == "general_budget"
    assert data["budget_item"] == {"code": "2026-WJW-0007", "name": "县人民医院医疗设备购置"}


def test_a_plan_naming_neither_is_filed_without_them(county: County) -> None:
    data = county.leaf(county.act(county.purchaser, "FilePlan", PLAN))["data"]
    assert "funding_source" not in data and "budget_item" not in data


@pytest.mark.parametrize(
    ("given", "refused"),
    [
        ({"funding_source": "lottery"}, r"payload\.funding_source must be one of"),
        ({"budget_item": "2026-WJW-0007"}, r"payload\.budget_item must be an object"),
        ({"budget_item": {"code": "", "name": "设备购置"}}, r"payload\.budget_item\.code"),
        ({"budget_item": {"code": "预算一", "name": "设备购置"}}, r"payload\.budget_item\.code"),
        ({"budget_item": {"code": "A" * 41, "name": "设备购置"}}, r"payload\.budget_item\.code"),
        ({"budget_item": {"code": "A1", "name": "  "}}, r"payload\.budget_item\.name"),
        ({"budget_item": {"code": "A1", "name": "设" * 101}}, r"payload\.budget_item\.name"),
        ({"budget_item": {"code": "A1", "name": "设备\n购置"}}, r"payload\.budget_item\.name"),
        ({"budget_item": {"code": "A1", "name": "设备", "year": 2026}},
         r"payload\.budget_item: unknown field 'year'"),
    ],
)
def test_a_funding_source_or_budget_item_out_of_shape_is_refused(
    county: County, given: dict[str, Any], refused: str
) -> None:
    with pytest.raises(Invalid, match=refused):
        county.act(county.purchaser, "FilePlan", PLAN | given)

"""采购标的 on the record: a tender notice's items with their 品目, its 最高限价 within the
budget (财政部令第87号 第十二条) and the minute it was published; a result notice's 主要标的 and
代理服务费 (第六十九条). Bad input is refused with the field's path and nothing recorded; an
award above the ceiling but within the budget is recorded with its finding, which the
verifier recomputes."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import World
from procurement_world import County
from test_procurement_ledger import refused
from test_statutes import rules, verified
from test_verifier_registry import entries

from ledger.domain.errors import Invalid

ITEMS = [{"name": "彩色多普勒超声诊断仪", "catalogue": "A02320000", "quantity": "1", "unit": "台"}]


# Each test's county is a copy of one registered once per worker (conftest.py).
pytestmark = pytest.mark.world("county")


@pytest.fixture
def county(world: World) -> County:
    return County(world)


def tender(county: County) -> dict[str, Any]:
    """The tender notice's entry data of p1."""
    notices = [e for e in entries(county.world) if e["type"] == "TenderAnnounced"]
    data: dict[str, Any] = notices[-1]["data"]
    return data


def test_a_tender_notice_records_its_items_ceiling_and_minute(county: County) -> None:
    notice = {"items": ITEMS, "ceiling_price": "1800000.00", "published_time": "16:32"}
    county.to_announced(notice=notice)
    data = tender(county)
    assert data["items"] == ITEMS
    assert data["ceiling_price"] == "1800000.00"
    assert data["published_time"] == "16:32"


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ({"ceiling_price": "1850000.01"}, "payload.ceiling_price: 最高限价 1850000.01元 exceeds"),
        ({"ceiling_price": 1800000}, "payload.ceiling_price"),
        ({"items": []}, "payload.items must be a list of 1–50 items"),
        ({"items": [ITEMS[0] | {"catalogue": "D0101"}]}, "payload.items[0].catalogue"),
        ({"items": [ITEMS[0] | {"catalogue": "A020"}]}, "payload.items[0].catalogue"),
        ({"items": [ITEMS[0], ITEMS[0] | {"quantity": "0"}]}, "payload.items[1].quantity"),
        ({"items": [ITEMS[0] | {"quantity": 2}]}, "payload.items[0].quantity"),
        ({"items": [ITEMS[0] | {"unit": ""}]}, "payload.items[0].unit must not be empty"),
        ({"items": [ITEMS[0] | {"brand": "某品牌"}]}, "payload.items[0]: unknown field 'brand'"),
        ({"items": ["超声诊断仪"]}, "payload.items[0] must be an object"),
        ({"published_time": "9:30"}, "payload.published_time"),
    ],
)
def test_bad_subjects_are_refused_naming_the_field(
    county: County, given: dict[str, Any], said: str
) -> None:
    with pytest.raises(Invalid) as caught:
        county.to_announced(notice=given)
    assert said in caught.value.message
    # The plan and its approvals went in; the notice did not.
    assert entries(county.world)[-1]["type"] == "IntentionDisclosed"


def test_an_award_above_the_ceiling_is_recorded_with_its_finding(county: County) -> None:
    c = county
    c.to_evaluated(("1810000.00", "1820000.00", "1830000.00"),
                   notice={"ceiling_price": "1800000.00"})  # fmt: skip
    award = {"date": "2026-05-07", "supplier": "kangtai", "amount": "1810000.00"}
    found = rules(c, c.act(c.purchaser, "DecideAward", award))
    assert found["award_over_ceiling"]["citation"] == "财政部令第87号 第十二条、第六十三条"
    assert "award_over_budget" not in found
    verified(c)


def test_an_award_within_the_ceiling_has_no_finding(county: County) -> None:
    c = county
    c.to_evaluated(notice={"ceiling_price": "1800000.00"})
    award = {"date": "2026-05-07", "supplier": "xinda", "amount": "1720000.00"}
    assert "award_over_ceiling" not in rules(c, c.act(c.purchaser, "DecideAward", award))


def test_a_result_notice_records_its_main_items_and_agency_fee(county: County) -> None:
    c = county
    c.to_evaluated()
    c.act(c.purchaser, "DecideAward",
          {"date": "2026-05-07", "supplier": "xinda", "amount": "1720000.00"})  # fmt: skip
    items = [{"name": "彩色多普勒超声诊断仪", "specification": "型号X9，含三维探头",
              "quantity": "1", "unit": "台", "unit_price": "1720000.00",
              "service": "质保三年，4小时响应"}]  # fmt: skip
    bad = {"date": "2026-05-08", "items": [items[0] | {"unit_price": 1720000}]}
    error = refused(Invalid, c.act, c.agency, "AnnounceResult", bad)
    assert "payload.items[0].unit_price" in error.message
    result = c.act(c.agency, "AnnounceResult",
                   {"date": "2026-05-08", "items": items, "agency_fee": "17200.00"})  # fmt: skip
    data = c.leaf(result)["data"]
    assert data["items"] == items and data["agency_fee"] == "17200.00"
    verified(c)

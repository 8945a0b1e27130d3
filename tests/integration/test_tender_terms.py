"""What a notice states besides its subject, on the record: a tender's 落实政府采购政策 (中小企业,
价格扣除, imports, consortia) and how its documents are obtained (财政部令第87号 第十三条); a
single source's 公示 end and its experts' 论证意见 (实施条例 第三十八条). Bad input is refused
with the field's path and nothing recorded; the verifier accepts what was recorded."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import World
from procurement_world import PLAN, County
from test_statutes import verified
from test_verifier_registry import entries

from ledger.domain.errors import Invalid

POLICIES = {"sme": "price_deduction", "price_deduction": 10, "imports": False,
            "consortium": True}  # fmt: skip
OBTAINING = {"place": "澄溪县公共资源交易中心网站", "method": "网上免费下载", "price": "0.00"}
EXPERT = {"name": "周明远", "unit": "云岭省信息技术应用研究院", "title": "高级工程师",
          "opinion": "经论证，该系统只能由原开发商升级。"}  # fmt: skip


# Each test's county is a copy of one registered once per worker (conftest.py).
pytestmark = pytest.mark.world("county")


@pytest.fixture
def county(world: World) -> County:
    return County(world)


def last(county: County, kind: str) -> dict[str, Any]:
    data: dict[str, Any] = [e for e in entries(county.world) if e["type"] == kind][-1]["data"]
    return data


def test_a_tender_records_its_policies_and_how_documents_are_obtained(county: County) -> None:
    county.to_announced(notice={"policies": POLICIES, "obtaining": OBTAINING})
    data = last(county, "TenderAnnounced")
    assert data["policies"] == POLICIES
    assert data["obtaining"] == OBTAINING
    reserved = {"sme": "reserved", "imports": True, "consortium": False}
    county.to_announced("p2", notice={"policies": reserved})
    assert last(county, "TenderAnnounced")["policies"] == reserved  # no deduction written
    verified(county)


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ({"policies": "中小企业"}, "payload.policies must be an object"),
        ({"policies": POLICIES | {"sme": "sometimes"}}, "payload.policies.sme must be one of"),
        ({"policies": POLICIES | {"price_deduction": 25}}, "payload.policies.price_deduction"),
        ({"policies": POLICIES | {"price_deduction": "10"}}, "payload.policies.price_deduction"),
        ({"policies": POLICIES | {"sme": "reserved"}},
         "payload.policies.price_deduction is given only with sme = price_deduction"),
        ({"policies": {"sme": "none", "imports": "否", "consortium": False}},
         "payload.policies.imports must be true or false"),
        ({"policies": POLICIES | {"local_only": True}}, "unknown field 'local_only'"),
        ({"obtaining": OBTAINING | {"price": "free"}}, "payload.obtaining.price"),
        ({"obtaining": OBTAINING | {"place": ""}}, "payload.obtaining.place must not be empty"),
        ({"obtaining": {"place": "网站", "price": "0.00"}}, "payload.obtaining.method"),
        ({"experts": [EXPERT]}, "unknown field 'experts'"),  # a single source's only
    ],
)  # fmt: skip
def test_bad_terms_are_refused_naming_the_field(
    county: County, given: dict[str, Any], said: str
) -> None:
    with pytest.raises(Invalid) as caught:
        county.to_announced(notice=given)
    assert said in caught.value.message
    assert entries(county.world)[-1]["type"] == "IntentionDisclosed"  # the notice not recorded


def single_source(county: County, notice: dict[str, Any]) -> None:
    c = county
    c.act(c.purchaser, "FilePlan",
          PLAN | {"method": "single_source", "rationale": "专利产品", "agency": None})  # fmt: skip
    c.act(c.finance, "ApprovePlan", {"date": "2026-03-03"})
    c.act(c.finance, "ApproveMethod", {"date": "2026-03-03"})
    c.act(c.purchaser, "AnnounceTender", {
        "date": "2026-03-04", "requirement": "原厂配件", "qualifications": "原厂授权",
        "contact": "陈静", "supplier": "kangtai", "reason": "只能从原厂采购", **notice,
    })  # fmt: skip


def test_a_single_source_records_its_experts_and_the_end_of_its_publicity(
    county: County,
) -> None:
    experts = [EXPERT, EXPERT | {"name": "林晓岚", "unit": "云岭理工大学", "title": "教授"}]
    single_source(county, {"experts": experts, "period_end": "2026-03-11"})
    data = last(county, "TenderAnnounced")
    assert data["experts"] == experts and data["period_end"] == "2026-03-11"
    verified(county)


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ({"experts": []}, "payload.experts must list the 1–10 专业人员"),
        ({"experts": [EXPERT | {"title": ""}]}, "payload.experts[0].title must not be empty"),
        ({"experts": [EXPERT, {"name": "林晓岚"}]}, "payload.experts[1].unit"),
        ({"experts": [EXPERT | {"phone": "1"}]}, "payload.experts[0]: unknown field 'phone'"),
        ({"period_end": "2026-03-03"}, "payload.period_end"),
        ({"policies": POLICIES}, "unknown field 'policies'"),  # a tender's, not a 公示's
    ],
)
def test_bad_single_source_terms_are_refused(
    county: County, given: dict[str, Any], said: str
) -> None:
    with pytest.raises(Invalid) as caught:
        single_source(county, given)
    assert said in caught.value.message
    assert entries(county.world)[-1]["type"] == "MethodApproved"

"""The policy figures of the statistics, against a small county computed by hand: the
contract amounts awarded to 中小企业 and to 小微企业 (by the winner's status as declared when
the award was decided), by category and method, and by 组织形式 as the plans state it.

On SQLite and PostgreSQL. The county (amounts in yuan):

====  ========  =============  ==============  ===========================  ============
code  category  method         组织形式         winner (declared at award)   contract
====  ========  =============  ==============  ===========================  ============
p1    goods     open_tender    集中采购         kangtai, medium              1,790,000.00
p2    services  single_source  分散采购         xinda, micro                   400,000.00
====  ========  =============  ==============  ===========================  ============

After p1's award kangtai declares itself micro: p1 still counts as a medium enterprise's.
So 中小企业 2,190,000.00 of 2,190,000.00 (100.00%); 小微企业 400,000.00 (18.26%, 400000 ÷
2190000 = 0.182648… rounded half up); 集中采购 1,790,000.00 (81.74%), 分散采购 400,000.00
(18.26%), 部门集中采购 0. By 资金来源: p1 names 政府性基金预算资金 (1,790,000.00, 81.74%),
p2 names none (400,000.00 未载明, 18.26%).
"""

from __future__ import annotations

from typing import Any

import pytest
from procurement_world import PLAN, County

from ledger.domain.errors import Invalid
from ledger.log.follower import Follower
from projections.statistics import StatisticsProjection
from projections.supervision.statistics import compute, parse_filters

# Each test's county is a copy of one registered once per worker (conftest.py).
pytestmark = pytest.mark.world("county")


@pytest.fixture
def county(world: Any) -> County:
    c = County(world)
    for org, status in (("kangtai", "medium"), ("xinda", "micro"), ("huamei", "not_sme")):
        c.act(c.finance, "AmendOrganisation", {"code": org, "sme": status})
    c.to_evaluated(organisation_form="centralised", funding_source="government_fund")
    c.act(c.purchaser, "DecideAward",
          {"date": "2026-05-07", "supplier": "kangtai", "amount": "1790000.00",
           "reason": "排名第一的供应商放弃中标"})  # fmt: skip
    c.act(c.suppliers[0], "AmendOrganisation", {"code": "kangtai", "sme": "micro"})
    c.act(c.agency, "AnnounceResult", {"date": "2026-05-08"})
    c.act(c.purchaser, "SignContract",
          {"date": "2026-06-02", "contract_number": "HT-1", "amount": "1790000.00"})  # fmt: skip
    c.act(c.purchaser, "FilePlan",
          PLAN | {"title": "澄溪县人民医院信息系统运维服务", "category": "services",
                  "method": "single_source", "budget": "420000.00", "agency": None,
                  "rationale": "原系统开发商", "organisation_form": "decentralised"},
          "p2")  # fmt: skip
    c.act(c.finance, "ApprovePlan", {"date": "2026-03-03"}, "p2")
    c.act(c.finance, "ApproveMethod", {"date": "2026-03-03"}, "p2")
    c.act(c.purchaser, "AnnounceTender",
          {"date": "2026-03-04", "requirement": "原系统运维", "qualifications": "原开发商",
           "contact": "陈静 0319-8123456", "supplier": "xinda", "reason": "只能从原开发商采购"},
          "p2")  # fmt: skip
    c.act(c.purchaser, "DecideAward",
          {"date": "2026-03-20", "supplier": "xinda", "amount": "400000.00"}, "p2")  # fmt: skip
    c.act(c.purchaser, "SignContract",
          {"date": "2026-03-25", "contract_number": "HT-2", "amount": "400000.00"},
          "p2")  # fmt: skip
    return c


def report(county: County, *items: tuple[str, str]) -> Any:
    Follower(county.ledger.db, StatisticsProjection()).catch_up()
    db = county.ledger.db
    return compute(db, parse_filters(db, list(items)))


def test_sme_shares_and_organisation_forms_as_computed_by_hand(county: County) -> None:
    f = Follower(county.ledger.db, StatisticsProjection())
    f.setup()
    found = report(county)
    t = found.total
    assert (t.contracts, t.contract_fen) == (2, 219_000_000)
    assert (t.sme_contract_fen, t.sme_share) == (219_000_000, "100.00%")
    assert (t.small_micro_contract_fen, t.small_micro_share) == (40_000_000, "18.26%")
    assert (t.centralised_contract_fen, t.share(t.centralised_contract_fen)) == (
        179_000_000, "81.74%")  # fmt: skip
    assert (t.decentralised_contract_fen, t.departmental_contract_fen) == (40_000_000, 0)
    assert t.unstated_form_fen == 0
    category = {r.key: r.totals for r in found.breakdowns["category"]}
    assert (category["goods"].sme_share, category["goods"].small_micro_share) == (
        "100.00%", "0.00%")  # fmt: skip
    assert category["services"].small_micro_contract_fen == 40_000_000
    assert category["works"].small_micro_share == "—"  # no contract: no share
    method = {r.key: r.totals for r in found.breakdowns["method"]}
    assert method["single_source"].small_micro_share == "100.00%"
    assert method["open_tender"].sme_contract_fen == 179_000_000
    assert found.reconciled  # every breakdown adds up to the total, the new figures too
    # A filter narrows them like any other figure.
    goods = report(county, ("category", "goods")).total
    assert (goods.contract_fen, goods.small_micro_contract_fen) == (179_000_000, 0)


def test_contract_amounts_by_funding_source_as_computed_by_hand(county: County) -> None:
    Follower(county.ledger.db, StatisticsProjection()).setup()
    found = report(county)
    t = found.total
    assert t.by_source == [
        ("一般公共预算资金", 0), ("政府性基金预算资金", 179_000_000), ("国有资本经营预算资金", 0),
        ("财政专户管理资金", 0), ("其他资金", 0),
    ]
    assert (t.unstated_source_fen, t.share(t.unstated_source_fen)) == (40_000_000, "18.26%")
    method = {r.key: r.totals for r in found.breakdowns["method"]}
    assert method["open_tender"].funded_government_fund_fen == 179_000_000
    assert method["single_source"].unstated_source_fen == 40_000_000
    assert found.reconciled
    services = report(county, ("category", "services")).total
    assert (services.funded_government_fund_fen, services.unstated_source_fen) == (0, 40_000_000)


def test_a_plans_organisation_form_is_checked(county: County) -> None:
    with pytest.raises(Invalid, match=r"payload\.organisation_form"):
        county.act(county.purchaser, "FilePlan",
                   PLAN | {"organisation_form": "regional"}, "p3")  # fmt: skip
    with pytest.raises(Invalid, match="第十八条"):
        county.act(county.purchaser, "FilePlan",
                   PLAN | {"organisation_form": "centralised", "agency": None}, "p3")  # fmt: skip

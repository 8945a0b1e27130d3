"""资格预审公告 and its result on the record: an invited tender calls for qualification
applications before it invites bids (财政部令第87号 第十四条), a 公告期限 shorter than 5 working
days is recorded with its finding (第十六条), an open goods tender has no such notice; the
result names the qualified and the refused with their reasons, once, after the applications
closed and before the invitation, fewer than three qualified is a finding (政府采购法 第三十四条);
bad input is refused with the field's path and nothing recorded."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import World
from procurement_world import PLAN, County
from test_statutes import rules, verified
from test_verifier_registry import entries, verify

from ledger import signing
from ledger.domain.errors import Conflict, Forbidden, Invalid
from ledger.verify import VerificationFailed

CALL = {
    "date": "2026-04-10", "requirement": "汽车维修实训设备一批。",
    "qualifications": "具有独立承担民事责任的能力。", "contact": "刘洋 0319-8123456",
    "application_deadline": "2026-04-17", "application_deadline_time": "17:00",
    "period_end": "2026-04-17",
    "obtaining": {"place": "澄溪县公共资源交易中心网站", "method": "网上下载", "price": "0.00"},
}  # fmt: skip


# Each test's county is a copy of one registered once per worker (conftest.py).
pytestmark = pytest.mark.world("county")


@pytest.fixture
def county(world: World) -> County:
    return County(world)


def planned(county: County, method: str = "invited_tender") -> None:
    c = county
    c.act(c.purchaser, "FilePlan", PLAN | {"method": method, "rationale": "供应商有限"})
    c.act(c.finance, "ApprovePlan", {"date": "2026-03-03"})
    c.act(c.finance, "ApproveMethod", {"date": "2026-03-03", "rationale": "供应商有限"})
    c.act(c.purchaser, "DiscloseIntention", {"date": "2026-03-04", "expected_start": "2026-04-10"})


def test_an_invited_tender_calls_for_applications_then_announces(county: County) -> None:
    planned(county)
    c = county
    notice = c.leaf(c.act(c.agency, "AnnouncePrequalification", CALL))
    assert notice["type"] == "PrequalificationAnnounced"
    data = notice["data"]
    assert data["announcement"] == "prequalification" and data["findings"] == []
    assert data["application_deadline"] == "2026-04-17" and data["obtaining"] == CALL["obtaining"]
    c.act(c.agency, "AnnounceTender", {
        "date": "2026-04-22", "requirement": "见投标邀请书。", "qualifications": "通过资格预审。",
        "contact": "刘洋", "bid_deadline": "2026-05-13", "bid_deadline_time": "09:30",
        "place": "开标一室",
    })  # fmt: skip
    verified(c)


def test_a_short_period_is_recorded_with_its_finding(county: County) -> None:
    planned(county)
    c = county
    short = CALL | {"period_end": "2026-04-13", "application_deadline": "2026-04-13"}
    found = rules(c, c.act(c.agency, "AnnouncePrequalification", short))
    assert "tender_announcement_period" in found
    verified(c)


def test_an_open_goods_tender_has_no_prequalification(county: County) -> None:
    planned(county, "open_tender")
    with pytest.raises(Invalid, match="资格预审公告"):
        county.act(county.agency, "AnnouncePrequalification", CALL)
    assert entries(county.world)[-1]["type"] == "IntentionDisclosed"


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ({"application_deadline": "2026-04-09"}, "payload.application_deadline"),
        ({"application_deadline_time": "5pm"}, "payload.application_deadline_time"),
        ({"period_end": "2026-04-01"}, "payload.period_end"),
        ({"obtaining": {"place": "网站"}}, "payload.obtaining"),
        ({"qualifications": ""}, "payload.qualifications"),
        ({"bid_deadline": "2026-05-13"}, "unknown field 'bid_deadline'"),
    ],
)
def test_bad_calls_are_refused_naming_the_field(
    county: County, given: dict[str, Any], said: str
) -> None:
    planned(county)
    with pytest.raises(Invalid) as caught:
        county.act(county.agency, "AnnouncePrequalification", CALL | given)
    assert said in caught.value.message
    assert entries(county.world)[-1]["type"] == "IntentionDisclosed"


# -- the result 资格预审结果 ------------------------------------------------------------------

TENDER = {
    "date": "2026-04-22", "requirement": "见投标邀请书。", "qualifications": "通过资格预审。",
    "contact": "刘洋", "bid_deadline": "2026-05-13", "bid_deadline_time": "09:30",
    "place": "开标一室",
}  # fmt: skip
REFUSED = {"supplier": "tongda", "reason": "未提供汽车维修实训设备的供货业绩证明。"}
RESULT = {"date": "2026-04-20", "qualified": ["kangtai", "xinda", "huamei"], "refused": [REFUSED]}


def called(county: County) -> None:
    """An invited tender whose call for applications closed on 17 April; four applied."""
    county.world.add("tongda", "supplier", "tongda-op", "云岭通达科技有限公司")
    planned(county)
    county.act(county.agency, "AnnouncePrequalification", CALL)


def test_the_result_names_the_qualified_and_the_refused_then_the_invitation_follows(
    county: County,
) -> None:
    c = county
    called(c)
    result = c.leaf(c.act(c.agency, "RecordPrequalification", RESULT))
    assert result["type"] == "PrequalificationCompleted"
    data = result["data"]
    assert data["qualified"] == ["kangtai", "xinda", "huamei"] and data["refused"] == [REFUSED]
    assert data["announcement"] is None and data["findings"] == []  # not a notice
    c.act(c.agency, "AnnounceTender", TENDER)
    verified(c)


def test_fewer_than_three_qualified_is_recorded_with_its_finding(county: County) -> None:
    c = county
    called(c)
    few = RESULT | {"qualified": ["kangtai", "xinda"],
                    "refused": [REFUSED, {"supplier": "huamei", "reason": "营业执照已过期。"}]}
    found = rules(c, c.act(c.purchaser, "RecordPrequalification", few))
    assert found["minimum_prequalified"]["citation"].startswith("政府采购法 第三十四条")
    assert "通过资格预审2家" in found["minimum_prequalified"]["description_zh"]
    verified(c)  # the verifier recomputes the minimum from the table


def test_a_result_out_of_order_is_refused(county: County) -> None:
    c = county
    c.world.add("tongda", "supplier", "tongda-op", "云岭通达科技有限公司")
    planned(c)
    with pytest.raises(Conflict, match="called for no qualification applications"):
        c.act(c.agency, "RecordPrequalification", RESULT)
    c.act(c.agency, "AnnouncePrequalification", CALL)
    with pytest.raises(Conflict, match=r"before the applications closed \(2026-04-17\)"):
        c.act(c.agency, "RecordPrequalification", RESULT | {"date": "2026-04-16"})
    c.act(c.agency, "RecordPrequalification", RESULT)
    with pytest.raises(Conflict, match="already recorded"):
        c.act(c.agency, "RecordPrequalification", RESULT)
    c.act(c.agency, "AnnounceTender", TENDER)
    assert entries(c.world)[-1]["type"] == "TenderAnnounced"
    verified(c)


def test_no_result_after_the_invitation_to_bid(county: County) -> None:
    c = county
    called(c)
    c.act(c.agency, "AnnounceTender", TENDER)
    with pytest.raises(Conflict, match="当前阶段须为：未开始采购、已公开采购意向"):
        c.act(c.agency, "RecordPrequalification", RESULT | {"date": "2026-04-23"})


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ({"qualified": ["kangtai", "xinda", "kangtai"]},
         "payload.qualified[2]: kangtai is named twice"),
        ({"refused": [REFUSED | {"supplier": "xinda"}]},
         "payload.refused[0].supplier: xinda is named twice"),
        ({"qualified": ["kangtai", "rmyy"]},
         "payload.qualified[1]: rmyy is not a registered supplier"),
        ({"refused": [REFUSED | {"reason": ""}]}, "payload.refused[0].reason"),
        ({"refused": [{"supplier": "tongda"}]}, "payload.refused[0].reason"),
        ({"refused": ["tongda"]}, "payload.refused[0] must be an object"),
        ({"qualified": [], "refused": []}, "name no applicant"),
        ({"invited": ["kangtai"]}, "unknown field 'invited'"),
    ],
)
def test_bad_results_are_refused_naming_the_field(
    county: County, given: dict[str, Any], said: str
) -> None:
    called(county)
    with pytest.raises(Invalid) as caught:
        county.act(county.agency, "RecordPrequalification", RESULT | given)
    assert said in caught.value.message
    assert entries(county.world)[-1]["type"] == "PrequalificationAnnounced"


def test_a_supplier_cannot_record_the_result(county: County) -> None:
    called(county)
    with pytest.raises(Forbidden, match="record_prequalification"):
        county.act(county.suppliers[0], "RecordPrequalification", RESULT)


def test_a_rewritten_result_is_named_by_the_verifier(county: County) -> None:
    """An operator holding the log key rewrites the result; the verifier names it."""
    c = county
    called(c)
    c.act(c.agency, "RecordPrequalification", RESULT)
    log = entries(c.world)
    index = next(i for i, e in enumerate(log) if e["type"] == "PrequalificationCompleted")
    honest = log[index]
    swapped = {**honest["data"], "qualified": ["kangtai", "xinda", "tongda"]}
    log[index] = {**honest, "data": swapped}
    with pytest.raises(VerificationFailed, match="other than the signed payload's"):
        verify(log)
    # Dated before the applications closed, and re-signed as the agency really would have.
    early = honest["command"]["payload"] | {"date": "2026-04-16"}
    command = {**honest["command"], "payload": early}
    log[index] = {**honest, "command": command, "data": {**honest["data"], "date": "2026-04-16"},
                  "signature": signing.sign(command, c.agency.key)["signature"]}  # fmt: skip
    with pytest.raises(VerificationFailed, match=r"refused: rule lifecycle\.record"):
        verify(log)

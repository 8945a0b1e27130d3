"""The one OCDS mapping: a procurement's entries folded into its story, each notice made a
release. Bids appear only from the opening, awards only in the result release dated by
its notice, contracts keyed by their number with the day they were signed, reasons of a
termination given, the ocid prefix validated."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from ledger.domain.schema import entries as E
from ledger.domain.schema.entry import parse_data
from ledger.domain.vocabulary import AnnouncementType
from ledger.ocds.release import TAGS, TENDER_STATUS, release
from ledger.ocds.story import Organisation, Story, told
from sunshine.settings import Settings

CODE = "qhx-2026-003"
STATE = {"closed": None, "method_approved": True, "plan": "approved", "progress": "announced",
         "suspended": False}  # fmt: skip
SUMMARY = {"procurement": CODE, "title": "耕地保护监测无人机采购项目", "purchaser": "qhx-zrzyj",
           "agency": "qhx-ggzy", "region": "澄溪县", "category": "goods", "method": "inquiry",
           "budget": "450000.00", "state": STATE, "findings": []}  # fmt: skip
NAMES = {
    "qhx-zrzyj": Organisation(code="qhx-zrzyj", name="澄溪县自然资源和规划局",
                              address="澄溪县武松路1号", region="澄溪县"),
    "qhx-chuangxin": Organisation(code="qhx-chuangxin", name="澄溪创新科技有限公司",
                                  address="", region="澄溪县"),
}  # fmt: skip
OPENED = {"commitment": "A" * 43 + "=", "salt": "B" * 43 + "="}


def lifecycle(**data: Any) -> dict[str, Any]:
    return {"procurement": CODE, "state": STATE, "findings": [], "announcement": None, **data}


#: One procurement's entries, in log order: (leaf index, kind, data).
ENTRIES: list[tuple[int, str, dict[str, Any]]] = [
    (10, "PlanFiled", {**SUMMARY, "announcement": None, "date": "2026-01-05",
                       "requirement": "无人机", "rationale": "货物规格统一",
                       "funding_source": "government_fund",
                       "budget_item": {"code": "2026-ZRZY-012", "name": "耕地保护专项"}}),
    (12, "TenderAnnounced", {**SUMMARY, "announcement": "tender", "date": "2026-02-09",
                             "requirement": "无人机一批", "qualifications": "独立法人",
                             "contact": "袁玉兰 0319-8580689", "bid_deadline": "2026-02-14",
                             "bid_deadline_time": "09:30",
                             "place": "开标一室"}),
    (14, "BidBoxClosed", {"procurement": CODE, "date": "2026-02-14",
                          "closed_at": "2026-02-14 09:30", "root": "D" * 43 + "=", "size": 16}),
    (15, "BidsOpened", lifecycle(date="2026-02-14", bids=[
        {"supplier": "qhx-chuangxin", "price": {**OPENED, "value": "416800.00"}},
        {"supplier": "bj-hengtong", "price": {**OPENED, "value": "420000.50"}}])),
    (16, "EvaluationCompleted", lifecycle(date="2026-02-14",
                                          committee={"commitment": "C" * 43 + "="},
        results=[{"supplier": "qhx-chuangxin", "valid": True},
                 {"supplier": "bj-hengtong", "valid": False, "reason": "资格不符"}])),
    (17, "AwardDecided", lifecycle(date="2026-02-24", supplier="qhx-chuangxin",
                                   amount="416800.00")),
    (18, "ResultAnnounced", {**SUMMARY, "announcement": "result", "date": "2026-02-25",
                             "supplier": "qhx-chuangxin", "amount": "416800.00"}),
    (20, "ContractSigned", lifecycle(date="2026-03-02", contract_number="QHXHT-2026-003",
                                     supplier="qhx-chuangxin", amount="416800.00")),
    (21, "ContractAnnounced", {**SUMMARY, "announcement": "contract", "date": "2026-03-03",
                               "supplier": "qhx-chuangxin", "amount": "416800.00",
                               "contract_number": "QHXHT-2026-003"}),
    (25, "AcceptanceRecorded", {**SUMMARY, "announcement": "acceptance", "date": "2026-03-25",
                                "supplier": "qhx-chuangxin", "passed": True, "report": "验收合格"}),
]  # fmt: skip


def releases() -> dict[str, dict[str, Any]]:
    """Each notice's release, by its announcement type."""
    story: Story | None = None
    made: dict[str, dict[str, Any]] = {}
    for index, kind, data in ENTRIES:
        typed = parse_data(kind, data)
        assert not isinstance(typed, E.RegistryData | E.StreamData | E.DeliveryData)
        assert not isinstance(typed, E.SealedValueRead | E.BidCommitted | E.StatuteData)
        assert not isinstance(typed, E.ReleaseImported)
        story = told(story, index, typed)
        assert story is not None
        if isinstance(typed, E.Summary) and typed.announcement is not None:
            made[typed.announcement.value] = release(
                story, index, typed, "hash=", NAMES, "ocds-qhx000"
            )
    return made


def test_bids_appear_from_the_opening_with_their_evaluation() -> None:
    made = releases()
    assert "bids" not in made["tender"] and "numberOfTenderers" not in made["tender"]["tender"]
    bids = made["result"]["bids"]["details"]
    assert [(b["tenderers"][0]["id"], b["value"]["amount"], b["status"]) for b in bids] == [
        ("qhx-chuangxin", 416800, "valid"),
        ("bj-hengtong", 420000.5, "disqualified"),
    ]
    assert made["result"]["tender"]["numberOfTenderers"] == 2


def test_awards_only_in_the_result_contracts_by_number_with_their_signing() -> None:
    made = releases()
    assert [k for k, r in made.items() if "awards" in r] == ["result"]
    (award,) = made["result"]["awards"]
    assert award["date"] == made["result"]["date"] == "2026-02-25T00:00:00+08:00"
    assert award["suppliers"] == [{"id": "qhx-chuangxin", "name": "澄溪创新科技有限公司"}]
    for kind in ("contract", "acceptance"):
        (contract,) = made[kind]["contracts"]
        assert contract["id"] == "QHXHT-2026-003" and contract["awardID"] == award["id"]
        assert contract["dateSigned"] == "2026-03-02T00:00:00+08:00"
    (milestone,) = made["acceptance"]["contracts"][0]["implementation"]["milestones"]
    assert milestone["type"] == "delivery" and milestone["dateMet"].startswith("2026-03-25")


def test_a_release_names_its_parties_tender_period_and_leaf() -> None:
    made = releases()
    tender = made["tender"]
    assert tender["id"] == f"{CODE}-12" and tender["ocid"] == f"ocds-qhx000-{CODE}"
    assert tender["tag"] == ["tender"] and tender["tender"]["procurementMethodDetails"] == "询价"
    assert tender["tender"]["tenderPeriod"] == {
        "startDate": "2026-02-09T00:00:00+08:00",
        "endDate": "2026-02-14T09:30:00+08:00",  # the deadline's minute, as the notice gives it
    }
    parties = {p["id"]: p for p in made["result"]["parties"]}
    assert parties["qhx-zrzyj"]["name"] == "澄溪县自然资源和规划局"
    assert parties["qhx-zrzyj"]["address"]["streetAddress"] == "澄溪县武松路1号"
    assert "streetAddress" not in parties["qhx-chuangxin"]["address"]  # none registered
    assert parties["qhx-ggzy"]["contactPoint"] == {"name": "袁玉兰", "telephone": "0319-8580689"}
    assert parties["qhx-chuangxin"]["roles"] == ["tenderer", "supplier"]
    assert parties["bj-hengtong"] == {"id": "bj-hengtong", "roles": ["tenderer"]}  # unregistered
    assert made["result"]["links"][0] == {
        "rel": "log-entry",
        "href": "/log/entries/18",
        "index": 18,
        "leafHash": "hash=",
    }


def test_every_release_budgets_the_plans_funding_source_and_budget_item() -> None:
    made = releases()
    for kind in ("tender", "result", "contract", "acceptance"):
        assert made[kind]["planning"]["budget"] == {
            "amount": {"amount": 450000, "currency": "CNY"},
            "description": "政府性基金预算资金",
            "project": "耕地保护专项",
            "projectID": "2026-ZRZY-012",
        }


def test_a_leaf_folded_twice_changes_nothing() -> None:
    story: Story | None = None
    for index, kind, data in ENTRIES[:4]:
        typed = parse_data(kind, data)
        assert isinstance(typed, E.PlanFiled | E.TenderAnnounced | E.BidBoxClosed | E.BidsOpened)
        story = told(story, index, typed)
        assert told(story, index, typed) is story
    assert story is not None and len(story.bids) == 2


def test_a_termination_says_why() -> None:
    plan = parse_data("PlanFiled", ENTRIES[0][2])
    assert isinstance(plan, E.PlanFiled)
    story = told(None, 1, plan)
    data = parse_data("ProcurementTerminated", {**SUMMARY, "announcement": "termination",
                      "date": "2026-03-01", "reason": "资金调整"})  # fmt: skip
    assert story is not None and isinstance(data, E.ProcurementTerminated)
    story = told(story, 2, data)
    assert story is not None
    made = release(story, 2, data, "h", NAMES, "ocds-qhx000")
    assert made["tag"] == ["tenderCancellation"] and made["tender"]["status"] == "cancelled"
    assert made["tender"]["amendments"][0]["rationale"] == "资金调整"


@pytest.mark.parametrize("prefix", ["ocds-qhx00", "ocds-qhx0000", "OCDS-qhx000", "ocds-qhx 00"])
def test_the_ocid_prefix_must_be_registered_form(prefix: str) -> None:
    with pytest.raises(ValidationError, match="ocid_prefix"):
        Settings(ocid_prefix=prefix)
    assert Settings(ocid_prefix="ocds-a1b2c3").ocid_prefix == "ocds-a1b2c3"


def test_a_notice_recorded_before_its_plan_still_has_its_release() -> None:
    """Procured first, filed later: the tender notice's summary starts the story."""
    tender = parse_data(*ENTRIES[1][1:])
    assert isinstance(tender, E.TenderAnnounced)
    story = told(None, 5, tender)
    assert story is not None
    made = release(story, 5, tender, "h", NAMES, "ocds-qhx000")
    assert made["tender"]["title"] == SUMMARY["title"] and made["tag"] == ["tender"]
    plan = parse_data(*ENTRIES[0][1:])
    assert isinstance(plan, E.PlanFiled)
    later = told(story, 9, plan)
    assert later is not None and later.requirement == "无人机一批"  # the notice's, kept
    approval = parse_data("PlanApproved", lifecycle(date="2026-01-06", note=""))
    assert isinstance(approval, E.PlanApproved)
    assert told(None, 1, approval) is None  # nothing says what the procurement is yet


def test_every_notice_type_has_its_release_tag_and_tender_status() -> None:
    # A notice type without them would stop the OCDS projection at its first such notice.
    assert set(TAGS) == set(AnnouncementType) == set(TENDER_STATUS)

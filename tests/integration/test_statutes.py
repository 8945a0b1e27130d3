"""The statutes as corrected (DOMAIN.md, "Corrections (turn 2)"), each rule on a procurement
run through the ledger on SQLite and PostgreSQL: when its clock starts, to which methods it
applies, and who holds the power."""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from conftest import World
from procurement_world import PLAN, County
from test_procurement_ledger import refused
from test_verifier_lifecycle import signed_as
from test_verifier_registry import entries

from ledger.domain.errors import Conflict, Forbidden, Invalid
from ledger.log.merkle import CompactRange, leaf_hash
from ledger.log.note import Checkpoint
from ledger.verify import VerificationFailed, verify_stream
from ledger.verify_timing import TimingCheck

# Each test's county is a copy of one registered once per worker (conftest.py).
pytestmark = pytest.mark.world("county")


@pytest.fixture
def county(world: World) -> County:
    return County(world)


def rules(county: County, receipt: Any) -> dict[str, dict[str, Any]]:
    return {f["rule"]: f for f in county.leaf(receipt)["data"]["findings"]}


def verified(county: County) -> None:
    """The log verifies, its time-limit findings recomputed with the ledger's calendar and
    table (`sunshine verify --check-timing`) and without them."""
    timed(entries(county.world), county, untimed=True)


def timed(log: list[dict[str, Any]], county: County, untimed: bool = False) -> None:
    """Verify ``log`` with the ledger's calendar and table (and first without, if asked)."""
    tree = CompactRange()
    leaves = []
    for index, entry in enumerate(log):
        leaf = rfc8785.dumps({**entry, "index": index})
        leaves.append((index, leaf))
        tree.append(leaf_hash(leaf))
    checkpoint = Checkpoint("county.example/log", tree.size, tree.root())
    if untimed:
        verify_stream([leaves], checkpoint)
    verify_stream([leaves], checkpoint, timing=TimingCheck())  # the log's own statutes


def awarded_and_challenged(c: County) -> None:
    """p1 awarded to xinda and its result announced on 8 May; kangtai and huamei challenge
    it on 11 May, so the answer period ends on 20 May (7 working days)."""
    c.to_evaluated()
    award = {"date": "2026-05-07", "supplier": "xinda", "amount": "1720000.00"}
    c.act(c.purchaser, "DecideAward", award)
    c.act(c.agency, "AnnounceResult", {"date": "2026-05-08"})
    for supplier in (c.suppliers[0], c.suppliers[2]):
        challenge = {
            "date": "2026-05-11", "subject": "result",
            "grounds": "中标人报价明显低于成本。",
        }  # fmt: skip
        c.act(supplier, "FileChallenge", challenge)


# -- 1. the complaint clock starts at the END of the answer period ------------------------


def test_a_complaint_is_counted_from_the_end_of_the_answer_period_not_the_answer(
    county: County,
) -> None:
    c = county
    awarded_and_challenged(c)
    for number in ("p1-ZY1", "p1-ZY2"):  # both answered early, the day after filing
        answer = {
            "challenge": number, "date": "2026-05-12", "outcome": "rejected", "answer": "不成立"
        }  # fmt: skip
        assert rules(c, c.act(c.agency, "AnswerChallenge", answer)) == {}
    # 5 June: 18 working days after the answer, 12 after the period's end (20 May): in time.
    kangtai = {"challenge": "p1-ZY1", "date": "2026-06-05", "grounds": "对答复不满意"}
    assert rules(c, c.act(c.suppliers[0], "FileComplaint", kangtai)) == {}
    # 11 June: the 16th working day after the period's end: late, due 10 June.
    huamei = {"challenge": "p1-ZY2", "date": "2026-06-11", "grounds": "对答复不满意"}
    late = rules(c, c.act(c.suppliers[2], "FileComplaint", huamei))
    finding = late["complaint_filed_after_answer_period"]
    assert (finding["deadline"], finding["actual"]) == ("2026-06-10", "2026-06-11")
    assert "第五十五条" in finding["citation"] and "第十七条" in finding["citation"]


# -- 5. suspension: the finance office handling a complaint, at most 30 days --------------


def complained(c: County) -> None:
    """Both challenges of p1 answered on 12 May; kangtai complains on 21 May (p1-TS1),
    huamei on 22 June (p1-TS2)."""
    awarded_and_challenged(c)
    for number in ("p1-ZY1", "p1-ZY2"):
        answer = {
            "challenge": number, "date": "2026-05-12", "outcome": "rejected", "answer": "不成立"
        }  # fmt: skip
        c.act(c.agency, "AnswerChallenge", answer)
    complaint = {"challenge": "p1-ZY1", "date": "2026-05-21", "grounds": "对答复不满意"}
    c.act(c.suppliers[0], "FileComplaint", complaint)


def test_only_the_finance_office_handling_a_complaint_suspends_for_at_most_30_days(
    county: County,
) -> None:
    c = county
    complained(c)
    suspension = {"date": "2026-05-21", "reason": "投诉处理期间暂停", "cause": "p1-TS1"}
    # The purchaser and its agency do not suspend, not even for a challenge.
    for actor in (c.agency, c.purchaser):
        error = refused(Forbidden, c.act, actor, "Suspend", suspension)
        assert "rule roles.suspend" in error.message
    by_challenge = suspension | {"cause": "p1-ZY1"}
    error = refused(Invalid, c.act, c.finance, "Suspend", by_challenge)
    assert "suspend_for_complaint" in error.message
    suspended = c.act(c.finance, "Suspend", suspension)
    assert c.leaf(suspended)["data"]["state"]["suspended"] is True
    # The lawful end: 30 days after 21 May is Saturday 20 June, moved to Monday 22 June.
    # Signed the day after: the suspension had ended by law, so no "acted while suspended".
    contract = {"date": "2026-06-23", "contract_number": "QHX-1", "amount": "1720000.00"}
    signed = c.act(c.purchaser, "SignContract", contract)
    assert "acted_while_suspended" not in rules(c, signed)
    assert c.leaf(signed)["data"]["state"]["suspended"] is False
    # A second complaint, a second suspension: an act inside it is still irregular, and
    # lifting it on the 31st day is late.
    complaint = {"challenge": "p1-ZY2", "date": "2026-06-23", "grounds": "对答复不满意"}
    c.act(c.suppliers[2], "FileComplaint", complaint)
    c.act(c.finance, "Suspend", suspension | {"date": "2026-06-23", "cause": "p1-TS2"})
    announced = c.act(c.agency, "AnnounceContract", {"date": "2026-06-24"})
    assert "acted_while_suspended" in rules(c, announced)
    lifted = {"date": "2026-07-24", "reason": "投诉处理完毕"}
    assert "rule roles.resume" in refused(Forbidden, c.act, c.agency, "Resume", lifted).message
    late = rules(c, c.act(c.finance, "Resume", lifted))["suspension_longest"]
    assert (late["deadline"], late["actual"]) == ("2026-07-23", "2026-07-24")
    assert "第五十七条" in late["citation"]
    verified(c)


# -- 8. over budget: recorded with a finding, not refused ---------------------------------


def test_an_award_or_contract_over_budget_or_off_the_award_is_recorded_with_a_finding(
    county: County,
) -> None:
    c = county
    c.to_evaluated()  # budget 1,850,000.00
    over = {"date": "2026-05-07", "supplier": "xinda", "amount": "1860000.00"}
    award = rules(c, c.act(c.purchaser, "DecideAward", over))
    assert award["award_over_budget"]["citation"] == "政府采购法 第六条；财政部令第87号 第六十三条"
    c.act(c.agency, "AnnounceResult", {"date": "2026-05-08"})
    contract = {"date": "2026-05-12", "contract_number": "QHX-1", "amount": "1870000.00"}
    signed = rules(c, c.act(c.purchaser, "SignContract", contract))
    assert set(signed) == {"contract_over_budget", "contract_amount_differs_from_award"}
    assert "第七十一条" in signed["contract_amount_differs_from_award"]["citation"]
    verified(c)


def test_a_contract_for_the_award_within_budget_has_no_amount_finding(county: County) -> None:
    c = county
    c.to_evaluated()
    award = {"date": "2026-05-07", "supplier": "xinda", "amount": "1720000.00"}
    assert rules(c, c.act(c.purchaser, "DecideAward", award)) == {}
    c.act(c.agency, "AnnounceResult", {"date": "2026-05-08"})
    contract = {"date": "2026-05-12", "contract_number": "QHX-1", "amount": "1720000.00"}
    assert rules(c, c.act(c.purchaser, "SignContract", contract)) == {}


# -- 6. every 招标, open and invited: 20 days for the documents, three bids ---------------


def test_an_invited_tender_keeps_the_20_days_and_three_bids_of_every_tender(
    county: County,
) -> None:
    c = county
    c.to_announced(method="invited_tender", rationale="只能从有限范围的供应商处采购")
    for supplier, price in zip(c.suppliers[:2], ("1790000.00", "1720000.00"), strict=True):
        c.bid(supplier, price)
    # Announced 10 April: 20 days end on 30 April; opened on the 29th with two bids.
    opened = rules(c, c.world.close_and_open(c.agency, "2026-04-29")[1])
    short = opened["tender_documents_to_bid_deadline"]
    assert (short["deadline"], short["actual"]) == ("2026-04-30", "2026-04-29")
    assert "第十九条" in short["citation"]
    few = opened["minimum_bids_at_opening"]
    assert "第三十六条" in few["citation"] and "投标人2家" in few["description_zh"]
    verified(c)


def test_an_open_tender_opened_with_three_bids_on_the_20th_day_has_no_finding(
    county: County,
) -> None:
    c = county
    c.to_announced()  # the documents from 10 April
    earlier = {"date": "2026-04-13", "changes": "投标截止时间提前至4月30日。",
               "bid_deadline": "2026-04-30", "bid_deadline_time": "09:30"}  # fmt: skip
    c.act(c.agency, "CorrectAnnouncement", earlier)
    for supplier in c.suppliers:
        c.bid(supplier, "1790000.00")
    assert rules(c, c.world.close_and_open(c.agency, "2026-04-30")[1]) == {}


# -- 4. method approval: only at or above the open-tender threshold -----------------------


def announced_without_method_approval(c: County, code: str, budget: str) -> dict[str, Any]:
    """An inquiry of ``budget`` whose plan is approved and whose method never is: the rules
    its tender announcement is found to break."""
    plan = PLAN | {"method": "inquiry", "budget": budget, "rationale": "规格统一，现货充足"}
    c.act(c.purchaser, "FilePlan", plan, code)
    c.act(c.finance, "ApprovePlan", {"date": "2026-03-03"}, code)
    intention = {"date": "2026-03-04", "expected_start": "2026-04-10"}
    c.act(c.purchaser, "DiscloseIntention", intention, code)
    notice = {
        "date": "2026-04-10", "requirement": "技术参数见采购文件。", "qualifications": "无",
        "contact": "刘洋 0319-8123456",
        "bid_deadline": "2026-04-16", "bid_deadline_time": "09:30", "place": "开标一室",
    }  # fmt: skip
    return rules(c, c.act(c.agency, "AnnounceTender", notice, code))


def test_below_the_open_tender_threshold_no_method_approval_is_needed(county: County) -> None:
    # 政府采购法 第二十七条: 200万元 for goods; 185万元 needs none, 250万元 does.
    assert announced_without_method_approval(county, "p1", "1850000.00") == {}
    above = announced_without_method_approval(county, "p2", "2500000.00")
    assert "采购方式未批准" in above["procure_first_file_later"]["description_zh"]
    verified(county)


# -- 3. single source: the 公示 comes before the approval, at or above the threshold -------


def single_source_notice(c: County, code: str, budget: str) -> dict[str, Any]:
    """A single source of ``budget``, its plan approved, its 公示 published on 10 April
    before any method approval: the rules the notice is found to break."""
    plan = PLAN | {"method": "single_source", "budget": budget, "rationale": "原厂专有技术"}
    c.act(c.purchaser, "FilePlan", plan, code)
    c.act(c.finance, "ApprovePlan", {"date": "2026-03-03"}, code)
    intention = {"date": "2026-03-04", "expected_start": "2026-04-10"}
    c.act(c.purchaser, "DiscloseIntention", intention, code)
    notice = {
        "date": "2026-04-10", "requirement": "原系统升级。", "qualifications": "原厂授权",
        "contact": "刘洋 0319-8123456", "supplier": "xinda", "reason": "只能从唯一供应商处采购",
    }  # fmt: skip
    return rules(c, c.act(c.agency, "AnnounceTender", notice, code))


def test_a_single_source_notice_runs_five_working_days_before_its_approval(
    county: County,
) -> None:
    c = county
    # 实施条例 第三十八条: the 公示 (10 April) comes first; approved on 17 April, the 5th
    # working day after it, and awarded: the lawful order, no finding.
    city = finance_office(c, "czs-czj", "city", "澄州市", ["澄溪县"])
    assert single_source_notice(c, "p1", "2500000.00") == {}
    approval = {"date": "2026-04-17", "rationale": "原厂专有技术"}
    assert rules(c, c.act(city, "ApproveMethod", approval, "p1")) == {}
    award = {"date": "2026-04-20", "supplier": "xinda", "amount": "2400000.00"}
    assert rules(c, c.act(c.purchaser, "DecideAward", award, "p1")) == {}
    # Approved on the 2nd working day of the 公示: too early.
    assert single_source_notice(c, "p2", "2500000.00") == {}
    early = c.act(city, "ApproveMethod", approval | {"date": "2026-04-14"}, "p2")
    short = rules(c, early)["single_source_notice_period"]
    assert (short["deadline"], short["actual"]) == ("2026-04-17", "2026-04-14")
    # Below the threshold no 公示 period and no approval bind it.
    assert single_source_notice(c, "p3", "1850000.00") == {}
    award = {"date": "2026-04-13", "supplier": "xinda", "amount": "1800000.00"}
    assert rules(c, c.act(c.purchaser, "DecideAward", award, "p3")) == {}
    verified(c)


# -- 2. the 应知之日 of a challenge is computed from what it challenges -------------------


def known_and_findings(c: County, receipt: Any) -> tuple[str, dict[str, dict[str, Any]]]:
    return c.leaf(receipt)["data"]["known_on"], rules(c, receipt)


def test_a_result_challenge_runs_from_the_end_of_the_result_notice_period(
    county: County,
) -> None:
    c = county
    c.to_evaluated()
    award = {"date": "2026-05-07", "supplier": "xinda", "amount": "1720000.00"}
    c.act(c.purchaser, "DecideAward", award)
    challenge = {"subject": "result", "grounds": "中标人报价明显低于成本。"}
    # No result announced yet: nothing to know of, the challenge cannot be counted.
    early = refused(Conflict, c.act, c.suppliers[0], "FileChallenge",
                    challenge | {"date": "2026-05-07"})  # fmt: skip
    assert "rule challenges.known_on" in early.message and "尚未公告" in early.message
    c.act(c.agency, "AnnounceResult", {"date": "2026-05-08"})
    # The supplier does not declare when it knew of the result: the ledger computes it.
    declared = refused(Invalid, c.act, c.suppliers[0], "FileChallenge",
                       challenge | {"date": "2026-05-11", "known_on": "2026-05-08"})  # fmt: skip
    assert "known_on" in declared.message
    # Announced on Friday 8 May, the 1-working-day notice period ends on Saturday 9 May, a
    # working day of 2026's 调休; 19 May is the 7th working day after it: in time (counted
    # from the announcement, as a declared "8 May" would have it, it was due on 18 May).
    kangtai = c.act(c.suppliers[0], "FileChallenge", challenge | {"date": "2026-05-19"})
    assert known_and_findings(c, kangtai) == ("2026-05-09", {})
    huamei = c.act(c.suppliers[2], "FileChallenge", challenge | {"date": "2026-05-20"})
    known, late = known_and_findings(c, huamei)
    finding = late["challenge_filed_after_known"]
    assert (known, finding["deadline"], finding["actual"]) == (
        "2026-05-09", "2026-05-19", "2026-05-20")
    verified(c)


def test_a_documents_challenge_runs_from_the_notice_periods_end_or_a_later_receipt(
    county: County,
) -> None:
    c = county
    c.to_announced()  # announced on 10 April: its 5-working-day notice period ends 17 April
    challenge = {"subject": "documents", "grounds": "技术参数指向特定品牌。"}
    c.act(c.suppliers[2], "ObtainDocuments", {"date": "2026-04-13"})
    # Obtained within the notice period: counted from its end, 28 April the 7th working day.
    huamei = c.act(c.suppliers[2], "FileChallenge", challenge | {"date": "2026-04-28"})
    assert known_and_findings(c, huamei) == ("2026-04-17", {})
    # Obtained on 24 April, after the period: counted from receipt. 8 May is the 7th working
    # day after it (the May Day holiday between): in time, though late from the period's end.
    c.act(c.suppliers[1], "ObtainDocuments", {"date": "2026-04-24"})
    xinda = c.act(c.suppliers[1], "FileChallenge", challenge | {"date": "2026-05-08"})
    assert known_and_findings(c, xinda) == ("2026-04-24", {})
    # A challenge filed during the period is early, never late.
    c.act(c.suppliers[0], "ObtainDocuments", {"date": "2026-04-13"})
    kangtai = c.act(c.suppliers[0], "FileChallenge", challenge | {"date": "2026-04-14"})
    assert known_and_findings(c, kangtai) == ("2026-04-17", {})
    verified(c)


def test_a_process_challenge_declares_its_known_day_no_later_than_the_challenge(
    county: County,
) -> None:
    c = county
    c.to_evaluated()
    challenge = {"subject": "process", "grounds": "评审专家未按评分标准打分。"}
    missing = refused(Invalid, c.act, c.suppliers[0], "FileChallenge",
                      challenge | {"date": "2026-05-08"})  # fmt: skip
    assert "payload.known_on" in missing.message
    after = refused(Invalid, c.act, c.suppliers[0], "FileChallenge",
                    challenge | {"date": "2026-05-08", "known_on": "2026-05-11"})  # fmt: skip
    assert "known_on" in after.message
    filed = c.act(c.suppliers[0], "FileChallenge",
                  challenge | {"date": "2026-05-08", "known_on": "2026-05-06"})  # fmt: skip
    assert known_and_findings(c, filed) == ("2026-05-06", {})
    verified(c)


# -- 4. above the threshold only a finance office at 设区的市级 or above approves a method ---


def finance_office(c: County, code: str, level: str, region: str, oversees: list[str]) -> Any:
    office = {"code": code, "name": f"{region}财政局", "kind": "finance_office",
              "region": region, "level": level, "oversees": oversees}  # fmt: skip
    c.world.submit(c.finance, "RegisterOrganisation", office)
    return c.world.add(code, "finance_office", f"{code}-op")


def test_above_the_threshold_only_a_city_finance_office_over_the_county_approves(
    county: County,
) -> None:
    c = county
    county_office = finance_office(c, "qhx-czj2", "county", "澄溪县", [])
    elsewhere = finance_office(c, "lsh-czj", "city", "岚山市", ["岚山县"])
    city = finance_office(c, "czs-czj", "city", "澄州市", ["澄溪县"])
    negotiation = PLAN | {"method": "competitive_negotiation", "budget": "2500000.00",
                          "rationale": "技术复杂，不能确定详细规格"}  # fmt: skip
    c.act(c.purchaser, "FilePlan", negotiation, "p1")
    c.act(c.finance, "ApprovePlan", {"date": "2026-03-03"}, "p1")
    approval = {"date": "2026-03-04"}
    # The county's own finance office, registered without a level or as 县级: not its power.
    for office, held in ((c.finance, "未登记层级"), (county_office, "县级")):
        error = refused(Forbidden, c.act, office, "ApproveMethod", approval, "p1")
        assert "rule roles.approve_method" in error.message and held in error.message
        assert "设区的市级" in error.message and "第二十七条" in error.message
    # A city's office, but not over this county.
    error = refused(Forbidden, c.act, elsewhere, "ApproveMethod", approval, "p1")
    assert "不管辖澄溪县" in error.message
    # The city office over the county approves: lawful, no finding.
    assert rules(c, c.act(city, "ApproveMethod", approval, "p1")) == {}
    # Below the threshold no approval is needed; the county office recording one is harmless.
    small = negotiation | {"budget": "1850000.00"}
    c.act(c.purchaser, "FilePlan", small, "p2")
    c.act(c.finance, "ApprovePlan", {"date": "2026-03-03"}, "p2")
    assert rules(c, c.act(county_office, "ApproveMethod", approval, "p2")) == {}
    verified(c)
    # The operator slips in the county office's approval of p1: the verifier, with the
    # table that says p1 is above the threshold, names the power it lacks.
    log = entries(c.world)
    index = next(i for i, e in enumerate(log) if e["type"] == "MethodApproved")
    log[index] = signed_as(log[index], county_office)
    with pytest.raises(VerificationFailed, match=r"rule roles\.approve_method") as failure:
        timed(log, c)
    assert failure.value.index == index


def test_only_a_finance_office_states_a_level_and_regions(county: County) -> None:
    c = county
    supplier = {"code": "lvl-sup", "name": "某供应商", "kind": "supplier", "region": "澄溪县",
                "level": "city"}  # fmt: skip
    error = refused(Invalid, c.world.submit, c.finance, "RegisterOrganisation", supplier)
    assert "finance office" in error.message
    bad = {"code": "bad-czj", "name": "某财政局", "kind": "finance_office", "region": "澄州市",
           "level": "town"}  # fmt: skip
    assert "payload.level" in refused(
        Invalid, c.world.submit, c.finance, "RegisterOrganisation", bad).message
    many = bad | {"level": "city", "oversees": "澄溪县"}
    assert "payload.oversees" in refused(
        Invalid, c.world.submit, c.finance, "RegisterOrganisation", many).message

"""Works tenders 工程招标 (issue 12, point 9): works procured by 招标 follow 招标投标法 and its
实施条例 (政府采购法实施条例 第七条), each rule on a procurement run through the ledger on
SQLite and PostgreSQL: recorded with its finding when broken, without one when kept, and
recomputed by `sunshine verify --check-timing`, which names a finding dropped or forged.

The calendar of May 2026: 1–5 May are holidays, Saturday 9 May is worked (调休)."""

from __future__ import annotations

from typing import Any

from procurement_world import County
from test_missing_rules import edited, named
from test_procurement_ledger import refused
from test_statutes import county, rules, verified
from test_verifier_registry import entries

from ledger.domain.errors import Conflict, Forbidden, Invalid

__all__ = ["county"]  # the fixture, on both databases

WORKS = {"title": "澄溪县人民医院门诊楼改扩建工程", "category": "works",
         "requirement": "门诊楼改扩建，建筑面积约6000平方米。"}  # fmt: skip
NOTICE = {"supervisor": "qhx-zjj"}
AWARD = {"date": "2026-05-12", "supplier": "xinda", "amount": "1720000.00"}


def supervision(c: County) -> Any:
    """The county's 住房和城乡建设局, registered as a 行政监督部门."""
    return c.world.add("qhx-zjj", "supervision_department", "zjj-op", "澄溪县住房和城乡建设局")


def evaluated(c: County, **notice: str) -> Any:
    """p1, a works tender overseen by the 住建局, announced on Friday 10 April with the bid
    deadline on Wednesday 6 May, bid on 20 April, opened and evaluated on 6 May (xinda
    first, kangtai second, huamei third); the 住建局's actor."""
    zjj = supervision(c)
    c.to_evaluated(notice=NOTICE | notice, category="works", title=WORKS["title"],
                   requirement=WORKS["requirement"])
    return zjj


def published(c: County, on: str = "2026-05-07", until: str = "2026-05-11") -> Any:
    return c.act(c.agency, "PublishCandidates", {"date": on, "period_end": until})


# -- 1. the 行政监督部门, named on the notice ------------------------------------------------


def test_a_works_tender_names_its_registered_supervision_department(county: County) -> None:
    c = county
    supervision(c)
    org = c.world.ledger.registry.organisation("qhx-zjj")
    assert org is not None and org.kind.value == "supervision_department"
    missing = refused(Invalid, c.to_announced, **WORKS)
    assert "payload.supervisor is required" in missing.message
    assert "行政监督部门" in missing.message
    # The notice is recorded only with a registered 行政监督部门; an inspector is not one.
    wrong = refused(Invalid, c.act, c.agency, "AnnounceTender",
                    _notice(supervisor="qhx-jw"))  # fmt: skip
    assert "qhx-jw is not a registered 行政监督部门" in wrong.message
    announced = c.act(c.agency, "AnnounceTender", _notice(supervisor="qhx-zjj"))
    assert c.leaf(announced)["data"]["supervisor"] == "qhx-zjj"
    # A goods tender follows the government-procurement rules: it names none.
    goods = refused(Invalid, c.to_announced, "p2", NOTICE)
    assert "only a works tender" in goods.message
    verified(c)


def _notice(**extra: str) -> dict[str, Any]:
    return {
        "date": "2026-04-10", "requirement": "施工图纸及工程量清单见招标文件。",
        "qualifications": "具有建筑工程施工总承包三级及以上资质。", "contact": "刘洋 0319-8123456",
        "bid_deadline": "2026-05-06", "bid_deadline_time": "09:30",
        "place": "澄溪县公共资源交易中心开标一室", **extra,
    }  # fmt: skip


# -- 2. documents on sale ≥ 5 days, not 5 working days (实施条例 第十六条) --------------------


def test_works_documents_are_on_sale_5_days_not_5_working_days(county: County) -> None:
    c = county
    supervision(c)
    # From Friday 10 April: 5 days end on Wednesday 15 April; 5 working days on the 17th.
    c.to_announced("p1", NOTICE | {"documents_until": "2026-04-15"}, **WORKS)
    c.to_announced("p2", {"documents_until": "2026-04-15"})
    works = {f["rule"] for f in _notice_findings(c, "p1")}
    goods = {f["rule"] for f in _notice_findings(c, "p2")}
    assert "works_documents_on_sale" not in works and "tender_documents_on_sale" not in works
    assert "tender_documents_on_sale" in goods
    c.to_announced("p3", NOTICE | {"documents_until": "2026-04-14"}, **WORKS)
    (short,) = [f for f in _notice_findings(c, "p3") if f["rule"] == "works_documents_on_sale"]
    assert (short["deadline"], short["actual"]) == ("2026-04-15", "2026-04-14")
    assert short["citation"] == "招标投标法实施条例 第十六条"
    verified(c)
    log, index = edited(c, "TenderAnnounced", 2, findings=[])
    named(c, log, index, "works_documents_on_sale")


def _notice_findings(c: County, code: str) -> list[dict[str, Any]]:
    for entry in entries(c.world):
        if entry["type"] == "TenderAnnounced" and entry["data"]["procurement"] == code:
            found: list[dict[str, Any]] = entry["data"]["findings"]
            return found
    raise AssertionError(f"no notice of {code}")


# -- 3. objections 异议 to the documents: ≥ 10 days before the deadline, answered in 3 days --


def objection(c: County, supplier: Any, on: str, subject: str = "documents") -> Any:
    payload = {"date": on, "subject": subject, "grounds": "资质要求排斥潜在投标人。"}
    return c.act(supplier, "FileChallenge", payload)


def answer(c: County, number: str, on: str) -> Any:
    payload = {"challenge": number, "date": on, "outcome": "rejected",
               "answer": "资质要求符合规定。"}  # fmt: skip
    return c.act(c.agency, "AnswerChallenge", payload)


def test_an_objection_to_works_documents_comes_10_days_before_the_deadline(
    county: County,
) -> None:
    c = county
    supervision(c)
    c.to_announced(notice=NOTICE, **WORKS)
    for supplier in c.suppliers:
        c.bid(supplier, "1790000.00")
    # Friday 24 April: 12 days before the deadline of 6 May, in time; answered on Monday
    # 27 April, the 3rd day, in time, not on the 7th working day the other rules allow.
    first = objection(c, c.suppliers[0], "2026-04-24")
    leaf = c.leaf(first)["data"]
    assert leaf["findings"] == []
    assert leaf["answer_due"]["date"] == "2026-04-27"
    assert rules(c, answer(c, "p1-ZY1", "2026-04-27")) == {}
    # Sunday 26 April: 10 days before, in time; answered on Thursday 30 April: late.
    assert rules(c, objection(c, c.suppliers[1], "2026-04-26")) == {}
    late_answer = rules(c, answer(c, "p1-ZY2", "2026-04-30"))["works_objection_answered"]
    assert (late_answer["deadline"], late_answer["actual"]) == ("2026-04-29", "2026-04-30")
    # Monday 27 April: 9 days before the deadline: recorded, with its finding.
    late = rules(c, objection(c, c.suppliers[2], "2026-04-27"))
    found = late["works_documents_objection_before_deadline"]
    assert (found["deadline"], found["actual"]) == ("2026-05-07", "2026-05-06")
    assert found["citation"] == "招标投标法实施条例 第二十二条"
    assert "challenge_filed_after_known" not in late
    verified(c)
    log, index = edited(c, "ChallengeFiled", 2, findings=[])
    named(c, log, index, "works_documents_objection_before_deadline")
    log, index = edited(c, "ChallengeAnswered", 1, findings=[])
    named(c, log, index, "works_objection_answered")


# -- 4. the candidates' 公示 ≥ 3 days before the award (实施条例 第五十四条) ---------------------


def test_works_candidates_are_published_3_days_before_the_award(county: County) -> None:
    c = county
    evaluated(c)
    early = refused(Invalid, c.act, c.agency, "PublishCandidates",
                    {"date": "2026-05-07", "period_end": "2026-05-06"})  # fmt: skip
    assert "payload.period_end" in early.message
    # Thursday 7 May to Monday 11 May: 3 days end on Sunday 10 May, moved to the 11th.
    receipt = published(c)
    leaf = c.leaf(receipt)["data"]
    assert leaf["candidates"] == ["xinda", "kangtai", "huamei"]  # the committee's order
    assert leaf["announcement"] == "candidates" and leaf["findings"] == []
    twice = refused(Conflict, published, c, "2026-05-08")
    assert "already published" in twice.message
    # Awarded on the 公示's last day: recorded, with its finding.
    during = rules(c, c.act(c.purchaser, "DecideAward", AWARD | {"date": "2026-05-11"}))
    finding = during["works_award_before_publicity_end"]
    assert (finding["deadline"], finding["actual"]) == ("2026-05-12", "2026-05-11")
    assert finding["citation"] == "招标投标法实施条例 第五十四条"
    verified(c)
    log, index = edited(c, "AwardDecided", findings=[])
    named(c, log, index, "works_award_before_publicity_end")


def test_a_publicity_shorter_than_3_days_is_found(county: County) -> None:
    c = county
    evaluated(c)
    short = rules(c, published(c, "2026-05-07", "2026-05-09"))["works_candidates_published"]
    assert (short["deadline"], short["actual"]) == ("2026-05-11", "2026-05-09")
    # Awarded after the (short) 公示 it stated: that award is regular.
    assert rules(c, c.act(c.purchaser, "DecideAward", AWARD)) == {}
    verified(c)
    log, index = edited(c, "CandidatesPublished", findings=[])
    named(c, log, index, "works_candidates_published")


def test_the_candidates_are_published_within_3_days_of_the_report(county: County) -> None:
    c = county
    evaluated(c)  # the report completed on Wednesday 6 May
    # 3 days from 6 May end on Saturday 9 May, a worked 调休 day of 2026: published on
    # Monday 11 May, late (招标投标法实施条例 第五十四条).
    late = rules(c, published(c, "2026-05-11", "2026-05-14"))
    found = late["works_candidates_published_after_report"]
    assert (found["deadline"], found["actual"], found["start"]) == (
        "2026-05-09", "2026-05-11", "2026-05-06",
    )  # fmt: skip
    assert "works_candidates_published" not in late  # its own 公示 ran the 3 days
    verified(c)
    log, index = edited(c, "CandidatesPublished", findings=[])
    named(c, log, index, "works_candidates_published_after_report")


def test_a_works_award_without_any_publicity_is_found(county: County) -> None:
    c = county
    evaluated(c)
    found = rules(c, c.act(c.purchaser, "DecideAward", AWARD))
    assert found["works_award_without_candidates"]["citation"] == "招标投标法实施条例 第五十四条"
    verified(c)
    log, index = edited(c, "AwardDecided", findings=[])
    named(c, log, index, "works_award_without_candidates")


def test_only_a_works_tender_publishes_candidates(county: County) -> None:
    c = county
    c.to_evaluated()  # a goods tender: neither candidates' 公示 nor written report
    error = refused(Invalid, published, c)
    assert "works tender" in error.message and error.code == "not_works_tender"
    assert rules(c, c.act(c.purchaser, "DecideAward", AWARD)) == {}
    assert refused(Invalid, report, c, "2026-05-13").code == "not_works_tender"


# -- 4–5. objections to the result during the 公示; complaints to the 行政监督部门 -------------


def test_result_objections_come_during_the_publicity_and_complaints_go_to_the_supervisor(
    county: County,
) -> None:
    c = county
    zjj = evaluated(c)
    before = refused(Conflict, objection, c, c.suppliers[0], "2026-05-06", "result")
    assert "中标候选人尚未公示" in before.message
    published(c)
    # During the 公示 (7–11 May): known on its first day, answered within 3 days.
    during = c.leaf(objection(c, c.suppliers[0], "2026-05-08", "result"))["data"]
    assert (during["known_on"], during["findings"]) == ("2026-05-07", [])
    assert rules(c, answer(c, "p1-ZY1", "2026-05-11")) == {}
    # After it: recorded, with its finding.
    after = rules(c, objection(c, c.suppliers[2], "2026-05-12", "result"))
    finding = after["works_result_objection_during_publicity"]
    assert (finding["deadline"], finding["actual"]) == ("2026-05-11", "2026-05-12")
    # The complaint: within 10 days of the answer (11 May → 21 May), to the 住建局.
    complaint = {"challenge": "p1-ZY1", "date": "2026-05-21", "grounds": "对异议答复不满意。"}
    filed = c.leaf(c.act(c.suppliers[0], "FileComplaint", complaint))["data"]
    assert filed["findings"] == []
    # Screened within 3 working days (22, 25, 26 May), decided within 30 of the acceptance.
    assert filed["decision_due"]["date"] == "2026-07-08"
    screen = {"complaint": "p1-TS1", "date": "2026-05-26", "accepted": True}
    finance = refused(Forbidden, c.act, c.finance, "ScreenComplaint", screen)
    assert "行政监督部门" in finance.message and "qhx-zjj" in finance.message
    other = c.world.add("qhx-slj", "supervision_department", "slj-op", "澄溪县水利局")
    assert "qhx-zjj" in refused(Forbidden, c.act, other, "ScreenComplaint", screen).message
    assert rules(c, c.act(zjj, "ScreenComplaint", screen)) == {}
    # Handling it, the 住建局 — and not the finance office — may suspend the tender and lift
    # the suspension (招标投标法实施条例 第六十二条).
    suspend = {"date": "2026-05-27", "cause": "p1-TS1", "reason": "投诉处理期间暂停招标投标活动"}
    held = refused(Forbidden, c.act, c.finance, "Suspend", suspend)
    assert "行政监督部门" in held.message and "qhx-zjj" in held.message
    assert "qhx-zjj" in refused(Forbidden, c.act, other, "Suspend", suspend).message
    assert rules(c, c.act(zjj, "Suspend", suspend)) == {}
    lift = {"date": "2026-06-10", "reason": "投诉处理完毕前恢复"}
    assert "qhx-zjj" in refused(Forbidden, c.act, c.finance, "Resume", lift).message
    assert rules(c, c.act(zjj, "Resume", lift)) == {}
    decision = {"complaint": "p1-TS1", "date": "2026-07-08", "outcome": "rejected",
                "decision": "投诉事项缺乏事实依据，驳回投诉。"}  # fmt: skip
    assert "行政监督部门" in refused(Forbidden, c.act, c.finance, "DecideComplaint",
                                     decision).message  # fmt: skip
    assert rules(c, c.act(zjj, "DecideComplaint", decision)) == {}
    # huamei's objection, answered on 18 May (due 15 May), and its complaint 11 days after.
    assert "works_objection_answered" in rules(c, answer(c, "p1-ZY2", "2026-05-18"))
    late = {"challenge": "p1-ZY2", "date": "2026-05-29", "grounds": "对异议答复不满意。"}
    late_filed = rules(c, c.act(c.suppliers[2], "FileComplaint", late))
    assert late_filed["works_complaint_filed"]["deadline"] == "2026-05-28"
    slow = {"complaint": "p1-TS2", "date": "2026-06-04", "accepted": True}
    assert "works_complaint_screened" in rules(c, c.act(zjj, "ScreenComplaint", slow))
    verified(c)
    log, index = edited(c, "ComplaintFiled", 1, findings=[])
    named(c, log, index, "works_complaint_filed")
    log, index = edited(c, "ComplaintScreened", 1, findings=[])
    named(c, log, index, "works_complaint_screened")


# -- 6. the written report within 15 days of the winner (招标投标法 第四十七条) --------------


def awarded(c: County) -> Any:
    zjj = evaluated(c)
    published(c)
    c.act(c.purchaser, "DecideAward", AWARD)
    return zjj


def report(c: County, on: str, actor: Any = None) -> Any:
    return c.act(actor or c.purchaser, "FileTenderReport", {"date": on})


def test_the_written_report_goes_to_the_supervisor_within_15_days(county: County) -> None:
    c = county
    zjj = evaluated(c)
    early = refused(Conflict, report, c, "2026-05-07")
    assert "rule lifecycle.file_tender_report" in early.message
    published(c)
    c.act(c.purchaser, "DecideAward", AWARD)
    assert "rule roles.file_tender_report" in refused(Forbidden, report, c, "2026-05-13",
                                                      zjj).message  # fmt: skip
    # 15 days from Tuesday 12 May: Wednesday 27 May, in time; by the agency for the purchaser.
    leaf = c.leaf(report(c, "2026-05-27", c.agency))["data"]
    assert (leaf["supervisor"], leaf["supplier"], leaf["findings"]) == ("qhx-zjj", "xinda", [])
    assert "already filed" in refused(Conflict, report, c, "2026-05-28").message
    verified(c)


def test_a_late_or_missing_written_report_is_found(county: County) -> None:
    c = county
    awarded(c)
    late = rules(c, report(c, "2026-05-28"))["works_written_report"]
    assert (late["deadline"], late["actual"]) == ("2026-05-27", "2026-05-28")
    assert late["citation"] == "招标投标法 第四十七条"
    verified(c)
    log, index = edited(c, "TenderReportFiled", findings=[])
    named(c, log, index, "works_written_report")


def test_a_works_tender_archived_without_its_report_is_found(county: County) -> None:
    c = county
    awarded(c)
    c.act(c.agency, "AnnounceResult", {"date": "2026-05-13"})
    contract = {"date": "2026-05-14", "contract_number": "QHX-GC-001", "amount": "1720000.00"}
    c.act(c.purchaser, "SignContract", contract)
    c.act(c.purchaser, "FileContract", {"date": "2026-05-15"})
    c.act(c.purchaser, "RecordAcceptance",
          {"date": "2026-06-15", "passed": True, "report": "工程竣工验收合格。"})  # fmt: skip
    missing = rules(c, c.act(c.purchaser, "Archive", {"date": "2026-06-15"}))
    finding = missing["works_written_report"]
    assert (finding["deadline"], finding["actual"]) == ("2026-05-27", None)
    verified(c)
    log, index = edited(c, "Archived", findings=[])
    named(c, log, index, "works_written_report")

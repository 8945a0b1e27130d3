"""The missing rules (DOMAIN.md, "Corrections (turn 2)", "Missing rules"), each on a
procurement run through the ledger on SQLite and PostgreSQL: recorded with its finding when
broken, without one when kept, and recomputed by `sunshine verify --check-timing`, which
names a finding dropped or forged."""

from __future__ import annotations

from typing import Any

import pytest
from procurement_world import PLAN, County
from test_procurement_ledger import refused
from test_statutes import complained, county, rules, timed, verified
from test_verifier_registry import entries

from ledger.domain.errors import Conflict, Forbidden, Invalid
from ledger.verify import VerificationFailed

__all__ = ["county"]  # the fixture, on both databases


def edited(c: County, kind: str, n: int = 0, **data: Any) -> tuple[list[dict[str, Any]], int]:
    """The log with ``data`` over the data of the ``n``-th leaf of ``kind``, and its index."""
    log = entries(c.world)
    index = [i for i, e in enumerate(log) if e["type"] == kind][n]
    log[index] = {**log[index], "data": {**log[index]["data"], **data}}
    return log, index


def named(c: County, log: list[dict[str, Any]], index: int, rule: str) -> None:
    """`verify --check-timing` fails at leaf ``index``, naming ``rule``."""
    with pytest.raises(VerificationFailed, match=rule) as failure:
        timed(log, c)
    assert failure.value.index == index


# -- 1. a correction that may affect the bids comes long enough before the deadline --------


def correct(c: County, on: str, code: str = "p1", **extra: Any) -> dict[str, dict[str, Any]]:
    payload = {"date": on, "changes": "技术参数第3项修改为不低于64排。", **extra}
    return rules(c, c.act(c.agency, "CorrectAnnouncement", payload, code))


def test_a_tender_correction_affecting_the_bids_comes_15_days_before_the_deadline(
    county: County,
) -> None:
    c = county
    c.to_announced()  # open tender, bid deadline 6 May
    # A correction that does not affect the bids is bound by nothing.
    assert correct(c, "2026-04-24") == {}
    # One that does, on 24 April: 15 days on is 9 May (a working day of 2026's 调休), after
    # the deadline of 6 May: recorded, with its finding.
    short = correct(c, "2026-04-24", affects_preparation=True)
    finding = short["substantive_correction_to_bid_deadline"]
    assert (finding["deadline"], finding["actual"]) == ("2026-05-09", "2026-05-06")
    assert "第三十一条" in finding["citation"] and "第二十七条" in finding["citation"]
    # The same correction moving the deadline to 11 May: measured against the deadline in
    # force after it, lawful.
    moved = correct(c, "2026-04-24", affects_preparation=True, bid_deadline="2026-05-11",
                    bid_deadline_time="09:30")
    assert moved == {}
    wrong = {"date": "2026-04-24", "changes": "改", "affects_preparation": "是"}
    error = refused(Invalid, c.act, c.agency, "CorrectAnnouncement", wrong)
    assert "payload.affects_preparation" in error.message
    verified(c)
    # The operator drops the finding, or forges one on the lawful correction: named.
    log, index = edited(c, "AnnouncementCorrected", 1, findings=[])
    named(c, log, index, "substantive_correction_to_bid_deadline")
    log, index = edited(c, "AnnouncementCorrected", 2, findings=[finding])
    named(c, log, index, "substantive_correction_to_bid_deadline")


def test_a_consultation_correction_comes_5_days_and_a_negotiation_3_working_days_before(
    county: County,
) -> None:
    c = county
    c.to_announced("p1", method="competitive_consultation", rationale="技术复杂")
    c.to_announced("p2", method="competitive_negotiation", rationale="技术复杂")
    c.to_announced("p3", method="inquiry", rationale="规格统一")
    # 磋商, deadline 6 May: from 30 April, 5 days end on 5 May, a holiday, moved to 6 May.
    assert correct(c, "2026-04-30", "p1", affects_preparation=True) == {}
    late = correct(c, "2026-05-02", "p1", affects_preparation=True)
    consultation = late["consultation_correction_to_deadline"]
    assert (consultation["deadline"], consultation["actual"]) == ("2026-05-07", "2026-05-06")
    assert consultation["citation"] == "财库〔2014〕214号 第十条"
    # 谈判 and 询价: 3 working days; from 28 April they are 29, 30 April and 6 May.
    assert correct(c, "2026-04-28", "p2", affects_preparation=True) == {}
    for code in ("p2", "p3"):
        short = correct(c, "2026-04-29", code, affects_preparation=True)
        negotiation = short["negotiation_correction_to_deadline"]
        assert (negotiation["deadline"], negotiation["actual"]) == ("2026-05-07", "2026-05-06")
        assert "第二十九条" in negotiation["citation"] and "第四十五条" in negotiation["citation"]
    verified(c)


# -- 2. the announcement's period and the documents' sale --------------------------------


def announce(c: County, code: str, method: str, **periods: str) -> dict[str, dict[str, Any]]:
    """A procurement by ``method`` announced on Friday 10 April, stating ``periods``; the
    rules its notice is found to break."""
    plan = PLAN | {"method": method, "rationale": "技术复杂，不能确定详细规格"}
    c.act(c.purchaser, "FilePlan", plan, code)
    c.act(c.finance, "ApprovePlan", {"date": "2026-03-03"}, code)
    c.act(c.finance, "ApproveMethod", {"date": "2026-03-03"}, code)
    intention = {"date": "2026-03-04", "expected_start": "2026-04-10"}
    c.act(c.purchaser, "DiscloseIntention", intention, code)
    notice = NOTICE | periods
    return rules(c, c.act(c.agency, "AnnounceTender", notice, code))


NOTICE = {
    "date": "2026-04-10", "requirement": "技术参数见采购文件。", "qualifications": "无",
    "contact": "刘洋 0319-8123456", "bid_deadline": "2026-05-06", "bid_deadline_time": "09:30",
    "place": "开标一室",
}  # fmt: skip


def test_a_notice_states_its_period_and_the_documents_sale_each_as_long_as_the_law_asks(
    county: County,
) -> None:
    c = county
    # 招标: 5 working days from Friday 10 April end on 17 April, for both.
    lawful = {"period_end": "2026-04-17", "documents_until": "2026-04-17"}
    assert announce(c, "p1", "open_tender", **lawful) == {}
    short = announce(c, "p2", "invited_tender", period_end="2026-04-16",
                     documents_until="2026-04-16")  # fmt: skip
    period, sale = short["tender_announcement_period"], short["tender_documents_on_sale"]
    assert (period["deadline"], period["actual"]) == ("2026-04-17", "2026-04-16")
    assert period["citation"] == "财政部令第87号 第十六条"
    assert (sale["deadline"], sale["actual"]) == ("2026-04-17", "2026-04-16")
    assert "第十八条" in sale["citation"] and "第三十一条" in sale["citation"]
    # 谈判, 磋商, 询价: a 3-working-day period (〔2015〕135号, to be checked), ending 15 April.
    assert announce(c, "p3", "competitive_negotiation", period_end="2026-04-15") == {}
    brief = announce(c, "p4", "inquiry", period_end="2026-04-14")["negotiation_announcement_period"]
    assert (brief["deadline"], brief["citation"]) == ("2026-04-15", "财库〔2015〕135号（待核）")
    # 磋商: documents on sale 5 working days (214号 第十条).
    sold = announce(c, "p5", "competitive_consultation", period_end="2026-04-15",
                    documents_until="2026-04-16")  # fmt: skip
    assert set(sold) == {"consultation_documents_on_sale"}
    # A notice that states no period is measured by nothing here.
    assert announce(c, "p6", "open_tender") == {}
    verified(c)
    log, index = edited(c, "TenderAnnounced", 1, findings=[])
    named(c, log, index, "tender_announcement_period")


def test_a_period_before_the_notice_or_documents_sold_past_the_deadline_are_refused(
    county: County,
) -> None:
    c = county
    for n, (periods, field) in enumerate((
        ({"period_end": "2026-04-09"}, "payload.period_end"),
        ({"documents_until": "2026-05-07"}, "payload.documents_until"),
        ({"documents_until": "17 April"}, "payload.documents_until"),
    )):  # fmt: skip
        error = refused(Invalid, announce, c, f"p{n}", "open_tender", **periods)
        assert field in error.message


# -- 3. the evaluation report within 2 working days, the award within 5 of its receipt ----


def award(c: County, on: str, **extra: str) -> dict[str, dict[str, Any]]:
    payload = {"date": on, "supplier": "xinda", "amount": "1720000.00", **extra}
    return rules(c, c.act(c.purchaser, "DecideAward", payload))


def test_the_report_comes_within_2_working_days_and_the_award_within_5_of_it(
    county: County,
) -> None:
    c = county
    c.to_evaluated()  # evaluated on Wednesday 6 May
    for wrong in ("2026-05-05", "2026-05-19", "soon"):
        error = refused(Invalid, c.act, c.purchaser, "DecideAward",
                        {"date": "2026-05-18", "supplier": "xinda", "amount": "1720000.00",
                         "report_received": wrong})  # fmt: skip
        assert "payload.report_received" in error.message
    # Received on 11 May, the 4th working day after it (7, 8, 9 and 11 May; 9 May is a
    # working day of 2026's 调休): late, due 8 May; awarded on 18 May, the 5th working day
    # after the receipt (12–15, 18 May): in time.
    late = award(c, "2026-05-18", report_received="2026-05-11")
    report = late["evaluation_report_delivered"]
    assert (report["deadline"], report["actual"]) == ("2026-05-08", "2026-05-11")
    assert "第四十三条" in report["citation"] and "第六十八条" in report["citation"]
    assert "award_after_report" not in late
    verified(c)


def test_an_award_late_after_the_report_or_after_its_latest_day_is_found(
    county: County,
) -> None:
    c = county
    c.to_evaluated()
    # Received the day after the evaluation (7 May); 5 working days end on 13 May.
    late = award(c, "2026-05-14", report_received="2026-05-07")["award_after_report"]
    assert (late["deadline"], late["actual"]) == ("2026-05-13", "2026-05-14")
    verified(c)
    log, index = edited(c, "AwardDecided", findings=[])
    named(c, log, index, "award_after_report")


def test_an_award_that_does_not_say_when_the_report_came_is_measured_from_its_latest_day(
    county: County,
) -> None:
    c = county
    c.to_evaluated()
    # The report was due by 8 May at the latest; 5 working days on: 14 May. On the 15th the
    # award is late however the report came.
    late = award(c, "2026-05-15")["award_after_report"]
    assert (late["deadline"], late["actual"]) == ("2026-05-14", "2026-05-15")
    verified(c)


def test_an_award_on_the_last_day_without_the_receipt_has_no_finding(county: County) -> None:
    c = county
    c.to_evaluated()
    assert award(c, "2026-05-14") == {}


# -- 4. a complaint screened within 5 working days: accepted, or not with the reason -----


def screen(c: County, actor: Any, on: str, number: str, **extra: Any) -> Any:
    payload = {"complaint": number, "date": on, **extra}
    return c.act(actor, "ScreenComplaint", payload)


def test_a_complaint_is_screened_within_5_working_days_of_its_filing(county: County) -> None:
    c = county
    complained(c)  # p1-TS1 filed on Thursday 21 May
    huamei = {"challenge": "p1-ZY2", "date": "2026-05-21", "grounds": "对答复不满意"}
    c.act(c.suppliers[2], "FileComplaint", huamei)  # p1-TS2
    error = refused(Forbidden, screen, c, c.agency, "2026-05-22", "p1-TS1", accepted=True)
    assert "rule roles.decide_complaint" in error.message
    for wrong, field in (({"accepted": "受理"}, "payload.accepted"),
                         ({"accepted": False}, "payload.reason")):  # fmt: skip
        error = refused(Invalid, screen, c, c.finance, "2026-05-22", "p1-TS1", **wrong)
        assert field in error.message
    # Accepted on the 5th working day (22, 25, 26, 27, 28 May): in time.
    accepted = screen(c, c.finance, "2026-05-28", "p1-TS1", accepted=True)
    assert rules(c, accepted) == {}
    twice = refused(Conflict, screen, c, c.finance, "2026-05-28", "p1-TS1", accepted=True)
    assert "already screened" in twice.message
    # Not accepted on the 6th: late, and it ends the complaint, dismissed (不予受理).
    late = screen(c, c.finance, "2026-05-29", "p1-TS2", accepted=False,
                  reason="投诉事项未经质疑")  # fmt: skip
    finding = rules(c, late)["complaint_screened"]
    assert (finding["deadline"], finding["actual"]) == ("2026-05-28", "2026-05-29")
    assert finding["citation"] == "财政部令第94号 第二十一条"
    decision = {"complaint": "p1-TS2", "date": "2026-06-01", "outcome": "rejected",
                "decision": "不成立"}  # fmt: skip
    assert "already decided" in refused(Conflict, c.act, c.finance, "DecideComplaint",
                                        decision).message  # fmt: skip
    decision |= {"complaint": "p1-TS1"}
    assert rules(c, c.act(c.finance, "DecideComplaint", decision)) == {}
    verified(c)
    log, index = edited(c, "ComplaintScreened", 1, findings=[])
    named(c, log, index, "complaint_screened")

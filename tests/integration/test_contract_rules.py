"""The contract's missing rules (DOMAIN.md, "Corrections (turn 2)", "Missing rules"): its
filing 备案 within 7 working days, and the amounts of deposits and supplementary contracts,
each on a procurement run through the ledger on SQLite and PostgreSQL: recorded with its
finding when broken, without one when kept, and recomputed by `sunshine verify
--check-timing`, which names a finding dropped or forged."""

from __future__ import annotations

from typing import Any

from procurement_world import County
from test_missing_rules import announce, edited, named
from test_procurement_ledger import refused
from test_statutes import county, rules, verified

from ledger.domain.errors import Conflict, Forbidden, Invalid

__all__ = ["county"]  # the fixture, on both databases

AWARD = {"date": "2026-05-07", "supplier": "xinda", "amount": "1720000.00"}
CONTRACT = {"date": "2026-05-11", "contract_number": "QHX-2026-001", "amount": "1720000.00"}


def signed(c: County, **terms: Any) -> dict[str, dict[str, Any]]:
    """p1 awarded to xinda on 7 May, its result announced on 8 May and its contract signed on
    Monday 11 May with ``terms``: the rules the signing is found to break."""
    c.to_evaluated()
    c.act(c.purchaser, "DecideAward", AWARD)
    c.act(c.agency, "AnnounceResult", {"date": "2026-05-08"})
    return rules(c, c.act(c.purchaser, "SignContract", CONTRACT | terms))


def filed(c: County, on: str) -> dict[str, dict[str, Any]]:
    return rules(c, c.act(c.purchaser, "FileContract", {"date": on}))


def accepted_and_archived(c: County, on: str = "2026-06-15") -> dict[str, dict[str, Any]]:
    """p1 accepted and archived on ``on``: the rules the archive is found to break."""
    report = {"date": on, "passed": True, "report": "设备安装调试完毕，验收合格。"}
    c.act(c.purchaser, "RecordAcceptance", report)
    return rules(c, c.act(c.purchaser, "Archive", {"date": on}))


# -- 5. the contract filed 备案 within 7 working days of signing (政府采购法 第四十七条) ------


def test_a_contract_is_filed_once_by_its_purchaser_within_7_working_days(
    county: County,
) -> None:
    c = county
    c.to_evaluated()
    c.act(c.purchaser, "DecideAward", AWARD)
    error = refused(Conflict, c.act, c.purchaser, "FileContract", {"date": "2026-05-07"})
    assert "rule lifecycle.file_contract" in error.message  # nothing signed to file
    c.act(c.agency, "AnnounceResult", {"date": "2026-05-08"})
    c.act(c.purchaser, "SignContract", CONTRACT)
    c.act(c.agency, "AnnounceContract", {"date": "2026-05-12"})
    error = refused(Forbidden, c.act, c.agency, "FileContract", {"date": "2026-05-13"})
    assert "rule roles.file_contract" in error.message
    wrong = {"date": "2026-05-13", "office": "czj"}
    assert "office" in refused(Invalid, c.act, c.purchaser, "FileContract", wrong).message
    # 7 working days from Monday 11 May: 12–15 and 18–20 May. Filed on the last: in time,
    # and after the contract notice, which the filing neither needs nor changes.
    receipt = c.act(c.purchaser, "FileContract", {"date": "2026-05-20"})
    leaf = c.leaf(receipt)
    assert leaf["data"]["findings"] == []
    assert leaf["data"]["contract_number"] == "QHX-2026-001"
    assert leaf["data"]["state"]["progress"] == "contract_announced"
    twice = refused(Conflict, c.act, c.purchaser, "FileContract", {"date": "2026-05-21"})
    assert "already filed" in twice.message
    assert accepted_and_archived(c) == {}
    verified(c)
    # A missing filing forged on the archive of a filed contract: named.
    log, index = edited(c, "Archived", findings=[_missing()])
    named(c, log, index, "contract_filed_after_signing")


def test_a_late_filing_is_recorded_with_its_finding(county: County) -> None:
    c = county
    signed(c)
    late = filed(c, "2026-05-21")["contract_filed_after_signing"]
    assert (late["deadline"], late["actual"]) == ("2026-05-20", "2026-05-21")
    assert late["citation"] == "政府采购法 第四十七条"
    assert "备案" in late["description_zh"]
    verified(c)
    log, index = edited(c, "ContractFiled", findings=[])
    named(c, log, index, "contract_filed_after_signing")


def test_a_contract_never_filed_is_found_when_the_procurement_is_archived(
    county: County,
) -> None:
    c = county
    signed(c)
    missing = accepted_and_archived(c)["contract_filed_after_signing"]
    assert missing == _missing()
    verified(c)
    log, index = edited(c, "Archived", findings=[])
    named(c, log, index, "contract_filed_after_signing")


def _missing() -> dict[str, Any]:
    return {
        "rule": "contract_filed_after_signing",
        "citation": "政府采购法 第四十七条",
        "description_zh": "采购人应当自政府采购合同签订之日起七个工作日内，将合同副本报同级"
        "政府采购监督管理部门和有关部门备案（归档时合同仍未备案）",
        "deadline": "2026-05-20",
        "actual": None,
        "provisional": False,
        "reason": "",
        # counted from the signing on the table and 2026 calendar the genesis adopted
        "start": "2026-05-11",
        "basis": {"table": 1, "calendars": {"2026": 1}},
    }


# -- 6. amounts: deposits and supplementary contracts within their share -----------------


def test_a_bid_deposit_is_at_most_2_percent_of_the_budget(county: County) -> None:
    c = county
    # Budget 1,850,000.00: 2% is 37,000.00.
    assert announce(c, "p1", "open_tender", bid_deposit="37000.00") == {}
    over = announce(c, "p2", "competitive_consultation", bid_deposit="37000.01")
    finding = over["bid_deposit_over_limit"]
    assert "第三十三条" in finding["citation"]
    assert (finding["deadline"], finding["actual"]) == (None, None)
    assert "投标保证金37000.01元" in finding["description_zh"]
    assert "上限37000.00元" in finding["description_zh"]
    for n, wrong in enumerate(("2%", "-1.00")):
        error = refused(Invalid, announce, c, f"p{n + 3}", "open_tender", bid_deposit=wrong)
        assert "payload.bid_deposit" in error.message
    leaf = c.leaf(c.act(c.agency, "CorrectAnnouncement",
                        {"date": "2026-04-13", "changes": "联系人改为王强。"}))  # fmt: skip
    assert "bid_deposit" not in leaf["data"]  # only the notice asks it
    verified(c)
    log, index = edited(c, "TenderAnnounced", 1, findings=[])
    named(c, log, index, "bid_deposit_over_limit")
    log, index = edited(c, "TenderAnnounced", 0, findings=[finding])
    named(c, log, index, "bid_deposit_over_limit")


def test_a_performance_deposit_is_at_most_10_percent_of_the_contract(county: County) -> None:
    c = county
    c.to_evaluated()
    c.act(c.purchaser, "DecideAward", AWARD)
    c.act(c.agency, "AnnounceResult", {"date": "2026-05-08"})
    wrong = CONTRACT | {"performance_deposit": "百分之五"}
    error = refused(Invalid, c.act, c.purchaser, "SignContract", wrong)
    assert "payload.performance_deposit" in error.message
    # 1,720,000.00: 10% is 172,000.00; a fen more is found, and the contract recorded.
    over = CONTRACT | {"performance_deposit": "172000.01"}
    receipt = c.act(c.purchaser, "SignContract", over)
    finding = rules(c, receipt)["performance_deposit_over_limit"]
    assert finding["citation"] == "政府采购法实施条例 第四十八条"
    assert c.leaf(receipt)["data"]["performance_deposit"] == "172000.01"
    verified(c)
    log, index = edited(c, "ContractSigned", findings=[])
    named(c, log, index, "performance_deposit_over_limit")


def test_a_performance_deposit_at_10_percent_is_lawful(county: County) -> None:
    c = county
    assert signed(c, performance_deposit="172000.00") == {}
    verified(c)


def supplement(c: County, on: str, number: str, amount: str, actor: Any = None) -> Any:
    payload = {"date": on, "contract_number": number, "amount": amount,
               "content": "追加同型号超声探头2个。"}  # fmt: skip
    return c.act(actor or c.purchaser, "SignSupplementaryContract", payload)


def test_supplementary_contracts_together_are_at_most_10_percent_of_the_contract(
    county: County,
) -> None:
    c = county
    c.to_evaluated()
    c.act(c.purchaser, "DecideAward", AWARD)
    early = refused(Conflict, supplement, c, "2026-05-07", "QHX-BC1", "100000.00")
    assert "rule lifecycle.sign_supplementary_contract" in early.message
    c.act(c.agency, "AnnounceResult", {"date": "2026-05-08"})
    c.act(c.purchaser, "SignContract", CONTRACT)
    error = refused(Forbidden, supplement, c, "2026-06-01", "QHX-BC1", "1.00", c.agency)
    assert "rule roles.sign_supplementary_contract" in error.message
    for number, amount, field in (("QHX-2026-001", "1.00", "payload.contract_number"),
                                  ("QHX-BC1", "0.00", "payload.amount")):  # fmt: skip
        error = refused(Invalid, supplement, c, "2026-06-01", number, amount)
        assert field in error.message
    # 10% of 1,720,000.00 is 172,000.00: the first supplement within it, the second
    # bringing them together a fen over, found; both recorded.
    first = c.leaf(supplement(c, "2026-06-01", "QHX-BC1", "100000.00"))["data"]
    assert (first["findings"], first["total"], first["supplier"]) == ([], "100000.00", "xinda")
    assert first["state"]["progress"] == "contract_signed"
    second = supplement(c, "2026-06-15", "QHX-BC2", "72000.01")
    finding = rules(c, second)["supplementary_contracts_over_limit"]
    assert finding["citation"] == "政府采购法 第四十九条"
    assert "补充合同累计金额172000.01元" in finding["description_zh"]
    assert c.leaf(second)["data"]["total"] == "172000.01"
    error = refused(Invalid, supplement, c, "2026-06-16", "QHX-BC2", "1.00")
    assert "payload.contract_number" in error.message
    # After the acceptance the contract has been performed: a supplement is irregular.
    report = {"date": "2026-07-01", "passed": True, "report": "验收合格。"}
    c.act(c.purchaser, "RecordAcceptance", report)
    late = rules(c, supplement(c, "2026-07-02", "QHX-BC3", "1.00"))
    assert set(late) == {"supplement_after_acceptance", "supplementary_contracts_over_limit"}
    verified(c)
    log, index = edited(c, "SupplementaryContractSigned", 1, findings=[])
    named(c, log, index, "supplementary_contracts_over_limit")
    log, index = edited(c, "SupplementaryContractSigned", 0, total="1.00")
    named(c, log, index, "total")


# -- 6. bid deposits refunded within 5 working days (财政部令第87号 第三十八条) -------------

DEPOSIT = {"bid_deposit": "18500.00"}  # 1% of the budget


def refund(c: County, on: str, *suppliers: str, actor: Any = None) -> Any:
    payload = {"date": on, "suppliers": list(suppliers)}
    return c.act(actor or c.agency, "RefundBidDeposits", payload)


def contracted_with_deposits(c: County) -> None:
    """p1's notice asks a bid deposit; awarded to xinda on 7 May, its result (and award
    notice) on Friday 8 May, its contract signed on Monday 11 May."""
    c.to_evaluated(notice=DEPOSIT)
    c.act(c.purchaser, "DecideAward", AWARD)
    c.act(c.agency, "AnnounceResult", {"date": "2026-05-08"})
    c.act(c.purchaser, "SignContract", CONTRACT)


def test_deposits_are_refunded_5_working_days_after_the_award_notice_or_the_contract(
    county: County,
) -> None:
    c = county
    contracted_with_deposits(c)
    for wrong, field in ((["nobody"], "payload.suppliers[0]"), ([], "payload.suppliers"),
                         (["kangtai", "kangtai"], "payload.suppliers[1]")):  # fmt: skip
        error = refused(Invalid, refund, c, "2026-05-12", *wrong)
        assert field in error.message
    # The others' within 5 working days of the award notice (Friday 8 May): 9 May (a working
    # Saturday of 2026's 调休), 11–14 May; on the 14th, in time.
    assert rules(c, refund(c, "2026-05-14", "kangtai", "huamei", actor=c.purchaser)) == {}
    again = refused(Invalid, refund, c, "2026-05-14", "huamei")
    assert "already refunded" in again.message
    # The winner's within 5 working days of the contract (11 May): due 18 May; on the 19th,
    # late.
    late = rules(c, refund(c, "2026-05-19", "xinda"))["bid_deposit_refunded_to_winner"]
    assert (late["deadline"], late["actual"]) == ("2026-05-18", "2026-05-19")
    assert late["citation"] == "财政部令第87号 第三十八条"
    assert accepted_and_archived(c).keys() == {"contract_filed_after_signing"}
    verified(c)
    log, index = edited(c, "BidDepositsRefunded", 1, findings=[])
    named(c, log, index, "bid_deposit_refunded_to_winner")
    log, index = edited(c, "BidDepositsRefunded", 0, findings=[late])
    named(c, log, index, "bid_deposit_refunded_to_winner")


def test_a_deposit_never_refunded_is_found_at_the_archive(county: County) -> None:
    c = county
    contracted_with_deposits(c)
    c.act(c.purchaser, "FileContract", {"date": "2026-05-12"})
    assert rules(c, refund(c, "2026-05-12", "kangtai")) == {}
    found = accepted_and_archived(c)
    others = found["bid_deposit_refunded_to_others"]
    winner = found["bid_deposit_refunded_to_winner"]
    assert (others["deadline"], others["actual"]) == ("2026-05-14", None)
    assert "huamei" in others["description_zh"] and "kangtai" not in others["description_zh"]
    assert (winner["deadline"], winner["actual"]) == ("2026-05-18", None)
    verified(c)
    log, index = edited(c, "Archived", findings=[others])
    named(c, log, index, "bid_deposit_refunded_to_winner")


def test_without_a_deposit_asked_there_is_none_to_refund(county: County) -> None:
    c = county
    signed(c)
    error = refused(Invalid, refund, c, "2026-05-12", "kangtai")
    assert "payload.suppliers" in error.message and "投标保证金" in error.message
    assert accepted_and_archived(c).keys() == {"contract_filed_after_signing"}


def test_after_a_termination_every_deposit_is_refunded_5_working_days_after_it(
    county: County,
) -> None:
    c = county
    c.to_evaluated(notice=DEPOSIT)
    # Terminated on Friday 8 May after the opening (专项资金调整): no award notice will come, so
    # every bidder's deposit is due within 5 working days of the termination (87号令 第二十九条):
    # 9 May (a working Saturday of 2026's 调休), 11–14 May.
    c.act(c.purchaser, "Terminate", {"date": "2026-05-08", "reason": "专项资金调整，终止采购"})
    assert rules(c, refund(c, "2026-05-14", "kangtai")) == {}
    late = rules(c, refund(c, "2026-05-15", "huamei"))["bid_deposit_refunded_after_termination"]
    assert (late["deadline"], late["actual"], late["start"]) == (
        "2026-05-14", "2026-05-15", "2026-05-08",
    )  # fmt: skip
    assert late["citation"] == "财政部令第87号 第二十九条"
    # Nothing else may follow a termination but the refunds and the archive.
    award = AWARD | {"date": "2026-05-15"}
    error = refused(Conflict, c.act, c.purchaser, "DecideAward", award)
    assert "只能退还投标保证金或归档" in error.message
    # Archived with xinda's deposit never refunded: found, with the deadline it had.
    archived = rules(c, c.act(c.purchaser, "Archive", {"date": "2026-05-20"}))
    never = archived["bid_deposit_refunded_after_termination"]
    assert (never["deadline"], never["actual"]) == ("2026-05-14", None)
    assert "xinda" in never["description_zh"] and "huamei" not in never["description_zh"]
    verified(c)
    log, index = edited(c, "BidDepositsRefunded", 1, findings=[])
    named(c, log, index, "bid_deposit_refunded_after_termination")

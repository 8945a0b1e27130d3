"""Framework agreements 框架协议 in two stages (issue 12, point 10; 财政部令第110号), on SQLite
and PostgreSQL: stage one's sealed responses, the 入围 of several suppliers and the agreement
with its term; stage two's call-offs with an admitted supplier within the term, each
announced in time, their amounts summed against the agreement. Irregular acts are recorded
with their finding, impossible ones refused, and `sunshine verify --check-timing` recomputes
the findings and names one dropped or forged."""

from __future__ import annotations

from typing import Any

from procurement_world import County
from test_missing_rules import edited, named
from test_procurement_ledger import refused
from test_statutes import county, rules, verified

from ledger.domain.errors import Conflict, Invalid

__all__ = ["county"]  # the fixture, on both databases

FRAMEWORK: dict[str, Any] = {
    "method": "framework_agreement",
    "title": "澄溪县医疗耗材框架协议采购项目",
}
# The committee ranks xinda (1,720,000.00) first, kangtai second, huamei third.
ADMIT = {"date": "2026-05-07", "admitted": ["xinda", "kangtai"], "amount": "1800000.00"}
AGREEMENT = {
    "date": "2026-05-11",
    "contract_number": "QHX-KJ-2026-001",
    "amount": "1800000.00",
    "term_ends": "2027-05-10",
}


def solicited(c: County) -> None:
    """p1, a framework agreement: its 征集公告 on 10 April, three sealed responses opened
    on 6 May and evaluated."""
    c.to_announced(**FRAMEWORK)
    prices = ("1790000.00", "1720000.00", "1805000.00")
    for supplier, price in zip(c.suppliers, prices, strict=True):
        c.bid(supplier, price)
    c.world.close_and_open(c.agency, "2026-05-06")
    committee: dict[str, Any] = {}
    results = [
        {"supplier": "kangtai", "valid": True, "rank": 2},
        {"supplier": "xinda", "valid": True, "rank": 1},
        {"supplier": "huamei", "valid": True, "rank": 3},
    ]
    payload = c.world.evaluation("p1", "2026-05-06", results, committee)
    c.act(c.agency, "CompleteEvaluation", payload, sealed=committee)


def agreed(c: County, **terms: Any) -> dict[str, dict[str, Any]]:
    """p1 solicited, xinda and kangtai admitted on 7 May, the 入围结果公告 on 8 May and the
    agreement signed on Monday 11 May with ``terms`` and filed the next day: the rules the
    signing breaks."""
    solicited(c)
    c.act(c.purchaser, "DecideAward", ADMIT)
    c.act(c.agency, "AnnounceResult", {"date": "2026-05-08"})
    found = rules(c, c.act(c.purchaser, "SignContract", AGREEMENT | terms))
    c.act(c.purchaser, "FileContract", {"date": "2026-05-12"})  # the agreement filed 备案
    return found


def call_off(c: County, on: str, number: str, supplier: str = "xinda", **kw: Any) -> Any:
    payload = {
        "date": on,
        "contract_number": number,
        "supplier": supplier,
        "selection": "second_bidding",
        "amount": "300000.00",
    }
    return c.act(c.purchaser, "SignCallOff", payload | kw)


# -- stage one: solicitation, 入围, the agreement ------------------------------------------


def test_stage_one_admits_several_suppliers_from_sealed_responses(county: County) -> None:
    c = county
    c.to_announced(**FRAMEWORK)
    # The responses are sealed bids: no admission before they are opened and evaluated.
    early = {"date": "2026-04-20", "admitted": ["xinda", "kangtai"], "amount": "1800000.00"}
    error = refused(Conflict, c.act, c.purchaser, "DecideAward", early)
    assert "rule lifecycle.decide_award" in error.message
    receipt = c.bid(c.suppliers[0], "1790000.00")
    assert receipt.bid_receipt["envelope"]  # sealed in the box like a tender's bid


def test_the_solicitation_gives_20_days_to_respond(county: County) -> None:
    c = county
    # The 征集公告 of Friday 10 April with its responses due on Tuesday 28 April: 18 days,
    # fewer than 20 (财政部令第110号, article to be checked); opened, and found.
    c.to_announced(notice={"bid_deadline": "2026-04-28"}, **FRAMEWORK)
    for supplier, price in zip(c.suppliers, ("1790000.00", "1720000.00"), strict=False):
        c.bid(supplier, price, on="2026-04-20")
    _, opened = c.world.close_and_open(c.agency, "2026-04-28")
    short = rules(c, opened)["framework_documents_to_response_deadline"]
    assert (short["deadline"], short["actual"], short["start"]) == (
        "2026-04-30", "2026-04-28", "2026-04-10",
    )  # fmt: skip
    verified(c)
    log, index = edited(c, "BidsOpened", findings=[])
    named(c, log, index, "framework_documents_to_response_deadline")


def test_the_admission_names_every_admitted_supplier_in_the_result_notice(
    county: County,
) -> None:
    c = county
    solicited(c)
    one = ADMIT | {"admitted": ["xinda"]}
    error = refused(Invalid, c.act, c.purchaser, "DecideAward", one)
    assert "rule framework_minimum_admitted" in error.message
    assert "入围供应商不少于2家" in error.message
    stranger = ADMIT | {"admitted": ["xinda", "jyj"]}
    assert "not a valid responder" in refused(
        Invalid, c.act, c.purchaser, "DecideAward", stranger
    ).message
    award = c.leaf(c.act(c.purchaser, "DecideAward", ADMIT))["data"]
    assert (award["supplier"], award["admitted"], award["findings"]) == (
        "xinda", ["xinda", "kangtai"], []
    )
    notice = c.leaf(c.act(c.agency, "AnnounceResult", {"date": "2026-05-08"}))["data"]
    assert notice["admitted"] == ["xinda", "kangtai"]
    assert notice["announcement"] == "result"
    agreement = c.leaf(c.act(c.purchaser, "SignContract", AGREEMENT))["data"]
    assert (agreement["term_ends"], agreement["findings"]) == ("2027-05-10", [])
    verified(c)
    # An admission forged with a supplier the result notice does not name: the replay fails.
    log, index = edited(c, "ResultAnnounced", admitted=["xinda"])
    named(c, log, index, "other admitted suppliers")


def test_too_few_eliminated_and_too_long_a_term_are_recorded_with_findings(
    county: County,
) -> None:
    c = county
    solicited(c)
    everyone = ADMIT | {"admitted": ["xinda", "kangtai", "huamei"]}
    low = rules(c, c.act(c.purchaser, "DecideAward", everyone))["framework_elimination_too_low"]
    assert "淘汰比例" in low["description_zh"] and "第110号" in low["citation"]
    c.act(c.agency, "AnnounceResult", {"date": "2026-05-08"})
    long = rules(c, c.act(c.purchaser, "SignContract", AGREEMENT | {"term_ends": "2028-05-10"}))
    term = long["framework_agreement_term"]
    assert (term["deadline"], term["actual"]) == ("2027-05-11", "2028-05-10")
    verified(c)
    log, index = edited(c, "ContractSigned", findings=[])
    named(c, log, index, "framework_agreement_term")
    log, index = edited(c, "AwardDecided", findings=[])
    named(c, log, index, "framework_elimination_too_low")


def test_only_a_framework_agreement_has_a_term(county: County) -> None:
    c = county
    c.to_evaluated()
    c.act(c.purchaser, "DecideAward", {"date": "2026-05-07", "supplier": "xinda",
                                       "amount": "1720000.00"})  # fmt: skip
    c.act(c.agency, "AnnounceResult", {"date": "2026-05-08"})
    contract = AGREEMENT | {"amount": "1720000.00"}
    assert "term_ends" in refused(Invalid, c.act, c.purchaser, "SignContract", contract).message
    del contract["term_ends"]
    c.act(c.purchaser, "SignContract", contract)
    error = refused(Conflict, call_off, c, "2026-05-20", "QHX-DD-001")
    assert "rule framework.call_off" in error.message


# -- stage two: call-offs under the agreement --------------------------------------------


def test_call_offs_go_to_admitted_suppliers_within_the_term_and_are_announced(
    county: County,
) -> None:
    c = county
    assert agreed(c, term_ends="2026-09-30") == {}  # a term shorter than the year
    error = refused(Conflict, call_off, c, "2026-06-01", "QHX-DD-001", supplier="huamei")
    assert "rule framework.call_off_supplier" in error.message  # eliminated, not admitted
    first = c.leaf(call_off(c, "2026-06-01", "QHX-DD-001"))["data"]
    assert (first["supplier"], first["total"], first["findings"]) == ("xinda", "300000.00", [])
    reused = refused(Invalid, call_off, c, "2026-06-01", "QHX-DD-001", supplier="kangtai")
    assert "already the number" in reused.message
    # 2 working days from Monday 1 June: announced on the 3rd, in time.
    first_notice = {"date": "2026-06-03", "contract_number": "QHX-DD-001"}
    notice = c.leaf(c.act(c.agency, "AnnounceCallOff", first_notice))["data"]
    assert (notice["announcement"], notice["findings"]) == ("call_off", [])
    assert (notice["supplier"], notice["selection"]) == ("xinda", "second_bidding")
    again = {"date": "2026-06-04", "contract_number": "QHX-DD-001"}
    twice = refused(Conflict, c.act, c.agency, "AnnounceCallOff", again)
    assert "already announced" in twice.message
    # kangtai's, by rotation, announced a day late.
    call_off(c, "2026-06-08", "QHX-DD-002", supplier="kangtai", selection="rotation")
    late = rules(c, c.act(c.purchaser, "AnnounceCallOff",
                          {"date": "2026-06-11", "contract_number": "QHX-DD-002"}))  # fmt: skip
    finding = late["call_off_announced_after_signing"]
    assert (finding["deadline"], finding["actual"]) == ("2026-06-10", "2026-06-11")
    assert "第110号" in finding["citation"]
    # After the agreement's term: refused.
    after = refused(Conflict, call_off, c, "2026-10-08", "QHX-DD-003", supplier="kangtai")
    assert "rule framework.call_off_term" in after.message
    verified(c)
    log, index = edited(c, "CallOffAnnounced", 1, findings=[])
    named(c, log, index, "call_off_announced_after_signing")
    log, index = edited(c, "CallOffAnnounced", 0, findings=[finding])
    named(c, log, index, "call_off_announced_after_signing")


def test_call_offs_above_the_agreement_and_never_announced_are_found(county: County) -> None:
    c = county
    agreed(c)
    call_off(c, "2026-06-01", "QHX-DD-001", amount="1500000.00")
    over = rules(c, call_off(c, "2026-06-02", "QHX-DD-002", amount="300000.01"))
    assert "框架协议" in over["call_offs_over_agreement"]["description_zh"]
    c.act(c.agency, "AnnounceCallOff", {"date": "2026-06-02", "contract_number": "QHX-DD-001"})
    c.act(c.purchaser, "RecordAcceptance",
          {"date": "2026-06-15", "passed": True, "report": "供货合格。"})  # fmt: skip
    archived = rules(c, c.act(c.purchaser, "Archive", {"date": "2026-06-15"}))
    never = archived["call_off_announced_after_signing"]
    assert (never["deadline"], never["actual"]) == ("2026-06-04", None)
    assert "QHX-DD-002" in never["description_zh"]
    verified(c)
    log, index = edited(c, "CallOffSigned", 1, findings=[])
    named(c, log, index, "call_offs_over_agreement")
    log, index = edited(c, "Archived", findings=[])
    named(c, log, index, "call_off_announced_after_signing")

"""The contract's missing rules (DOMAIN.md, "Corrections (turn 2)", "Missing rules"): its
filing 备案 within 7 working days, and the amounts of deposits and supplementary contracts,
each on a procurement run through the ledger on SQLite and PostgreSQL: recorded with its
finding when broken, without one when kept, and recomputed by `sunshine verify
--check-timing`, which names a finding dropped or forged."""

from __future__ import annotations

from typing import Any

from procurement_world import County
from test_missing_rules import edited, named
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
    }

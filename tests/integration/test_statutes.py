"""The statutes as corrected (DOMAIN.md, "Corrections (turn 2)"), each rule on a procurement
run through the ledger on SQLite and PostgreSQL: when its clock starts, to which methods it
applies, and who holds the power."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import World
from procurement_world import County


@pytest.fixture
def county(world: World) -> County:
    return County(world)


def rules(county: County, receipt: Any) -> dict[str, dict[str, Any]]:
    return {f["rule"]: f for f in county.leaf(receipt)["data"]["findings"]}


def awarded_and_challenged(c: County) -> None:
    """p1 awarded to xinda and its result announced on 8 May; kangtai and huamei challenge
    it on 11 May, so the answer period ends on 20 May (7 working days)."""
    c.to_evaluated()
    award = {"date": "2026-05-07", "supplier": "xinda", "amount": "1720000.00"}
    c.act(c.purchaser, "DecideAward", award)
    c.act(c.agency, "AnnounceResult", {"date": "2026-05-08"})
    for supplier in (c.suppliers[0], c.suppliers[2]):
        challenge = {
            "date": "2026-05-11", "subject": "result", "known_on": "2026-05-08",
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

"""Times to the minute (issue 12, point 11), on SQLite and PostgreSQL: a deadline is a
moment in Beijing time, a bid at 09:31 against 09:30 is late, and a 招标 is opened at the
deadline's minute (财政部令第87号 第三十三、三十九条)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import World
from procurement_world import County
from test_procurement_ledger import refused
from test_statutes import rules, timed, verified
from test_verifier_registry import entries

from ledger.domain.errors import Conflict, Invalid
from ledger.verify import VerificationFailed

# Each test's county is a copy of one registered once per worker (conftest.py).
pytestmark = pytest.mark.world("county")


@pytest.fixture
def county(world: World) -> County:
    return County(world)


def test_a_deadline_is_announced_with_its_minute(county: County) -> None:
    c = county
    c.to_announced()
    notice = c.leaf(c.act(c.agency, "CorrectAnnouncement", {
        "date": "2026-04-13", "changes": "投标截止时间顺延。", "bid_deadline": "2026-05-08",
        "bid_deadline_time": "14:30"}))["data"]  # fmt: skip
    assert (notice["bid_deadline"], notice["bid_deadline_time"]) == ("2026-05-08", "14:30")
    error = refused(Invalid, c.act, c.agency, "CorrectAnnouncement", {
        "date": "2026-04-14", "changes": "再次顺延。", "bid_deadline": "2026-05-11"})  # fmt: skip
    assert "payload.bid_deadline_time (HH:MM, Beijing time) is required" in error.message


def test_a_bid_at_0931_against_a_0930_deadline_is_late(county: County) -> None:
    c = county
    c.to_announced()  # the deadline: 6 May 2026, 09:30
    kangtai, xinda, huamei = c.suppliers
    error = refused(Invalid, c.bid, kangtai, "1790000.00", on="2026-05-06")
    assert "payload.time (HH:MM, Beijing time) is required" in error.message
    late = refused(Conflict, c.bid, kangtai, "1790000.00", on="2026-05-06", time="09:31")
    assert "the bid deadline was 2026-05-06 09:30" in late.message
    c.bid(kangtai, "1790000.00", on="2026-05-06", time="09:30")
    c.bid(xinda, "1720000.00", on="2026-05-06", time="08:59")
    c.bid(huamei, "1805000.00", on="2026-05-05")  # a day before: no minute needed
    _, opened = c.world.close_and_open(c.agency, "2026-05-06")
    assert len(c.leaf(opened)["data"]["bids"]) == 3
    verified(c)


def bids_in_and_closed(c: County, code: str) -> None:
    c.to_announced(code)
    for supplier, price in zip(c.suppliers, ("1790000.00", "1720000.00", "1805000.00"),
                               strict=True):  # fmt: skip
        c.bid(supplier, price, procurement=code)
    c.act(c.agency, "CloseBidBox", {"date": "2026-05-06", "time": "09:30"}, code)


def opening(c: County, code: str, time: str) -> dict[str, dict[str, Any]]:
    receipt = c.act(c.agency, "OpenBids", {"date": "2026-05-06", "time": time}, code)
    assert c.leaf(receipt)["data"]["opened_at"] == f"2026-05-06 {time}"
    return rules(c, receipt)


def test_a_tender_is_opened_at_the_minute_of_its_deadline(county: County) -> None:
    c = county
    bids_in_and_closed(c, "p1")
    assert opening(c, "p1", "09:30") == {}
    bids_in_and_closed(c, "p2")
    late = opening(c, "p2", "10:15")["opening_at_deadline"]
    assert late["citation"] == "财政部令第87号 第三十九条；招标投标法 第三十四条"
    assert "截止时间2026-05-06 09:30，开标时间2026-05-06 10:15" in late["description_zh"]
    bids_in_and_closed(c, "p3")
    error = refused(Invalid, c.act, c.agency, "OpenBids", {"date": "2026-05-06"}, "p3")
    assert "payload.time (HH:MM, Beijing time) of the opening is required" in error.message
    verified(c)


def test_the_verifier_recomputes_the_opening_minute_and_its_finding(county: County) -> None:
    c = county
    bids_in_and_closed(c, "p1")
    opening(c, "p1", "10:15")
    log = entries(c.world)
    index = next(i for i, e in enumerate(log) if e["type"] == "BidsOpened")
    # The recorded minute rewritten to the deadline's, the finding dropped: both are caught.
    moved = {**log[index]["data"], "opened_at": "2026-05-06 09:30"}
    with pytest.raises(VerificationFailed, match="not the minute its command gives"):
        timed([*log[:index], {**log[index], "data": moved}, *log[index + 1:]], c)
    dropped = {**log[index]["data"], "findings": []}
    with pytest.raises(VerificationFailed, match="leaves out the finding opening_at_deadline"):
        timed([*log[:index], {**log[index], "data": dropped}, *log[index + 1:]], c)

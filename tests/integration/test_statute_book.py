"""The calendar in the log (issue 12, point 13), on SQLite and PostgreSQL: the finance office
adopts the working calendar and the time-limit table by signed commands; every timed finding
names the entries it was measured with; a year not adopted yet is counted provisionally, and
its adoption appends a re-evaluation of each provisional result; `verify --check-timing`
measures with the log's own entries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import World, genesis, make_config
from procurement_world import County
from test_procurement_ledger import refused
from test_statutes import timed
from test_verifier_registry import entries

from ledger.application import Ledger
from ledger.domain.errors import Forbidden, Invalid
from ledger.domain.sealed import Disclosure
from ledger.log.follower import Follower
from ledger.statute_payloads import package_calendar_payload, packaged_time_limits_payload
from ledger.store.url import DatabaseURL
from ledger.verify import VerificationFailed
from projections.flags import FlagsProjection
from projections.flags import queries as q

# Each test's county is a copy of one registered once per worker (conftest.py).
pytestmark = pytest.mark.world("county")


@pytest.fixture
def county(world: World) -> County:
    return County(world)


@pytest.fixture
def county_of_2025(db_url: DatabaseURL, tmp_path: Path) -> Iterator[County]:
    """A county whose finance office has adopted the table and only 2025's calendar."""
    ledger = Ledger(make_config(db_url, tmp_path, inline_integration=True))
    try:
        admin = genesis(ledger, adopt=False)
        ledger.submit(admin.body("AdoptTimeLimits", packaged_time_limits_payload()))
        ledger.submit(admin.body("AdoptCalendar", package_calendar_payload([2025])))
        world = World(ledger, admin)
        world.add("rmyy", "purchaser", "rmyy-op", "澄溪县人民医院")
        world.add("kangtai", "supplier", "kangtai-op", "云岭康泰医疗器械有限公司")
        yield County(world)
    finally:
        ledger.close()


def award_before_labour_day(c: County) -> Any:
    """p1 evaluated on 28 April 2026 and awarded on Thursday 30 April; returns the award."""
    c.to_announced(notice={"bid_deadline": "2026-04-28"}, date="2026-03-02")
    prices = ("1790000.00", "1720000.00", "1805000.00")
    for supplier, price in zip(c.suppliers, prices, strict=True):
        c.bid(supplier, price, on="2026-04-20")
    c.world.close_and_open(c.agency, "2026-04-28")
    order = sorted(range(3), key=lambda n: Decimal(prices[n]))
    results = [
        {"supplier": s.organisation, "valid": True, "rank": order.index(n) + 1}
        for n, s in enumerate(c.suppliers)
    ]
    committee: dict[str, Disclosure] = {}
    payload = c.world.evaluation("p1", "2026-04-28", results, committee)
    c.act(c.agency, "CompleteEvaluation", payload, sealed=committee)
    award = {"date": "2026-04-30", "supplier": "xinda", "amount": "1720000.00"}
    return c.act(c.purchaser, "DecideAward", award)


def test_findings_name_the_entries_they_were_measured_with(county: County) -> None:
    c = county
    award_before_labour_day(c)
    # Announced on Friday 8 May: 2 working days from 30 April end on 7 May (1–5 May are the
    # Labour Day holiday, on the calendar the genesis adopted).
    late = c.leaf(c.act(c.agency, "AnnounceResult", {"date": "2026-05-08"}))
    (finding,) = late["data"]["findings"]
    assert finding["rule"] == "result_announced_after_award"
    assert (finding["deadline"], finding["actual"], finding["provisional"]) == (
        "2026-05-07", "2026-05-08", False,
    )  # fmt: skip
    assert finding["start"] == "2026-04-30"
    # The table is the first entry of its stream, the calendar the first of its own.
    assert finding["basis"] == {"table": 1, "calendars": {"2026": 1}}
    assert "provisional_passes" not in late["data"]  # every year counted through is adopted
    timed(entries(c.world), c)


def test_a_year_adopted_later_re_evaluates_what_was_provisional(county_of_2025: County) -> None:
    c = county_of_2025
    award_before_labour_day(c)
    # 2026 not adopted: counted on weekends alone, 2 working days from Thursday 30 April end
    # on Monday 4 May, and 6 May is late — provisionally.
    late = c.leaf(c.act(c.agency, "AnnounceResult", {"date": "2026-05-06"}))
    (finding,) = late["data"]["findings"]
    assert (finding["rule"], finding["deadline"], finding["provisional"]) == (
        "result_announced_after_award", "2026-05-04", True,
    )  # fmt: skip
    assert finding["basis"] == {"table": 1, "calendars": {"2026": None}}
    assert "2026年节假日安排未知" in finding["reason"]
    # A contract signed on Thursday 7 May and announced on Monday 11 May: kept, but only
    # provisionally, and recorded as such. (Saturday 9 May is a worked 调休 day: in fact the
    # 2 working days end on 9 May, and 11 May is late.)
    signing = {"date": "2026-05-07", "contract_number": "QHX-2026-001", "amount": "1720000.00"}
    c.act(c.purchaser, "SignContract", signing)
    announced = c.leaf(c.act(c.agency, "AnnounceContract", {"date": "2026-05-11"}))
    passes = {p["rule"]: p for p in announced["data"]["provisional_passes"]}
    kept = passes["contract_announced_after_signing"]
    assert (kept["deadline"], kept["actual"], kept["provisional"]) == (
        "2026-05-11", "2026-05-11", True,
    )  # fmt: skip
    timed(entries(c.world), c)

    # The finance office adopts 2026: each provisional result is re-evaluated, appended.
    receipt = c.act(c.finance, "AdoptCalendar", package_calendar_payload([2026]))
    appended = [c.leaf(receipt, n) for n in range(len(receipt.events))]
    assert appended[0]["type"] == "CalendarAdopted"
    changes = {
        (r["data"]["before"]["rule"], r["data"]["entry"]): r["data"]
        for r in appended[1:]
    }
    assert all(r["type"] == "TimingReevaluated" for r in appended[1:])
    withdrawn = changes[("result_announced_after_award", late["index"])]
    assert withdrawn["change"] == "withdrawn" and withdrawn["kept"] is True
    assert (withdrawn["after"]["deadline"], withdrawn["after"]["provisional"]) == (
        "2026-05-07", False,
    )  # fmt: skip
    version = appended[0]["version"]
    assert withdrawn["after"]["basis"] == {"table": 1, "calendars": {"2026": version}}
    added = changes[("contract_announced_after_signing", announced["index"])]
    assert added["change"] == "added" and added["after"]["deadline"] == "2026-05-09"
    assert {r["change"] for r in changes.values()} <= {"added", "withdrawn", "confirmed"}
    # The entries re-evaluated keep what they recorded: nothing is edited.
    assert c.ledger.reader.entry(late["index"]) == entries_bytes(c, late["index"])
    # Adopted again, nothing waits any more: no re-evaluation is appended.
    again = c.act(c.finance, "AdoptCalendar", package_calendar_payload([2026]))
    assert len(again.events) == 1
    log = entries(c.world)
    timed(log, c)
    # A re-evaluation left out, or changed, is named by the verifier.
    first = next(i for i, e in enumerate(log) if e["type"] == "TimingReevaluated")
    with pytest.raises(VerificationFailed, match="re-evaluation of entry"):
        timed(log[:first] + log[first + 1 :], c)


def entries_bytes(c: County, index: int) -> bytes:
    return c.ledger.reader.entry(index)


def test_only_a_finance_office_adopts_and_what_it_adopts_is_checked(county: County) -> None:
    c = county
    payload = package_calendar_payload([2026])
    error = refused(Forbidden, c.act, c.purchaser, "AdoptCalendar", payload)
    assert "statutes.adopt" in str(error)
    year = payload["years"][0]
    weekday = dict(year, workdays=["2026-02-16"])  # a Monday is no 调休 day
    error = refused(Invalid, c.act, c.finance, "AdoptCalendar", {**payload, "years": [weekday]})
    assert "payload.years[0].workdays[0]" in str(error)
    stray = dict(year, holidays=["2025-10-01"])
    error = refused(Invalid, c.act, c.finance, "AdoptCalendar", {**payload, "years": [stray]})
    assert "not in 2026" in str(error)
    unnamed = dict(year, notice=" ")
    error = refused(Invalid, c.act, c.finance, "AdoptCalendar", {**payload, "years": [unnamed]})
    assert "notice" in str(error)
    table = packaged_time_limits_payload()
    short = {**table, "limits": table["limits"][1:]}
    error = refused(Invalid, c.act, c.finance, "AdoptTimeLimits", short)
    assert "adopted whole" in str(error)
    wrong = [dict(table["limits"][0], unit="weeks"), *table["limits"][1:]]
    refused(Invalid, c.act, c.finance, "AdoptTimeLimits", {**table, "limits": wrong})


def test_a_corrected_table_is_what_later_findings_are_measured_by(county: County) -> None:
    c = county
    table = packaged_time_limits_payload()
    rows = [
        dict(r, limit=5) if r["id"] == "result_announced_after_award" else r
        for r in table["limits"]
    ]
    adopted = c.leaf(c.act(c.finance, "AdoptTimeLimits", {**table, "limits": rows}))
    assert adopted["type"] == "TimeLimitsAdopted" and adopted["version"] == 2
    award_before_labour_day(c)
    announced = c.leaf(c.act(c.agency, "AnnounceResult", {"date": "2026-05-08"}))
    assert announced["data"]["findings"] == []  # 5 working days: on time
    timed(entries(c.world), c)


def overdue(c: County, follower: Follower, today: date) -> dict[str, q.Flag]:
    follower.catch_up()
    with c.ledger.db.read() as cur:
        chosen, _ = q.parse_filters(cur, {})
        return {f.id: f for f in q.list_flags(cur, chosen, today, 1) if f.procurement == "p1"}


def test_the_flags_clocks_count_on_the_calendar_the_log_adopted(county_of_2025: County) -> None:
    c = county_of_2025
    follower = Follower(c.ledger.db, FlagsProjection())
    follower.setup()
    award_before_labour_day(c)
    # No result announced. 2026 not adopted: the flags count as the ledger does, on weekends
    # alone, so on Tuesday 5 May the result is overdue — provisionally.
    clock = "late_or_missing_notice:p1:result_announced_after_award"
    guessed = overdue(c, follower, date(2026, 5, 5))[clock]
    assert (guessed.details["due"], guessed.details["provisional"]) == ("2026-05-04", True)
    # The county adopts 2026: 1–5 May are the Labour Day holiday, the result is due on
    # 7 May, and on 5 May nothing is overdue any more.
    c.act(c.finance, "AdoptCalendar", package_calendar_payload([2026]))
    assert clock not in overdue(c, follower, date(2026, 5, 5))
    due = overdue(c, follower, date(2026, 5, 8))[clock]
    assert (due.details["due"], due.details["provisional"]) == ("2026-05-07", False)
    # A rebuild from the log, and a projection resumed after a restart, agree.
    again = Follower(c.ledger.db, FlagsProjection())
    again.setup()
    assert overdue(c, again, date(2026, 5, 8))[clock].details == due.details

"""The statutory clock on small handmade calendars (pure: no package data, no files)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain.clock import (
    Breach,
    Deadline,
    TimeLimit,
    TimeLimitError,
    WorkingCalendar,
    time_limit,
    unknown_year_reason,
)

D = date.fromisoformat

# A handmade 2025 in the shape of the real National Day arrangement: 1–8 October off,
# Sunday 28 September and Saturday 11 October worked.
NATIONAL_DAY = [D("2025-10-01") + timedelta(days=i) for i in range(8)]
CAL_2025 = WorkingCalendar(
    known_years={2025},
    holidays=NATIONAL_DAY,
    workdays=[D("2025-09-28"), D("2025-10-11")],
)
# Knows 2026 (no holidays at all, to keep the arithmetic visible) but not 2027.
CAL_2026 = WorkingCalendar(known_years={2026})


def rule(
    unit: str = "working_days", direction: str = "at_most", limit: int = 2, /, **kw: str
) -> TimeLimit:
    return time_limit(
        id=kw.get("id", "result_announced_after_award"),
        description_zh=kw.get("description_zh", "自中标供应商确定之日起公告中标结果"),
        limit=limit,
        unit=unit,
        direction=direction,
        citation=kw.get("citation", "财政部令第87号 第六十九条"),
    )


# -- counting --------------------------------------------------------------------------------


def test_first_day_is_not_counted() -> None:
    monday = D("2025-06-02")
    assert CAL_2025.add_working_days(monday, 1).due == D("2025-06-03")
    assert CAL_2025.add_days(monday, 1).due == D("2025-06-03")
    assert CAL_2025.working_days_between(monday, monday) == 0
    assert CAL_2025.working_days_between(monday, D("2025-06-03")) == 1


def test_zero_days_is_the_start_itself() -> None:
    assert CAL_2025.add_working_days(D("2025-06-02"), 0) == Deadline(D("2025-06-02"), False, "")


def test_weekend_is_skipped() -> None:
    friday = D("2025-06-06")
    assert CAL_2025.add_working_days(friday, 1).due == D("2025-06-09")
    assert CAL_2025.working_days_between(friday, D("2025-06-09")) == 1


def test_holiday_is_skipped() -> None:
    deadline = CAL_2025.add_working_days(D("2025-09-30"), 1)
    assert deadline == Deadline(D("2025-10-09"), False, "")


def test_adjusted_working_weekend_days_count() -> None:
    assert CAL_2025.is_working_day(D("2025-09-28"))  # a Sunday, worked
    assert CAL_2025.is_working_day(D("2025-10-11"))  # a Saturday, worked
    assert not CAL_2025.is_working_day(D("2025-10-04"))  # a Saturday inside the holiday
    assert CAL_2025.add_working_days(D("2025-10-10"), 1).due == D("2025-10-11")
    # Friday 26 September + 7 working days: 28/9, 29/9, 30/9, 9/10, 10/10, 11/10, 13/10.
    assert CAL_2025.add_working_days(D("2025-09-26"), 7).due == D("2025-10-13")


def test_calendar_days_ending_on_a_holiday_move_to_next_working_day() -> None:
    deadline = CAL_2025.add_days(D("2025-09-25"), 7)  # 2 October
    assert deadline.due == D("2025-10-09")
    assert not deadline.provisional
    assert "顺延至2025-10-09" in deadline.reason
    assert "2025-10-02" in deadline.reason


def test_calendar_days_ending_on_a_weekend_move_to_monday() -> None:
    assert CAL_2025.add_days(D("2025-06-02"), 5).due == D("2025-06-09")


def test_calendar_days_ending_on_an_adjusted_working_sunday_stay() -> None:
    assert CAL_2025.add_days(D("2025-09-21"), 7) == Deadline(D("2025-09-28"), False, "")


def test_working_days_between_is_signed() -> None:
    a, b = D("2025-09-26"), D("2025-10-13")
    assert CAL_2025.working_days_between(a, b) == 7
    assert CAL_2025.working_days_between(b, a) == -CAL_2025.working_days_between(a, b)


# -- unknown years ---------------------------------------------------------------------------


def test_count_into_an_unknown_year_is_provisional() -> None:
    # Thursday 24 December + 7: 25, 28, 29, 30, 31 December, Friday 1 and Monday 4 January
    # (1 January is surely a holiday, but the calendar does not know 2027: it says so).
    deadline = CAL_2026.add_working_days(D("2026-12-24"), 7)
    assert deadline.due == D("2027-01-04")
    assert deadline.provisional
    assert deadline.reason == unknown_year_reason(2027)
    assert "2027年节假日安排未知" in deadline.reason
    assert "2027 holidays unknown: weekends only (provisional)" in deadline.reason


def test_count_within_known_years_is_not_provisional() -> None:
    deadline = CAL_2026.add_working_days(D("2026-12-01"), 7)
    assert deadline == Deadline(D("2026-12-10"), False, "")


def test_start_in_unknown_year_alone_does_not_make_provisional() -> None:
    # The start day is not counted, so its year does not matter.
    assert not CAL_2026.add_working_days(D("2025-12-31"), 1).provisional
    assert CAL_2026.add_working_days(D("2025-12-30"), 1).provisional


def test_calendar_days_depend_only_on_the_end() -> None:
    cal = WorkingCalendar(known_years={2026})
    assert not cal.add_days(D("2025-12-01"), 60).provisional
    moved = cal.add_days(D("2026-12-01"), 30)  # Thursday 31 December: a working day
    assert moved == Deadline(D("2026-12-31"), False, "")
    assert cal.add_days(D("2026-12-01"), 31).provisional  # Friday 1 January 2027


def test_several_unknown_years_are_all_named() -> None:
    deadline = WorkingCalendar.weekends_only().add_working_days(D("2030-12-31"), 300)
    assert deadline.provisional
    assert unknown_year_reason(2031) in deadline.reason
    assert unknown_year_reason(2032) in deadline.reason
    assert "2030年" not in deadline.reason


def test_unknown_years_between() -> None:
    assert CAL_2026.unknown_years_between(D("2026-12-24"), D("2027-01-04")) == (2027,)
    assert CAL_2026.unknown_years_between(D("2027-01-04"), D("2026-12-24")) == (2027,)
    assert CAL_2026.unknown_years_between(D("2025-12-31"), D("2026-05-01")) == ()


def test_overlay_adds_an_operator_year() -> None:
    year_2027 = WorkingCalendar(
        known_years={2027},
        holidays=[D("2027-01-01"), D("2027-01-02"), D("2027-01-03")],
    )
    cal = CAL_2026.overlay(year_2027)
    assert cal.known_years == {2026, 2027}
    assert cal.add_working_days(D("2026-12-24"), 7) == Deadline(D("2027-01-05"), False, "")


def test_overlay_replaces_a_known_year_wholly() -> None:
    corrected = WorkingCalendar(known_years={2025}, holidays=[D("2025-10-01")])
    cal = CAL_2025.overlay(corrected)
    assert not cal.is_working_day(D("2025-10-01"))
    assert cal.is_working_day(D("2025-10-02"))
    assert not cal.is_working_day(D("2025-09-28"))  # the old adjusted Sunday is gone


def test_from_predicate_keeps_the_exceptions() -> None:
    cal = WorkingCalendar.from_predicate(CAL_2025.is_working_day, {2025})
    assert cal.known_years == {2025}
    day = D("2025-01-01")
    while day.year == 2025:
        assert cal.is_working_day(day) == CAL_2025.is_working_day(day)
        day += timedelta(days=1)


# -- refusals --------------------------------------------------------------------------------


def test_calendar_refuses_inconsistent_data() -> None:
    with pytest.raises(ValueError, match="lies in 2027"):
        WorkingCalendar(known_years={2026}, holidays=[D("2027-01-01")])
    with pytest.raises(ValueError, match="both as holiday and as workday"):
        WorkingCalendar(known_years={2026}, holidays=[D("2026-02-14")], workdays=[D("2026-02-14")])
    with pytest.raises(ValueError, match="not a year"):
        WorkingCalendar(known_years={0})
    with pytest.raises(TypeError, match=r"datetime\.date"):
        WorkingCalendar(known_years={2026}, holidays=["2026-01-01"])  # type: ignore[list-item]


def test_counting_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError, match="between 0 and"):
        CAL_2025.add_working_days(D("2025-01-01"), -1)
    with pytest.raises(ValueError, match="between 0 and"):
        CAL_2025.add_days(D("2025-01-01"), 10**9)
    with pytest.raises(TypeError, match="int"):
        CAL_2025.add_working_days(D("2025-01-01"), True)
    with pytest.raises(TypeError, match="not datetime"):
        CAL_2025.add_working_days(datetime(2025, 1, 1), 1)
    with pytest.raises(TypeError, match="not str"):
        CAL_2025.is_working_day("2025-01-01")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("id", {"id": "Result-Announced"}),
        ("id", {"id": ""}),
        ("description_zh", {"description_zh": "  "}),
        ("description_zh", {"description_zh": "result announced"}),
        ("citation", {"citation": ""}),
    ],
)
def test_time_limit_refuses_bad_text(field: str, kwargs: dict[str, str]) -> None:
    with pytest.raises(TimeLimitError) as caught:
        rule(**kwargs)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("field", "unit", "direction", "limit"),
    [
        ("unit", "weeks", "at_most", 2),
        ("direction", "working_days", "exactly", 2),
        ("limit", "working_days", "at_most", 0),
        ("limit", "working_days", "at_most", -3),
        ("limit", "working_days", "at_most", True),
        ("limit", "working_days", "at_most", 2.5),
    ],
)
def test_time_limit_refuses_bad_values(
    field: str, unit: str, direction: str, limit: object
) -> None:
    with pytest.raises(TimeLimitError) as caught:
        rule(unit, direction, limit)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")


# -- limits, deadlines, breaches -------------------------------------------------------------


def test_deadline_for_each_unit() -> None:
    start = D("2025-09-30")
    assert CAL_2025.deadline_for(rule("working_days", "at_most", 2), start).due == D("2025-10-10")
    assert CAL_2025.deadline_for(rule("days", "at_most", 1), start).due == D("2025-10-09")
    files = rule("years", "at_least", 15, id="files_retained", description_zh="采购文件保存")
    assert CAL_2025.deadline_for(files, D("2024-02-29")) == Deadline(D("2039-02-28"), False, "")
    assert CAL_2025.deadline_for(files, D("2025-10-01")).due == D("2040-10-01")
    assert files.is_time_limit


def test_bidder_minimum_has_no_deadline() -> None:
    bidders = rule("bidders", "at_least", 3, id="minimum_valid_bidders_open_tender")
    assert not bidders.is_time_limit
    with pytest.raises(ValueError, match="counts bidders, not time"):
        CAL_2025.deadline_for(bidders, D("2025-01-01"))


def test_at_most_kept_on_the_deadline_and_broken_after_it() -> None:
    limit = rule()  # ≤ 2 working days
    award = D("2025-10-09")  # Thursday: 10 October, then the adjusted Saturday 11 October
    assert CAL_2025.check(limit, award, D("2025-10-10")) is None
    assert CAL_2025.check(limit, award, D("2025-10-11")) is None
    breach = CAL_2025.check(limit, award, D("2025-10-13"))
    assert breach == Breach(
        rule_id="result_announced_after_award",
        citation="财政部令第87号 第六十九条",
        direction="at_most",
        deadline=D("2025-10-11"),
        actual=D("2025-10-13"),
        provisional=False,
        reason="",
    )
    assert "财政部令第87号 第六十九条" in breach.describe()
    assert "2025-10-13" in breach.describe()


def test_at_least_broken_before_the_deadline() -> None:
    limit = rule("days", "at_least", 20, id="tender_documents_to_bid_deadline")
    issued = D("2025-09-11")  # + 20 days = 1 October, a holiday: earliest is 9 October
    breach = CAL_2025.check(limit, issued, D("2025-10-01"))
    assert breach is not None
    assert breach.deadline == D("2025-10-09")
    assert "顺延" in breach.reason
    assert CAL_2025.check(limit, issued, D("2025-10-09")) is None
    assert CAL_2025.check(limit, issued, D("2025-11-20")) is None


def test_breach_in_an_unknown_year_is_provisional() -> None:
    limit = rule("working_days", "at_most", 7, id="challenge_answered")
    breach = CAL_2026.check(limit, D("2026-12-24"), D("2027-01-06"))
    assert breach is not None
    assert breach.provisional
    assert breach.deadline == D("2027-01-04")
    assert "provisional" in breach.describe()


# -- properties ------------------------------------------------------------------------------

KNOWN = st.frozensets(st.sampled_from([2024, 2025, 2026]))


@st.composite
def calendars(draw: st.DrawFn) -> WorkingCalendar:
    years = draw(KNOWN)
    days = [
        D(f"{y}-01-01") + timedelta(days=i)
        for y in sorted(years)
        for i in range(366 if y == 2024 else 365)
    ]
    if not days:
        return WorkingCalendar.weekends_only()
    off = draw(st.sets(st.sampled_from(days), max_size=40))
    worked = draw(st.sets(st.sampled_from([d for d in days if d.weekday() >= 5]), max_size=10))
    return WorkingCalendar(known_years=years, holidays=off, workdays=worked - off)


START = st.dates(min_value=D("2023-10-01"), max_value=D("2027-03-31"))


@settings(max_examples=200, deadline=None)
@given(cal=calendars(), start=START, n=st.integers(min_value=1, max_value=60))
def test_add_working_days_lands_on_a_working_day_n_away(
    cal: WorkingCalendar, start: date, n: int
) -> None:
    deadline = cal.add_working_days(start, n)
    assert deadline.due > start
    assert cal.is_working_day(deadline.due)
    assert cal.working_days_between(start, deadline.due) == n
    assert cal.working_days_between(start, deadline.due - timedelta(days=1)) == n - 1
    assert deadline.provisional == bool(cal.unknown_years_between(start, deadline.due))


@settings(max_examples=200, deadline=None)
@given(cal=calendars(), start=START, n=st.integers(min_value=0, max_value=60))
def test_add_days_lands_on_the_first_working_day_from_the_end(
    cal: WorkingCalendar, start: date, n: int
) -> None:
    deadline = cal.add_days(start, n)
    end = start + timedelta(days=n)
    assert deadline.due >= end
    assert cal.is_working_day(deadline.due)
    skipped = [end + timedelta(days=i) for i in range((deadline.due - end).days)]
    assert not any(cal.is_working_day(d) for d in skipped)
    assert deadline.provisional == any(not cal.knows(d.year) for d in [*skipped, deadline.due])

"""The statutory clock on the real chinese_calendar package, the packaged time-limit table and
operator files (holiday arrangements, time-limit overrides)."""

from __future__ import annotations

import textwrap
from datetime import date, timedelta
from importlib import resources
from pathlib import Path

import chinese_calendar  # type: ignore[import-untyped]
import pytest

from ledger.calendar_files import build_calendar, load_holiday_file, load_time_limits
from ledger.domain.calendars import (
    CalendarFileError,
    TimeLimitFileError,
    chinese_calendar_years,
    package_calendar,
    parse_holiday_file,
)
from ledger.domain.clock import Deadline, WorkingCalendar, unknown_year_reason

D = date.fromisoformat


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


# An operator's arrangement for 2027 (illustrative: the State Council had not published it).
HOLIDAYS_2027 = """
    # 国务院办公厅关于2027年部分节假日安排的通知（operator copy）
    [2027]
    holidays = [
        "2027-01-01", "2027-01-02", "2027-01-03",
        "2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08",
        "2027-02-09", "2027-02-10", "2027-02-11", "2027-02-12",
    ]
    workdays = ["2027-01-30", "2027-02-20"]
    """


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return build_calendar()


# -- what the package knows ------------------------------------------------------------------


def test_package_years_are_probed() -> None:
    years = chinese_calendar_years()
    assert {2004, 2025, 2026} <= years
    assert years == set(range(min(years), max(years) + 1))  # one contiguous span
    for outside in (min(years) - 1, max(years) + 1):
        with pytest.raises(NotImplementedError):
            chinese_calendar.is_workday(date(outside, 6, 1))
    assert package_calendar().known_years == years


def test_calendar_agrees_with_the_package_on_every_known_day(calendar: WorkingCalendar) -> None:
    for year in (2025, 2026):
        day = date(year, 1, 1)
        while day.year == year:
            assert calendar.is_working_day(day) == chinese_calendar.is_workday(day), day
            day += timedelta(days=1)


# -- National Day 2025 -----------------------------------------------------------------------


def test_national_day_2025(calendar: WorkingCalendar) -> None:
    for offset in range(8):
        assert not calendar.is_working_day(D("2025-10-01") + timedelta(days=offset))
    assert calendar.is_working_day(D("2025-09-28"))  # Sunday, worked
    assert calendar.is_working_day(D("2025-10-11"))  # Saturday, worked
    assert calendar.add_working_days(D("2025-09-30"), 1).due == D("2025-10-09")
    # Friday 26 September + 7: 28/9 (Sun), 29/9, 30/9, 9/10, 10/10, 11/10 (Sat), 13/10.
    challenge = calendar.add_working_days(D("2025-09-26"), 7)
    assert challenge == Deadline(D("2025-10-13"), False, "")
    assert calendar.working_days_between(D("2025-09-26"), D("2025-10-13")) == 7


def test_first_day_not_counted_and_adjusted_saturday_counted(calendar: WorkingCalendar) -> None:
    result = load_time_limits()["result_announced_after_award"]
    award = D("2025-10-09")  # Thursday; the 10th and the adjusted Saturday 11th count
    assert calendar.deadline_for(result, award).due == D("2025-10-11")
    assert calendar.check(result, award, D("2025-10-11")) is None
    breach = calendar.check(result, award, D("2025-10-13"))
    assert breach is not None
    assert (breach.rule_id, breach.citation) == (
        "result_announced_after_award",
        "财政部令第87号 第六十九条",
    )
    assert (breach.deadline, breach.actual, breach.provisional) == (
        D("2025-10-11"),
        D("2025-10-13"),
        False,
    )


def test_calendar_day_limit_ending_in_national_day_moves(calendar: WorkingCalendar) -> None:
    contract = load_time_limits()["contract_signed_after_award_notice"]  # ≤ 30 days
    deadline = calendar.deadline_for(contract, D("2025-09-01"))  # 1 October
    assert deadline.due == D("2025-10-09")
    assert not deadline.provisional
    assert "2025-10-01" in deadline.reason
    assert calendar.check(contract, D("2025-09-01"), D("2025-10-09")) is None
    assert calendar.check(contract, D("2025-09-01"), D("2025-10-10")) is not None


# -- Spring Festival 2026 --------------------------------------------------------------------


def test_spring_festival_2026(calendar: WorkingCalendar) -> None:
    for offset in range(9):
        assert not calendar.is_working_day(D("2026-02-15") + timedelta(days=offset))
    assert calendar.is_working_day(D("2026-02-14"))  # Saturday, worked
    assert calendar.is_working_day(D("2026-02-28"))  # Saturday, worked
    assert calendar.add_working_days(D("2026-02-13"), 1).due == D("2026-02-14")
    assert calendar.add_working_days(D("2026-02-14"), 1).due == D("2026-02-24")
    # Friday 13 February + 7: 14 (Sat), 24, 25, 26, 27, 28 (Sat), 2 March.
    assert calendar.add_working_days(D("2026-02-13"), 7).due == D("2026-03-02")
    moved = calendar.add_days(D("2026-01-16"), 30)  # Sunday 15 February, the holiday
    assert moved.due == D("2026-02-24")
    assert "顺延至2026-02-24" in moved.reason


# -- a year the package does not know -------------------------------------------------------


@pytest.fixture(scope="module")
def without_2027(calendar: WorkingCalendar) -> WorkingCalendar:
    """The package calendar; were a newer package to know 2027, the same without 2027."""
    if not calendar.knows(2027):
        return calendar
    return WorkingCalendar.from_predicate(
        chinese_calendar.is_workday, [y for y in calendar.known_years if y < 2027]
    )


def test_installed_package_does_not_know_2027() -> None:
    if 2027 in chinese_calendar_years():
        pytest.skip("this chinese_calendar knows 2027; the tests below simulate it unknown")
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(D("2027-01-04"))


def test_challenge_into_unknown_year_is_provisional(without_2027: WorkingCalendar) -> None:
    challenge = load_time_limits()["challenge_filed_after_known"]  # ≤ 7 working days
    deadline = without_2027.deadline_for(challenge, D("2026-12-24"))
    assert deadline.due == D("2027-01-04")
    assert deadline.provisional
    assert deadline.reason == unknown_year_reason(2027)
    assert "2027年节假日安排未知，仅按周末计算（暂定）" in deadline.reason
    breach = without_2027.check(challenge, D("2026-12-24"), D("2027-01-05"))
    assert breach is not None
    assert breach.provisional


def test_far_unknown_year_never_crashes(calendar: WorkingCalendar) -> None:
    year = max(calendar.known_years) + 5
    deadline = calendar.add_working_days(date(year, 12, 24), 30)
    assert deadline.provisional
    assert unknown_year_reason(year + 1) in deadline.reason
    assert calendar.working_days_between(date(year, 1, 1), date(year, 1, 31)) > 0


def test_operator_holiday_file_makes_2027_exact(
    tmp_path: Path, without_2027: WorkingCalendar
) -> None:
    operator = load_holiday_file(write(tmp_path, "holidays.toml", HOLIDAYS_2027))
    assert operator.known_years == {2027}
    cal = without_2027.overlay(operator)
    challenge = load_time_limits()["challenge_filed_after_known"]
    # 25, 28, 29, 30, 31 December; 1–3 January off; 4 and 5 January.
    assert cal.deadline_for(challenge, D("2026-12-24")) == Deadline(D("2027-01-05"), False, "")
    assert cal.is_working_day(D("2027-02-20"))  # an adjusted Saturday from the file
    assert cal.add_working_days(D("2027-02-04"), 1).due == D("2027-02-15")


def test_build_calendar_with_holiday_file(tmp_path: Path) -> None:
    cal = build_calendar(write(tmp_path, "holidays.toml", HOLIDAYS_2027))
    assert cal.knows(2027)
    assert cal.knows(2025)
    assert cal.add_working_days(D("2026-12-24"), 7) == Deadline(D("2027-01-05"), False, "")


def test_holiday_file_overrides_a_known_year(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "holidays.toml",
        """
        [2026]
        holidays = [2026-01-01, 2026-01-02]   # TOML dates are accepted too
        """,
    )
    cal = build_calendar(path)
    assert not cal.is_working_day(D("2026-01-02"))
    assert cal.is_working_day(D("2026-02-16"))  # the package's Spring Festival is replaced
    assert not cal.is_working_day(D("2025-10-01"))  # other years untouched


# -- malformed holiday files ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (
            """
            [2027]
            holidays = [
                "2027-01-01",
                "2027-02-30",
            ]
            """,
            4,
            "[2027] holidays[1] = '2027-02-30': not a date",
        ),
        (
            """
            [2027]
            holidays = ["2027-01-01"]
            workdays = ["2027-02-08"]
            """,
            3,
            "[2027] workdays[0] = '2027-02-08': a Monday",
        ),
        (
            """
            [2027]
            holidays = ["2028-01-01"]
            """,
            2,
            "not in 2027",
        ),
        (
            """
            [2027]
            holidays = ["2027-02-06"]
            workdays = ["2027-02-06"]
            """,
            3,
            "already listed in holidays",
        ),
        (
            """
            [2027]
            holidays = ["2027-01-01"]
            workday = ["2027-02-06"]
            """,
            3,
            "[2027] workday: unknown key",
        ),
        (
            """
            [2027]
            workdays = ["2027-02-06"]
            """,
            1,
            "[2027]: the holidays list is missing",
        ),
        (
            """
            [2027]
            holidays = ["2027-01-01"]

            [spring]
            holidays = ["2027-02-06"]
            """,
            4,
            "[spring]: tables must be years",
        ),
        (
            """
            [2027]
            holidays = "2027-01-01"
            """,
            2,
            "[2027] holidays: must be a list",
        ),
        (
            """
            [2027]
            holidays = ["2027-01-01",
            """,
            2,
            "malformed TOML",
        ),
        (
            """
            [2027]
            holidays = [2027-01-01T09:00:00]
            """,
            2,
            "not a date",
        ),
    ],
)
def test_malformed_holiday_file_names_line_and_key(
    tmp_path: Path, text: str, line: int, fragment: str
) -> None:
    path = write(tmp_path, "holidays.toml", text)
    with pytest.raises(CalendarFileError) as caught:
        build_calendar(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert fragment in message
    assert caught.value.line == line


def test_missing_holiday_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CalendarFileError, match="cannot read holiday file"):
        build_calendar(tmp_path / "absent.toml")


def test_holiday_text_without_a_source_still_names_the_key() -> None:
    with pytest.raises(CalendarFileError, match=r"^<holiday file>:2: \[2027\] holidays\[0\]"):
        parse_holiday_file('[2027]\nholidays = ["1 January"]\n')


def test_holiday_text_without_a_table_is_refused_with_its_line() -> None:
    with pytest.raises(CalendarFileError, match=r"^h.toml:2: \[holidays\]: tables must be years"):
        parse_holiday_file('# 2027\nholidays = ["2027-01-01"]\n', "h.toml")


# -- the time-limit table -------------------------------------------------------------------


REPORT_ARTICLES = "政府采购法实施条例 第四十三条；财政部令第87号 第六十八条"
REFUND_ARTICLE = "财政部令第87号 第三十八条"
#: How many rules the packaged table holds.
PACKAGED_RULES = 49  # with the four of framework agreements (财政部令第110号), the refund
# after a termination, the works candidates' 3 days from the report and the two minimums of
# suppliers qualified by a 资格预审


def test_packaged_time_limits() -> None:
    assert resources.files("ledger.domain").joinpath("time_limits.toml").is_file()
    rules = load_time_limits()
    assert len(rules) == PACKAGED_RULES
    expected = {
        "substantive_correction_to_bid_deadline": (
            15, "days", "at_least", "政府采购法实施条例 第三十一条；财政部令第87号 第二十七条"),
        "consultation_correction_to_deadline": (5, "days", "at_least", "财库〔2014〕214号 第十条"),
        "evaluation_report_delivered": (2, "working_days", "at_most", REPORT_ARTICLES),
        "award_after_report": (5, "working_days", "at_most", REPORT_ARTICLES),
        "negotiation_announcement_period": (
            3, "working_days", "at_least", "财库〔2015〕135号（待核）"),
        "tender_documents_on_sale": (
            5, "working_days", "at_least",
            "政府采购法实施条例 第三十一条；财政部令第87号 第十八条"),
        "consultation_documents_on_sale": (
            5, "working_days", "at_least", "财库〔2014〕214号 第十条"),
        "negotiation_correction_to_deadline": (
            3, "working_days", "at_least", "财政部令第74号 第二十九条、第四十五条"),
        "intention_disclosed_before_procurement": (30, "days", "at_least", "财库〔2020〕10号"),
        "tender_announcement_period": (5, "working_days", "at_least", "财政部令第87号 第十六条"),
        "tender_documents_to_bid_deadline": (
            20,
            "days",
            "at_least",
            "政府采购法 第三十五条；财政部令第87号 第十九条",
        ),
        "result_announced_after_award": (2, "working_days", "at_most", "财政部令第87号 第六十九条"),
        "challenge_filed_after_known": (7, "working_days", "at_most", "财政部令第94号 第十条"),
        "challenge_answered": (7, "working_days", "at_most", "财政部令第94号 第十三条"),
        "complaint_filed_after_answer_period": (
            15,
            "working_days",
            "at_most",
            "政府采购法 第五十五条；财政部令第94号 第十七条",
        ),
        "complaint_decided": (30, "working_days", "at_most", "财政部令第94号 第二十六条"),
        "complaint_screened": (5, "working_days", "at_most", "财政部令第94号 第二十一条"),
        "contract_filed_after_signing": (7, "working_days", "at_most", "政府采购法 第四十七条"),
        "bid_deposit_refunded_to_others": (5, "working_days", "at_most", REFUND_ARTICLE),
        "bid_deposit_refunded_to_winner": (5, "working_days", "at_most", REFUND_ARTICLE),
        # Works tenders: 招标投标法 and its 实施条例 (政府采购法实施条例 第七条).
        "works_documents_on_sale": (5, "days", "at_least", "招标投标法实施条例 第十六条"),
        "works_documents_objection_before_deadline": (
            10, "days", "at_least", "招标投标法实施条例 第二十二条"),
        "works_objection_answered": (
            3, "days", "at_most", "招标投标法实施条例 第二十二条、第五十四条"),
        "works_candidates_published": (3, "days", "at_least", "招标投标法实施条例 第五十四条"),
        "works_complaint_filed": (10, "days", "at_most", "招标投标法实施条例 第六十条"),
        "works_complaint_screened": (3, "working_days", "at_most", "招标投标法实施条例 第六十一条"),
        "works_complaint_decided": (30, "working_days", "at_most", "招标投标法实施条例 第六十一条"),
        "works_written_report": (15, "days", "at_most", "招标投标法 第四十七条"),
        "minimum_valid_bidders_open_tender": (
            3,
            "bidders",
            "at_least",
            "政府采购法 第三十六条；财政部令第87号 第四十四条",
        ),
        "minimum_bids_at_opening": (
            3,
            "bidders",
            "at_least",
            "政府采购法 第三十六条；财政部令第87号 第四十一条",
        ),
        "minimum_prequalified": (
            3, "bidders", "at_least",
            "政府采购法 第三十四条；政府采购法实施条例 第二十一条；财政部令第87号 第十四条"),
        "works_minimum_prequalified": (3, "bidders", "at_least", "招标投标法实施条例 第十九条"),
        "suspension_longest": (
            30,
            "days",
            "at_most",
            "政府采购法 第五十七条；财政部令第94号 第二十八条",
        ),
        "files_retained": (15, "years", "at_least", "政府采购法 第四十二条"),
        "open_tender_threshold_goods_services": (
            200,
            "wan_yuan",
            "at_least",
            "政府采购法 第二十七条；政府采购法实施条例 第二十三条；"
            "国办发〔2019〕55号 政府集中采购目录及标准（2020年版）",
        ),
    }
    for rule_id, (limit, unit, direction, citation) in expected.items():
        rule = rules[rule_id]
        assert (rule.id, rule.limit, rule.unit, rule.direction, rule.citation) == (
            rule_id,
            limit,
            unit,
            direction,
            citation,
        )
    assert all(rule.citation and rule.description_zh for rule in rules.values())


def test_operator_time_limit_override(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "limits.toml",
        """
        [[time_limit]]
        id = "challenge_answered"
        description_zh = "采购人自收到质疑函之日起作出答复（更正）"
        limit = 10
        unit = "working_days"
        direction = "at_most"
        citation = "财政部令第94号 第十三条（运营方更正）"

        [[time_limit]]
        id = "acceptance_after_delivery"
        description_zh = "供应商交付后采购人组织履约验收"
        limit = 30
        unit = "days"
        direction = "at_most"
        citation = "地方规定"
        """,
    )
    rules = load_time_limits(path)
    assert len(rules) == PACKAGED_RULES + 1  # the packaged rules and one of the operator's own
    assert rules["challenge_answered"].limit == 10
    assert rules["challenge_answered"].citation.endswith("（运营方更正）")
    assert rules["acceptance_after_delivery"].unit == "days"
    assert rules["complaint_decided"].limit == 30  # untouched rules stay


RULE = """
[[time_limit]]
id = "challenge_answered"
description_zh = "采购人自收到质疑函之日起作出答复"
limit = 7
unit = "working_days"
direction = "at_most"
citation = "财政部令第94号 第十三条"
"""


@pytest.mark.parametrize(
    ("change", "line", "fragment"),
    [
        (('unit = "working_days"', 'unit = "weeks"'), 13, "unit: 'weeks' is not one of"),
        (('direction = "at_most"', 'direction = "exactly"'), 14, "direction: 'exactly'"),
        (("limit = 7", "limit = 0"), 12, "limit: 0 is not between 1"),
        (("limit = 7", 'limit = "7"'), 12, "limit: '7' is not an integer"),
        (('id = "challenge_answered"', 'id = "Challenge Answered"'), 10, "id: 'Challenge"),
        (
            ('description_zh = "采购人自收到质疑函之日起作出答复"', 'description_zh = "answer"'),
            11,
            "description_zh: 'answer' contains no Chinese",
        ),
        (
            ('citation = "财政部令第94号 第十三条"', "citation = 13"),
            15,
            "citation: must be a string",
        ),
        (('citation = "财政部令第94号 第十三条"', ""), 9, "missing citation"),
        (("limit = 7", "limit = 7\nlimt = 8"), 13, "limt: unknown key"),
        (("limit = 7", "limit = = 7"), 12, "malformed TOML"),
    ],
)
def test_malformed_time_limit_file_names_line_and_key(
    tmp_path: Path, change: tuple[str, str], line: int, fragment: str
) -> None:
    # The first rule is untouched; the second one is broken (its header is line 9).
    broken = RULE.replace('"challenge_answered"', '"other_rule"', 1) + RULE.replace(*change)
    path = write(tmp_path, "limits.toml", broken)
    with pytest.raises(TimeLimitFileError) as caught:
        load_time_limits(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert fragment in message
    if "TOML" not in fragment:
        assert "[[time_limit]] #2" in message


def test_duplicate_rule_id_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "limits.toml", RULE + RULE)
    with pytest.raises(TimeLimitFileError, match=r":9: id challenge_answered: defined twice"):
        load_time_limits(path)


def test_unknown_table_in_time_limit_file(tmp_path: Path) -> None:
    path = write(tmp_path, "limits.toml", RULE + "\n[limits]\nx = 1\n")
    with pytest.raises(TimeLimitFileError, match=r":9: limits: unknown table"):
        load_time_limits(path)

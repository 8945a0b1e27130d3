"""Procurement text is kept exactly as written; control characters, over-long text and bad dates
are refused naming the field."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.domain.errors import Invalid
from ledger.domain.text import (
    MAX_YEAR,
    MIN_YEAR,
    REQUIREMENT_MAX,
    TITLE_MAX,
    day,
    ensure_order,
    parse_date,
    parse_requirement,
    parse_title,
    requirement,
    title,
)

TITLES = [
    "县人民医院CT设备采购项目",
    "2026年教育局学生课桌椅采购（第二批）",
    "交通运输局G318线道路养护工程 — Lot 2",
    "医疗设备🏥采购 👩‍⚕️",
    "Ürümqi / Урумчи / ئۈرۈمچی 乌鲁木齐",
    "  前后空格保留  ",
    "全角，标点；“引号”【括号】",
    "<script>alert(1)</script>",
    "<b>加粗</b> &amp; &lt;",
    "A" * TITLE_MAX,
    "采" * TITLE_MAX,
]


@pytest.mark.parametrize("value", TITLES)
def test_titles_round_trip_exactly(value: str) -> None:
    assert parse_title(value, "payload.title") == value
    assert title({"title": value}, "title") == value


def test_html_is_kept_verbatim() -> None:
    kept = parse_title("<script>alert(1)</script>", "payload.title")
    assert kept == "<script>alert(1)</script>"
    body = "采购需求：\n<img src=x onerror=alert(1)>\n\t<p>品牌不限</p>"
    assert parse_requirement(body, "payload.requirements") == body


_TEXT = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cc", "Cs"),
        blacklist_characters="\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
    ),
    max_size=TITLE_MAX,
).filter(lambda s: s.strip() != "")


@given(_TEXT)
def test_any_printable_one_line_text_round_trips(value: str) -> None:
    assert parse_title(value, "payload.title") == value
    assert parse_requirement(value, "payload.requirements") == value


@given(st.lists(_TEXT, min_size=1, max_size=20))
def test_multi_line_requirements_round_trip(lines: list[str]) -> None:
    value = "\n".join(lines) + "\n\t- 末行"
    assert parse_requirement(value, "payload.requirements") == value


def test_over_long_text_is_refused() -> None:
    with pytest.raises(Invalid, match=r"^payload\.title is longer than 200 characters \(201\)"):
        parse_title("采" * (TITLE_MAX + 1), "payload.title")
    assert parse_requirement("需" * REQUIREMENT_MAX, "payload.requirements")
    with pytest.raises(Invalid, match=r"^payload\.requirements is longer than 20,000 characters"):
        parse_requirement("需" * (REQUIREMENT_MAX + 1), "payload.requirements")


@pytest.mark.parametrize(
    "value", ["第一行\n第二行", "末尾换行\n", "制表\t符", "段落\u2029分隔", "行\u2028分隔"]
)
def test_a_title_is_one_line(value: str) -> None:
    with pytest.raises(Invalid, match=r"^payload\.title must be a single line"):
        parse_title(value, "payload.title")


@pytest.mark.parametrize(
    ("value", "what"),
    [
        ("回车\r\n换行", "U+000D"),
        ("空\x00字符", "U+0000"),
        ("响铃\x07", "U+0007"),
        ("删除\x7f", "U+007F"),
        ("C1\x85", "U+0085"),
        ("转义\x1b[31m", "U+001B"),
        ("翻转\u202eabc", "bidirectional control U+202E"),
        ("隔离\u2066x\u2069", "bidirectional control U+2066"),
        ("代理\ud800", "lone surrogate"),
    ],
)
def test_control_characters_are_refused(value: str, what: str) -> None:
    for parse, field in (
        (parse_title, "payload.title"),
        (parse_requirement, "payload.requirements"),
    ):
        with pytest.raises(Invalid) as info:
            parse(value, field)
        assert info.value.message.startswith(f"{field} contains")
        assert what in info.value.message


@pytest.mark.parametrize("value", ["", " ", "\u3000", "   \t"])
def test_blank_text_is_refused_when_required(value: str) -> None:
    with pytest.raises(Invalid, match=r"^payload\.title must not be empty"):
        parse_title(value, "payload.title")
    with pytest.raises(Invalid, match=r"^payload\.requirements must not be empty"):
        parse_requirement(value, "payload.requirements")
    assert parse_requirement(value, "payload.requirements", required=False) == value


@pytest.mark.parametrize("value", [None, 1, 1.5, True, ["标题"], {"zh": "标题"}, b"title"])
def test_text_must_be_a_string(value: object) -> None:
    with pytest.raises(Invalid, match=r"^payload\.title must be a string"):
        parse_title(value, "payload.title")


def test_payload_helpers_name_missing_fields() -> None:
    with pytest.raises(Invalid, match=r"^payload\.title is required"):
        title({}, "title")
    with pytest.raises(Invalid, match=r"^payload\.requirements is required"):
        requirement({"requirements": None}, "requirements")
    assert requirement({}, "requirements", required=False) == ""
    assert requirement({"requirements": "a\nb"}, "requirements", required=False) == "a\nb"
    with pytest.raises(Invalid, match=r"^payload\.opened_on is required"):
        day({}, "opened_on")
    assert day({"opened_on": "2026-11-20"}, "opened_on") == date(2026, 11, 20)


# -- dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-20", date(2026, 11, 20)),
        ("2024-02-29", date(2024, 2, 29)),
        ("2027-01-01", date(2027, 1, 1)),
        (f"{MIN_YEAR}-01-01", date(MIN_YEAR, 1, 1)),
        (f"{MAX_YEAR}-12-31", date(MAX_YEAR, 12, 31)),
    ],
)
def test_dates_parse(value: str, expected: date) -> None:
    assert parse_date(value, "payload.signed_on") == expected


@given(st.dates(min_value=date(MIN_YEAR, 1, 1), max_value=date(MAX_YEAR, 12, 31)))
def test_every_date_round_trips(value: date) -> None:
    assert parse_date(value.isoformat(), "payload.signed_on") == value


@pytest.mark.parametrize(
    "value",
    [
        "2026-1-5",
        "2026/11/20",
        "20261120",
        "2026-11-20T00:00:00",
        "2026-11-20 ",
        " 2026-11-20",
        "2026-W47-5",
        "2026年11月20日",
        "２０２６-１１-２０",
        "",
        None,
        20261120,
        1.5,
        True,
        ["2026-11-20"],
        date(2026, 11, 20),
    ],
)
def test_other_date_spellings_are_refused(value: object) -> None:
    with pytest.raises(Invalid, match=r'^payload\.signed_on must be a date written "YYYY-MM-DD"'):
        parse_date(value, "payload.signed_on")


@pytest.mark.parametrize("value", ["2026-02-29", "2026-13-01", "2026-00-10", "2026-04-31"])
def test_impossible_days_are_refused(value: str) -> None:
    with pytest.raises(Invalid, match=r"^payload\.signed_on is not a day of the calendar"):
        parse_date(value, "payload.signed_on")


@pytest.mark.parametrize("value", ["0001-01-01", "1899-12-31", "2200-01-01", "9999-12-31"])
def test_absurd_years_are_refused(value: str) -> None:
    with pytest.raises(Invalid, match=r"^payload\.signed_on must be in the years 1900–2199"):
        parse_date(value, "payload.signed_on")


def test_dates_in_order() -> None:
    names = ("payload.opened_on", "payload.evaluated_on")
    ensure_order(date(2026, 11, 2), date(2026, 11, 3), names)
    ensure_order(date(2026, 11, 3), date(2026, 11, 3), names)  # the same day is in order
    with pytest.raises(Invalid) as info:
        ensure_order(date(2026, 11, 3), date(2026, 11, 2), names)
    assert info.value.message == (
        "payload.evaluated_on (2026-11-02) must not be before payload.opened_on (2026-11-03)"
    )
    assert info.value.code == "invalid"

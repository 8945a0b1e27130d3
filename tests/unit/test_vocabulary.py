"""The procurement vocabulary: every term parses, has its Chinese label, and nothing else parses."""

from __future__ import annotations

import re

import pytest

from ledger.domain.errors import Invalid
from ledger.domain.vocabulary import AnnouncementType, Category, Method, Term

CJK = re.compile(r"[\u4e00-\u9fff]")

EXPECTED: dict[type[Term], dict[str, str]] = {
    Category: {"goods": "货物", "works": "工程", "services": "服务"},
    Method: {
        "open_tender": "公开招标",
        "invited_tender": "邀请招标",
        "competitive_negotiation": "竞争性谈判",
        "competitive_consultation": "竞争性磋商",
        "inquiry": "询价",
        "single_source": "单一来源",
        "framework_agreement": "框架协议",
    },
    AnnouncementType: {
        "intention": "采购意向公开",
        "tender": "采购公告",
        "correction": "更正公告",
        "result": "中标（成交）结果公告",
        "contract": "合同公告",
        "termination": "终止公告",
        "failure": "废标公告",
        "single_source": "单一来源公示",
        "acceptance": "验收结果公告",
        "candidates": "中标候选人公示",
        "call_off": "框架协议采购成交结果公告",
        "supplement": "补充合同公告",
        "prequalification": "资格预审公告",
    },
}

ALL = [(enum, value) for enum, values in EXPECTED.items() for value in values]


@pytest.mark.parametrize("enum", list(EXPECTED))
def test_exactly_the_expected_members(enum: type[Term]) -> None:
    assert [term.value for term in enum] == list(EXPECTED[enum])
    assert enum.labels() == EXPECTED[enum]


@pytest.mark.parametrize(("enum", "value"), ALL)
def test_every_term_parses_and_has_a_chinese_label(enum: type[Term], value: str) -> None:
    term = enum.parse(value, "payload.x")
    assert term is enum(value)
    assert type(term) is enum
    assert term == value and str(term) == value
    assert enum.from_payload({"x": value}, "x") is term
    assert term.label == EXPECTED[enum][value]
    assert CJK.search(term.label)


def test_shared_values_keep_their_own_labels() -> None:
    # StrEnum members compare as their value: the labels must not be mixed up.
    shared: str = Method.SINGLE_SOURCE
    assert shared == AnnouncementType.SINGLE_SOURCE
    assert Method.SINGLE_SOURCE.label == "单一来源"
    assert AnnouncementType.SINGLE_SOURCE.label == "单一来源公示"


@pytest.mark.parametrize("enum", list(EXPECTED))
@pytest.mark.parametrize(
    "value",
    [
        "",
        "unknown",
        "GOODS",
        "Open_Tender",
        " goods",
        "goods ",
        "货物",
        "公开招标",
        1,
        None,
        True,
        ["goods"],
        {"value": "goods"},
    ],
)
def test_unknown_values_are_refused_listing_the_allowed(enum: type[Term], value: object) -> None:
    allowed = ", ".join(EXPECTED[enum])
    with pytest.raises(Invalid) as info:
        enum.parse(value, "payload.items[0].kind")
    assert info.value.message == f"payload.items[0].kind must be one of: {allowed}"
    assert info.value.code == "invalid"
    with pytest.raises(Invalid) as info:
        enum.from_payload({"kind": value}, "kind")
    assert info.value.message == f"payload.kind must be one of: {allowed}"


@pytest.mark.parametrize("enum", list(EXPECTED))
def test_missing_field_is_refused_listing_the_allowed(enum: type[Term]) -> None:
    with pytest.raises(Invalid, match=r"^payload\.kind must be one of: "):
        enum.from_payload({}, "kind")


def test_needs_rationale_for_every_non_open_method() -> None:
    assert Method.OPEN_TENDER.needs_rationale is False
    others = [method for method in Method if method is not Method.OPEN_TENDER]
    assert len(others) == 6
    assert all(method.needs_rationale for method in others)

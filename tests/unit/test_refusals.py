"""A refusal reads in Chinese for the official who recorded it (the workbench shows
``message_zh``), whatever language the rule's own message is in."""

from __future__ import annotations

from ledger.domain.errors import Conflict, FieldErrors, Forbidden
from ledger.domain.refusals import in_chinese


def test_a_role_refusal_says_who_may_not_and_names_the_step() -> None:
    refused = Forbidden(
        "rule roles.approve_plan: approve_plan (批复采购计划) may be issued only by the finance "
        "office; hb-kangtai-op acts as supplier 供应商 of hb-kangtai"
    )
    assert refused.as_json()["message_zh"] == "您所在单位的身份无权记录这一事项：批复采购计划。"


def test_a_rule_that_speaks_chinese_is_quoted_without_its_english_tail() -> None:
    message = (
        "rule bid_box.signed_by_deadline: 投标截止时间为2026-12-06 09:30（北京时间），"
        "已逾期，电子投标箱不予接收; an envelope signed after the deadline is late"
    )
    assert in_chinese("lifecycle", message) == (
        "投标截止时间为2026-12-06 09:30（北京时间），已逾期，电子投标箱不予接收"
    )


def test_an_english_refusal_gets_its_codes_meaning() -> None:
    said = Conflict("procurement wb1 already exists", code="exists").as_json()["message_zh"]
    assert said == "这一事项已经记录过，不能重复记录。"
    assert in_chinese("some_new_code", "no such thing") == "账本不能记录这一事项。"


def test_field_errors_are_chinese_already() -> None:
    body = FieldErrors([("payload.date", "必填")]).as_json()
    assert body["message_zh"] == body["message"] == "命令有1处字段错误：payload.date：必填"

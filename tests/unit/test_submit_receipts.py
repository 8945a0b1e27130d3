"""What `sunshine submit` prints of the ledger's answer: one line for a recorded command, with
the page that shows it; a challenge's 查询码 and a bid's private receipt on lines of their own,
since the signer must keep them; a refusal with each field error on a line."""

from __future__ import annotations

from sunshine.receipts import receipt_lines, refusal_lines

URL = "http://127.0.0.1:8000/"


def test_a_recorded_command_is_one_line_with_its_log_index_and_page() -> None:
    answer = {"status": "integrated", "events": [{"type": "PlanFiled", "leaf_index": 812}]}
    command = {"type": "FilePlan", "procurement": "qhx-2026-160", "payload": {}}
    assert receipt_lines(URL, command, answer) == [
        "已记录：FilePlan（PlanFiled），日志序号 812，"
        "公开页面 http://127.0.0.1:8000/procurements/qhx-2026-160"
    ]


def test_a_registry_command_links_the_directory_or_the_log_entry() -> None:
    answer = {"events": [{"type": "KeyRegistered", "leaf_index": 9}]}
    key = {"type": "RegisterKey", "procurement": None, "payload": {"actor": "qhx-rmyy-op"}}
    assert receipt_lines(URL, key, answer)[0].endswith("http://127.0.0.1:8000/log/entries/9")
    amend = {"type": "AmendOrganisation", "procurement": None, "payload": {"code": "qhx-rmyy"}}
    line = receipt_lines(URL, amend, answer)[0]
    assert line.endswith("http://127.0.0.1:8000/organisations/qhx-rmyy")


def test_what_the_signer_must_keep_is_printed_too() -> None:
    challenge = {
        "events": [{"type": "ChallengeFiled", "leaf_index": 40}],
        "lookup": {"challenge": "p1-ZY1", "code": "7KQ2-M9XD-44TW"},
    }
    command = {"type": "FileChallenge", "procurement": "p1", "payload": {}}
    assert receipt_lines(URL, command, challenge)[1] == (
        "质疑编号 p1-ZY1，查询码 7KQ2-M9XD-44TW（请妥善保存）"
    )
    bid = {"events": [{"type": "BidCommitted"}], "bid_receipt": {"salt": "abc"}}
    lines = receipt_lines(URL, {"type": "SubmitBid", "procurement": "p1"}, bid)
    assert lines[0].startswith("已受理，正在写入日志：SubmitBid（BidCommitted）")
    assert lines[1].endswith('{"salt":"abc"}')


def test_a_refusal_lists_each_field_error_or_says_the_rule() -> None:
    fields = {
        "code": "invalid_fields",
        "message": "…",
        "errors": [
            {"field": "payload.date", "message": "必填"},
            {"field": "payload.items[0].unit", "message": "不能为空"},
        ],
    }
    assert refusal_lines(422, fields) == [
        "命令被拒绝（HTTP 422）：有2处字段错误",
        "  payload.date：必填",
        "  payload.items[0].unit：不能为空",
    ]
    rule = {"code": "lifecycle", "message": "rule lifecycle.announce_result: …"}
    assert refusal_lines(409, rule) == [
        "命令被拒绝（HTTP 409，lifecycle）：rule lifecycle.announce_result: …"
    ]
    assert refusal_lines(502, None) == ["命令被拒绝（HTTP 502）"]

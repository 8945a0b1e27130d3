"""The finance office adopts the working calendar and the time-limit table from the
workbench, in a real chromium against `sunshine serve` on a copy of the demo year: the page
proposes the packaged data or an uploaded file's (its mistakes listed in Chinese), shows
what it changes, and the browser signs the payload it showed. A holiday added for 2026 moves
the challenger's deadline to complain about the demo's open challenge (15 working days after
the answer was due, 2026-07-27 in the 待办) by one working day; the log still verifies. A
purchaser is refused the pages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import DemoLedger, Server, eventually, served_demo, sunshine
from csp_watch import violations, watch_policy

from ledger.statute_payloads import package_calendar_payload

FINANCE, PURCHASER, CHALLENGER = "qhx-czj-admin", "qhx-yz-op", "xt-jianye-op"
ADDED = "2026-07-15"  # a Wednesday, within the window to complain


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, demo_template: DemoLedger
) -> Iterator[tuple[DemoLedger, Server]]:
    with served_demo(demo_template, tmp_path_factory.mktemp("workbench-statutes")) as served:
        yield served


def signed_in(browser: Any, server: Server, keys: Path, actor: str) -> Any:
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    watch_policy(page)
    page.goto(server.url + "/workbench")
    page.fill("#import-actor", actor)
    page.set_input_files("#key-file", str(keys / f"{actor}.pem"))
    page.press("#import-actor", "Enter")
    page.wait_for_selector("#todo")
    return page


def complaint_due(page: Any, server: Server) -> str:
    """The due date in the challenger's 待办 to complain about the open challenge."""
    page.goto(server.url + "/workbench")
    row = page.locator("#todo tbody tr", has_text="提起投诉（qhx-2026-083-ZY1）")
    return str(row.locator("td").nth(3).inner_text())


def holiday_file(path: Path, extra: list[str]) -> Path:
    year = package_calendar_payload([2026])["years"][0]
    holidays = ", ".join(f'"{d}"' for d in sorted([*year["holidays"], *extra]))
    workdays = ", ".join(f'"{d}"' for d in year["workdays"])
    path.write_text(f"[2026]\nholidays = [{holidays}]\nworkdays = [{workdays}]\n", "utf-8")
    return path


def test_a_purchaser_is_refused_the_statute_pages(browser: Any, site: Any) -> None:
    copy, server = site
    page = signed_in(browser, server, copy.data / "demo-keys", PURCHASER)
    for which in ("calendar", "time-limits"):
        answer = page.goto(f"{server.url}/workbench/statutes/{which}")
        assert answer.status == 403
        assert "只有财政部门可以采纳工作日历和法定时限表" in page.inner_text("main")
    page.goto(server.url + "/workbench/forms")
    assert page.locator("#statute-pages").count() == 0
    page.context.close()


def test_a_malformed_holiday_file_lists_every_mistake_in_chinese(
    browser: Any, site: Any, tmp_path: Path
) -> None:
    copy, server = site
    page = signed_in(browser, server, copy.data / "demo-keys", FINANCE)
    bad = tmp_path / "bad.toml"
    bad.write_text('[2027]\nholidays = ["2027-02-30", "2026-10-01"]\nworkdays = ["2027-02-10"]\n'
                   'extra = 1\n[abc]\n', "utf-8")  # fmt: skip
    page.goto(server.url + "/workbench/statutes/calendar")
    page.set_input_files("#file", str(bad))
    page.wait_for_function("() => document.getElementById('text').value.includes('2027')")
    page.click("#statute-file button[type=submit]")
    errors = page.locator("#file-errors li").all_inner_texts()
    assert len(errors) == 5, errors
    joined = "\n".join(errors)
    assert "第 4 行：[2027] 中的 extra 不可识别" in joined
    assert "“2027-02-30”不是日期" in joined and "“2026-10-01”不在 2027 年内" in joined
    assert "“2027-02-10”是星期三" in joined and "[abc] 不是年度" in joined
    assert page.locator("#proposal").count() == 0 and violations(page) == []
    page.context.close()


def test_the_finance_office_adopts_a_holiday_and_the_deadline_moves(
    browser: Any, site: Any, tmp_path: Path
) -> None:
    copy, server = site
    keys = copy.data / "demo-keys"
    challenger = signed_in(browser, server, keys, CHALLENGER)
    assert complaint_due(challenger, server).startswith("2026年7月27日")

    page = signed_in(browser, server, keys, FINANCE)
    page.goto(server.url + "/workbench/forms")
    page.click("#statute-pages >> text=采纳工作日历")
    # The packaged calendar is proposed first, the same as the one adopted.
    assert "chinese-calendar" in page.inner_text("#proposal-source")
    assert "与已采纳的相比：相同" in page.inner_text("#year-2026")
    page.set_input_files("#file", str(holiday_file(tmp_path / "holidays-2026.toml", [ADDED])))
    page.wait_for_function("() => document.getElementById('name').value !== ''")
    page.click("#statute-file button[type=submit]")
    year = page.inner_text("#year-2026")
    assert "国务院办公厅关于2026年部分节假日安排的通知" in year
    assert "新增放假日期 7月15日（星期三）" in year
    assert page.inner_text("#proposal-source") == "holiday file holidays-2026.toml"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.click("#sign")
    page.wait_for_selector("#receipt:not([hidden])")
    assert "已记入日志：日志序号" in page.inner_text("#receipt-line")
    assert violations(page) == []

    # The window to complain is counted over the new holiday: one working day later (as soon
    # as the server has read the adoption).
    eventually(lambda: complaint_due(challenger, server).startswith("2026年7月28日"),
               server.process)  # fmt: skip
    challenger.context.close()
    page.context.close()

    verified = sunshine("verify", "--check-timing", data_dir=copy.data, db=copy.url, timeout=300)
    assert verified.returncode == 0, verified.stdout + verified.stderr


CORRECTION = """[[time_limit]]
id = "challenge_answered"
description_zh = "采购人应当在收到书面质疑后规定工作日内作出答复"
limit = 5
unit = "working_days"
direction = "at_most"
citation = "某省更正依据（测试）"
"""


def test_the_time_limit_table_is_shown_corrected_by_a_file_and_adopted(
    browser: Any, site: Any, tmp_path: Path
) -> None:
    copy, server = site
    page = signed_in(browser, server, copy.data / "demo-keys", FINANCE)
    page.goto(server.url + "/workbench/statutes/time-limits")
    assert page.locator("#rules tbody tr").count() > 5
    text = page.inner_text("#rules")
    assert "工作日" in text and "政府采购法" in text
    # The packaged table is the one adopted with the genesis: nothing differs.
    changes = page.locator("#rules tbody td:nth-child(5)").all_inner_texts()
    assert {c.strip() for c in changes} == {"相同"}

    # A malformed file: every mistake, in Chinese, and nothing proposed.
    bad = tmp_path / "bad-limits.toml"
    bad.write_text(CORRECTION.replace("limit = 5", 'limit = "5"').replace("working_days", "weeks")
                   + "colour = 1\n[other]\n", "utf-8")  # fmt: skip
    page.set_input_files("#file", str(bad))
    page.wait_for_function("() => document.getElementById('name').value !== ''")
    page.click("#statute-file button[type=submit]")
    errors = page.locator("#file-errors li").all_inner_texts()
    assert len(errors) == 4, errors
    joined = "\n".join(errors)
    assert "[other] 不可识别" in joined and "colour 不可识别" in joined
    assert "limit 须为 1 至 36600 之间的整数" in joined and "unit 须为 working_days" in joined
    assert page.locator("#proposal").count() == 0

    # A correction laid over the packaged table: the rule it changes says what it was.
    good = tmp_path / "limits.toml"
    good.write_text(CORRECTION, "utf-8")
    page.set_input_files("#file", str(good))
    page.wait_for_function("() => document.getElementById('name').value === 'limits.toml'")
    page.click("#statute-file button[type=submit]")
    row = page.locator("#rules tbody tr", has_text="某省更正依据（测试）")
    cells = row.locator("td").all_inner_texts()
    assert cells[1:3] == ["不超过 5", "工作日"] and cells[4].startswith("修改（原为不超过 7 工作日")
    page.click("#sign")
    page.wait_for_selector("#receipt:not([hidden])")
    # Adopted: the table in force is the corrected one, which the packaged one now changes.
    changed = page.locator("#rules tbody tr", has_text="修改（原为不超过 5 工作日，依据 某省更正")

    def adopted() -> bool:
        page.goto(server.url + "/workbench/statutes/time-limits")
        return bool(changed.count() == 1)

    eventually(adopted, server.process)
    assert "不超过 7" in changed.inner_text()
    assert violations(page) == []
    page.context.close()

"""待办 on the workbench, over the demo year served by `sunshine serve`, in a real chromium
under the site's Content-Security-Policy: each official signs in with its demo key file and
sees what its organisation must do by the statutory clocks, overdue first, in working days.

The demo leaves one challenge unanswered (qhx-2026-083-ZY1, due 2026-07-06): its purchaser
(澄溪县第一中学) and agency (澄溪县公共资源交易中心) must answer it; its challenger
(青峦建业建筑工程有限公司) has until 2026-07-27 to complain; and 澄溪县公安局 has a contract to
sign by 2026-12-16. Every date here is past 20 November 2026, the demo's last day."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import DemoLedger, served_demo
from csp_watch import violations, watch_policy


@dataclass
class Site:
    url: str
    keys: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, demo_template: DemoLedger) -> Iterator[Site]:
    with served_demo(demo_template, tmp_path_factory.mktemp("workbench-todo")) as (copy, server):
        yield Site(server.url, copy.data / "demo-keys")


def to_do_of(browser: Any, site: Site, actor: str) -> tuple[list[list[str]], str]:
    """Sign in as ``actor`` with its demo key file: the 待办 table's rows and the section's
    text, with no policy violation on the way."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        watch_policy(page)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(site.url + "/workbench")
        page.fill("#import-actor", actor)
        page.set_input_files("#key-file", str(site.keys / f"{actor}.pem"))
        page.press("#import-actor", "Enter")
        page.wait_for_selector("#todo")
        assert violations(page) == [] and errors == []
        rows = [
            [cell.inner_text() for cell in row.query_selector_all("td")]
            for row in page.query_selector_all("#todo tbody tr")
        ]
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        return rows, page.inner_text("#todo")
    finally:
        context.close()


def test_the_purchaser_and_its_agency_must_answer_the_overdue_challenge(
    browser: Any, site: Site
) -> None:
    for actor in ("qhx-yz-op", "qhx-ggzy-op"):
        rows, _ = to_do_of(browser, site, actor)
        assert rows, actor
        status, what, procurement, due, cited = rows[0]
        assert status.startswith("已逾期：已超过") and status.endswith("个工作日")
        assert what == "答复质疑（qhx-2026-083-ZY1）"
        assert procurement == "澄溪县第一中学教学楼维修改造工程"
        assert due.startswith("2026年7月6日")
        assert "第九十四号" in cited or "94号" in cited


def test_a_purchaser_sees_the_contract_it_must_sign_and_a_supplier_its_complaint_window(
    browser: Any, site: Site
) -> None:
    rows, _ = to_do_of(browser, site, "qhx-gaj-op")
    assert [r[1] for r in rows] == ["签订政府采购合同"]
    assert rows[0][3].startswith("2026年12月16日") and "政府采购法 第四十六条" in rows[0][4]

    rows, _ = to_do_of(browser, site, "xt-jianye-op")
    assert [r[1] for r in rows] == ["如对质疑答复不满意，提起投诉（qhx-2026-083-ZY1）"]
    assert rows[0][3].startswith("2026年7月27日") and rows[0][0].startswith("已逾期")

    rows, text = to_do_of(browser, site, "qhx-czj-admin")  # no complaint is open
    assert rows == [] and "目前没有须按法定期限办理的事项" in text

"""The preview of a notice as its public page will show it, against `sunshine serve` on SQLite
and PostgreSQL, in chromium: the agency drafts the 采购公告 of a planned procurement; the
preview shows the notice page, marked 预览（尚未记录）, and the public projection (its tables
and its position) is as it was; once signed, the public notice page shows the very same text
but for what only the log gives it (its number and the 验证 panel)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import (
    Actor,
    Server,
    World,
    built_and_served,
    eventually,
    hospital_world,
)
from procurement_world import ANNOUNCEMENT, PLAN, County
from workbench_browser import SETTLED, field, open_form
from workbench_browser import signed_in as in_browser

from ledger.application import Ledger
from ledger.store.sql import open_database
from ledger.store.url import DatabaseURL
from projections.public import TABLES


@pytest.fixture
def site(db_url: DatabaseURL, tmp_path: Path) -> Iterator[tuple[Server, dict[str, Actor]]]:
    """Procurement p1 planned, approved and its intention disclosed; not yet announced."""
    def build(ledger: Ledger) -> dict[str, Actor]:
        county = County(hospital_world(ledger))
        county.act(county.purchaser, "FilePlan", PLAN)
        county.act(county.finance, "ApprovePlan", {"date": "2026-03-03"})
        county.act(county.finance, "ApproveMethod", {"date": "2026-03-03", "rationale": "预算较大"})
        county.act(county.purchaser, "DiscloseIntention",
                   {"date": "2026-03-04", "expected_start": "2026-04-10"})  # fmt: skip
        world: World = county.world
        return dict(world.actors)

    with built_and_served(db_url, tmp_path, build) as served:
        yield served


def size(server: Server) -> int:
    return int(httpx.get(server.url + "/log/checkpoint").text.split("\n")[1])


def public_state(db_url: DatabaseURL) -> dict[str, Any]:
    """Every row of the public projection's tables, and its position."""
    db = open_database(db_url)
    try:
        with db.read() as cur:
            state: dict[str, Any] = {
                t: cur.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
                for t in TABLES
            }
            state["position"] = cur.execute(
                "SELECT position FROM projection_positions WHERE name = 'public'"
            ).fetchall()
    finally:
        db.close()
    return state


def caught_up(db_url: DatabaseURL, server: Server) -> bool:
    return bool(public_state(db_url)["position"] == [(size(server),)])


def words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_the_tender_notice_is_previewed_as_its_public_page_and_nothing_stays(
    site: tuple[Server, dict[str, Actor]], browser: Any, tmp_path: Path, db_url: DatabaseURL
) -> None:
    server, actors = site
    eventually(lambda: caught_up(db_url, server), server.process)
    before = public_state(db_url)
    logged = size(server)

    agency = in_browser(browser, server, actors["ggzy-op"], tmp_path)
    open_form(agency, server, "AnnounceTender", "p1")
    for name in ("date", "requirement", "qualifications", "contact", "bid_deadline",
                 "bid_deadline_time", "place"):  # fmt: skip
        agency.fill(field(name), ANNOUNCEMENT[name])
    agency.click("#command-form button[type=submit]")
    agency.wait_for_selector("#preview:not([hidden])")

    notice = "#public-preview .notice-preview"
    assert agency.inner_text(f"{notice} h3") == "公告页面预览（尚未记录）"
    shown = agency.inner_text(f"{notice} article.notice")
    assert "采购公告" in shown and PLAN["title"] in shown
    assert "技术参数见采购文件第三章。" in shown and "刘洋 0319-8123456" in shown
    assert "采购代理机构 澄溪县公共资源交易中心" in words(shown)
    assert "独立验证" not in shown and "日志序号" not in shown  # no number before it is logged
    assert agency.evaluate("() => document.documentElement.scrollWidth") <= 390
    # Nothing stays: the log and the public projection's tables and position as they were.
    assert size(server) == logged
    assert public_state(db_url) == before

    agency.click("#sign")
    agency.wait_for_function(SETTLED)
    receipt = agency.inner_text("#receipt")
    assert "已记入日志" in receipt, receipt
    index = int(re.findall(r"\d+", receipt)[0])

    url = f"{server.url}/announcements/{index}"
    eventually(lambda: httpx.get(url).status_code == 200, server.process)
    public = agency.context.new_page()
    public.goto(url)
    page = public.inner_text("article.notice")
    panel = public.inner_text("article.notice section.verify")
    assert str(index) in panel
    assert words(page.replace(panel, "")) == words(shown)

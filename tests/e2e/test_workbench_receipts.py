"""我的回执 in a real chromium against `sunshine serve`: a supplier sees its own bids (the
box's commitments, newest first, with their log index) and its challenge, with links to
change or withdraw only the bid still standing; another supplier's bid in the same box does
not appear; the agency sees the notice it signed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import Actor, Server, built_and_served, hospital_world
from procurement_world import County
from workbench_browser import signed_in

from ledger import signing
from ledger.application import Ledger
from ledger.domain.sealed import Disclosure
from ledger.store.url import DatabaseURL


@dataclass
class Scene:
    server: Server
    actors: dict[str, Actor]
    kangtai: list[tuple[str, int]]  # commitment, leaf index: the bid, then its change
    xinda: str  # the other supplier's commitment
    challenge: str  # kangtai's challenge's number
    notice: int  # the agency's tender notice's leaf


def bid(county: County, supplier: Actor, price: str, supersedes: str) -> Any:
    """A change of ``supersedes``: a new price, sealed."""
    sealed: dict[str, Disclosure] = {}
    payload = {"date": "2026-04-20", "price": signing.sealed_value(price, sealed),
               "supersedes": supersedes}  # fmt: skip
    return county.act(supplier, "SubmitBid", payload, "rc1", sealed)


@pytest.fixture
def scene(db_url: DatabaseURL, tmp_path: Path) -> Iterator[Scene]:
    def build(ledger: Ledger) -> tuple[dict[str, Actor], Any]:
        county = County(hospital_world(ledger))
        county.to_announced("rc1")
        notice = next(i for i in range(ledger.reader.size() - 1, 0, -1)
                      if orjson.loads(ledger.reader.entry(i))["actor"] == "ggzy-op")
        kangtai, xinda = county.suppliers[:2]
        first = county.bid(kangtai, "1790000.00", procurement="rc1")
        changed = bid(county, kangtai, "1780000.00", first.bid_receipt["commitment"])
        other = county.bid(xinda, "1720000.00", procurement="rc1")
        filed = county.act(kangtai, "FileChallenge",
                           {"date": "2026-04-21", "subject": "documents",
                            "grounds": "资格要求指向特定供应商。"}, "rc1")  # fmt: skip
        assert filed.lookup is not None
        scene = (
            [(r.bid_receipt["commitment"], r.events[0]["leaf_index"]) for r in (changed, first)],
            other.bid_receipt["commitment"], filed.lookup["challenge"], notice,
        )  # fmt: skip
        return dict(county.world.actors), scene

    with built_and_served(db_url, tmp_path, build) as (server, (actors, scene)):
        yield Scene(server, actors, *scene)


def receipts_of(browser: Any, scene: Scene, actor: str, tmp_path: Path) -> Any:
    page = signed_in(browser, scene.server, scene.actors[actor], tmp_path)
    page.click("nav a:text-is('我的回执')")
    page.wait_for_selector("h1:text-is('我的回执')")
    return page


def test_a_supplier_sees_its_own_bids_and_challenge_and_not_another_suppliers(
    scene: Scene, browser: Any, tmp_path: Path
) -> None:
    page = receipts_of(browser, scene, "kangtai-op", tmp_path)
    rows = [
        [cell.inner_text() for cell in row.query_selector_all("td")]
        for row in page.query_selector_all("table.receipts tbody tr")
    ]
    text = page.inner_text("main")
    assert scene.xinda not in text  # another supplier's bid in the same box
    # Newest first: the challenge, the change, the first bid.
    wanted = [f"提出质疑（{scene.challenge}，待答复）", "修改投标", "投标"]
    assert [r[1] for r in rows] == wanted, rows
    (latest, latest_leaf), (first, first_leaf) = scene.kangtai
    assert rows[1][0] == str(latest_leaf) and latest in rows[1][4]
    assert rows[2][0] == str(first_leaf) and first in rows[2][4]
    assert all(r[2] == "澄溪县人民医院彩色多普勒超声诊断仪采购项目" for r in rows)
    assert "查询码只在提出质疑时显示一次" in text
    # Only the bid still standing may be changed or withdrawn, and its links say which.
    assert "修改投标" in rows[1][4] and "修改投标" not in rows[2][4]
    page.click("table.receipts a:text-is('撤回投标')")
    page.wait_for_selector('#fields > p [name="supersedes"]')
    assert page.input_value('#fields > p [name="supersedes"]') == latest
    assert page.input_value('#fields > p [name="withdraw"]') == "true"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390

    # The other supplier sees its own, and none of kangtai's.
    other = receipts_of(browser, scene, "xinda-op", tmp_path)
    text = other.inner_text("main")
    assert scene.xinda in text and latest not in text and first not in text
    assert scene.challenge not in text


def test_the_agency_sees_the_notice_it_signed_with_its_entry(
    scene: Scene, browser: Any, tmp_path: Path
) -> None:
    page = receipts_of(browser, scene, "ggzy-op", tmp_path)
    first = page.query_selector("table.receipts tbody tr")
    assert first is not None
    cells = [c.inner_text() for c in first.query_selector_all("td")]
    assert cells[0] == str(scene.notice) and cells[1] == "采购公告 / 单一来源公示", cells
    assert first.query_selector(f'a[href="/log/entries/{scene.notice}"]') is not None
    assert cells[3].startswith("20") and ":" in cells[3]
    # Never a bid: the agency signed none.
    assert "承诺值" not in page.inner_text("table.receipts")

"""The 资格预审 result on the public procurement page, over real HTTP: the invited bidders are
drawn from the qualified, so before the opening the page says the result is in but names
no one and gives no reason; once the bids are opened it lists the qualified and, with their
reasons (escaped), the refused."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from conftest import Server, eventually, hospital_world, make_config, start_server
from procurement_world import County

from ledger.application import Ledger
from ledger.store.url import DatabaseURL, parse_database_url

HIDDEN = "名单及未通过的原因于开标后公开"
REASON = "<b>未提供</b>汽车维修实训设备的供货业绩证明。"
#: The qualified, as registered.
NAMES = ("云岭康泰医疗器械有限公司", "云岭信达信息技术有限公司", "华美办公用品")


@dataclass
class Served:
    url: DatabaseURL
    data: Path
    county: County
    server: Server

    def page_with(self, text: str) -> str:
        """The procurement's page, once the service has projected ``text`` onto it."""

        def shown() -> str | None:
            response = httpx.get(self.server.url + "/procurements/p1", timeout=30,
                                 headers={"accept": "text/html"})  # fmt: skip
            return response.text if text in response.text else None

        return eventually(shown, self.server.process)

    def record(self, acts: Callable[[County], None]) -> None:
        """``acts`` on a ledger of its own beside the server, closed afterwards."""
        ledger = Ledger(make_config(self.url, self.data, inline_integration=True))
        try:
            self.county.world = dataclasses.replace(self.county.world, ledger=ledger)
            self.county.ledger = ledger
            acts(self.county)
        finally:
            ledger.close()


def prequalified(c: County) -> None:
    """An invited tender up to its 资格预审 result: three qualified, tongda refused."""
    c.world.add("tongda", "supplier", "tongda-op", "云岭通达科技有限公司")
    c.act(c.purchaser, "FilePlan", {
        "title": "汽车维修实训基地设备采购项目", "category": "goods", "method": "invited_tender",
        "budget": "1960000.00", "agency": "ggzy", "rationale": "供应商有限",
        "date": "2026-03-02"})  # fmt: skip
    c.act(c.finance, "ApprovePlan", {"date": "2026-03-03"})
    c.act(c.finance, "ApproveMethod", {"date": "2026-03-03", "rationale": "供应商有限"})
    c.act(c.agency, "AnnouncePrequalification", {
        "date": "2026-03-23", "requirement": "汽车维修实训设备一批。",
        "qualifications": "具有独立承担民事责任的能力。", "contact": "刘洋",
        "application_deadline": "2026-03-30", "period_end": "2026-03-30"})  # fmt: skip
    c.act(c.agency, "RecordPrequalification", {
        "date": "2026-03-31", "qualified": ["kangtai", "xinda", "huamei"],
        "refused": [{"supplier": "tongda", "reason": REASON}]})  # fmt: skip


def opened(c: County) -> None:
    """The invitation, three bids from the qualified, the closing and the opening."""
    c.act(c.agency, "AnnounceTender", {
        "date": "2026-04-10", "requirement": "见投标邀请书。", "qualifications": "通过资格预审。",
        "contact": "刘洋", "bid_deadline": "2026-05-06", "bid_deadline_time": "09:30",
        "place": "开标一室"})  # fmt: skip
    for supplier, price in zip(c.suppliers, ("1900000.00", "1910000.00", "1920000.00"),
                               strict=True):  # fmt: skip
        c.bid(supplier, price)
    c.act(c.agency, "CloseBidBox", {"date": "2026-05-06", "time": "09:30"})
    c.act(c.agency, "OpenBids", {"date": "2026-05-06", "time": "09:30"})


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    url = parse_database_url(f"sqlite:///{tmp_path / 'ledger.db'}")
    ledger = Ledger(make_config(url, tmp_path, inline_integration=True))
    try:
        county = County(hospital_world(ledger))
    finally:
        ledger.close()
    site = Served(url, tmp_path, county, start_server(url, tmp_path))
    site.record(prequalified)
    try:
        yield site
    finally:
        site.server.stop()


def test_the_result_is_named_only_once_the_bids_are_opened(served: Served) -> None:
    before = served.page_with("记录资格预审结果")
    assert HIDDEN in before
    for hidden in (*NAMES, "云岭通达科技有限公司", "供货业绩证明"):
        assert hidden not in before

    served.record(opened)
    after = served.page_with("开标记录")
    assert HIDDEN not in after
    assert "通过资格预审的供应商：" + "、".join(NAMES) in after
    assert "未通过资格预审的供应商" in after and "云岭通达科技有限公司" in after
    assert "&lt;b&gt;未提供&lt;/b&gt;汽车维修实训设备的供货业绩证明。" in after  # escaped
    assert "<b>未提供</b>" not in after

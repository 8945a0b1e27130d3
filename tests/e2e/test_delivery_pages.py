"""A notice's page says where and when it was published: each website's receipt from the log,
delivered or given up, with the entry that proves it; the static export says the same."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import orjson
from conftest import TLS, Server, eventually, start_server, sunshine
from supervision_client import sign_in
from test_publish_site import Answer, FakeSite, config, county_with_notices

from publisher.worker import Publisher


def tender_of(world: Any, notices: list[int]) -> int:
    return next(
        n for n in notices
        if orjson.loads(world.ledger.reader.entry(n))["data"]["announcement"] == "tender"
    )  # fmt: skip


def publish(world: Any, actor: Any) -> None:
    """Deliver every notice to a healthy required site; give up on a dead one."""
    dead = lambda n, msg_id: Answer(503)  # noqa: E731
    key = actor.key.public_key()
    with FakeSite(key) as province, FakeSite(key, script=dead) as portal:
        cfg = config(
            {"name": "ccgp-yunling", "title": "云岭省政府采购网", "url": province.url,
             "required": True},
            {"name": "county-portal", "url": portal.url},
            defaults={"max_attempts": 2, "circuit_failures": 100},
        )
        publisher = Publisher(world.ledger, cfg, actor.key, workers=2, seed=1)
        publisher.setup()
        publisher.drain(timeout=60)
    world.ledger.integrator.integrate()


def wait_for_page(server: Server, path: str, text: str) -> str:
    def shown() -> str | None:  # the server projects the log in the background
        page = httpx.get(server.url + path, timeout=30, verify=TLS)
        return page.text if page.status_code == 200 and text in page.text else None

    return eventually(shown, server.process, every=0.2)


def test_the_notice_page_lists_each_site_s_receipt_with_its_entry(
    world: Any, tmp_path: Path
) -> None:
    county, actor, notices = county_with_notices(world, procurements=1)
    tender = tender_of(world, notices)
    publish(world, actor)
    server = start_server(world.ledger.config.database, tmp_path)
    try:
        page = wait_for_page(server, f"/announcements/{tender}", "发布记录")
        section = page[page.index('id="deliveries"') :]
        body = section[: section.index("</ul>")]
        rows = re.findall(r"<li>(.*?)</li>", body, flags=re.S)
        assert len(rows) == 2, rows
        # A site with a title in the destinations file is shown by it, not by its code.
        delivered = next(r for r in rows if "云岭省政府采购网" in r)
        failed = next(r for r in rows if "county-portal" in r)
        assert "ccgp-yunling" not in delivered
        assert "<strong>云岭省政府采购网</strong>（指定媒体）：已送达（HTTP 200）" in delivered
        assert "county-portal</strong>：未能送达（最后一次 HTTP 503）" in failed
        assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d</time>（北京时间）", delivered)
        # Each row links the log entry that proves it: the publisher's signed receipt.
        for row, kind, site, title in (
            (delivered, "NoticeDelivered", "ccgp-yunling", "云岭省政府采购网"),
            (failed, "NoticeDeliveryFailed", "county-portal", None),
        ):
            entry = re.search(r'href="(/log/entries/(\d+))"', row)
            assert entry is not None, row
            leaf = orjson.loads(httpx.get(server.url + entry.group(1), verify=TLS).content)
            assert leaf["type"] == kind and leaf["actor"] == "fbfw-svc"
            assert leaf["data"]["notice"] == tender and leaf["data"]["destination"] == site
            assert leaf["data"].get("site") == title  # signed: the receipt names the site
        # Another notice of the procurement lists its own receipts, not the tender's.
        intention = min(notices)
        other = wait_for_page(server, f"/announcements/{intention}", "发布记录")
        entries = set(re.findall(r'href="/log/entries/(\d+)"', other))
        assert len(entries) == 2 and not entries & set(re.findall(r"/log/entries/(\d+)", body))
        # The inspector's full record of the procurement has the receipts among its entries.
        with sign_in(server.url, county.inspector) as inspector:
            history = inspector.get("/supervision/procurements/p1", headers={"accept": "text/html"})
        assert history.status_code == 200, history.text[:300]
        assert history.text.count("<strong>公告已送达发布网站</strong>") == len(notices)
        assert history.text.count("<strong>公告未能送达发布网站</strong>") == len(notices)
        assert (f'发布网站 云岭省政府采购网：<a href="#entry-{tender}">日志第 {tender} 条公告</a>'
                "，HTTP 200") in history.text
    finally:
        server.stop()


def test_the_static_export_shows_receipts_that_arrive_after_the_notice(
    world: Any, tmp_path: Path
) -> None:
    _, actor, notices = county_with_notices(world, procurements=1)
    tender = tender_of(world, notices)
    url, site = world.ledger.config.database, tmp_path / "site"
    first = sunshine("export-site", str(site), data_dir=tmp_path, db=url)
    assert first.returncode == 0, first.stderr
    page = site / "announcements" / str(tender) / "index.html"
    assert page.is_file() and "发布记录" not in page.read_text(encoding="utf-8")
    # Receipts arrive later: the next run rewrites the pages of the notices they are for and
    # exports the receipts' entries, though no procurement moved meanwhile.
    publish(world, actor)
    second = sunshine("export-site", str(site), data_dir=tmp_path, db=url)
    assert second.returncode == 0, second.stderr
    text = page.read_text(encoding="utf-8")
    assert "发布记录" in text and "已送达（HTTP 200）" in text
    receipt = re.search(r'href="/log/entries/(\d+)"', text[text.index('id="deliveries"') :])
    assert receipt is not None
    leaf = orjson.loads((site / "log" / "entries" / receipt.group(1)).read_bytes())
    assert leaf["type"] in ("NoticeDelivered", "NoticeDeliveryFailed")

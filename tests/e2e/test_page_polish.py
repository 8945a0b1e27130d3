"""The demo year's public and inspector pages as a newcomer reads them, over real HTTP from
`sunshine serve` and in a real Chromium: no internal codes (``qhx-jyj``, ``qhx-jw-op``) or
English entry types (``ResultAnnounced``) in the text, times in Beijing time in Chinese, the
inspector greeted by name, the red flags and a procurement's history readable on a phone
(390 px) without sideways scrolling, 订阅 opening a page in Chinese rather than XML, and the
result feed naming the winner and the amount.

Screenshots of the inspector pages at 1280 and 390 px are kept under
``test-artifacts/screenshots/supervision/``."""

from __future__ import annotations

import html
import re
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import (
    ROOT,
    Actor,
    DemoLedger,
    Server,
    copy_demo,
    eventually,
    make_config,
    start_server,
)
from supervision_client import COOKIE, sign_in

from ledger import signing
from ledger.application import Ledger
from ledger.domain.schema.kinds import KINDS
from ledger.domain.vocabulary import AnnouncementType

ARTEFACTS: Path = ROOT / "test-artifacts" / "screenshots" / "supervision"
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}
ATOM = "{http://www.w3.org/2005/Atom}"
INSPECTOR = "qhx-jw-op"  # 澄溪县纪委监委's inspector in the demo's registry


@dataclass
class Site:
    server: Server
    inspector: Actor
    codes: frozenset[str]  # every organisation and actor code of the demo's registry
    actor_name: str  # the inspector's registered name
    size: int  # the log's size

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, demo_template: DemoLedger) -> Iterator[Site]:
    copy = copy_demo(demo_template, tmp_path_factory.mktemp("polish-demo"))
    keys = copy.data / "demo-keys"
    inspector = Actor(INSPECTOR, "qhx-jw", "inspector", signing.read_key(keys / f"{INSPECTOR}.pem"))
    actors = {path.stem for path in keys.glob("*.pem")}
    ledger = Ledger(make_config(copy.url, copy.data))
    try:
        registered = ledger.registry.actor(INSPECTOR)
        assert registered is not None
        name = registered.name
    finally:
        ledger.close()
    server = start_server(copy.url, copy.data)
    try:
        with sign_in(server.url, inspector) as client:

            def projected() -> bool:  # the server projects the year in the background
                got = client.get("/supervision/flags", params={"format": "json"})
                return (got.status_code == 200
                        and got.json()["computed_at"]["log_size"] == copy.summary.size)

            eventually(projected, server.process, every=0.2)
        with sqlite3.connect(copy.data / "ledger.db") as db:
            organisations = {str(c) for (c,) in db.execute("SELECT code FROM pub_organisations")}
        yield Site(server, inspector, frozenset(organisations | actors), name, copy.summary.size)
    finally:
        server.stop()


# -- what a reader sees -------------------------------------------------------------------

_HIDDEN = re.compile(r"(?is)<(script|style|pre)\b[^>]*>.*?</\1>|<[^>]+>")
#: What the signed-in inspector's pages show raw on purpose: the records' signed JSON
#: (<pre>, under 签名命令与记录数据). Everything else is read as text.
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]")
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
ENTRY_TYPES = frozenset(k.name for k in KINDS)


def visible(page: str) -> str:
    return html.unescape(_HIDDEN.sub(" ", page))


def leaks(text: str, codes: frozenset[str]) -> set[str]:
    """Internal codes, entry types and machine-written times in a page's text."""
    found = {t for t in _TOKEN.findall(text) if t in codes or t in ENTRY_TYPES}
    return found | set(_RFC3339.findall(text)) | set(_ISO_DAY.findall(text))


def links(page: str, pattern: str) -> list[str]:
    return list(dict.fromkeys(html.unescape(h) for h in re.findall(rf'href="({pattern})"', page)))


def public_pages(client: httpx.Client) -> list[str]:
    """The home page, the lists, one notice of every type, procurements, complaints and
    challenges."""
    pages = ["/", "/announcements", "/complaints", "/challenges/lookup"]
    for kind in AnnouncementType:
        listed = client.get("/announcements", params={"type": kind.value}).text
        pages += links(listed, r"/announcements/[0-9]+")[:1]
    complaints = client.get("/complaints").text
    pages += links(complaints, r"/procurements/[^\"#?]+")[:3]
    for procurement in pages[-3:]:
        pages += links(client.get(procurement).text, r"/challenges/[^\"#?/]+")[:1]
    return pages


def inspector_pages(client: httpx.Client, size: int) -> list[str]:
    pages = ["/supervision", "/supervision/flags", "/supervision/deadlines",
             "/supervision/statistics"]
    flags = client.get("/supervision/flags").text
    pages += links(flags, r"/supervision/flags/[^\"?]+")[:8]
    for kind in ("splitting", "repeated_winner"):
        listed = client.get("/supervision/flags", params={"kind": kind}).text
        pages += links(listed, r"/supervision/flags/[^\"?]+")[:1]
    procurements = links(flags, r"/supervision/procurements/[^\"?#/]+")[:4]
    pages += procurements
    pages.append(f"{procurements[0]}/diff?from=1&to={size}")  # the whole year's changes
    return pages


def test_no_page_shows_internal_codes_entry_types_or_machine_times(site: Site) -> None:
    seen: dict[str, set[str]] = {}
    with httpx.Client(base_url=site.url, timeout=60, headers={"accept": "text/html"}) as client:
        for path in public_pages(client):
            answer = client.get(path)
            assert answer.status_code == 200, path
            if found := leaks(visible(answer.text), site.codes):
                seen[path] = found
    with sign_in(site.url, site.inspector) as client:
        client.headers["accept"] = "text/html"
        for path in inspector_pages(client, site.size):
            answer = client.get(path)
            assert answer.status_code == 200, path
            if found := leaks(visible(answer.text), site.codes):
                seen[path] = found
    assert seen == {}, seen


def test_the_inspector_is_greeted_by_name_and_times_are_beijing_time(site: Site) -> None:
    with sign_in(site.url, site.inspector) as client:
        home = visible(client.get("/supervision", headers={"accept": "text/html"}).text)
        flags = client.get("/supervision/flags", headers={"accept": "text/html"}).text
        procurement = links(flags, r"/supervision/procurements/[^\"?#/]+")[0]
        history = visible(client.get(procurement, headers={"accept": "text/html"}).text)
    assert f"您好，{site.actor_name}（" in home and INSPECTOR not in home
    assert re.search(r"签署时间\s+\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}（北京时间）", home)
    assert re.search(r"记录时间\s+\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}\s*（北京时间）", history)
    # Each record names who signed it by name and organisation, never by actor code.
    assert re.search(r"行为人 [^ ·（]+（[^）]+）", history)


# -- a phone, and the pictures --------------------------------------------------------------


@pytest.fixture(scope="module")
def artefacts() -> Path:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTEFACTS.glob("*.png"):
        old.unlink()
    return ARTEFACTS


def signed_in_context(browser: Any, site: Site, width: int, height: int) -> Any:
    with sign_in(site.url, site.inspector) as client:
        token = client.cookies.get(COOKIE)
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_cookies([{"name": COOKIE, "value": token, "url": site.url}])
    return context


def test_flags_and_a_procurement_history_fit_a_phone(
    browser: Any, site: Site, artefacts: Path
) -> None:
    with sign_in(site.url, site.inspector) as client:
        flags = client.get("/supervision/flags").text
        detail = links(flags, r"/supervision/flags/[^\"?]+")[0]
        procurement = links(flags, r"/supervision/procurements/[^\"?#/]+")[0]
    pages = {"flags": "/supervision/flags", "flag": detail, "procurement": procurement}
    for device, (width, height) in WIDTHS.items():
        context = signed_in_context(browser, site, width, height)
        try:
            tab = context.new_page()
            for name, path in pages.items():
                answer = tab.goto(site.url + path, wait_until="networkidle")
                assert answer is not None and answer.status == 200, path
                # Opened, the records' details (signed JSON, proofs) must fit as well.
                tab.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
                wide = tab.evaluate("document.documentElement.scrollWidth")
                assert wide <= width, f"{path} is {wide} px wide at {width} px"
                tab.screenshot(path=str(artefacts / f"{name}-{device}.png"), full_page=False)
        finally:
            context.close()
    assert len(list(artefacts.glob("*.png"))) == len(pages) * len(WIDTHS)


def test_no_page_asks_the_server_for_something_it_does_not_have(browser: Any, site: Site) -> None:
    """Every request a page makes (stylesheets, scripts, the site's icon) is answered: a
    browser's console shows no 404 on the public or the inspector pages."""
    with sign_in(site.url, site.inspector) as client:
        pages = public_pages(client)[:6] + inspector_pages(client, site.size)[:3]
    context = signed_in_context(browser, site, 1280, 800)
    failed: list[str] = []

    def answered(response: Any) -> None:
        if response.status >= 400:
            failed.append(f"{response.status} {response.url}")

    try:
        tab = context.new_page()
        tab.on("response", answered)
        for path in pages:
            answer = tab.goto(site.url + path, wait_until="networkidle")
            assert answer is not None and answer.status == 200, path
        icon = tab.evaluate("document.querySelector('link[rel=icon]').href")
    finally:
        context.close()
    assert failed == []
    assert httpx.get(icon, timeout=30).headers["content-type"].startswith("image/svg+xml")


# -- subscriptions -------------------------------------------------------------------------


def test_clicking_subscribe_opens_a_page_in_chinese_not_xml(browser: Any, site: Site) -> None:
    context = browser.new_context()
    try:
        tab = context.new_page()
        tab.goto(site.url + "/", wait_until="networkidle")
        with tab.expect_navigation():
            tab.get_by_role("link", name="订阅", exact=True).first.click()
        assert ".atom" not in tab.url and tab.url.endswith("#subscribe")
        section = tab.locator("#subscribe")
        assert section.is_visible()
        text = section.inner_text()
        assert "订阅这些公告" in text and "阅读器" in text and "<feed" not in tab.content()
        feed = section.get_by_role("link", name="订阅地址（Atom 格式）")
        href = feed.get_attribute("href") or ""
        assert href.startswith("/feeds/announcements.atom?type=")
        assert httpx.get(site.url + href, timeout=30).headers["content-type"].startswith(
            "application/atom+xml")
    finally:
        context.close()


def test_the_result_feed_names_the_winner_and_the_amount(site: Site) -> None:
    answer = httpx.get(f"{site.url}/feeds/announcements.atom", params={"type": "result"},
                       timeout=30)
    entries = ET.fromstring(answer.content).findall(f"{ATOM}entry")
    assert entries
    named = 0
    for entry in entries:
        title = entry.findtext(f"{ATOM}title") or ""
        summary = entry.findtext(f"{ATOM}summary") or ""
        if "中标（成交）供应商" not in summary:
            continue  # a framework agreement's 入围 result names several suppliers
        named += 1
        winner = re.search(r"中标（成交）供应商：([^<]+)</li>", summary)
        amount = re.search(r"中标（成交）金额：(¥[0-9,.]+)", summary)
        assert winner and amount, summary
        assert f"中标（成交）供应商：{winner.group(1)}，金额{amount.group(1)}" in title
        link = entry.find(f"{ATOM}link")
        assert link is not None
        page = httpx.get(str(link.get("href")), timeout=30).text
        assert winner.group(1) in page and amount.group(1) in page
    assert named >= len(entries) // 2

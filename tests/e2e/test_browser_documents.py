"""Attached documents on a notice page, in a real browser (Debian's chromium) against
`sunshine serve`: the page lists each (name, size, link, digest); the 验证 button downloads
each, hashes it with WebCrypto and says whether it is the file the signed entry names."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import eventually, hospital_world, make_config, start_server
from procurement_world import County

from ledger.application import Ledger
from ledger.store.url import DatabaseURL

PANEL = "[data-verify-panel]"
DONE = f"{PANEL}.ok, {PANEL}.bad"
TENDER_PDF = b"%PDF-1.7\n" + "澄溪县人民医院彩超采购 招标文件 第一册".encode() * 200
TERMS = "合同条款：甲方应在验收合格后30日内付款。\n".encode()


@dataclass
class Site:
    url: str
    tender: int
    documents: Path  # the store's directory


def reference(ledger: Ledger, name: str, content: bytes, kind: str) -> dict[str, Any]:
    upload = ledger.documents.begin(kind)
    upload.write(content)
    stored = upload.finish()
    return {"name": name, "media_type": kind, "size": stored.size,
            "sha256": base64.b64encode(stored.digest).decode()}  # fmt: skip


@pytest.fixture
def site(sqlite_url: DatabaseURL, tmp_path: Path) -> Iterator[Site]:
    ledger = Ledger(make_config(sqlite_url, tmp_path, inline_integration=True))
    try:
        county = County(hospital_world(ledger))
        documents = [
            reference(ledger, "招标文件（第一册）.pdf", TENDER_PDF, "application/pdf"),
            reference(ledger, "合同主要条款.txt", TERMS, "text/plain"),
        ]
        county.to_announced(notice={"documents": documents})
        tender = ledger.reader.size() - 1
    finally:
        ledger.close()
    server = start_server(sqlite_url, tmp_path)
    try:
        url = f"{server.url}/announcements/{tender}"
        eventually(lambda: httpx.get(url).status_code == 200, server.process)
        yield Site(server.url, tender, tmp_path / "documents")
    finally:
        server.stop()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


def verify(page: Any, site: Site) -> tuple[str, str]:
    page.goto(f"{site.url}/announcements/{site.tender}")
    page.click('[data-verify="button"]')
    panel = page.wait_for_selector(DONE, timeout=30_000)
    state = "ok" if "ok" in (panel.get_attribute("class") or "").split() else "bad"
    return state, page.text_content('[data-verify="result"]') or ""


def marks(page: Any) -> list[str]:
    return [m.strip() for m in page.locator("[data-document-result]").all_text_contents()]


def test_the_notice_lists_its_documents_and_the_button_finds_them_genuine(
    page: Any, site: Site
) -> None:
    page.goto(f"{site.url}/announcements/{site.tender}")
    listed = page.locator("[data-document]")
    assert listed.count() == 2
    first = listed.nth(0)
    assert first.locator("a").text_content() == "招标文件（第一册）.pdf"
    assert "PDF" in (first.text_content() or "") and "KB" in (first.text_content() or "")
    digest = hashlib.sha256(TENDER_PDF).hexdigest()
    assert first.locator("code").text_content() == digest
    href = first.locator("a").get_attribute("href") or ""
    assert href.startswith(f"/documents/{digest}?name=")
    assert httpx.get(site.url + href).content == TENDER_PDF

    state, message = verify(page, site)
    assert state == "ok", message
    assert "2 个附件经下载计算 SHA-256，与条目所记摘要一致" in message
    assert marks(page) == ["✓ 与日志条目所记摘要一致"] * 2


def test_a_document_altered_on_disk_fails_the_check_by_name(page: Any, site: Site) -> None:
    stored = site.documents / hashlib.sha256(TERMS).hexdigest()
    stored.write_bytes(TERMS.replace("30日".encode(), "90日".encode()))  # same size, new terms

    state, message = verify(page, site)
    assert state == "bad", message
    assert "附件“合同主要条款.txt”下载所得文件的 SHA-256" in message
    assert "不符：文件已被改动或替换" in message
    assert marks(page) == ["✓ 与日志条目所记摘要一致", "✗ 与日志条目所记摘要不符"]


def test_the_result_notice_repeats_the_tender_documents(
    sqlite_url: DatabaseURL, tmp_path: Path
) -> None:
    """87号令 第六十九条: the result is published with the 招标文件; the result page lists the
    tender notice's documents with their digests and links the notice whose entry holds them."""
    ledger = Ledger(make_config(sqlite_url, tmp_path, inline_integration=True))
    try:
        county = County(hospital_world(ledger))
        tender_pdf = reference(ledger, "招标文件（第一册）.pdf", TENDER_PDF, "application/pdf")
        county.to_evaluated(notice={"documents": [tender_pdf]})
        tender = next(i for i in range(ledger.reader.size())
                      if b'"TenderAnnounced"' in ledger.reader.entry(i))  # fmt: skip
        county.act(county.purchaser, "DecideAward",
                   {"date": "2026-05-07", "supplier": "xinda", "amount": "1720000.00"})  # fmt: skip
        county.act(county.agency, "AnnounceResult", {"date": "2026-05-08"})
        result = ledger.reader.size() - 1
    finally:
        ledger.close()
    server = start_server(sqlite_url, tmp_path)
    try:
        url = f"{server.url}/announcements/{result}"
        eventually(lambda: httpx.get(url).status_code == 200, server.process)
        page = httpx.get(url).text
        section = page[page.index('id="tender-documents"') :]
        digest = hashlib.sha256(TENDER_PDF).hexdigest()
        assert "招标文件（第一册）.pdf" in section and digest in section
        assert f'href="/documents/{digest}?' in section
        assert f'href="/announcements/{tender}"' in section
        assert httpx.get(f"{server.url}/documents/{digest}").content == TENDER_PDF
    finally:
        server.stop()

"""Attachments 附件 from the workbench's forms, in a real chromium against `sunshine serve`
(SQLite, its documents in files; PostgreSQL, in a table): the agency picks the 招标文件, the
browser hashes it, shows its digest and uploads it signed; the signed notice names it by that
digest; the public page lists it and the download hashes to it. A file changed on its way to
the store is refused and nothing is kept; a file of a refused type or over the limit is
refused in Chinese before a byte is sent."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Actor, Server, hospital_world, make_config, start_server
from procurement_world import PLAN, County
from workbench_browser import field, open_form, signed_in

from ledger.application import Ledger
from ledger.store.url import DatabaseURL

#: The store's limit in this test: small enough to pass with a made-up file.
LIMIT = 64 * 1024
#: A small, real PDF: what a 招标文件 is.
PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)


@pytest.fixture
def site(db_url: DatabaseURL, tmp_path: Path) -> Iterator[tuple[Server, dict[str, Actor]]]:
    """A procurement planned, approved and its intention disclosed: the agency announces it."""
    ledger = Ledger(make_config(db_url, tmp_path, inline_integration=True))
    try:
        county = County(hospital_world(ledger))
        county.act(county.purchaser, "FilePlan", PLAN, "att1")
        county.act(county.finance, "ApprovePlan", {"date": "2026-03-03"}, "att1")
        county.act(county.finance, "ApproveMethod",
                   {"date": "2026-03-03", "rationale": "预算较大"}, "att1")  # fmt: skip
        county.act(county.purchaser, "DiscloseIntention",
                   {"date": "2026-03-04", "expected_start": "2026-04-10"}, "att1")  # fmt: skip
        actors = dict(county.world.actors)
    finally:
        ledger.close()
    server = start_server(db_url, tmp_path, env={"SUNSHINE_DOCUMENT_MAX_BYTES": str(LIMIT)})
    try:
        yield server, actors
    finally:
        server.stop()


def tender_form(page: Any, server: Server) -> None:
    open_form(page, server, "AnnounceTender", "att1")
    page.fill(field("date"), "2026-04-10")
    page.fill(field("requirement"), "彩色多普勒超声诊断仪1台，技术参数见采购文件第三章。")
    page.fill(field("qualifications"), "具有医疗器械经营许可证。")
    page.fill(field("contact"), "刘洋 0319-8123456")
    page.fill(field("bid_deadline"), "2026-05-06")
    page.fill(field("bid_deadline_time"), "09:30")
    page.fill(field("place"), "澄溪县公共资源交易中心开标一室")


PICKER = "fieldset.field-documents input[type=file]"
ROW = "fieldset.field-documents ol.attachments > li"


def attach(page: Any, path: Path) -> str:
    """Pick ``path``; the row's text once its upload has settled."""
    page.set_input_files(PICKER, str(path))
    page.wait_for_function(
        "() => [...document.querySelectorAll('.document-state')].every("
        "s => !s.textContent.startsWith('正在'))"
    )
    return str(page.locator(ROW).last.inner_text())


def test_a_tender_document_hashed_in_the_browser_is_signed_listed_and_downloads_intact(
    site: tuple[Server, dict[str, Actor]], browser: Any, tmp_path: Path
) -> None:
    server, actors = site
    document = tmp_path / "招标文件.pdf"
    document.write_bytes(PDF)
    digest = hashlib.sha256(PDF).digest()

    agency = signed_in(browser, server, actors["ggzy-op"], tmp_path)
    tender_form(agency, server)
    row = attach(agency, document)
    assert "招标文件.pdf" in row and "已上传" in row and digest.hex() in row, row
    assert f"{len(PDF)} 字节" in row
    # At 390 px the 64 hex digits wrap: nothing wider than the screen.
    assert agency.evaluate("() => document.documentElement.scrollWidth") <= 390
    agency.click("#command-form button[type=submit]")
    agency.wait_for_selector("#preview:not([hidden])")
    assert digest.hex() in agency.inner_text("#preview")  # the preview names what is signed
    agency.click("#sign")
    agency.wait_for_selector("#receipt:not([hidden])")
    leaf_url = server.url + str(agency.get_attribute("#receipt-verify", "href"))

    # The signed command carries the digest, base64, with the name, type and size.
    leaf = json.loads(httpx.get(leaf_url, timeout=30).content)
    signed = json.loads(leaf["command"]) if isinstance(leaf["command"], str) else leaf["command"]
    assert signed["payload"]["documents"] == [{
        "name": "招标文件.pdf", "media_type": "application/pdf",
        "sha256": base64.b64encode(digest).decode(), "size": len(PDF),
    }]  # fmt: skip

    # The public notice lists it, and its download is the file signed for.
    notice = ""
    for _ in range(60):  # the public pages follow the log
        procurement = httpx.get(server.url + "/procurements/att1", timeout=30).text
        pages = [httpx.get(server.url + link, timeout=30).text
                 for link in re.findall(r'href="(/announcements/[0-9]+)"', procurement)]
        notice = next((p for p in pages if "采购文件（附件）" in p), "")
        if notice:
            break
        agency.wait_for_timeout(250)
    assert "招标文件.pdf" in notice and digest.hex() in notice
    link = re.search(r'href="(/documents/[0-9a-f]{64}[^"]*)"', notice)
    assert link is not None
    downloaded = httpx.get(server.url + link.group(1).replace("&amp;", "&"), timeout=30)
    assert hashlib.sha256(downloaded.content).digest() == digest


def test_a_file_changed_on_its_way_or_refused_by_type_or_size_is_not_attached(
    site: tuple[Server, dict[str, Actor]], browser: Any, tmp_path: Path
) -> None:
    server, actors = site
    document = tmp_path / "采购需求.pdf"
    document.write_bytes(PDF + b"% changed on the wire\n")
    agency = signed_in(browser, server, actors["ggzy-op"], tmp_path)
    tender_form(agency, server)

    def tamper(route: Any) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        body = bytearray(route.request.post_data_buffer)
        body[-2] ^= 0x01  # one bit, the length unchanged: only the digest tells
        route.continue_(post_data=bytes(body))

    agency.route("**/documents", tamper)
    row = attach(agency, document)
    agency.unroute("**/documents")
    assert "上传的内容与本浏览器计算的摘要不符，账本未保存" in row, row
    hexdigest = hashlib.sha256(document.read_bytes()).hexdigest()
    assert httpx.get(f"{server.url}/documents/{hexdigest}", timeout=30).status_code == 404
    # Nothing is signed while an attachment failed: the form says which, in Chinese.
    agency.click("#command-form button[type=submit]")
    errors = agency.inner_text("#errors")
    assert "第1个附件“采购需求.pdf”未能上传，请删除后重新选择" in errors, errors
    assert agency.is_hidden("#preview")

    # Refused before anything is sent: a type the ledger does not take, a file too large.
    page = tmp_path / "公告.html"
    page.write_text("<script>alert(1)</script>", encoding="utf-8")
    large = tmp_path / "图纸.pdf"
    large.write_bytes(PDF + b"0" * LIMIT)
    agency.set_input_files(PICKER, [str(page), str(large)])
    refused = agency.inner_text("fieldset.field-documents .field-error")
    assert "“公告.html”：只能附 PDF、OFD、DOCX、XLSX、ZIP 或 TXT 文件" in refused, refused
    assert "“图纸.pdf”有 64" in refused and "超过上限 64 KB（65536 字节）" in refused, refused
    assert agency.locator(ROW).count() == 1  # only the refused upload's row, to be removed
    agency.click(f"{ROW} button:text-is('删除此附件')")
    assert agency.locator(ROW).count() == 0


def test_a_bid_files_digest_is_computed_in_the_browser_and_the_file_is_not_sent(
    site: tuple[Server, dict[str, Actor]], browser: Any, tmp_path: Path
) -> None:
    server, actors = site
    bid_file = tmp_path / "投标文件.pdf"
    bid_file.write_bytes(PDF + b"% the supplier's own offer\n")
    supplier = signed_in(browser, server, actors["kangtai-op"], tmp_path)
    sent: list[str] = []
    supplier.on("request", lambda request: sent.append(request.url))
    open_form(supplier, server, "SubmitBid", "att1")
    supplier.set_input_files(f"{field('documents')} ~ input[type=file]", str(bid_file))
    supplier.wait_for_function(
        "() => document.querySelector('#fields > p [name=\"documents\"]').value.length === 64"
    )
    wanted = hashlib.sha256(bid_file.read_bytes()).hexdigest()
    assert supplier.input_value(field("documents")) == wanted
    assert "文件不上传，只签名其摘要" in supplier.inner_text("#fields")
    assert not [url for url in sent if "/documents" in url]  # hashed here, never sent

"""`sunshine export-site` keeps the attached documents: each under documents/<hex>, the
notice page linking it there, and the 验证 button of the static mirror (served by a plain
static server, checked in Chromium) finds the file the signed entry names."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

from conftest import free_port, hospital_world, make_config, sunshine
from procurement_world import County
from test_export_site import static_server  # noqa: F401 - a fixture

from ledger.application import Ledger
from ledger.store.url import DatabaseURL

CONTENT = b"%PDF-1.7 " + "采购文件：彩色多普勒超声诊断仪".encode() * 50


def test_a_static_mirror_keeps_and_verifies_the_documents(
    sqlite_url: DatabaseURL, tmp_path: Path, static_server: Any, browser: Any  # noqa: F811
) -> None:
    data = tmp_path / "data"
    ledger = Ledger(make_config(sqlite_url, data, inline_integration=True))
    try:
        county = County(hospital_world(ledger))
        upload = ledger.documents.begin("application/pdf")
        upload.write(CONTENT)
        stored = upload.finish()
        document = {"name": "采购文件.pdf", "media_type": "application/pdf",
                    "sha256": base64.b64encode(stored.digest).decode(), "size": stored.size}
        county.to_announced(notice={"documents": [document]})
        tender = ledger.reader.size() - 1
    finally:
        ledger.close()
    site = tmp_path / "site"
    done = sunshine("export-site", str(site), data_dir=data, db=sqlite_url)
    assert done.returncode == 0, done.stderr
    hex_digest = hashlib.sha256(CONTENT).hexdigest()
    assert (site / "documents" / hex_digest).read_bytes() == CONTENT
    page = (site / "announcements" / str(tender) / "index.html").read_text(encoding="utf-8")
    assert f'href="/documents/{hex_digest}"' in page

    mirror = static_server(site, free_port())
    context = browser.new_context()
    try:
        tab = context.new_page()
        tab.goto(f"{mirror.url}/announcements/{tender}/")
        tab.click('[data-verify="button"]')
        panel = tab.wait_for_selector("[data-verify-panel].ok, [data-verify-panel].bad",
                                      timeout=30_000)  # fmt: skip
        message = tab.text_content('[data-verify="result"]') or ""
        assert "ok" in (panel.get_attribute("class") or "").split(), message
        assert "1 个附件经下载计算 SHA-256，与条目所记摘要一致" in message
    finally:
        context.close()
